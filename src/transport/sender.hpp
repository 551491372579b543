// The sending side: encodes frames in the caller's thread and runs Lazy Pirate on patterns 0/1.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include <spdlog/logger.h>
#include <zmq.hpp>

#include "codec/jpeg.hpp"
#include "netgear/netgear.hpp"

namespace netgear::transport {

class Sender {
 public:
  Sender(const Config& config, std::string endpoint, std::shared_ptr<spdlog::logger> log);
  ~Sender();

  SendResult send(const cv::Mat& frame, const json& message);
  void close() noexcept;
  Stats stats() const;

 private:
  struct Payload;
  Payload make_payload(const cv::Mat& frame, const json& message);
  void reopen();
  void send_termination() noexcept;

  Config config_;
  std::string endpoint_;
  std::shared_ptr<spdlog::logger> log_;
  zmq::context_t ctx_;
  zmq::socket_t socket_;
  codec::JpegEncoder jpeg_;
  std::string header_;     // reused header text buffer
  int misses_in_row_ = 0;  // Lazy Pirate: time-outs since the last acknowledgement
  bool closed_ = false;
  bool warned_raw_fallback_ = false;

  std::atomic<std::uint64_t> frames_{0}, bytes_{0}, lost_{0}, reconnects_{0};
};

}  // namespace netgear::transport
