#include "net/monitor.hpp"

#include <atomic>
#include <cstdio>
#include <cstring>
#include <vector>

#include <zmq_addon.hpp>

#include "net/poll.hpp"

namespace netgear::net {

namespace {

constexpr int kEvents = ZMQ_EVENT_DISCONNECTED | ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_CONNECTED |
                        ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL |
                        ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_SUCCEEDED;

std::string next_address() {
  static std::atomic<std::uint64_t> seq{0};
  return "inproc://netgear-monitor-" + std::to_string(seq++);
}

std::string protocol_error_text(std::uint32_t code) {
  switch (code) {
    case ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC:
      return "CURVE cryptographic error: the peers' keys do not match (the sender's server public key is not "
             "this receiver's)";
    case ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH:
      return "security mechanism mismatch: one side uses CURVE (secure_mode) and the other does not";
    case ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE: return "CURVE key exchange failed";
    default: break;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "ZMTP protocol error 0x%08x", code);
  return buf;
}

std::string failure_text(std::uint16_t id, std::uint32_t value, std::string_view address) {
  std::string why;
  switch (id) {
    case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH:
      why = "refused by the receiver's authentication (ZAP status " + std::to_string(value) + ")";
      break;
    case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL: why = protocol_error_text(value); break;
    default:
      why = std::string("the peer closed the connection during the handshake (") + zmq_strerror(static_cast<int>(value)) + ")";
      break;
  }
  return address.empty() ? why : std::string(address) + ": " + why;
}

}  // namespace

void Monitor::add(Events& to, const Events& e) {
  to.disconnected += e.disconnected;
  to.handshake_failed += e.handshake_failed;
  to.accepted += e.accepted;
  to.connected += e.connected;
  to.handshake_succeeded += e.handshake_succeeded;
  to.auth_failed += e.auth_failed;
  to.handshake_closed += e.handshake_closed;
  to.handshake_closed_in_a_row =
      e.handshake_succeeded > 0 ? e.handshake_closed_in_a_row : to.handshake_closed_in_a_row + e.handshake_closed_in_a_row;
  if (!e.failure.empty()) to.failure = e.failure;
}

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
    std::uint32_t value = 0;
    std::memcpy(&id, event[0].data(), sizeof id);
    if (event[0].size() >= sizeof id + sizeof value) {
      std::memcpy(&value, static_cast<const char*>(event[0].data()) + sizeof id, sizeof value);
    }
    switch (id) {
      // The value of these three is the connection's descriptor.
      case ZMQ_EVENT_DISCONNECTED:
        ++out.disconnected;
        out.closed_fds.push_back(static_cast<int>(value));
        break;
      case ZMQ_EVENT_ACCEPTED:
        ++out.accepted;
        out.opened_fds.push_back(static_cast<int>(value));
        break;
      case ZMQ_EVENT_CONNECTED:
        ++out.connected;
        out.opened_fds.push_back(static_cast<int>(value));
        break;
      case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
        ++out.handshake_succeeded;
        out.handshake_closed_in_a_row = 0;
        break;
      case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: ++out.auth_failed; [[fallthrough]];
      case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL:
      case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
        ++out.handshake_failed;
        if (id == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
          ++out.handshake_closed;
          ++out.handshake_closed_in_a_row;
        }
        out.failure = failure_text(id, value, event.size() > 1 ? event[1].to_string_view() : std::string_view());
        break;
      default: break;
    }
  }
  return out;
}

}  // namespace netgear::net
