#include "wire/header.hpp"

#include <charconv>
#include <random>

#include "netgear/error.hpp"
#include "wire/dtype.hpp"
#include "wire/json_scan.hpp"
#include "wire/json_text.hpp"

namespace netgear::wire {

namespace {

const char* boolean(bool b) { return b ? "true" : "false"; }


[[noreturn]] void missing(const char* key) {
  throw ProtocolError(std::string("frame header has no '") + key + "'");
}

bool boolean_text(std::string_view v, bool& out) {
  if (v == "true") return out = true, true;
  if (v == "false") return out = false, true;
  return false;
}

}  // namespace

Compression decode_compression(std::string_view text, std::string_view where) {
  if (text.empty() || text[0] != '{') {
    throw ProtocolError(std::string(where) + ": 'compression' is neither false nor an object");
  }
  Compression out;
  std::string_view colorspace_value;
  std::string key_scratch;
  JsonScanner s(text);  // already checked: only walked here
  s.expect('{');
  if (!s.eat('}')) {
    do {
      const std::string_view key = s.string(key_scratch);
      s.expect(':');
      const std::string_view v = s.value();
      if (key == "dct") {
        bool b = false;
        out.dct = boolean_text(v, b) ? b : out.dct;
      } else if (key == "ups") {
        bool b = false;
        out.ups = boolean_text(v, b) ? b : out.ups;
      } else if (key == "colorspace") {
        colorspace_value = v;
      }
    } while (s.eat(','));
  }
  if (colorspace_value.empty() || colorspace_value[0] != '"') {
    throw ProtocolError(std::string(where) + ": compression has no 'colorspace'");
  }
  std::string scratch;
  const std::string_view name = JsonScanner(colorspace_value).string(scratch);
  auto parsed = parse_colorspace(std::string(name));
  if (!parsed) throw ProtocolError(std::string(where) + ": unknown colorspace '" + std::string(name) + "'");
  out.colorspace = *parsed;
  return out;
}

void decode_shape(std::string_view text, std::string_view where, std::string_view key,
                  std::vector<std::int64_t>& shape) {
  auto fail = [&](const char* what) {
    throw ProtocolError(std::string(where) + ": '" + std::string(key) + "' " + what);
  };
  if (text.empty() || text[0] != '[' || JsonScanner(text.substr(1)).peek() == ']') {
    fail("is not a non-empty array");
  }
  JsonScanner s(text);
  s.expect('[');
  do {
    const std::string_view d = s.value();
    if (!is_integer_text(d)) fail("holds a non-integer");
    // As a JSON document would hold it: int64 if it fits, else uint64 (wrapping), else a float.
    std::int64_t v = 0;
    if (d[0] == '-') {
      if (std::from_chars(d.data(), d.data() + d.size(), v).ec != std::errc()) {
        fail("holds a non-integer");
      }
    } else {
      std::uint64_t u = 0;
      if (std::from_chars(d.data(), d.data() + d.size(), u).ec != std::errc()) {
        fail("holds a non-integer");
      }
      v = static_cast<std::int64_t>(u);
    }
    shape.push_back(v);
  } while (s.eat(','));
}

void append_compression(std::string& out, const std::optional<Compression>& c) {
  if (!c) {
    out += "false";
    return;
  }
  out += "{\"dct\": ";
  out += boolean(c->dct);
  out += ", \"ups\": ";
  out += boolean(c->ups);
  out += ", \"colorspace\": \"";
  out += to_string(c->colorspace);
  out += "\"}";
}

void encode_frame_header(std::string& out, const FrameHeader& h) { encode_frame_header(out, h, h.message); }

void encode_frame_header(std::string& out, const FrameHeader& h, const nlohmann::json& message) {
  out.clear();
  out += '{';
  if (h.port) {
    out += "\"port\": ";
    append_json(out, *h.port);
    out += ", ";
  }
  out += "\"terminate_flag\": ";
  out += boolean(h.terminate);
  out += ", \"compression\": ";
  append_compression(out, h.compression);
  out += ", \"message\": ";
  append_json(out, message);
  out += ", \"pattern\": ";
  append_json_string(out, h.pattern);
  out += ", \"dtype\": ";
  append_json_string(out, h.dtype);
  out += ", \"shape\": ";
  if (h.compression) {
    out += "\"\"";
  } else {
    append_shape(out, h.shape);
  }
  out += '}';
}

void append_shape(std::string& out, const std::vector<std::int64_t>& shape) {
  out += '[';
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i) out += ", ";
    char digits[24];
    const auto r = std::to_chars(digits, digits + sizeof digits, shape[i]);
    out.append(digits, static_cast<std::size_t>(r.ptr - digits));
  }
  out += ']';
}

std::string encode_frame_header(const FrameHeader& h) {
  std::string out;
  encode_frame_header(out, h);
  return out;
}

std::string port_name(const nlohmann::json& port, std::string_view where) {
  if (port.is_string()) {
    const auto& text = port.get_ref<const std::string&>();
    if (!text.empty()) return text;
  } else if (port.is_number_integer()) {
    return port.dump();
  }
  throw ProtocolError(std::string(where) + ": 'port' is " +
                      (port.is_string() ? std::string("an empty string") : std::string("of type ") + port.type_name()) +
                      ", not a port (a non-empty string or an integer)");
}

std::string encode_termination(const std::optional<nlohmann::json>& port) {
  std::string out = "{\"terminate_flag\": true";
  if (port) {
    out += ", \"port\": ";
    append_json(out, *port);
  }
  out += '}';
  return out;
}

FrameHeader decode_header(std::string_view text) {
  FrameHeader h;
  decode_header(text, h);
  return h;
}

void decode_header(std::string_view text, FrameHeader& h) {
  h.port.reset();
  h.terminate = false;
  h.compression.reset();
  h.message = nullptr;
  h.pattern.clear();
  h.dtype.clear();
  h.shape.clear();

  // One pass checks the whole text and notes where each known key's value is (the last one wins
  // when a key repeats, as in a parsed document); then each value is read from its text.
  JsonScanner s(text);
  s.skip_bom();
  if (s.peek() != '{') {
    (void)s.value();  // throws when the text is not JSON at all
    if (!s.at_end()) s.fail();
    throw ProtocolError("frame header is not a JSON object");
  }
  static constexpr std::string_view kKeys[] = {"terminate_flag", "port", "compression", "message",
                                               "pattern", "dtype", "shape"};
  std::string_view values[std::size(kKeys)];
  s.object_values(kKeys, values);
  const auto [flag, port, compression, message, pattern, dtype, shape] = values;
  if (!s.at_end()) s.fail();

  if (flag.empty()) missing("terminate_flag");
  if (!boolean_text(flag, h.terminate)) throw ProtocolError("frame header: 'terminate_flag' is not a bool");
  if (!port.empty()) h.port = parse_json(port);
  if (h.terminate) return;  // a termination message carries nothing else

  if (compression.empty()) missing("compression");
  bool compressed = false;
  if (boolean_text(compression, compressed)) {
    if (compressed) throw ProtocolError("frame header: 'compression' is true, expected false or an object");
  } else {
    h.compression = decode_compression(compression, "frame header");
  }
  if (message.empty()) missing("message");
  h.message = message == "null" ? nlohmann::json() : parse_json(message);
  if (!pattern.empty()) {
    // Informational only; a value that is not a string is ignored (not dumped: a peer could nest
    // it deep enough to exhaust the stack of a recursive writer).
    if (pattern[0] == '"') {
      std::string scratch;
      h.pattern = JsonScanner(pattern).string(scratch);
    }
  }
  if (dtype.empty()) missing("dtype");
  if (shape.empty()) missing("shape");
  if (h.compression) return;  // dtype and shape are "" for JPEG payloads; not needed

  if (dtype[0] != '"') throw ProtocolError("frame header: 'dtype' is not a string");
  std::string scratch;
  const std::string_view name = JsonScanner(dtype).string(scratch);
  h.dtype.assign(name.data(), name.size());
  decode_shape(shape, "frame header", "shape", h.shape);
}

std::string ack_text(std::string_view device_id) {
  std::string s = "Data received on device: ";
  s += device_id;
  s += " !";
  return s;
}

bool is_ack_text(std::string_view reply) noexcept {
  constexpr std::string_view prefix = "Data received on device: ";
  constexpr std::string_view suffix = " !";
  return reply.size() >= prefix.size() + suffix.size() && reply.substr(0, prefix.size()) == prefix &&
         reply.substr(reply.size() - suffix.size()) == suffix;
}

std::string make_device_id() {
  static constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::random_device rd;
  std::mt19937 gen(rd());
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::string id(8, ' ');
  for (char& c : id) c = alphabet[pick(gen)];
  return id;
}

}  // namespace netgear::wire
