#include "config/validate.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>

#include "netgear/error.hpp"
#include "tunnel/target.hpp"

namespace netgear::config {

namespace {

using std::chrono::milliseconds;

// The ranges, each once. Times: at least 10 ms (vidgear: 4 s for request_timeout), at most a
// year, so that deadline arithmetic on steady_clock can never overflow.
constexpr milliseconds kMinTime{10};
constexpr milliseconds kMaxTime{365LL * 24 * 3600 * 1000};
constexpr int kMaxRetries = 1'000'000'000;
constexpr std::size_t kMaxQueue = 1'000'000;
constexpr std::size_t kMaxSocketBuffer = std::size_t{1} << 30;  // fits the int that ZeroMQ takes
constexpr std::size_t kMinLimit = 1024;
constexpr std::size_t kMaxLimit = std::size_t{1} << 50;  // 1 PiB: x16 fits 64 bits, and ZeroMQ's int64

struct Problem {
  const char* option;
  std::string shown;     // the bad value as the struct holds it
  std::string expected;  // what would be accepted
};

std::string seconds_text(milliseconds t) { return nlohmann::json(static_cast<double>(t.count()) / 1000.0).dump(); }

std::optional<Problem> time_problem(const char* option, milliseconds t) {
  if (t >= kMinTime && t <= kMaxTime) return std::nullopt;
  return Problem{option, seconds_text(t), "a number of seconds from 0.01 to " + seconds_text(kMaxTime)};
}

std::optional<Problem> first_problem(const Options& o) {
  if (o.max_retries < 0 || o.max_retries > kMaxRetries) {
    return Problem{"max_retries", std::to_string(o.max_retries),
                   "an integer from 0 (retry for ever) to " + std::to_string(kMaxRetries)};
  }
  if (auto p = time_problem("request_timeout", o.request_timeout)) return p;
  if (o.subscriber_timeout) {
    if (auto p = time_problem("subscriber_timeout", *o.subscriber_timeout)) return p;
  }
  if (o.answer_timeout) {
    if (auto p = time_problem("answer_timeout", *o.answer_timeout)) return p;
  }
  const int pairing = static_cast<int>(o.return_pairing);
  if (pairing < 0 || pairing > 1) return Problem{"return_pairing", std::to_string(pairing), "sticky or exact"};
  if (o.jpeg_compression_threads < 0 || o.jpeg_compression_threads > 16) {
    return Problem{"jpeg_compression_threads", std::to_string(o.jpeg_compression_threads),
                   "an integer from 0 (one per core, at most 4) to 16"};
  }
  if (o.jpeg_compression_quality < 10 || o.jpeg_compression_quality > 100) {
    return Problem{"jpeg_compression_quality", std::to_string(o.jpeg_compression_quality), "an integer from 10 to 100"};
  }
  const int secure = static_cast<int>(o.secure_mode);
  if (secure < 0 || secure > 2) return Problem{"secure_mode", std::to_string(secure), "0, 1 or 2"};
  const int topology = static_cast<int>(o.topology);
  if (topology < 0 || topology > 2) {
    return Problem{"multiserver_mode", "topology " + std::to_string(topology), "a Topology value"};
  }
  if (o.queue_size && (*o.queue_size < 1 || *o.queue_size > kMaxQueue)) {
    return Problem{"queue_size", std::to_string(*o.queue_size), "an integer from 1 to " + std::to_string(kMaxQueue)};
  }
  // Memory limits: at least a header's worth (a frame header is some 150 bytes), at most 2^50 so
  // that the queue's byte count (16 per header byte) and ZeroMQ's int64 cannot overflow.
  struct Limit {
    const char* option;
    std::size_t value;
    bool zero_means_none;
  };
  for (const Limit& l : {Limit{"queue_bytes", o.queue_bytes, false}, Limit{"max_frame_bytes", o.max_frame_bytes, false},
                         Limit{"max_message_size", o.max_message_size, true},
                         Limit{"max_header_size", o.max_header_size, false}}) {
    if ((l.value == 0 && l.zero_means_none) || (l.value >= kMinLimit && l.value <= kMaxLimit)) continue;
    return Problem{l.option, std::to_string(l.value),
                   std::string("a number of bytes from ") + (l.zero_means_none ? "0 (no limit) or " : "") +
                       std::to_string(kMinLimit) + " to " + std::to_string(kMaxLimit)};
  }
  if (o.ssh_tunnel) {
    if (auto p = time_problem("ssh_tunnel_timeout", o.ssh_tunnel->timeout)) return p;
    if (!o.ssh_tunnel->server.empty()) {
      if (auto why = tunnel::target_problem(o.ssh_tunnel->server)) {
        return Problem{"ssh_tunnel_mode", "'" + o.ssh_tunnel->server + "'", *why};
      }
    }
  }
  if (o.pubsub_send_wait.count() < 0 || o.pubsub_send_wait > kMaxTime) {
    return Problem{"pubsub_send_wait", seconds_text(o.pubsub_send_wait),
                   "a number of seconds from 0 (never wait) to " + seconds_text(kMaxTime)};
  }
  if (o.pubsub_socket_buffer > kMaxSocketBuffer) {
    return Problem{"pubsub_socket_buffer", std::to_string(o.pubsub_socket_buffer),
                   "a number of bytes from 0 (the OS default) to " + std::to_string(kMaxSocketBuffer)};
  }
  return std::nullopt;
}

[[noreturn]] void raise(const Problem& p, const std::string& shown) {
  throw OptionError(p.option, std::string("option '") + p.option + "': bad value " + shown + " (expected " +
                                  p.expected + ")");
}

[[noreturn]] void forbid(const char* a, const char* b, const std::string& why) {
  throw OptionError(a, std::string("'") + a + "' cannot be used with '" + b + "': " + why);
}

}  // namespace

void validate_options(const Options& o) {
  if (auto p = first_problem(o)) raise(*p, p->shown);
}

void check_option(const Options& o, std::string_view name, const nlohmann::json& value) {
  auto p = first_problem(o);
  if (p && name == p->option) raise(*p, value.is_string() ? "'" + value.get<std::string>() + "'" : value.dump());
}

void validate(const Config& c) {
  const Options& o = c.options;
  const int pattern = static_cast<int>(c.pattern);
  if (pattern < 0 || pattern > 2) {
    throw OptionError("pattern", "option 'pattern': bad value " + std::to_string(pattern) + " (expected 0, 1 or 2)");
  }
  validate_options(o);
  for (const auto& port : c.port) {
    if (port.empty() || port.find_first_of(" \t\n,") != std::string::npos) {
      throw OptionError("port", "option 'port': bad value '" + port + "'");
    }
    // A tcp port given as a number must be one (ZeroMQ would wrap 99999 to 34463, and 0 binds a
    // random port that endpoint() could not report). Other text is ZeroMQ's to judge.
    if (c.protocol == Protocol::Tcp && port.find_first_not_of("0123456789") == std::string::npos &&
        (port.size() > 5 || std::stoi(port) < 1 || std::stoi(port) > 65535)) {
      throw OptionError("port", "option 'port': bad value '" + port + "' (a tcp port is a number from 1 to 65535)");
    }
  }
  for (auto a = c.port.begin(); a != c.port.end(); ++a) {
    if (std::find(c.port.begin(), a, *a) != a) {
      throw OptionError("port", "option 'port': '" + *a + "' is listed twice (" + c.port.text() + ")");
    }
  }
  const bool many_ports_ok = (o.topology == Topology::MultiServer && c.receive_mode) ||
                             (o.topology == Topology::MultiClient && !c.receive_mode);
  if (c.port.size() > 1 && !many_ports_ok) {
    throw OptionError("port", "option 'port': a list of ports (" + c.port.text() +
                                  ") is for a multi-server receiver or a multi-client sender; this " +
                                  (c.receive_mode ? "receiver" : "sender") + " takes one port");
  }

  // The compatibility chart.
  const bool ssh = o.ssh_tunnel.has_value();
  const bool multiserver = o.topology == Topology::MultiServer;
  const bool multiclient = o.topology == Topology::MultiClient;
  if (multiserver && c.pattern == Pattern::Pair) forbid("multiserver_mode", "pattern", "multi-server needs pattern 1 or 2");
  if (multiclient && c.pattern == Pattern::Pair) forbid("multiclient_mode", "pattern", "multi-client needs pattern 1 or 2");
  if (o.bidirectional_mode && c.pattern == Pattern::PubSub) {
    forbid("bidirectional_mode", "pattern", "PUB/SUB has no replies (use pattern 0 or 1)");
  }
  if (o.return_pairing == ReturnPairing::Exact && !o.bidirectional_mode) {
    throw OptionError("return_pairing", "option 'return_pairing' = 'exact' needs 'bidirectional_mode' = true "
                                        "(it pairs return data with frames)");
  }
  if (ssh && o.ssh_tunnel->server.empty()) {
    throw OptionError("ssh_tunnel_mode", "option 'ssh_tunnel_mode' is needed with the other ssh_tunnel_ "
                                         "options: it names the SSH server ([user@]host[:port])");
  }
  if (ssh && multiserver) forbid("ssh_tunnel_mode", "multiserver_mode", "SSH tunnels serve a single sender");
  if (ssh && multiclient) forbid("ssh_tunnel_mode", "multiclient_mode", "SSH tunnels serve a single receiver");
  if (ssh && c.receive_mode) forbid("ssh_tunnel_mode", "receive_mode", "only the sender tunnels (it connects); the receiver binds");
  if (ssh && c.protocol != Protocol::Tcp) forbid("ssh_tunnel_mode", "protocol", "SSH tunnels carry tcp only");
  if (o.pipelined_send && o.bidirectional_mode && !c.receive_mode) {
    forbid("pipelined_send", "bidirectional_mode", "return data belongs to the frame just sent, which a pipelined "
                                                   "send() returns before its reply");
  }
  if (o.pipelined_send && multiclient && !c.receive_mode) {
    forbid("pipelined_send", "multiclient_mode", "a frame goes to the client that answers, which a pipelined "
                                                 "send() does not wait for");
  }
}

}  // namespace netgear::config
