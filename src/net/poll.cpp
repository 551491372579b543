#include "net/poll.hpp"

#include <algorithm>

namespace netgear::net {

int poll(zmq::pollitem_t* items, int n, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    long ms = -1;
    if (timeout.count() >= 0) {
      ms = std::max<long>(
          0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    }
    const int rc = zmq_poll(items, n, ms);
    if (rc >= 0) return rc;
    if (zmq_errno() != EINTR) throw zmq::error_t();
  }
}

bool wait_for(zmq::socket_t& s, short events, std::chrono::milliseconds timeout) {
  zmq::pollitem_t item{s.handle(), 0, events, 0};
  return poll(&item, 1, timeout) > 0 && (item.revents & events);
}

void close_now(zmq::socket_t& s) noexcept {
  if (!s) return;
  try {
    s.set(zmq::sockopt::linger, 0);
  } catch (const zmq::error_t&) {
    // ETERM after the context was shut down: linger no longer applies; close all the same.
  }
  s.close();
}

}  // namespace netgear::net
