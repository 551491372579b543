// A link: one socket and everything needed to make it again. Its recipe (net::SocketSpec, every
// option applied on each open), where it binds or connects (a net::EndpointProvider, asked on each
// open), and a monitor of its connections. Lazy Pirate's "close, open again" is reopen().
//
// Threads: a link is used by one thread at a time (the sender's caller, or the receiving thread).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "net/context.hpp"
#include "net/endpoints.hpp"
#include "net/monitor.hpp"
#include "net/socket_spec.hpp"

namespace netgear::link {

class Link {
 public:
  /// Opens the socket at once (throws ConnectionError like net::open_socket).
  Link(net::Context& ctx, net::SocketSpec spec, std::unique_ptr<net::EndpointProvider> endpoints);
  ~Link() { close(); }
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  zmq::socket_t& socket() noexcept { return socket_; }
  /// The endpoints of the current socket.
  const std::vector<std::string>& endpoints() const noexcept { return endpoints_; }

  /// Closes the socket (dropping what is unsent) and opens a fresh one from the same recipe. A
  /// bound ipc socket waits (bounded) for its old file to go first; a bind of a port that is still
  /// being released is retried for up to `bind_patience`.
  void reopen(std::chrono::milliseconds bind_patience = std::chrono::milliseconds(0));
  /// Closes the socket (its linger applies: a message just sent may still leave) and its monitor.
  void close() noexcept;
  std::uint64_t reopens() const noexcept { return reopens_.load(); }

  enum class Wait { Ready, TimedOut, Dropped };
  /// Polls the socket for `events` up to `timeout` (negative: for ever). Waiting for input, a
  /// connection that closes meanwhile ends the wait with Dropped when `report_drops` is set.
  Wait await(short events, std::chrono::milliseconds timeout, bool report_drops = false);
  /// Reads the monitor's pending events (since the last call or await).
  net::Monitor::Events events();

  /// Every event seen on this link's sockets since it was made (re-opens included), as read so
  /// far by await() and events(): secure mode tells a failed handshake from a silent peer by them.
  const net::Monitor::Events& totals() const noexcept { return totals_; }
  /// The descriptors of the current socket's live connections, as its monitor reported them so
  /// far (await() and events() read the reports): for socket options ZeroMQ has no per-connection
  /// setting for (net::ReceiveBuffer). ZeroMQ owns and closes them.
  const std::set<int>& connections() const noexcept { return connections_; }
  /// Called (by the thread using the link) with each batch of events that has a failed handshake.
  void on_handshake_failure(std::function<void(const net::Monitor::Events&)> f) { on_failure_ = std::move(f); }

 private:
  void open(std::chrono::milliseconds bind_patience);
  void absorb(const net::Monitor::Events& e);

  net::Context& ctx_;
  net::SocketSpec spec_;
  std::unique_ptr<net::EndpointProvider> provider_;
  std::vector<std::string> endpoints_;
  zmq::socket_t socket_;
  net::Monitor monitor_;  // declared after socket_: stopped before the socket closes
  net::Monitor::Events pending_;  // events read while waiting, not yet handed out by events()
  net::Monitor::Events totals_;   // every event read
  std::set<int> connections_;     // live connection descriptors of socket_
  std::function<void(const net::Monitor::Events&)> on_failure_;
  std::atomic<std::uint64_t> reopens_{0};  // read by stats() from any thread
};

}  // namespace netgear::link
