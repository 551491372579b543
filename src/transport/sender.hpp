// The sending side: encodes frames in the caller's thread and runs Lazy Pirate on patterns 0/1.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>
#include <zmq.hpp>

#include "codec/jpeg.hpp"
#include "transport/buffer_pool.hpp"
#include "netgear/netgear.hpp"
#include "wire/header.hpp"

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
  /// Lazy Pirate on patterns 0/1: true once the receiver acknowledged the frame.
  bool deliver(zmq::message_t& bytes);
  void open();
  void reopen();
  /// PAIR: watches socket_'s connection for drops (zmq_socket_monitor on an inproc pair).
  void watch_connection();
  void stop_watching() noexcept;
  /// Reads pending connection events; true if one of them was a disconnection.
  bool connection_dropped();
  enum class Wait { Ready, TimedOut, Dropped };
  /// Polls socket_ for `events` up to `timeout`; on PAIR also reports a dropped connection.
  Wait await(short events, std::chrono::milliseconds timeout);
  void send_termination() noexcept;

  Config config_;
  std::string endpoint_;
  std::shared_ptr<spdlog::logger> log_;
  BufferPool pool_;  // declared before ctx_: outlives every message, which ctx_.close() releases
  zmq::context_t ctx_;
  zmq::socket_t socket_;
  zmq::socket_t monitor_;  // PAIR only: connection events of socket_
  int monitor_seq_ = 0;
  bool acked_on_socket_ = false;  // an acknowledgement came on the current socket
  codec::JpegEncoder jpeg_;
  std::string header_;     // reused header text buffer
  wire::FrameHeader tx_header_;        // reused header fields
  std::vector<zmq::message_t> reply_;  // reused reply parts
  int misses_in_row_ = 0;  // Lazy Pirate: time-outs since the last acknowledgement
  bool closed_ = false;
  bool warned_raw_fallback_ = false;

  std::atomic<std::uint64_t> frames_{0}, bytes_{0}, lost_{0}, reconnects_{0}, resent_{0};
};

}  // namespace netgear::transport
