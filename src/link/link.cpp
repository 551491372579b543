#include "link/link.hpp"

#include <algorithm>

#include "net/descriptors.hpp"
#include "net/ipc.hpp"
#include "net/poll.hpp"

namespace netgear::link {

Link::Link(net::Context& ctx, net::SocketSpec spec, std::unique_ptr<net::EndpointProvider> endpoints)
    : ctx_(ctx), spec_(std::move(spec)), provider_(std::move(endpoints)) {
  open(std::chrono::milliseconds(0));
}

void Link::open(std::chrono::milliseconds bind_patience) {
  net::require_descriptors(net::kSocketDescriptors);  // libzmq aborts instead of failing in places
  endpoints_ = provider_->endpoints();
  socket_ = net::open_socket(ctx_.zmq(), spec_, endpoints_, bind_patience);
  monitor_ = net::Monitor(ctx_.zmq(), socket_);
}

void Link::reopen(std::chrono::milliseconds bind_patience) {
  monitor_.stop();
  net::close_now(socket_);
  pending_ = {};
  connections_.clear();
  // A bound ipc socket's file stays after close (libzmq 4.3 does not unlink it): open_socket
  // waits, within bind_patience, until nothing listens on it any more, then binds over it.
  open(bind_patience);
  ++reopens_;
}

void Link::close() noexcept {
  monitor_.stop();
  if (socket_) socket_.close();
}

void Link::absorb(const net::Monitor::Events& e) {
  net::Monitor::add(pending_, e);
  net::Monitor::add(totals_, e);
  for (const int fd : e.opened_fds) connections_.insert(fd);
  for (const int fd : e.closed_fds) connections_.erase(fd);
  if (e.handshake_failed > 0 && on_failure_) on_failure_(e);
}

net::Monitor::Events Link::events() {
  absorb(monitor_.drain());
  net::Monitor::Events out = pending_;
  pending_ = {};
  return out;
}

Link::Wait Link::await(short events, std::chrono::milliseconds timeout, bool report_drops) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    zmq::pollitem_t items[2] = {{socket_.handle(), 0, events, 0}, {monitor_.socket().handle(), 0, ZMQ_POLLIN, 0}};
    std::chrono::milliseconds left = timeout;
    if (timeout.count() >= 0) {
      left = std::max(std::chrono::milliseconds(0), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                        deadline - std::chrono::steady_clock::now()));
    }
    const int rc = net::poll(items, 2, left);
    if (items[0].revents & events) return Wait::Ready;
    if (items[1].revents & ZMQ_POLLIN) {
      const auto e = monitor_.drain();
      absorb(e);
      // Waiting to send, a drop only means there is no connection yet: keep waiting for one.
      if (report_drops && e.disconnected > 0 && events == ZMQ_POLLIN) return Wait::Dropped;
    }
    if (rc == 0 || (timeout.count() >= 0 && left.count() <= 0)) return Wait::TimedOut;
  }
}

}  // namespace netgear::link
