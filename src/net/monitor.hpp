// Connection events of one socket, on every pattern: zmq_socket_monitor publishes them on an
// inproc PAIR that this class reads. The sender's PAIR resend rules act on drops; secure mode
// reports failed handshakes from here (and the sender tells an authentication failure by them).
#pragma once

#include <cstdint>
#include <string_view>
#include <string>
#include <vector>

#include <zmq.hpp>

namespace netgear::net {

class Monitor {
 public:
  /// Events read by drain(), added up since the last call.
  struct Events {
    int disconnected = 0;       ///< connections that closed
    int handshake_failed = 0;   ///< ZMTP/CURVE handshakes that failed (any reason)
    int accepted = 0;           ///< connections accepted (bound sockets)
    int connected = 0;          ///< connections made (connecting sockets)
    int handshake_succeeded = 0;  ///< handshakes that completed
    int auth_failed = 0;        ///< of handshake_failed: refused by authentication (a ZAP denial)
    int handshake_closed = 0;   ///< of handshake_failed: the peer closed the connection (no protocol error)
    int handshake_closed_in_a_row = 0;  ///< of those, the ones since the last handshake that succeeded
    std::string failure;        ///< the last failed handshake, in words (empty when none)
    /// The descriptors of the connections opened (accepted or connected) and closed in this batch,
    /// in order. Not added up by add(): Link keeps the live set.
    std::vector<int> opened_fds, closed_fds;
  };
  /// Adds `e` to `to`, the later batch (the last failure's text wins; a success in `e` restarts
  /// the closed handshakes in a row; the descriptor lists are not copied).
  static void add(Events& to, const Events& e);

  Monitor() = default;
  /// Starts watching `watched` (owned by the caller, in the same context) for every event above.
  Monitor(zmq::context_t& ctx, zmq::socket_t& watched);
  ~Monitor() { stop(); }
  Monitor(Monitor&&) noexcept;
  Monitor& operator=(Monitor&&) noexcept;

  /// Stops watching and closes the inproc socket. Call before the watched socket closes.
  void stop() noexcept;
  /// The inproc socket, to poll for ZMQ_POLLIN next to the watched socket.
  zmq::socket_t& socket() noexcept { return events_; }
  explicit operator bool() const noexcept { return static_cast<bool>(events_); }
  /// Reads every pending event without blocking.
  Events drain();

 private:
  void* watched_ = nullptr;  // the watched socket's handle
  zmq::socket_t events_;
};

}  // namespace netgear::net
