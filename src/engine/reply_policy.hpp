// What a receiver answers to each frame (patterns 0/1). The reply leaves as soon as a frame's
// header is read, before its payload is decoded, so the sender prepares its next frame meanwhile.
//
// Today: the plain text acknowledgement. The bidirectional and multi-client modes add policies
// that answer with return data (wire::encode_reply; a frame through codec::FrameEncoder), and the
// exact pairing of bidirectional mode one that answers from the application.
#pragma once

#include <string>
#include <vector>

#include <zmq.hpp>

#include "wire/header.hpp"

namespace netgear::engine {

class ReplyPolicy {
 public:
  virtual ~ReplyPolicy() = default;
  /// The parts of the reply to the frame whose header is `frame` (a malformed message, whose
  /// header may not have decoded, is answered too, so that a REP socket stays in step).
  virtual void reply_to(const wire::FrameHeader& frame, std::vector<zmq::message_t>& parts) = 0;
};

/// "Data received on device: <ID> !", the same text for every frame.
class AckReply final : public ReplyPolicy {
 public:
  explicit AckReply(const std::string& device_id) : text_(wire::ack_text(device_id)) {}
  void reply_to(const wire::FrameHeader&, std::vector<zmq::message_t>& parts) override {
    // The text never changes: ZeroMQ sends the member's bytes as a constant message (no free
    // function), without allocating or copying.
    parts.emplace_back(const_cast<char*>(text_.data()), text_.size(), nullptr);
  }

 private:
  std::string text_;
};

}  // namespace netgear::engine
