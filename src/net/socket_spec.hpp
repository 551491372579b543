// What a pattern means for each side, and the recipe of a socket: its type, whether it binds or
// connects, and its options (docs/protocol.md, "Sockets"). The recipe is built once from the
// Config and applied to every socket made from it, so a socket re-created by Lazy Pirate never
// loses an option (later: CURVE keys are options like the others).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include "netgear/netgear.hpp"

namespace netgear::net {

/// The properties of a pattern that the two sides act on; everything else about a pattern is in
/// its SocketSpec.
struct PatternTraits {
  /// 0/1: the receiver answers every frame and the sender waits for the answer (Lazy Pirate).
  bool acknowledged;
  /// 1: the receiver answers the termination message too.
  bool answers_termination;
  /// 0: the receiver serves one connection at a time, so a frame can vanish with a connection
  /// that drops or that the receiver has not let go of (the sender's resend rules).
  bool one_connection;
};
PatternTraits traits(Pattern p) noexcept;

/// How long a closing receiver lets its last reply leave (ZMQ_LINGER); close() waits at most this
/// for it when the sender is gone.
inline constexpr int kReceiverLingerMs = 100;

/// How to make one socket.
struct SocketSpec {
  zmq::socket_type type = zmq::socket_type::pair;
  bool bind = false;  ///< receivers bind, senders connect
  struct Option {
    int name;           ///< ZMQ_* option
    std::string value;  ///< its bytes, as zmq_setsockopt takes them
  };
  std::vector<Option> options;  ///< applied in order, before bind/connect

  void set(int name, int value);
  void set(int name, std::string_view bytes);
};

/// The spec of this side's socket for the Config's pattern and options.
SocketSpec socket_spec(const Config& c);

/// A bind refused because someone else has the address (tcp EADDRINUSE, an ipc path another
/// process listens on): may pass once they let go, unlike the other ConnectionErrors of a bind.
class AddressInUseError : public ConnectionError {
 public:
  using ConnectionError::ConnectionError;
};

/// Makes a socket from `spec` and binds or connects it to every endpoint. A bind that fails with
/// "address in use" (the socket this one replaces is still closing) is retried for up to
/// `bind_patience`. Throws ConnectionError saying which side binds and what address it needs
/// (AddressInUseError when someone else holds it).
zmq::socket_t open_socket(zmq::context_t& ctx, const SocketSpec& spec, const std::vector<std::string>& endpoints,
                          std::chrono::milliseconds bind_patience = std::chrono::milliseconds(0));

}  // namespace netgear::net
