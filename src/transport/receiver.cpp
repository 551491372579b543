#include "transport/receiver.hpp"

#include "codec/raw.hpp"
#include "transport/endpoint.hpp"
#include "wire/header.hpp"

namespace netgear::transport {

namespace {

// Keeps a received ZeroMQ message alive for as long as a cv::Mat over its bytes lives.
struct MessageOwner final : codec::BufferOwner {
  explicit MessageOwner(zmq::message_t&& m) : msg(std::move(m)) {}
  zmq::message_t msg;
};

bool is_term(const zmq::error_t& e) { return e.num() == ETERM; }

}  // namespace

Receiver::Receiver(const Config& config, std::string endpoint, std::shared_ptr<spdlog::logger> log)
    : config_(config),
      endpoint_(std::move(endpoint)),
      log_(std::move(log)),
      device_id_(wire::make_device_id()),
      ack_(wire::ack_text(device_id_)),
      ctx_(1) {
  socket_ = open_socket(ctx_, config_, endpoint_);
  log_->info("receiver bound to {} (pattern {}, device {})", endpoint_, to_string(config_.pattern),
             device_id_);
  thread_ = std::thread([this] { run(); });
}

Receiver::~Receiver() { close(); }

void Receiver::run() {
  try {
    serve();
  } catch (const zmq::error_t& e) {
    if (is_term(e)) {
      end(EndReason::Closed);
    } else {
      log_->error("receiving thread failed: {}", e.what());
      end(EndReason::Failed, std::current_exception());
    }
  } catch (const std::exception& e) {
    bool closing;
    {
      std::lock_guard lk(mu_);
      closing = stopping_;
    }
    if (closing) {
      end(EndReason::Closed);  // close() interrupted a re-bind
    } else {
      log_->error("receiving thread failed: {}", e.what());
      end(EndReason::Failed, std::current_exception());
    }
  }
  try {
    close_now(socket_);
  } catch (const std::exception&) {
  }
}

void Receiver::serve() {
  const Options& o = config_.options;
  const bool sync = config_.pattern != Pattern::PubSub;
  // How long the socket may stay silent: Lazy Pirate on 0/1, subscriber_timeout on 2.
  std::chrono::milliseconds silence(-1);
  if (sync) silence = 3 * o.request_timeout;
  else if (o.subscriber_timeout) silence = *o.subscriber_timeout;

  int misses_in_row = 0;
  std::vector<zmq::message_t> parts;
  for (;;) {
    {
      std::lock_guard lk(mu_);
      if (stopping_) return;
    }
    if (!wait_for(socket_, ZMQ_POLLIN, silence)) {
      if (!sync) {
        log_->warn("no frame for {} ms (subscriber_timeout): ending the stream", silence.count());
        end(EndReason::SubscriberTimeout);
        return;
      }
      ++misses_in_row;
      if (o.max_retries > 0 && misses_in_row >= o.max_retries) {
        log_->warn("no traffic on {} for {} periods of {} ms: ending the stream", endpoint_,
                   misses_in_row, silence.count());
        end(EndReason::RetriesExhausted);
        return;
      }
      log_->info("no traffic on {} for {} ms: re-binding ({} in a row)", endpoint_, silence.count(),
                 misses_in_row);
      close_now(socket_);
      wait_ipc_released(config_, endpoint_);
      socket_ = open_socket(ctx_, config_, endpoint_, std::chrono::seconds(2));
      ++reconnects_;
      continue;
    }
    parts.clear();
    if (!zmq::recv_multipart(socket_, std::back_inserter(parts), zmq::recv_flags::dontwait)) continue;
    misses_in_row = 0;
    if (!on_message(parts)) return;
  }
}

bool Receiver::on_message(std::vector<zmq::message_t>& parts) {
  const bool sync = config_.pattern != Pattern::PubSub;
  wire::FrameHeader& header = header_;  // reused: its buffers keep their capacity
  std::string problem;
  try {
    wire::decode_header(parts[0].to_string_view(), header);
  } catch (const ProtocolError& e) {
    problem = e.what();
  }

  if (problem.empty() && header.terminate) {
    if (config_.pattern == Pattern::ReqRep) reply(zmq::message_t(wire::kTerminationReply));
    log_->info("the sender ended the stream");
    end(EndReason::Terminated);
    return false;
  }
  // Acknowledge before decoding: the sender prepares its next frame while this one is decoded.
  // Malformed messages are acknowledged too, so that a REP socket stays in step.
  if (sync) reply_ack();
  if (problem.empty() && parts.size() != 2) {
    problem = "expected 2 parts (header, payload), got " + std::to_string(parts.size());
  }
  if (!problem.empty()) {
    drop(problem);
    return true;
  }

  const std::size_t bytes = parts[0].size() + parts[1].size();
  Frame frame;
  try {
    if (header.compression) {
      const auto& c = *header.compression;
      const Options& o = config_.options;
      frame.image = jpeg_.decode(static_cast<const std::uint8_t*>(parts[1].data()), parts[1].size(), c.colorspace,
                                 c.dct || o.jpeg_compression_fastdct, c.ups || o.jpeg_compression_fastupsample);
    } else {
      const std::size_t expected = wire::raw_payload_size(header.dtype, header.shape);
      if (parts[1].size() != expected) {
        throw ProtocolError("payload has " + std::to_string(parts[1].size()) + " bytes, dtype '" +
                            header.dtype + "' and the shape need " + std::to_string(expected));
      }
      auto owner = std::make_unique<MessageOwner>(std::move(parts[1]));
      void* data = owner->msg.data();
      frame.image = codec::adopt(header.dtype, header.shape, data, std::move(owner));
    }
  } catch (const ProtocolError& e) {
    drop(e.what());
    return true;
  }
  frame.message = std::move(header.message);
  bytes_ += bytes;
  push(std::move(frame));
  return true;
}

void Receiver::reply(zmq::message_t msg) {
  // Never block on a reply: a PAIR whose peer is gone would wait for ever.
  try {
    if (!socket_.send(msg, zmq::send_flags::dontwait)) log_->debug("reply not sent: the sender is gone");
  } catch (const zmq::error_t& e) {
    if (is_term(e)) throw;
    log_->debug("reply not sent: {}", e.what());
  }
}

void Receiver::reply_ack() {
  // The acknowledgement text never changes: hand ZeroMQ the member's bytes as a constant message
  // (no free function), which it sends without allocating or copying.
  reply(zmq::message_t(const_cast<char*>(ack_.data()), ack_.size(), nullptr));
}

void Receiver::drop(const std::string& why) {
  ++malformed_;
  log_->warn("dropped a malformed message: {}", why);
}

void Receiver::push(Frame frame) {
  std::unique_lock lk(mu_);
  const bool drop_oldest = config_.pattern == Pattern::PubSub || config_.options.keep_newest;
  if (queue_.size() >= config_.options.queue_size) {
    if (drop_oldest) {
      queue_.pop_front();
      ++dropped_;
    } else {
      // Back-pressure: stop reading (and so acknowledging) until the application catches up.
      not_full_.wait(lk, [&] { return queue_.size() < config_.options.queue_size || stopping_; });
      if (stopping_) return;
    }
  }
  queue_.push_back(std::move(frame));
  ++frames_;
  not_empty_.notify_one();
}

void Receiver::end(EndReason reason, std::exception_ptr error) {
  std::lock_guard lk(mu_);
  if (reason_ != EndReason::None) return;
  reason_ = reason;
  error_ = std::move(error);
  not_empty_.notify_all();
}

std::optional<Frame> Receiver::recv(std::optional<std::chrono::milliseconds> timeout) {
  std::unique_lock lk(mu_);
  auto ready = [&] { return !queue_.empty() || reason_ != EndReason::None; };
  if (timeout) {
    not_empty_.wait_for(lk, *timeout, ready);
  } else {
    not_empty_.wait(lk, ready);
  }
  if (!queue_.empty()) {
    Frame f = std::move(queue_.front());
    queue_.pop_front();
    not_full_.notify_one();
    return f;
  }
  if (error_) std::rethrow_exception(error_);
  return std::nullopt;
}

bool Receiver::end_of_stream() const {
  std::lock_guard lk(mu_);
  return reason_ != EndReason::None && queue_.empty();
}

EndReason Receiver::end_reason() const {
  std::lock_guard lk(mu_);
  return reason_;
}

void Receiver::close() noexcept {
  {
    std::lock_guard lk(mu_);
    if (stopping_) return;
    stopping_ = true;
    not_full_.notify_all();
  }
  // Wakes the thread out of any ZeroMQ call (it sees ETERM), then waits for it to close its socket.
  ctx_.shutdown();
  if (thread_.joinable()) thread_.join();
  end(EndReason::Closed);
  try {
    ctx_.close();
  } catch (const std::exception&) {
  }
  // A context shut down while its ipc listener is open does not unlink the socket file; remove it
  // so closed receivers leave nothing behind in the file system.
  if (config_.protocol == Protocol::Ipc) remove_ipc_file(endpoint_);
}

Stats Receiver::stats() const {
  Stats s;
  s.frames = frames_;
  s.bytes = bytes_;
  s.reconnects = reconnects_;
  s.dropped_malformed = malformed_;
  s.dropped_queue = dropped_;
  return s;
}

}  // namespace netgear::transport
