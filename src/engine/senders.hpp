// Who a receiver hears from: the one sender of the primary modes, or, in multi-server mode, many
// servers told apart by the `port` first in their headers (docs/protocol.md, section 5.1). The
// receiving thread asks it who sent each message, tells it what arrived, and asks it whether a
// termination message ends the stream; the application reads the per-server statistics.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <spdlog/logger.h>

#include "netgear/netgear.hpp"
#include "wire/header.hpp"

namespace netgear::engine {

class Senders {
 public:
  virtual ~Senders() = default;
  /// The name of a frame's sender (Frame::peer). Throws ProtocolError when the header does not
  /// say who sent it and this mode needs to know.
  virtual std::string identify(const wire::FrameHeader& header) const = 0;
  /// A frame from `peer` (as identify() named it) was queued.
  virtual void received(const std::string& peer, std::size_t bytes) = 0;
  /// A termination message arrived: true when it ends the stream. Throws ProtocolError like
  /// identify().
  virtual bool terminated(const wire::FrameHeader& header) = 0;
  /// The pattern 1 answer to a termination message.
  virtual std::string_view termination_reply() const = 0;
  /// Per-sender statistics (multi-server mode; empty otherwise). Any thread.
  virtual std::vector<PeerStats> stats() const = 0;
};

/// The primary modes: one sender, whose termination ends the stream.
class OneSender final : public Senders {
 public:
  std::string identify(const wire::FrameHeader& header) const override;
  void received(const std::string&, std::size_t) override {}
  bool terminated(const wire::FrameHeader&) override { return true; }
  std::string_view termination_reply() const override { return wire::kTerminationReply; }
  std::vector<PeerStats> stats() const override { return {}; }
};

/// Multi-server mode: a server joins with its first frame, and the stream ends once every server
/// heard from has terminated. A termination from a server that sent no frame changes nothing
/// (vidgear would end the stream if it had heard from no one yet).
class ManySenders final : public Senders {
 public:
  explicit ManySenders(std::shared_ptr<spdlog::logger> log) : log_(std::move(log)) {}
  std::string identify(const wire::FrameHeader& header) const override;
  void received(const std::string& peer, std::size_t bytes) override;
  bool terminated(const wire::FrameHeader& header) override;
  std::string_view termination_reply() const override { return wire::kTerminationReplyMultiServer; }
  std::vector<PeerStats> stats() const override;

 private:
  std::shared_ptr<spdlog::logger> log_;
  mutable std::mutex mu_;
  std::vector<PeerStats> peers_;                        // in the order they first sent a frame
  std::unordered_map<std::string, std::size_t> index_;  // port -> position in peers_
  std::size_t active_ = 0;                              // peers not terminated
};

std::unique_ptr<Senders> make_senders(const Config& config, std::shared_ptr<spdlog::logger> log);

}  // namespace netgear::engine
