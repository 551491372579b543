// The receiving side, composed of: a link bound to the port(s) and its retry budget (Lazy Pirate
// re-binds after silence on patterns 0/1; subscriber_timeout on 2), a reply policy, the frame
// codec, and the queue that hands frames to recv(). A background thread runs the link; on pattern
// 2 it takes turns with recv() (ReadTurns): the application reads the socket itself while it keeps
// up, the thread drains it into the queue while the application is away.
//
// Threads: link_, policy_, decoder_, header_ and buffer_ belong to the receiving thread once it
// runs (the constructor binds before starting it; close() joins it before touching link_ again);
// on pattern 2, to whoever holds the turn (turns_).
// queue_ is shared and guarded by its own mutex; the counters are atomics. close() asks the
// thread to leave (it looks every kStopSlice) and shuts ctx_ down only if it does not.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/logger.h>
#include <zmq.hpp>

#include "codec/frame_codec.hpp"
#include "engine/answers.hpp"
#include "engine/frame_queue.hpp"
#include "engine/read_turns.hpp"
#include "engine/reply_policy.hpp"
#include "engine/senders.hpp"
#include "link/link.hpp"
#include "link/retry_budget.hpp"
#include "net/context.hpp"
#include "net/receive_buffer.hpp"
#include "net/socket_spec.hpp"
#include "netgear/netgear.hpp"
#include "wire/header.hpp"

namespace netgear::engine {

class Receiver {
 public:
  /// Binds (throws ConnectionError on failure) and starts the receiving thread.
  Receiver(const Config& config, std::shared_ptr<spdlog::logger> log);
  ~Receiver() { close(); }

  /// The next frame (a JPEG that waited undecoded is decoded here, in the caller's thread; one
  /// that turns out corrupt is dropped and the next one taken, within the same time-out).
  std::optional<Frame> recv(std::optional<std::chrono::milliseconds> timeout);
  bool end_of_stream() const { return queue_.drained(); }
  EndReason end_reason() const { return queue_.reason(); }
  void close() noexcept;
  Stats stats() const;
  std::vector<PeerStats> peers() const { return senders_->stats(); }
  const std::string& device_id() const { return device_id_; }
  const std::vector<std::string>& endpoints() const { return endpoints_; }

  /// Bidirectional mode (else ModeError): the sticky return data. Any thread.
  void set_return_data(const json& value);
  void set_return_data(const cv::Mat& frame);
  /// Exact pairing (else ModeError): the return data for frame `id`; false when too late.
  bool answer(std::uint64_t id, const ReturnData& data);

 private:
  void run() noexcept;
  /// Ends the queue with the exception being handled (inside a catch block).
  void fail() noexcept;
  void serve();
  /// Pattern 2: the receiving thread's side of the turns.
  void serve_in_turns();
  /// Pattern 2: recv() reads the socket itself until a frame is queued, `deadline` passes or the
  /// stream ends; false when someone else holds the socket (recv() then waits in the queue).
  bool read_in_turn(std::optional<std::chrono::steady_clock::time_point> deadline);
  /// Reads one waiting message (none: true) and handles it; false when it ended the stream.
  bool read_one(std::vector<zmq::message_t>& parts);
  /// Pattern 2: no message for subscriber_timeout ends the stream (true then).
  bool silent_too_long();
  /// Pattern 2: how long to wait for traffic at most now (kStopSlice, or less when
  /// subscriber_timeout comes first).
  std::chrono::milliseconds slice_left() const;
  /// Waits up to `silence` (negative: for ever) for a message; false on silence or close().
  bool await_traffic(std::chrono::milliseconds silence);
  /// Lazy Pirate re-bind after `silence`. A bind refused because someone else took the address
  /// while it was free is a miss of `budget` and is tried again after another `silence`; false
  /// when the budget is used up (the stream is ended) or close() was called. Other bind errors
  /// are thrown (they end the receiving thread and reach recv()).
  bool rebind(link::RetryBudget& budget, std::chrono::milliseconds silence);
  /// How often a waiting receiving thread looks whether close() was called.
  static constexpr std::chrono::milliseconds kStopSlice{50};
  /// Handles one message; false when it ended the stream.
  bool on_message(std::vector<zmq::message_t>& parts);
  /// Sends the reply: `answer` when given (exact pairing), else what the policy says.
  void reply(const EncodedReply* answer);
  void send_reply(std::vector<zmq::message_t>& parts);
  void drop(const std::string& why);

  const Config config_;
  const net::PatternTraits traits_;
  std::shared_ptr<spdlog::logger> log_;
  const std::string device_id_;
  const std::unique_ptr<Senders> senders_;  // who this receiver hears from (multi-server: many)
  net::Context ctx_;  // before link_: its sockets close first
  link::Link link_;
  const std::vector<std::string> endpoints_;  // as first bound (re-binds use the same)
  ReturnDataReply* return_data_ = nullptr;  // policy_ when it is one (bidirectional mode)
  std::unique_ptr<ReplyPolicy> policy_;     // used by the receiving thread; set_return_data() is thread-safe
  std::unique_ptr<Answers> answers_;        // exact pairing only
  codec::FrameDecoder decoder_;
  const std::size_t max_header_size_;  // Options::max_header_size
  const bool exact_;                     // exact pairing: reply after the application's answer
  // Dropping queues (pattern 2, keep_newest) hold JPEG frames undecoded; recv() decodes them with
  // its own decoder (recv() may be called from several threads: one at a time decodes).
  const bool lazy_;
  std::mutex lazy_mu_;
  codec::FrameDecoder lazy_decoder_;  // guarded by lazy_mu_
  wire::FrameHeader header_;             // decoded into again for every message (buffers reused)
  std::vector<zmq::message_t> replies_;  // reply parts, reused
  std::optional<net::ReceiveBuffer> buffer_;  // pattern 2 over tcp: each connection's SO_RCVBUF
  FrameQueue queue_;
  std::optional<ReadTurns> turns_;  // pattern 2: who reads the socket
  std::vector<zmq::message_t> parts_;  // the message being read, reused (whoever holds the turn)
  std::atomic<std::chrono::steady_clock::rep> last_traffic_;  // pattern 2: the last message read
  std::atomic<bool> closing_{false};
  std::atomic<bool> exited_{false};     // the receiving thread has closed its socket and is leaving
  std::atomic<std::uint64_t> bytes_{0}, reconnects_{0}, malformed_{0}, answers_late_{0};
  std::thread thread_;  // last: started when everything above exists
};

}  // namespace netgear::engine
