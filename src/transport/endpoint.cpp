#include "transport/endpoint.hpp"


#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace netgear::transport {

namespace {

std::string address_of(const Config& c) {
  if (!c.address.empty()) return c.address;
  if (c.protocol == Protocol::Ipc) return kDefaultIpcPath;
  return c.receive_mode ? "*" : "localhost";
}

[[noreturn]] void forbid(const char* a, const char* b, const std::string& why) {
  throw OptionError(a, std::string("'") + a + "' cannot be used with '" + b + "': " + why);
}

}  // namespace

bool needs_ipv6(const Config& c) {
  return c.protocol == Protocol::Tcp && address_of(c).find(':') != std::string::npos;
}

std::string make_endpoint(const Config& c) {
  std::string address = address_of(c);
  if (needs_ipv6(c) && address.front() != '[') address = "[" + address + "]";
  const std::string port = c.port.empty() ? kDefaultPort : c.port;
  return std::string(to_string(c.protocol)) + "://" + address + ":" + port;
}

void validate(const Config& c) {
  const Options& o = c.options;
  const int pattern = static_cast<int>(c.pattern);
  if (pattern < 0 || pattern > 2) {
    throw OptionError("pattern", "option 'pattern': bad value " + std::to_string(pattern) + " (expected 0, 1 or 2)");
  }
  if (o.max_retries < 0) throw OptionError("max_retries", "option 'max_retries' must be >= 0 (0 retries for ever)");
  if (o.request_timeout < std::chrono::milliseconds(10)) {
    throw OptionError("request_timeout", "option 'request_timeout' must be at least 0.01 s");
  }
  if (o.subscriber_timeout && *o.subscriber_timeout < std::chrono::milliseconds(10)) {
    throw OptionError("subscriber_timeout", "option 'subscriber_timeout' must be at least 0.01 s");
  }
  if (o.jpeg_compression_quality < 10 || o.jpeg_compression_quality > 100) {
    throw OptionError("jpeg_compression_quality", "option 'jpeg_compression_quality': bad value " +
                                                      std::to_string(o.jpeg_compression_quality) +
                                                      " (expected 10..100)");
  }
  if (o.secure_mode < 0 || o.secure_mode > 2) {
    throw OptionError("secure_mode", "option 'secure_mode': bad value " + std::to_string(o.secure_mode) +
                                         " (expected 0, 1 or 2)");
  }
  if (o.queue_size < 1) throw OptionError("queue_size", "option 'queue_size' must be at least 1");
  if (c.port.find_first_of(" \t\n") != std::string::npos) {
    throw OptionError("port", "option 'port': bad value '" + c.port + "'");
  }

  // The compatibility chart (behaviour.md).
  const bool ssh = !o.ssh_tunnel_mode.empty();
  if (o.multiserver_mode && c.pattern == Pattern::Pair) forbid("multiserver_mode", "pattern", "multi-server needs pattern 1 or 2");
  if (o.multiclient_mode && c.pattern == Pattern::Pair) forbid("multiclient_mode", "pattern", "multi-client needs pattern 1 or 2");
  if (o.multiserver_mode && o.multiclient_mode) forbid("multiserver_mode", "multiclient_mode", "choose one");
  if (o.bidirectional_mode && c.pattern == Pattern::PubSub) forbid("bidirectional_mode", "pattern", "PUB/SUB has no replies (use pattern 0 or 1)");
  if (ssh && o.multiserver_mode) forbid("ssh_tunnel_mode", "multiserver_mode", "SSH tunnels serve a single sender");
  if (ssh && o.multiclient_mode) forbid("ssh_tunnel_mode", "multiclient_mode", "SSH tunnels serve a single receiver");
  if (ssh && c.receive_mode) forbid("ssh_tunnel_mode", "receive_mode", "only the sender tunnels (it connects); the receiver binds");
  if (ssh && c.protocol != Protocol::Tcp) forbid("ssh_tunnel_mode", "protocol", "SSH tunnels carry tcp only");

  // Valid combinations this build does not provide yet: say so instead of misbehaving.
  auto unsupported = [](const char* name) {
    throw UnsupportedError(std::string("option '") + name + "' is not supported by this build of NetGear yet");
  };
  if (o.multiserver_mode) unsupported("multiserver_mode");
  if (o.multiclient_mode) unsupported("multiclient_mode");
  if (o.bidirectional_mode) unsupported("bidirectional_mode");
  if (o.secure_mode != 0) unsupported("secure_mode");
  if (ssh) unsupported("ssh_tunnel_mode");
}


namespace {

zmq::socket_type socket_type(Pattern p, bool receiver) {
  switch (p) {
    case Pattern::Pair: return zmq::socket_type::pair;
    case Pattern::ReqRep: return receiver ? zmq::socket_type::rep : zmq::socket_type::req;
    case Pattern::PubSub: return receiver ? zmq::socket_type::sub : zmq::socket_type::pub;
  }
  return zmq::socket_type::pair;
}

std::string ipc_path(const std::string& endpoint) { return endpoint.substr(std::string("ipc://").size()); }

bool file_exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

zmq::socket_t open_socket(zmq::context_t& ctx, const Config& c, const std::string& endpoint,
                          std::chrono::milliseconds bind_patience) {
  zmq::socket_t s(ctx, socket_type(c.pattern, c.receive_mode));
  s.set(zmq::sockopt::linger, 0);
  if (needs_ipv6(c)) s.set(zmq::sockopt::ipv6, 1);
  switch (c.pattern) {
    case Pattern::Pair:
      // The sender queues a frame only to a finished connection, and a connection that drops
      // takes its queued frame with it: a frame is either on its way to a live receiver or gone,
      // never waiting to go out twice (see Sender::send).
      if (!c.receive_mode) s.set(zmq::sockopt::immediate, 1);
      break;
    case Pattern::ReqRep:
      if (!c.receive_mode) {
        // A REQ that may send again without a reply, and that ignores replies to older requests.
        s.set(zmq::sockopt::req_relaxed, 1);
        s.set(zmq::sockopt::req_correlate, 1);
      }
      break;
    case Pattern::PubSub:
      s.set(zmq::sockopt::sndhwm, 1);
      s.set(zmq::sockopt::rcvhwm, 1);
      if (c.options.pubsub_socket_buffer > 0) {
        // Bounds the frames waiting in the kernel (Options::pubsub_socket_buffer).
        const int bytes = static_cast<int>(c.options.pubsub_socket_buffer);
        if (c.receive_mode) {
          s.set(zmq::sockopt::rcvbuf, bytes);
        } else {
          s.set(zmq::sockopt::sndbuf, bytes);
        }
      }
      if (c.receive_mode) s.set(zmq::sockopt::subscribe, "");
      break;
  }

  if (!c.receive_mode) {
    try {
      s.connect(endpoint);
    } catch (const zmq::error_t& e) {
      throw ConnectionError("the sender connects to the receiver's address, and '" + endpoint +
                            "' is not a valid one: " + e.what() +
                            " (give the address the receiver is bound to, e.g. 127.0.0.1)");
    }
    return s;
  }

  const auto give_up = std::chrono::steady_clock::now() + bind_patience;
  for (;;) {
    try {
      s.bind(endpoint);
      return s;
    } catch (const zmq::error_t& e) {
      if (e.num() == EADDRINUSE && std::chrono::steady_clock::now() < give_up) {
        // The socket this one replaces is still being torn down by ZeroMQ's I/O thread.
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      throw ConnectionError("the receiver binds, and binding '" + endpoint + "' failed: " + e.what() +
                            ". It needs an address of this machine ('*' for every interface) and a "
                            "free port; the sender then connects to this machine's address.");
    }
  }
}

bool wait_for(zmq::socket_t& s, short events, std::chrono::milliseconds timeout) {
  zmq::pollitem_t item{s.handle(), 0, events, 0};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    long ms = timeout.count() < 0 ? -1L
                                  : std::max<long>(0, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                          deadline - std::chrono::steady_clock::now())
                                                          .count());
    int rc = zmq_poll(&item, 1, ms);
    if (rc < 0) {
      if (zmq_errno() == EINTR) continue;
      throw zmq::error_t();
    }
    return rc > 0 && (item.revents & events);
  }
}

void close_now(zmq::socket_t& s) {
  if (!s) return;
  try {
    s.set(zmq::sockopt::linger, 0);
  } catch (const zmq::error_t&) {
    // ETERM after the context was shut down: linger no longer applies; close all the same.
  }
  s.close();
}

void wait_ipc_released(const Config& c, const std::string& endpoint) {
  if (c.protocol == Protocol::Ipc && c.receive_mode) {
    // ZeroMQ unlinks a bound ipc file when its listener closes, in its I/O thread, some time after
    // close(). Wait for that (bounded) before binding the same path again.
    const std::string path = ipc_path(endpoint);
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (file_exists(path) && std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
}

void remove_ipc_file(const std::string& endpoint) noexcept {
  const std::string path = ipc_path(endpoint);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());
}

}  // namespace netgear::transport
