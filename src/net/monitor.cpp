#include "net/monitor.hpp"

#include <atomic>
#include <cstring>
#include <vector>

#include <zmq_addon.hpp>

#include "net/poll.hpp"

namespace netgear::net {

namespace {

constexpr int kEvents = ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_CONNECTED |
                        ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                        ZMQ_EVENT_HANDSHAKE_FAILED_AUTH;

std::string next_address() {
  static std::atomic<std::uint64_t> seq{0};
  return "inproc://netgear-monitor-" + std::to_string(seq++);
}

}  // namespace

Monitor::Monitor(zmq::context_t& ctx, zmq::socket_t& watched) : watched_(watched.handle()) {
  const std::string address = next_address();
  if (zmq_socket_monitor(watched_, address.c_str(), kEvents) != 0) throw zmq::error_t();
  events_ = zmq::socket_t(ctx, zmq::socket_type::pair);
  events_.set(zmq::sockopt::linger, 0);
  events_.connect(address);
}

Monitor::Monitor(Monitor&& o) noexcept : watched_(o.watched_), events_(std::move(o.events_)) { o.watched_ = nullptr; }

Monitor& Monitor::operator=(Monitor&& o) noexcept {
  if (this != &o) {
    stop();
    watched_ = o.watched_;
    events_ = std::move(o.events_);
    o.watched_ = nullptr;
  }
  return *this;
}

void Monitor::stop() noexcept {
  if (watched_ != nullptr) (void)zmq_socket_monitor(watched_, nullptr, 0);
  watched_ = nullptr;
  close_now(events_);
}

Monitor::Events Monitor::drain() {
  Events out;
  if (!events_) return out;
  std::vector<zmq::message_t> event;
  for (;;) {
    // An event is two parts: 6 bytes (uint16 event id, uint32 value), then the peer's address.
    event.clear();
    if (!zmq::recv_multipart(events_, std::back_inserter(event), zmq::recv_flags::dontwait)) break;
    if (event.empty() || event[0].size() < sizeof(std::uint16_t)) continue;
    std::uint16_t id = 0;
    std::memcpy(&id, event[0].data(), sizeof id);
    switch (id) {
      case ZMQ_EVENT_DISCONNECTED: ++out.disconnected; break;
      case ZMQ_EVENT_ACCEPTED: ++out.accepted; break;
      case ZMQ_EVENT_CONNECTED: ++out.connected; break;
      case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
      case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
      case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: ++out.handshake_failed; break;
      default: break;
    }
  }
  return out;
}

}  // namespace netgear::net
