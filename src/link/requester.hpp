// Lazy Pirate's request: one frame message out over a link, and its reply back (patterns 0/1).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>
#include <zmq.hpp>

#include "link/link.hpp"

namespace netgear::link {

/// A message ready to go: the header text and the payload. The payload is shared, not copied,
/// when it goes out more than once (to several peers, or again after a drop).
struct OutMessage {
  std::string header;
  zmq::message_t payload;
};

class Requester {
 public:
  /// `one_connection`: the peer serves one connection at a time (PAIR); see request().
  Requester(Link& link, std::chrono::milliseconds timeout, bool one_connection, std::shared_ptr<spdlog::logger> log);

  /// Sends `msg` and waits for its reply: true once it came (its parts in `reply`), false when
  /// none came within the time-out (the frame counts as lost; the caller re-opens the link).
  ///
  /// For a peer that serves one connection at a time, two more rules:
  /// - A connection that drops while the frame is on its way (the receiver restarted) takes the
  ///   frame with it: send it again once a connection is back, instead of waiting for the
  ///   time-out (at most twice per call).
  /// - After a stall, the receiver may see the sender's fresh connection before it has let go of
  ///   the old one. libzmq then keeps the fresh connection open but never reads from it, so the
  ///   frame vanishes without a drop. The first frame on a fresh socket that gets no answer is
  ///   therefore sent once more on another fresh socket, within the same call; by then the old
  ///   connection is gone. (A receiver that was merely slow, not stalled, can see it twice.)
  bool request(OutMessage& msg, std::vector<zmq::message_t>& reply) {
    return start(msg) && await_reply(msg, reply, std::chrono::steady_clock::now() + timeout_);
  }

  /// request() in two halves, so that the caller can do other work while the frame is on its way
  /// (Options::pipelined_send). start() sends `msg` (false: the socket did not take it within the
  /// time-out); finish() waits until `deadline` for its reply, with the rules above (a frame sent
  /// again waits a whole time-out more). `msg` must stay untouched in between.
  bool start(OutMessage& msg);
  bool finish(OutMessage& msg, std::vector<zmq::message_t>& reply, std::chrono::steady_clock::time_point deadline);
  std::chrono::milliseconds timeout() const noexcept { return timeout_; }

  /// The link was re-opened by the caller: the next frame is the first on a fresh socket.
  void reopened() noexcept { answered_on_socket_ = false; }
  /// Frames sent again by the rules above.
  std::uint64_t resent() const noexcept { return resent_.load(); }

 private:
  Link& link_;
  std::chrono::milliseconds timeout_;
  bool one_connection_;
  std::shared_ptr<spdlog::logger> log_;
  /// Sends msg once (a PAIR whose connection went away between the poll and the send: again, at
  /// most twice). Keeps a shared copy of the payload in spare_ for a resend.
  bool transmit(OutMessage& msg);
  /// Reads a reply that is already in (no wait); false if there is none.
  bool take_reply(std::vector<zmq::message_t>& reply);
  /// finish() without first looking for a reply that is already in (request(): it cannot be yet).
  bool await_reply(OutMessage& msg, std::vector<zmq::message_t>& reply,
                   std::chrono::steady_clock::time_point deadline);

  bool answered_on_socket_ = false;  // a reply came on the current socket
  // The frame on its way (between start() and finish()):
  zmq::message_t spare_;             // PAIR: its payload again, shared, for a resend
  bool first_on_socket_ = false;     // it was the first frame on its socket
  int resends_ = 0;                  // resends of it so far
  bool refused_retry_done_ = false;  // the fresh-socket rule was used for it
  std::atomic<std::uint64_t> resent_{0};  // read by stats() from any thread
};

}  // namespace netgear::link
