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
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>

#include "netgear/error.hpp"
#include "netgear/export.hpp"
#include "netgear/options.hpp"

/// Everything of NetGear C++: the NetGear class, its settings (Config, Options), what it hands out
/// (Frame, SendResult, Stats) and the exceptions (Error and its subclasses).
namespace netgear {

/// The JSON type of messages and return data (nlohmann::json, the library's dependency).
using json = nlohmann::json;

/// The port of an endpoint, or the ports of a multi mode: any text vidgear takes ("5555"; for ipc
/// it is part of the path). One port in the primary modes (`.port = "5555"`); a list for a
/// multi-server receiver or a multi-client sender (`.port = {"5566", "5567"}`). Empty: "5555".
class NETGEAR_EXPORT Ports {
 public:
  /// No port: the default, "5555".
  Ports() = default;
  /// One port.
  Ports(std::string port) : list_{std::move(port)} {}  // NOLINT: implicit, as vidgear's str
  /// One port.
  Ports(const char* port) : list_{std::string(port)} {}  // NOLINT
  /// A list of ports (multi modes).
  Ports(std::initializer_list<std::string> ports) : list_(ports) {}
  /// A list of ports (multi modes).
  Ports(std::vector<std::string> ports) : list_(std::move(ports)) {}  // NOLINT

  /// The ports in the order given.
  const std::vector<std::string>& list() const noexcept { return list_; }
  /// true when no port was given (the default, "5555", applies).
  bool empty() const noexcept { return list_.empty(); }
  /// How many ports were given.
  std::size_t size() const noexcept { return list_.size(); }
  /// The first port, for range-for.
  std::vector<std::string>::const_iterator begin() const noexcept { return list_.begin(); }
  /// Past the last port.
  std::vector<std::string>::const_iterator end() const noexcept { return list_.end(); }
  /// The ports joined by commas ("5566,5567"), as the command line takes them.
  std::string text() const;
  /// Same ports in the same order.
  bool operator==(const Ports&) const = default;

 private:
  std::vector<std::string> list_;
};

/// Everything a NetGear instance is constructed with (vidgear's constructor arguments).
struct Config {
  /// Receiver: the address to bind, default "*" (every interface). Sender: the receiver's address,
  /// default "localhost". For ipc both sides give the same path prefix, default "/tmp/netgear".
  /// IPv6 addresses are written plainly ("::1").
  std::string address{};
  /// Port, or list of ports in the multi modes (see Ports). Default "5555".
  Ports port{};
  /// Transport: tcp (default) or ipc.
  Protocol protocol = Protocol::Tcp;
  /// ZeroMQ pattern (vidgear's pattern 0, 1, 2); both sides must use the same.
  Pattern pattern = Pattern::Pair;
  /// true: this instance receives (recv()); false: it sends (send()).
  bool receive_mode = false;
  /// Log through spdlog (logger "netgear"). Off: nothing is logged.
  bool logging = false;
  /// Every other setting (vidgear's options dictionary).
  Options options{};
};

/// A frame as recv() hands it out.
struct Frame {
  /// The image, with the type and shape the sender sent (raw), or 8-bit in the sender's pixel order
  /// (JPEG; GRAY comes back 2-D).
  cv::Mat image;
  /// The JSON value sent with the frame; null when none.
  json message;
  /// Who sent it: the sender's port in multi-server mode (its identity); empty otherwise.
  std::string peer;
  /// This receiver's number for the frame, counting from 1 in the order frames were queued.
  std::uint64_t id = 0;
};

/// Data a receiver hands back with its acknowledgement (bidirectional and multi-client modes): a
/// JSON value, a frame, or nothing.
struct ReturnData {
  /// The JSON value; null when none came or when a frame came.
  json value;
  /// The frame that came back (decoded like a received frame); empty when none.
  cv::Mat frame;
  /// true when a frame came back.
  bool has_frame() const noexcept { return !frame.empty(); }
  /// true when nothing came back (no value, no frame).
  bool empty() const noexcept { return frame.empty() && value.is_null(); }
};

/// What send() reports for one frame.
struct SendResult {
  /// Patterns 0/1: the receiver acknowledged the frame. false: no acknowledgement came within
  /// request_timeout, the connection was re-created, and the frame counts as lost (it is not sent
  /// again). Always true on pattern 2, which has no acknowledgements.
  bool delivered = true;
  /// Who answered: the receiver's port in multi-client mode; empty otherwise.
  std::string peer;
  /// What came back with the acknowledgement; empty for a plain acknowledgement.
  ReturnData return_data;
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
/// The reason in words, e.g. "terminated by the sender" (for logs and messages).
NETGEAR_EXPORT std::string_view to_string(EndReason r) noexcept;

/// Counters of one instance, read with stats(). Cheap to call at any time.
struct Stats {
  std::uint64_t frames = 0;          ///< frames sent (sender) or received and queued (receiver)
  std::uint64_t bytes = 0;           ///< payload + header bytes of those frames
  std::uint64_t frames_lost = 0;     ///< sender: frames not acknowledged (patterns 0/1)
  /// Sender, pattern 2: frames that no subscriber could take when send() was called (each was
  /// behind by a frame: SNDHWM 1); they were neither encoded nor sent, and are not in `frames`.
  std::uint64_t frames_dropped = 0;
  std::uint64_t reconnects = 0;      ///< sockets re-created by Lazy Pirate
  std::uint64_t frames_resent = 0;   ///< sender, PAIR: frames sent again because their connection dropped
  std::uint64_t dropped_malformed = 0;  ///< receiver: messages that broke the protocol, dropped
  std::uint64_t dropped_queue = 0;      ///< receiver: frames dropped because the queue was full
  std::uint64_t malformed_replies = 0;  ///< sender: replies that broke the protocol (frame still delivered)
  std::uint64_t answers_late = 0;       ///< receiver, exact pairing: replies sent without an answer (deadline)
  std::uint64_t queue_bytes_peak = 0;   ///< receiver: the most bytes its queue held at once (Options::queue_bytes)
};

/// One peer of a multi mode, named by its port: a server (sender) that a multi-server receiver
/// hears from, or a client (receiver) that a multi-client sender sends to.
struct PeerStats {
  std::string peer;              ///< its port, as text ("5566"); a number sent by a Python peer as its digits
  /// Multi-server receiver: frames received from it and queued. Multi-client sender: frames it
  /// acknowledged (pattern 1) or that its connection took (pattern 2).
  std::uint64_t frames = 0;
  std::uint64_t bytes = 0;       ///< header + payload bytes of those frames
  /// Multi-client sender: frames it did not acknowledge in time (pattern 1; the frame then went to
  /// the next client) or could not take because it was behind (pattern 2). 0 for a receiver.
  std::uint64_t frames_lost = 0;
  std::chrono::steady_clock::time_point first_seen{};  ///< its first frame (or reply); epoch when none
  std::chrono::steady_clock::time_point last_seen{};   ///< its latest frame (or reply)
  bool terminated = false;       ///< multi-server: it ended its stream (a later frame makes it active again)
};

/// One end of a stream (vidgear's NetGear class): a sender (send()) or, with
/// Config::receive_mode, a receiver (recv()).
class NETGEAR_EXPORT NetGear {
 public:
  /// Creates the socket(s): a receiver binds (and starts its receiving thread), a sender connects.
  /// Throws OptionError for bad or incompatible settings, ConnectionError when the bind fails (or
  /// an SSH tunnel cannot be set up: TunnelError), KeyFileError for a secure-mode key file that is
  /// missing or corrupt. Every exception any
  /// call of this class throws derives from netgear::Error (std::bad_alloc aside).
  explicit NetGear(const Config& config);
  ~NetGear();  ///< close()
  /// Takes over the other instance's sockets and thread; the moved-from instance is empty
  /// (endpoint() is empty text, config() throws ClosedError) and may be destroyed or assigned to.
  NetGear(NetGear&&) noexcept;
  /// Closes this instance (if it holds one), then takes over the other's, as the move constructor.
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

  /// Receive mode, bidirectional_mode: the return data that every following reply carries until
  /// it is replaced (vidgear's `recv(return_data=x)`; null: none). Replies leave as frames arrive,
  /// so the value reaches the sender with the reply to a *later* frame than the one the
  /// application last received (docs/library.md, "Bidirectional mode"). A frame is encoded now,
  /// with this receiver's JPEG settings. Thread-safe. Throws ModeError without bidirectional mode,
  /// FrameError for data that cannot be sent.
  void set_return_data(const json& value);
  /// Same, with a frame as the return data.
  void set_return_data(const cv::Mat& frame);
  /// Receive mode, return_pairing = exact: the return data for the frame numbered `frame_id`
  /// (Frame::id), sent with that frame's own reply. The reply waits for this at most
  /// answer_timeout, then carries the sticky value instead. false when the answer came too late
  /// (the reply had left). Thread-safe. Throws ModeError without exact pairing.
  bool answer(std::uint64_t frame_id, const json& value);
  /// Same, with a frame as the answer.
  bool answer(std::uint64_t frame_id, const cv::Mat& frame);

  /// Receive mode: true once the stream has ended and every queued frame was handed out.
  bool end_of_stream() const;
  /// Receive mode: why the stream ended; EndReason::None while it runs.
  EndReason end_reason() const;

  /// Sender: sends the termination message (and, on pattern 1, waits up to request_timeout / 5 for
  /// its answer), then closes. Receiver: stops the receiving thread and closes. Returns within a
  /// bounded time in every pattern and state, also when the peer is gone. Idempotent.
  void close();

  /// This instance's counters so far (all zero on a moved-from instance). Thread-safe.
  Stats stats() const;
  /// Multi-server receiver: every server heard from so far, in the order they first appeared.
  /// Multi-client sender: every client, in the order of its ports. Empty in the other modes.
  /// Thread-safe.
  std::vector<PeerStats> peers() const;
  /// The configuration this instance was constructed with. Throws ClosedError on a moved-from
  /// instance.
  const Config& config() const;
  /// The endpoint this instance binds or connects to, e.g. "tcp://127.0.0.1:5555" (the first one
  /// when there are several); empty on a moved-from instance.
  std::string endpoint() const;
  /// Every endpoint this instance binds or connects to (one per port).
  std::vector<std::string> endpoints() const;

  /// The receiver's random 8-character device ID sent in each acknowledgement.
  std::string device_id() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace netgear
