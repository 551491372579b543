// NetGear C++ — real-time video frames over ZeroMQ, wire-compatible with vidgear 0.3.5.
//
//   netgear::NetGear rx({.receive_mode = true});              // binds tcp://*:5555
//   netgear::NetGear tx({.address = "127.0.0.1"});            // connects tcp://127.0.0.1:5555
//   tx.send(frame, {{"camera", 1}});
//   if (auto f = rx.recv()) cv::imshow("frame", f->image);    // nullopt: end of stream
//
// The receiver binds and the sender connects, so both are given the receiver's address.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>

#include "netgear/error.hpp"
#include "netgear/options.hpp"

namespace netgear {

using json = nlohmann::json;

/// Everything a NetGear instance is constructed with (vidgear's constructor arguments).
struct Config {
  /// Receiver: the address to bind, default "*" (every interface). Sender: the receiver's address,
  /// default "localhost". For ipc both sides give the same path prefix, default "/tmp/netgear".
  /// IPv6 addresses are written plainly ("::1").
  std::string address{};
  /// Port (any text vidgear would take; for ipc it is part of the path). Default "5555".
  std::string port{};
  Protocol protocol = Protocol::Tcp;
  Pattern pattern = Pattern::Pair;
  /// true: this instance receives (recv()); false: it sends (send()).
  bool receive_mode = false;
  /// Log through spdlog (logger "netgear"). Off: nothing is logged.
  bool logging = false;
  Options options{};
};

/// A frame as recv() hands it out.
struct Frame {
  /// The image, with the type and shape the sender sent (raw), or 8-bit in the sender's pixel order
  /// (JPEG; GRAY comes back 2-D).
  cv::Mat image;
  /// The JSON value sent with the frame; null when none.
  json message;
};

/// What send() reports for one frame.
struct SendResult {
  /// Patterns 0/1: the receiver acknowledged the frame. false: no acknowledgement came within
  /// request_timeout, the connection was re-created, and the frame counts as lost (it is not sent
  /// again). Always true on pattern 2, which has no acknowledgements.
  bool delivered = true;
};

/// Why a receiver's stream ended.
enum class EndReason {
  None,               ///< still running
  Terminated,         ///< the sender ended the stream (termination message)
  RetriesExhausted,   ///< no traffic for max_retries x 3 x request_timeout (patterns 0/1)
  SubscriberTimeout,  ///< no frame for subscriber_timeout (pattern 2)
  Closed,             ///< close() was called on this receiver
  Failed,             ///< the receiving thread failed; recv() rethrows the error
};
std::string_view to_string(EndReason r) noexcept;

/// Counters of one instance, read with stats(). Cheap to call at any time.
struct Stats {
  std::uint64_t frames = 0;          ///< frames sent (sender) or received and queued (receiver)
  std::uint64_t bytes = 0;           ///< payload + header bytes of those frames
  std::uint64_t frames_lost = 0;     ///< sender: frames not acknowledged (patterns 0/1)
  std::uint64_t reconnects = 0;      ///< sockets re-created by Lazy Pirate
  std::uint64_t frames_resent = 0;   ///< sender, PAIR: frames sent again because their connection dropped
  std::uint64_t dropped_malformed = 0;  ///< receiver: messages that broke the protocol, dropped
  std::uint64_t dropped_queue = 0;      ///< receiver: frames dropped because the queue was full
};

class NetGear {
 public:
  /// Creates the socket(s): a receiver binds (and starts its receiving thread), a sender connects.
  /// Throws OptionError for bad or incompatible settings, ConnectionError when the bind fails,
  /// UnsupportedError for exclusive modes this build does not provide yet.
  explicit NetGear(const Config& config);
  ~NetGear();  ///< close()
  NetGear(NetGear&&) noexcept;
  NetGear& operator=(NetGear&&) noexcept;
  NetGear(const NetGear&) = delete;
  NetGear& operator=(const NetGear&) = delete;

  /// Send mode: transfers one frame with an optional JSON message. Blocks until the receiver
  /// acknowledges it (patterns 0/1; at most about request_timeout, then the frame counts as lost and
  /// the socket is re-created) or until it is queued (pattern 2). Throws ModeError in receive mode,
  /// RetriesExhaustedError after max_retries lost frames in a row, FrameError for frames that
  /// cannot be sent as configured. Not thread-safe: call from one thread at a time.
  SendResult send(const cv::Mat& frame, const json& message = nullptr);

  /// Receive mode: the next frame, waiting as long as it takes; nullopt at end of stream
  /// (end_reason() says why). Rethrows an error that stopped the receiving thread.
  std::optional<Frame> recv();
  /// Same, but waits at most `timeout`: nullopt when no frame came in time or at end of stream
  /// (tell them apart with end_of_stream()).
  std::optional<Frame> recv(std::chrono::milliseconds timeout);

  /// Receive mode: true once the stream has ended and every queued frame was handed out.
  bool end_of_stream() const;
  /// Receive mode: why the stream ended; EndReason::None while it runs.
  EndReason end_reason() const;

  /// Sender: sends the termination message (and, on pattern 1, waits up to request_timeout / 5 for
  /// its answer), then closes. Receiver: stops the receiving thread and closes. Returns within a
  /// bounded time in every pattern and state, also when the peer is gone. Idempotent.
  void close();

  Stats stats() const;
  const Config& config() const;
  /// The endpoint this instance binds or connects to, e.g. "tcp://127.0.0.1:5555".
  std::string endpoint() const;

  /// The receiver's random 8-character device ID sent in each acknowledgement.
  std::string device_id() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace netgear
