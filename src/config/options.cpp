#include "netgear/options.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <functional>
#include <limits>
#include <type_traits>

#include "config/validate.hpp"
#include "netgear/error.hpp"

namespace netgear {

namespace {

struct ColorspaceName {
  Colorspace cs;
  std::string_view name;
  int channels;
};

constexpr std::array<ColorspaceName, 12> kColorspaces{{
    {Colorspace::BGR, "BGR", 3},   {Colorspace::RGB, "RGB", 3},   {Colorspace::GRAY, "GRAY", 1},
    {Colorspace::BGRA, "BGRA", 4}, {Colorspace::RGBA, "RGBA", 4}, {Colorspace::BGRX, "BGRX", 4},
    {Colorspace::RGBX, "RGBX", 4}, {Colorspace::XBGR, "XBGR", 4}, {Colorspace::XRGB, "XRGB", 4},
    {Colorspace::ABGR, "ABGR", 4}, {Colorspace::ARGB, "ARGB", 4}, {Colorspace::CMYK, "CMYK", 4},
}};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string show(const nlohmann::json& v) {
  return v.is_string() ? "'" + v.get<std::string>() + "'" : v.dump();
}

[[noreturn]] void bad(std::string_view name, const nlohmann::json& value, std::string_view expected) {
  throw OptionError(std::string(name), "option '" + std::string(name) + "': bad value " + show(value) +
                                           " (expected " + std::string(expected) + ")");
}

bool as_bool(std::string_view name, const nlohmann::json& v) {
  if (v.is_boolean()) return v.get<bool>();
  // vidgear is Python: 0/1 are accepted as bools there.
  if (v.is_number_integer() && (v.get<long long>() == 0 || v.get<long long>() == 1)) {
    return v.get<long long>() == 1;
  }
  bad(name, v, "true or false");
}

// Type conversions only; ranges are validate()'s (one place), called after every option.
long long as_int(std::string_view name, const nlohmann::json& v) {
  if (v.is_number_integer() && !(v.is_number_unsigned() && v.get<std::uint64_t>() > 1'000'000'000'000ULL)) {
    const long long x = v.get<long long>();
    if (x >= -1'000'000'000'000LL && x <= 1'000'000'000'000LL) return x;
  }
  if (v.is_number_float() && std::isfinite(v.get<double>()) && v.get<double>() == std::floor(v.get<double>()) &&
      std::fabs(v.get<double>()) <= 1e12) {
    return static_cast<long long>(v.get<double>());
  }
  bad(name, v, "an integer");
}

template <typename Int>
Int as_int_of(std::string_view name, const nlohmann::json& v) {
  const long long x = as_int(name, v);
  if (x < static_cast<long long>(std::numeric_limits<Int>::min()) ||
      static_cast<unsigned long long>(x) > static_cast<unsigned long long>(std::numeric_limits<Int>::max())) {
    bad(name, v, std::is_signed_v<Int> ? "an integer that fits an int" : "a non-negative integer");
  }
  return static_cast<Int>(x);
}

std::chrono::milliseconds as_seconds(std::string_view name, const nlohmann::json& v) {
  // Finite and small enough to convert without overflow; the range is validate()'s.
  if (!v.is_number() || !std::isfinite(v.get<double>()) || std::fabs(v.get<double>()) > 1e12) {
    bad(name, v, "a number of seconds");
  }
  return std::chrono::milliseconds(static_cast<long long>(std::llround(v.get<double>() * 1000.0)));
}

std::string as_string(std::string_view name, const nlohmann::json& v) {
  if (!v.is_string()) bad(name, v, "a string");
  return v.get<std::string>();
}

Options::SshTunnel& tunnel(Options& o) {
  // Not emplace(): clang 14 decides whether SshTunnel is default-constructible while Options is
  // still incomplete (its default member initializers unparsed), caches "no", and refuses it.
  if (!o.ssh_tunnel) o.ssh_tunnel = Options::SshTunnel{std::string(), std::string(), std::string(), std::string()};
  return *o.ssh_tunnel;
}

void set_topology(Options& o, Topology t, bool on) {
  if (on) {
    if (o.topology != Topology::Single && o.topology != t) {
      throw OptionError("multiserver_mode",
                        "'multiserver_mode' cannot be used with 'multiclient_mode': choose one");
    }
    o.topology = t;
  } else if (o.topology == t) {
    o.topology = Topology::Single;
  }
}

using Setter = std::function<void(Options&, std::string_view, const nlohmann::json&)>;

struct OptionSpec {
  std::string_view name;
  Setter set;
};

const std::vector<OptionSpec>& specs() {
  static const std::vector<OptionSpec> table = {
      {"max_retries", [](Options& o, auto n, const auto& v) { o.max_retries = as_int_of<int>(n, v); }},
      {"request_timeout", [](Options& o, auto n, const auto& v) { o.request_timeout = as_seconds(n, v); }},
      {"subscriber_timeout",
       [](Options& o, auto n, const auto& v) {
         if (v.is_null()) {
           o.subscriber_timeout.reset();
         } else {
           o.subscriber_timeout = as_seconds(n, v);
         }
       }},
      {"jpeg_compression",
       [](Options& o, auto n, const auto& v) {
         if (v.is_string()) {
           auto cs = parse_colorspace(v.template get<std::string>());
           if (!cs) bad(n, v, "true, false or a colorspace: BGR, RGB, GRAY, BGRA, RGBA, BGRX, RGBX, XBGR, XRGB, ABGR, ARGB, CMYK");
           o.jpeg_compression = true;
           o.jpeg_compression_colorspace = cs;
         } else {
           o.jpeg_compression = as_bool(n, v);
         }
       }},
      {"jpeg_compression_quality",
       [](Options& o, auto n, const auto& v) { o.jpeg_compression_quality = as_int_of<int>(n, v); }},
      {"jpeg_compression_threads",
       [](Options& o, auto n, const auto& v) { o.jpeg_compression_threads = as_int_of<int>(n, v); }},
      {"jpeg_compression_fastdct",
       [](Options& o, auto n, const auto& v) { o.jpeg_compression_fastdct = as_bool(n, v); }},
      {"jpeg_compression_fastupsample",
       [](Options& o, auto n, const auto& v) { o.jpeg_compression_fastupsample = as_bool(n, v); }},
      {"bidirectional_mode",
       [](Options& o, auto n, const auto& v) { o.bidirectional_mode = as_bool(n, v); }},
      {"return_pairing",
       [](Options& o, auto n, const auto& v) {
         // "sticky"/"exact", or 0/1 as the other enumerated options take numbers.
         const std::string t = v.is_number_integer() ? std::to_string(v.template get<long long>()) : lower(as_string(n, v));
         if (t == "sticky" || t == "0") {
           o.return_pairing = ReturnPairing::Sticky;
         } else if (t == "exact" || t == "1") {
           o.return_pairing = ReturnPairing::Exact;
         } else {
           bad(n, v, "'sticky' (0) or 'exact' (1)");
         }
       }},
      {"answer_timeout",
       [](Options& o, auto n, const auto& v) {
         if (v.is_null()) {
           o.answer_timeout.reset();
         } else {
           o.answer_timeout = as_seconds(n, v);
         }
       }},
      // The two multi modes are one setting (Options::topology): turning one on while the other
      // is on is the compatibility chart's error; turning one off leaves the other as it is.
      {"multiserver_mode",
       [](Options& o, auto n, const auto& v) { set_topology(o, Topology::MultiServer, as_bool(n, v)); }},
      {"multiclient_mode",
       [](Options& o, auto n, const auto& v) { set_topology(o, Topology::MultiClient, as_bool(n, v)); }},
      {"secure_mode",
       [](Options& o, auto n, const auto& v) { o.secure_mode = static_cast<SecureMode>(as_int_of<int>(n, v)); }},
      {"custom_cert_location",
       [](Options& o, auto n, const auto& v) { o.custom_cert_location = as_string(n, v); }},
      {"overwrite_cert",
       [](Options& o, auto n, const auto& v) { o.overwrite_cert = as_bool(n, v); }},
      // The three SSH strings are one setting (Options::ssh_tunnel); null or "" for the server
      // turns the tunnel off.
      {"ssh_tunnel_mode",
       [](Options& o, auto n, const auto& v) {
         const std::string server = v.is_null() ? "" : as_string(n, v);
         if (server.empty()) {
           o.ssh_tunnel.reset();
         } else {
           tunnel(o).server = server;
         }
       }},
      {"ssh_tunnel_pwd",
       [](Options& o, auto n, const auto& v) {
         if (!v.is_null()) tunnel(o).password = as_string(n, v);
       }},
      {"ssh_tunnel_keyfile",
       [](Options& o, auto n, const auto& v) {
         if (!v.is_null()) tunnel(o).keyfile = as_string(n, v);
       }},
      // Ours (not in vidgear): the host key policy and the time bound.
      {"ssh_tunnel_known_hosts",
       [](Options& o, auto n, const auto& v) {
         if (!v.is_null()) tunnel(o).known_hosts = as_string(n, v);
       }},
      {"ssh_tunnel_accept_new", [](Options& o, auto n, const auto& v) { tunnel(o).accept_new = as_bool(n, v); }},
      {"ssh_tunnel_timeout", [](Options& o, auto n, const auto& v) { tunnel(o).timeout = as_seconds(n, v); }},
      {"queue_size",
       [](Options& o, auto n, const auto& v) { o.queue_size = as_int_of<std::size_t>(n, v); }},
      {"keep_newest",
       [](Options& o, auto n, const auto& v) { o.keep_newest = as_bool(n, v); }},
      {"queue_bytes",
       [](Options& o, auto n, const auto& v) { o.queue_bytes = as_int_of<std::size_t>(n, v); }},
      {"max_frame_bytes",
       [](Options& o, auto n, const auto& v) { o.max_frame_bytes = as_int_of<std::size_t>(n, v); }},
      {"max_message_size",
       [](Options& o, auto n, const auto& v) { o.max_message_size = as_int_of<std::size_t>(n, v); }},
      {"max_header_size",
       [](Options& o, auto n, const auto& v) { o.max_header_size = as_int_of<std::size_t>(n, v); }},
      {"pubsub_socket_buffer",
       [](Options& o, auto n, const auto& v) { o.pubsub_socket_buffer = as_int_of<std::size_t>(n, v); }},
      {"pubsub_send_wait", [](Options& o, auto n, const auto& v) { o.pubsub_send_wait = as_seconds(n, v); }},
      {"pipelined_send", [](Options& o, auto n, const auto& v) { o.pipelined_send = as_bool(n, v); }},
      // pyzmq's knobs: checked for type, no effect.
      {"flag", [](Options&, auto n, const auto& v) { (void)as_int_of<int>(n, v); }},
      {"copy", [](Options&, auto n, const auto& v) { (void)as_bool(n, v); }},
      {"track", [](Options&, auto n, const auto& v) { (void)as_bool(n, v); }},
  };
  return table;
}

// Text as typed on a command line -> the JSON value vidgear would have received.
nlohmann::json text_to_json(std::string_view text) {
  std::string t = lower(text);
  if (t == "true" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "no" || t == "off") return false;
  if (t == "none" || t == "null") return nullptr;
  {
    long long i = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
    if (ec == std::errc() && p == text.data() + text.size() && !text.empty()) return i;
  }
  {
    // std::from_chars for double is available in GCC 11+.
    double d = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    if (ec == std::errc() && p == text.data() + text.size() && !text.empty()) return d;
  }
  return std::string(text);
}

}  // namespace

int channels(Colorspace cs) noexcept {
  for (const auto& c : kColorspaces) {
    if (c.cs == cs) return c.channels;
  }
  return 0;
}

std::string_view to_string(Colorspace cs) noexcept {
  for (const auto& c : kColorspaces) {
    if (c.cs == cs) return c.name;
  }
  return "?";
}

std::optional<Colorspace> parse_colorspace(std::string_view name) noexcept {
  for (const auto& c : kColorspaces) {
    if (c.name.size() == name.size() &&
        std::equal(name.begin(), name.end(), c.name.begin(), [](char a, char b) {
          return std::toupper(static_cast<unsigned char>(a)) == b;
        })) {
      return c.cs;
    }
  }
  return std::nullopt;
}

std::string_view to_string(Pattern p) noexcept {
  switch (p) {
    case Pattern::Pair: return "0";
    case Pattern::ReqRep: return "1";
    case Pattern::PubSub: return "2";
  }
  return "?";
}

std::string_view to_string(Protocol p) noexcept { return p == Protocol::Tcp ? "tcp" : "ipc"; }

std::string_view to_string(Topology t) noexcept {
  switch (t) {
    case Topology::Single: return "single";
    case Topology::MultiServer: return "multi-server";
    case Topology::MultiClient: return "multi-client";
  }
  return "?";
}

std::string_view to_string(ReturnPairing p) noexcept { return p == ReturnPairing::Exact ? "exact" : "sticky"; }

std::string_view to_string(SecureMode m) noexcept {
  switch (m) {
    case SecureMode::Off: return "off";
    case SecureMode::StoneHouse: return "StoneHouse";
    case SecureMode::IronHouse: return "IronHouse";
  }
  return "?";
}

const std::vector<std::string>& option_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& s : specs()) v.emplace_back(s.name);
    return v;
  }();
  return names;
}

void apply_option(Options& opts, std::string_view name, const nlohmann::json& value) {
  for (const auto& s : specs()) {
    if (s.name == name) {
      Options next = opts;
      s.set(next, name, value);
      config::check_option(next, name, value);  // the range, quoting the value as given
      opts = std::move(next);
      return;
    }
  }
  std::string known;
  for (const auto& s : specs()) known += (known.empty() ? "" : ", ") + std::string(s.name);
  throw OptionError(std::string(name), "unknown option '" + std::string(name) + "' (known: " + known + ")");
}

void apply_option_text(Options& opts, std::string_view name, std::string_view text) {
  // Path-like options keep their text as it is ("1" is a valid folder name).
  if (name == "custom_cert_location" || name == "ssh_tunnel_mode" || name == "ssh_tunnel_pwd" ||
      name == "ssh_tunnel_keyfile" || name == "ssh_tunnel_known_hosts") {
    apply_option(opts, name, std::string(text));
    return;
  }
  apply_option(opts, name, text_to_json(text));
}

Options parse_options(const nlohmann::json& object) {
  if (!object.is_object()) {
    throw OptionError("", "options must be a JSON object of vidgear option names, got " + object.dump());
  }
  Options o;
  for (const auto& [k, v] : object.items()) apply_option(o, k, v);
  return o;
}

Options parse_options(const std::map<std::string, std::string>& values) {
  Options o;
  for (const auto& [k, v] : values) apply_option_text(o, k, v);
  return o;
}

void validate(const Options& opts) { config::validate_options(opts); }

}  // namespace netgear
