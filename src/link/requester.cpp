#include "link/requester.hpp"

#include <zmq_addon.hpp>

namespace netgear::link {

Requester::Requester(Link& link, std::chrono::milliseconds timeout, bool one_connection,
                     std::shared_ptr<spdlog::logger> log)
    : link_(link), timeout_(timeout), one_connection_(one_connection), log_(std::move(log)) {}

bool Requester::request(OutMessage& msg, std::vector<zmq::message_t>& reply) {
  int resends = 0;
  bool refused_retry_done = false;
  for (;;) {
    zmq::message_t spare;
    if (one_connection_) {
      spare.copy(msg.payload);  // shares the buffer, no deep copy
      (void)link_.events();     // forget drops that happened before this frame left
    }
    if (link_.await(ZMQ_POLLOUT, timeout_) != Link::Wait::Ready) return false;
    const bool first_on_socket = !answered_on_socket_;
    zmq::socket_t& s = link_.socket();
    if (!s.send(zmq::buffer(msg.header), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      // The connection went away between the poll and the send: nothing left. (Sending the
      // payload now would make it a one-part message of its own.)
      if (one_connection_ && resends < 2) {
        ++resends;
        continue;
      }
      return false;
    }
    s.send(msg.payload, zmq::send_flags::dontwait);  // the rest of a message always follows its first part
    const Link::Wait w = link_.await(ZMQ_POLLIN, timeout_, one_connection_);
    if (w == Link::Wait::Ready) {
      reply.clear();
      (void)zmq::recv_multipart(s, std::back_inserter(reply), zmq::recv_flags::dontwait);
      answered_on_socket_ = true;
      return true;
    }
    if (!one_connection_) return false;
    if (w == Link::Wait::Dropped && resends < 2) {
      ++resends;
      log_->info("connection to {} dropped before the acknowledgement: sending the frame again",
                 link_.endpoints().front());
    } else if (w == Link::Wait::TimedOut && first_on_socket && !refused_retry_done) {
      refused_retry_done = true;
      log_->info("no acknowledgement for the first frame on a fresh connection to {}: the receiver may "
                 "still hold an older one; reconnecting and sending it again",
                 link_.endpoints().front());
      link_.reopen();
      answered_on_socket_ = false;
    } else {
      return false;
    }
    msg.payload = std::move(spare);
    ++resent_;
  }
}

}  // namespace netgear::link
