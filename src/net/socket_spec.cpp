#include "net/socket_spec.hpp"

#include <cstdint>
#include <thread>

#include "net/endpoints.hpp"
#include "net/ipc.hpp"

namespace netgear::net {

PatternTraits traits(Pattern p) noexcept {
  switch (p) {
    case Pattern::Pair: return {.acknowledged = true, .answers_termination = false, .one_connection = true};
    case Pattern::ReqRep: return {.acknowledged = true, .answers_termination = true, .one_connection = false};
    case Pattern::PubSub: return {.acknowledged = false, .answers_termination = false, .one_connection = false};
  }
  return {};
}

void SocketSpec::set(int name, int value) {
  options.push_back({name, std::string(reinterpret_cast<const char*>(&value), sizeof value)});
}

void SocketSpec::set(int name, std::string_view bytes) { options.push_back({name, std::string(bytes)}); }

SocketSpec socket_spec(const Config& c) {
  SocketSpec s;
  const bool rx = c.receive_mode;
  s.bind = rx;
  // Closing a receiver lets its last reply leave (bounded); a sender sets its linger for the
  // termination message when it closes. Re-created sockets are closed with linger 0 either way.
  s.set(ZMQ_LINGER, rx ? kReceiverLingerMs : 0);
  if (needs_ipv6(c)) s.set(ZMQ_IPV6, 1);
  if (c.options.max_message_size > 0) {
    // A peer's message part larger than this is refused by ZeroMQ before it is read into memory:
    // the connection is dropped (Options::max_message_size; validate() keeps it within int64).
    const auto limit = static_cast<std::int64_t>(c.options.max_message_size);
    s.set(ZMQ_MAXMSGSIZE, std::string_view(reinterpret_cast<const char*>(&limit), sizeof limit));
  }
  switch (c.pattern) {
    case Pattern::Pair:
      s.type = zmq::socket_type::pair;
      // The sender queues a frame only to a finished connection, and a connection that drops
      // takes its queued frame with it: a frame is either on its way to a live receiver or gone,
      // never waiting to go out twice (see link::Requester).
      if (!rx) s.set(ZMQ_IMMEDIATE, 1);
      break;
    case Pattern::ReqRep:
      s.type = rx ? zmq::socket_type::rep : zmq::socket_type::req;
      if (!rx) {
        // A REQ that may send again without a reply, and that ignores replies to older requests.
        s.set(ZMQ_REQ_RELAXED, 1);
        s.set(ZMQ_REQ_CORRELATE, 1);
      }
      break;
    case Pattern::PubSub:
      s.type = rx ? zmq::socket_type::sub : zmq::socket_type::pub;
      s.set(ZMQ_SNDHWM, 1);
      s.set(ZMQ_RCVHWM, 1);
      // The publisher has one subscriber per socket (it connects to one endpoint). A frame that
      // subscriber's full pipe cannot take is refused (EAGAIN: the sender drops it) instead of
      // dropped inside ZeroMQ, which is the same for one subscriber, but a refused send leaves the
      // pipe usable: a dropping PUB sets a full pipe aside and then silently drops everything sent
      // to it, the termination message included, until it learns there is room again.
      if (!rx) s.set(ZMQ_XPUB_NODROP, 1);
      if (c.options.pubsub_socket_buffer > 0 && !(rx && c.protocol == Protocol::Tcp)) {
        // Bounds the frames waiting in the kernel (Options::pubsub_socket_buffer; validate()
        // keeps it within an int). A tcp subscriber sets it on each connection instead, and lets
        // it follow the frames' size (net::ReceiveBuffer).
        s.set(rx ? ZMQ_RCVBUF : ZMQ_SNDBUF, static_cast<int>(c.options.pubsub_socket_buffer));
      }
      if (rx) s.set(ZMQ_SUBSCRIBE, std::string_view());
      break;
  }
  return s;
}

zmq::socket_t open_socket(zmq::context_t& ctx, const SocketSpec& spec, const std::vector<std::string>& endpoints,
                          std::chrono::milliseconds bind_patience) {
  zmq::socket_t s(ctx, spec.type);
  for (const auto& o : spec.options) {
    if (zmq_setsockopt(s.handle(), o.name, o.value.data(), o.value.size()) != 0) throw zmq::error_t();
  }
  for (const auto& endpoint : endpoints) {
    if (!spec.bind) {
      try {
        s.connect(endpoint);
      } catch (const zmq::error_t& e) {
        throw ConnectionError("the sender connects to the receiver's address, and '" + endpoint +
                              "' is not a valid one: " + e.what() +
                              " (give the address the receiver is bound to, e.g. 127.0.0.1)");
      }
      continue;
    }
    const auto give_up = std::chrono::steady_clock::now() + bind_patience;
    for (;;) {
      // libzmq unlinks whatever is at an ipc path before binding it: look first. A socket still
      // listened on may be the one this one replaces, closing in ZeroMQ's I/O thread: wait for
      // it as for EADDRINUSE on tcp.
      std::string why;
      const IpcPath at_path = probe_ipc_path(endpoint, &why);
      if (at_path == IpcPath::Listening && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      if (at_path == IpcPath::Listening) {
        throw AddressInUseError("the receiver binds, and binding '" + endpoint + "' was refused: " + why +
                                ". Give each receiver its own ipc address and port.");
      }
      if (at_path == IpcPath::NotSocket) {
        throw ConnectionError("the receiver binds, and binding '" + endpoint + "' was refused: " + why +
                              ". Give each receiver its own ipc address and port, or remove what is there.");
      }
      try {
        s.bind(endpoint);
        break;
      } catch (const zmq::error_t& e) {
        if (e.num() == EADDRINUSE && std::chrono::steady_clock::now() < give_up) {
          // The socket this one replaces is still being torn down by ZeroMQ's I/O thread.
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
          continue;
        }
        const std::string text = "the receiver binds, and binding '" + endpoint + "' failed: " + e.what() +
                                 ". It needs an address of this machine ('*' for every interface) and a "
                                 "free port; the sender then connects to this machine's address.";
        if (e.num() == EADDRINUSE) throw AddressInUseError(text);
        throw ConnectionError(text);
      }
    }
  }
  return s;
}

}  // namespace netgear::net
