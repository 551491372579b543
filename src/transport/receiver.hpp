// The receiving side: a background thread owns the socket, acknowledges and decodes each frame
// and queues it for recv(); it runs Lazy Pirate on patterns 0/1 and subscriber_timeout on 2.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/logger.h>
#include <zmq.hpp>

#include "codec/jpeg.hpp"
#include "netgear/netgear.hpp"
#include "wire/header.hpp"

namespace netgear::transport {

class Receiver {
 public:
  /// Binds (throws ConnectionError on failure) and starts the receiving thread.
  Receiver(const Config& config, std::string endpoint, std::shared_ptr<spdlog::logger> log);
  ~Receiver();

  std::optional<Frame> recv(std::optional<std::chrono::milliseconds> timeout);
  bool end_of_stream() const;
  EndReason end_reason() const;
  void close() noexcept;
  Stats stats() const;
  const std::string& device_id() const { return device_id_; }

 private:
  void run();
  void serve();
  // Handles one message; false when it ended the stream.
  bool on_message(std::vector<zmq::message_t>& parts);
  void reply(zmq::message_t msg);
  void reply_ack();
  void drop(const std::string& why);
  void push(Frame frame);
  void end(EndReason reason, std::exception_ptr error = nullptr);

  Config config_;
  std::string endpoint_;
  std::shared_ptr<spdlog::logger> log_;
  std::string device_id_;
  std::string ack_;
  wire::FrameHeader header_;  // the receiving thread's header, decoded into again for every message
  zmq::context_t ctx_;
  zmq::socket_t socket_;  // owned by the thread once it runs
  codec::JpegDecoder jpeg_;

  mutable std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::deque<Frame> queue_;
  EndReason reason_ = EndReason::None;
  std::exception_ptr error_;
  bool stopping_ = false;

  std::atomic<std::uint64_t> frames_{0}, bytes_{0}, reconnects_{0}, malformed_{0}, dropped_{0};
  std::thread thread_;
};

}  // namespace netgear::transport
