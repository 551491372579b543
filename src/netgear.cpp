#include "netgear/netgear.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "transport/endpoint.hpp"
#include "transport/receiver.hpp"
#include "transport/sender.hpp"

namespace netgear {

namespace {

std::shared_ptr<spdlog::logger> make_logger(bool enabled) {
  // One stderr sink for every instance; instances are not registered with spdlog, so several can
  // coexist and none touches the application's own loggers.
  static auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  auto log = std::make_shared<spdlog::logger>("netgear", sink);
  log->set_pattern("[%H:%M:%S.%e] [netgear] [%^%l%$] %v");
  log->set_level(enabled ? spdlog::level::info : spdlog::level::off);
  return log;
}

}  // namespace

std::string_view to_string(EndReason r) noexcept {
  switch (r) {
    case EndReason::None: return "running";
    case EndReason::Terminated: return "terminated by the sender";
    case EndReason::RetriesExhausted: return "no traffic after max_retries time-outs";
    case EndReason::SubscriberTimeout: return "subscriber_timeout passed without a frame";
    case EndReason::Closed: return "closed";
    case EndReason::Failed: return "the receiving thread failed";
  }
  return "?";
}

struct NetGear::Impl {
  Config config;
  std::string endpoint;
  std::unique_ptr<transport::Sender> sender;
  std::unique_ptr<transport::Receiver> receiver;
};

NetGear::NetGear(const Config& config) : impl_(std::make_unique<Impl>()) {
  transport::validate(config);
  impl_->config = config;
  impl_->endpoint = transport::make_endpoint(config);
  auto log = make_logger(config.logging);
  if (config.receive_mode) {
    impl_->receiver = std::make_unique<transport::Receiver>(config, impl_->endpoint, log);
  } else {
    impl_->sender = std::make_unique<transport::Sender>(config, impl_->endpoint, log);
  }
}

NetGear::~NetGear() {
  if (impl_) close();
}
NetGear::NetGear(NetGear&&) noexcept = default;
NetGear& NetGear::operator=(NetGear&& other) noexcept {
  if (this != &other) {
    if (impl_) close();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

SendResult NetGear::send(const cv::Mat& frame, const json& message) {
  if (!impl_) throw ClosedError("send() on a moved-from NetGear");
  if (!impl_->sender) {
    throw ModeError("send() is for send mode; this NetGear is in receive mode (receive_mode = true): use recv()");
  }
  return impl_->sender->send(frame, message);
}

std::optional<Frame> NetGear::recv() {
  if (!impl_) throw ClosedError("recv() on a moved-from NetGear");
  if (!impl_->receiver) {
    throw ModeError("recv() is for receive mode; this NetGear is in send mode (receive_mode = false): use send()");
  }
  return impl_->receiver->recv(std::nullopt);
}

std::optional<Frame> NetGear::recv(std::chrono::milliseconds timeout) {
  if (!impl_) throw ClosedError("recv() on a moved-from NetGear");
  if (!impl_->receiver) {
    throw ModeError("recv() is for receive mode; this NetGear is in send mode (receive_mode = false): use send()");
  }
  return impl_->receiver->recv(timeout);
}

bool NetGear::end_of_stream() const { return impl_ && impl_->receiver && impl_->receiver->end_of_stream(); }

EndReason NetGear::end_reason() const {
  return impl_ && impl_->receiver ? impl_->receiver->end_reason() : EndReason::None;
}

void NetGear::close() {
  if (!impl_) return;
  if (impl_->sender) impl_->sender->close();
  if (impl_->receiver) impl_->receiver->close();
}

Stats NetGear::stats() const {
  if (!impl_) return {};
  return impl_->sender ? impl_->sender->stats() : impl_->receiver->stats();
}

const Config& NetGear::config() const { return impl_->config; }
std::string NetGear::endpoint() const { return impl_ ? impl_->endpoint : std::string(); }
std::string NetGear::device_id() const {
  return impl_ && impl_->receiver ? impl_->receiver->device_id() : std::string();
}

}  // namespace netgear
