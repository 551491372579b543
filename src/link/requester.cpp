#include "link/requester.hpp"

#include <zmq_addon.hpp>

namespace netgear::link {

Requester::Requester(Link& link, std::chrono::milliseconds timeout, bool one_connection,
                     std::shared_ptr<spdlog::logger> log)
    : link_(link), timeout_(timeout), one_connection_(one_connection), log_(std::move(log)) {}

bool Requester::start(OutMessage& msg) {
  resends_ = 0;
  refused_retry_done_ = false;
  return transmit(msg);
}

bool Requester::transmit(OutMessage& msg) {
  for (;;) {
    if (one_connection_) {
      spare_.copy(msg.payload);  // shares the buffer, no deep copy
      (void)link_.events();      // forget drops that happened before this frame left
    }
    first_on_socket_ = !answered_on_socket_;
    zmq::socket_t& s = link_.socket();
    // Straight out when the socket has room (the usual case: no poll, a few system calls fewer
    // per frame); otherwise wait for room, within the time-out.
    const auto send_header = [&] {
      return s.send(zmq::buffer(msg.header), zmq::send_flags::sndmore | zmq::send_flags::dontwait).has_value();
    };
    bool out = send_header();
    if (!out) {
      if (link_.await(ZMQ_POLLOUT, timeout_) != Link::Wait::Ready) return false;
      out = send_header();
    }
    if (!out) {
      // The connection went away between the poll and the send: nothing left. (Sending the
      // payload now would make it a one-part message of its own.)
      if (one_connection_ && resends_ < 2) {
        ++resends_;
        continue;
      }
      return false;
    }
    s.send(msg.payload, zmq::send_flags::dontwait);  // the rest of a message always follows its first part
    return true;
  }
}

bool Requester::finish(OutMessage& msg, std::vector<zmq::message_t>& reply,
                       std::chrono::steady_clock::time_point deadline) {
  // The caller did other work since start(): the reply is usually in already, no poll needed.
  return take_reply(reply) || await_reply(msg, reply, deadline);
}

bool Requester::take_reply(std::vector<zmq::message_t>& reply) {
  reply.clear();
  if (!zmq::recv_multipart(link_.socket(), std::back_inserter(reply), zmq::recv_flags::dontwait)) return false;
  answered_on_socket_ = true;
  return true;
}

bool Requester::await_reply(OutMessage& msg, std::vector<zmq::message_t>& reply,
                            std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    const auto left = std::max(std::chrono::milliseconds(0), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                                 deadline - std::chrono::steady_clock::now()));
    const Link::Wait w = link_.await(ZMQ_POLLIN, left, one_connection_);
    if (w == Link::Wait::Ready) {
      (void)take_reply(reply);  // the poll said a message is in
      answered_on_socket_ = true;
      return true;
    }
    if (!one_connection_) return false;
    if (w == Link::Wait::Dropped && resends_ < 2) {
      ++resends_;
      log_->info("connection to {} dropped before the acknowledgement: sending the frame again",
                 link_.endpoints().front());
    } else if (w == Link::Wait::TimedOut && first_on_socket_ && !refused_retry_done_) {
      refused_retry_done_ = true;
      log_->info("no acknowledgement for the first frame on a fresh connection to {}: the receiver may "
                 "still hold an older one; reconnecting and sending it again",
                 link_.endpoints().front());
      link_.reopen();
      answered_on_socket_ = false;
    } else {
      return false;
    }
    msg.payload = std::move(spare_);
    ++resent_;
    if (!transmit(msg)) return false;
    deadline = std::chrono::steady_clock::now() + timeout_;
  }
}

}  // namespace netgear::link
