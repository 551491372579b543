// What a receiver answers to each frame (patterns 0/1). With sticky return data the reply leaves
// as soon as a frame's header is read, before its payload is decoded, so the sender prepares its
// next frame meanwhile; with exact pairing it waits for the application's answer (engine/answers).
//
// Policies: the plain text acknowledgement, and bidirectional mode's return data (JSON, or a frame
// encoded with the receiver's own JPEG settings). Multi-client mode gives the latter the
// receiver's port, which then comes first in every reply.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/logger.h>
#include <zmq.hpp>

#include "codec/frame_codec.hpp"
#include "net/buffer_pool.hpp"
#include "netgear/netgear.hpp"
#include "wire/header.hpp"

namespace netgear::engine {

class ReplyPolicy {
 public:
  virtual ~ReplyPolicy() = default;
  /// Appends the parts of the reply to a frame (a malformed message, whose header may not have
  /// decoded, is answered too, so that a REP socket stays in step). Receiving thread.
  virtual void reply_to(std::vector<zmq::message_t>& parts) = 0;
};

/// "Data received on device: <ID> !", the same text for every frame.
class AckReply final : public ReplyPolicy {
 public:
  explicit AckReply(const std::string& device_id) : text_(wire::ack_text(device_id)) {}
  void reply_to(std::vector<zmq::message_t>& parts) override {
    // The text never changes: ZeroMQ sends the member's bytes as a constant message (no free
    // function), without allocating or copying.
    parts.emplace_back(const_cast<char*>(text_.data()), text_.size(), nullptr);
  }

 private:
  std::string text_;
};

/// A reply with return data, encoded once and sent as often as needed (the payload is shared).
struct EncodedReply {
  std::string header;                    ///< part 1: {"return_type": ..., "data": ...}
  std::optional<zmq::message_t> payload;  ///< part 2 of a frame reply
  void append_to(std::vector<zmq::message_t>& parts) const;
};

/// Bidirectional mode: every reply carries the return data set last (sticky, as vidgear's
/// recv(return_data=...)); {"return_type": "NoneType", "data": null} until some is set.
///
/// Threads: set() from any application thread, reply_to()/encode() from the receiving thread;
/// everything is guarded by mu_ (the encoder too: a frame is encoded in the thread that sets it).
class ReturnDataReply final : public ReplyPolicy {
 public:
  /// `port`: multi-client mode, the receiver's own port, first in every reply.
  ReturnDataReply(const Options& options, net::BufferPool& pool, std::shared_ptr<spdlog::logger> log,
                  std::optional<json> port = std::nullopt);

  /// Replaces the sticky value (a frame is encoded now). Throws FrameError for a frame that
  /// cannot be sent (empty, a depth numpy has no name for) or a string that is not UTF-8.
  void set(const json& value);
  void set(const cv::Mat& frame);
  void reply_to(std::vector<zmq::message_t>& parts) override;

  /// Encodes return data for one reply (exact pairing). Throws like set().
  EncodedReply encode(const ReturnData& data);

 private:
  EncodedReply encode_locked(const ReturnData& data);

  const std::optional<json> port_;
  std::mutex mu_;
  codec::FrameEncoder encoder_;  // guarded by mu_
  EncodedReply sticky_;          // guarded by mu_
};

}  // namespace netgear::engine
