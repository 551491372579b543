// The public facade: checks the Config, composes the side it asks for, and keeps the promise
// that every exception is a netgear::Error (engine/errors.hpp translates at this boundary).
#include "netgear/netgear.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "config/validate.hpp"
#include "engine/errors.hpp"
#include "engine/receiver.hpp"
#include "engine/sender.hpp"

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

std::string Ports::text() const {
  std::string out;
  for (const auto& p : list_) out += (out.empty() ? "" : ",") + p;
  return out;
}

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
  std::unique_ptr<engine::Sender> sender;
  std::unique_ptr<engine::Receiver> receiver;

  engine::Sender& send_side(const char* call) {
    if (!sender) {
      throw ModeError(std::string(call) +
                      " is for send mode; this NetGear is in receive mode (receive_mode = true): use recv()");
    }
    return *sender;
  }
  engine::Receiver& receive_side(const char* call) {
    if (!receiver) {
      throw ModeError(std::string(call) +
                      " is for receive mode; this NetGear is in send mode (receive_mode = false): use send()");
    }
    return *receiver;
  }
};

NetGear::NetGear(const Config& config) : impl_(std::make_unique<Impl>()) {
  engine::translating([&] {
    config::validate(config);
    impl_->config = config;
    auto log = make_logger(config.logging);
    if (config.receive_mode) {
      impl_->receiver = std::make_unique<engine::Receiver>(config, log);
    } else {
      impl_->sender = std::make_unique<engine::Sender>(config, log);
    }
  });
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
  return engine::translating([&] { return impl_->send_side("send()").send(frame, message); });
}

std::optional<Frame> NetGear::recv() {
  if (!impl_) throw ClosedError("recv() on a moved-from NetGear");
  return engine::translating([&] { return impl_->receive_side("recv()").recv(std::nullopt); });
}

std::optional<Frame> NetGear::recv(std::chrono::milliseconds timeout) {
  if (!impl_) throw ClosedError("recv() on a moved-from NetGear");
  return engine::translating([&] { return impl_->receive_side("recv()").recv(timeout); });
}

void NetGear::set_return_data(const json& value) {
  if (!impl_) throw ClosedError("set_return_data() on a moved-from NetGear");
  engine::translating([&] { impl_->receive_side("set_return_data()").set_return_data(value); });
}

void NetGear::set_return_data(const cv::Mat& frame) {
  if (!impl_) throw ClosedError("set_return_data() on a moved-from NetGear");
  engine::translating([&] { impl_->receive_side("set_return_data()").set_return_data(frame); });
}

bool NetGear::answer(std::uint64_t frame_id, const json& value) {
  if (!impl_) throw ClosedError("answer() on a moved-from NetGear");
  ReturnData d;
  d.value = value;
  return engine::translating([&] { return impl_->receive_side("answer()").answer(frame_id, d); });
}

bool NetGear::answer(std::uint64_t frame_id, const cv::Mat& frame) {
  if (!impl_) throw ClosedError("answer() on a moved-from NetGear");
  if (frame.empty()) throw FrameError("cannot answer with an empty frame (answer with null for no return data)");
  ReturnData d;
  d.frame = frame;
  return engine::translating([&] { return impl_->receive_side("answer()").answer(frame_id, d); });
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

std::vector<PeerStats> NetGear::peers() const {
  if (!impl_) return {};
  return impl_->receiver ? impl_->receiver->peers() : impl_->sender->peers();
}

const Config& NetGear::config() const {
  if (!impl_) throw ClosedError("config() on a moved-from NetGear");
  return impl_->config;
}

std::vector<std::string> NetGear::endpoints() const {
  if (!impl_) return {};
  return impl_->sender ? impl_->sender->endpoints() : impl_->receiver->endpoints();
}

std::string NetGear::endpoint() const {
  auto all = endpoints();
  return all.empty() ? std::string() : all.front();
}

std::string NetGear::device_id() const {
  return impl_ && impl_->receiver ? impl_->receiver->device_id() : std::string();
}

}  // namespace netgear
