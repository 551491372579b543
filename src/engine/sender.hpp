// The sending side, composed of: the frame codec (encodes in the caller's thread, once per
// frame), one peer per receiver (a link, its Lazy Pirate requester and its own retry budget),
// the reply decoder, and the context that owns them. Multi-client mode has one peer per client:
// pattern 1 gives each frame to one client (engine::Rotation picks it; a client that does not
// answer is skipped and the frame goes to the next one), pattern 2 gives each frame to all of
// them, the encoded bytes shared.
//
// Threads: everything here is used by the thread calling send()/close() (one at a time, as
// NetGear documents); stats() and peers() may be called from any thread (atomics; the per-peer
// statistics are guarded by stats_mu_). ZeroMQ's I/O thread hands
// payload buffers back to the context's pool.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <spdlog/logger.h>
#include <zmq.hpp>

#include "codec/frame_codec.hpp"
#include "engine/rotation.hpp"
#include "link/link.hpp"
#include "link/requester.hpp"
#include "link/retry_budget.hpp"
#include "net/context.hpp"
#include "net/socket_spec.hpp"
#include "netgear/netgear.hpp"
#include "wire/header.hpp"

namespace netgear::engine {

class Sender {
 public:
  /// Connects (throws ConnectionError for an endpoint that is not valid).
  Sender(const Config& config, std::shared_ptr<spdlog::logger> log);
  ~Sender() { close(); }

  SendResult send(const cv::Mat& frame, const json& message);
  /// Sends the termination message (bounded wait), then closes everything. Idempotent.
  void close() noexcept;
  Stats stats() const;
  /// Multi-client mode: one entry per client, in the order of the ports; empty otherwise.
  std::vector<PeerStats> peers() const;
  std::vector<std::string> endpoints() const;

 private:
  /// One receiver: its socket, the Lazy Pirate exchange on it, and its own retry budget.
  struct Peer {
    Peer(net::Context& ctx, const net::SocketSpec& spec, std::unique_ptr<net::EndpointProvider> endpoints,
         const Config& c, std::shared_ptr<spdlog::logger> log);
    link::Link link;
    link::Requester requester;
    link::RetryBudget budget;
    PeerStats stats;       // guarded by Sender::stats_mu_; stats.peer is the client's port
    bool replied = false;  // multi-client, pattern 1: the termination goes to clients that replied
    std::optional<std::chrono::steady_clock::time_point> refused_at;  // secure PUB: key refused then
  };

  /// Writes the frame's header (decides JPEG or raw, checks the frame); the payload is not made.
  codec::EncodePlan describe(const cv::Mat& frame, const json& message);
  /// Pattern 2: the header to every peer that can take a frame now, then, if any took it, the
  /// payload, made once.
  SendResult publish(const cv::Mat& frame, const codec::EncodePlan& plan);
  /// Pattern 2, no subscriber could take the header: waits up to pubsub_send_wait for one that can
  /// and sends it the header (it is then in takers_).
  void wait_for_room();
  /// Secure PUB: re-opens a link whose key the receiver refused, request_timeout later.
  void retry_refused(Peer& peer);
  /// The primary modes: the one receiver, Lazy Pirate with its retry budget.
  SendResult request(Peer& peer);
  /// Options::pipelined_send: settles the frame in flight, sends this one, returns the former's
  /// result.
  SendResult request_pipelined(Peer& peer);
  /// Waits for the frame in flight's acknowledgement (until its deadline) and counts it.
  SendResult settle(Peer& peer);
  /// An acknowledged frame of `bytes`: counted, its reply read.
  SendResult acknowledged(Peer& peer, std::size_t bytes);
  /// A frame with no acknowledgement: counted, the link re-opened (Lazy Pirate); throws
  /// AuthenticationError or RetriesExhaustedError when that is what it means.
  SendResult lost(Peer& peer, const net::Monitor::Events& before);
  /// Multi-client, pattern 1: the clients in Rotation's order until one answers.
  SendResult request_any();
  void count(Peer& peer, bool delivered, std::size_t bytes);
  /// Reads the reply parts into result.return_data (malformed replies are logged and counted).
  void read_reply(SendResult& result);
  /// Sends the termination message to every peer that should get it, then waits for the answers
  /// (pattern 1) or for the subscribers to hang up (pattern 2), all within bounded time.
  void terminate() noexcept;
  bool send_termination(Peer& peer, const std::string& msg, std::chrono::steady_clock::time_point deadline);
  void await_termination(Peer& peer, std::chrono::steady_clock::time_point deadline);

  const Config config_;
  const net::PatternTraits traits_;
  std::shared_ptr<spdlog::logger> log_;
  net::Context ctx_;  // before everything that has sockets or pooled messages
  codec::FrameEncoder encoder_;
  codec::FrameDecoder decoder_;       // return frames
  std::vector<std::unique_ptr<Peer>> peers_;  // one per receiver
  const bool multi_;                  // multi-client mode (even with one client)
  const bool secure_;                 // secure mode
  Rotation rotation_;                 // multi-client, pattern 1
  mutable std::mutex stats_mu_;       // guards every Peer::stats
  wire::FrameHeader header_;          // reused for every frame
  link::OutMessage out_;              // the encoded frame, reused
  std::vector<zmq::message_t> reply_;  // the last reply's parts, reused
  std::vector<Peer*> takers_;          // pattern 2: the peers that took this frame's header, reused
  // Options::pipelined_send: the frame on its way, awaiting its acknowledgement.
  struct InFlight {
    std::size_t bytes;
    net::Monitor::Events before;  // the link's events when it left (a refusal tells an auth failure)
    std::chrono::steady_clock::time_point deadline;
  };
  std::optional<InFlight> in_flight_;
  link::OutMessage in_flight_msg_;
  bool closed_ = false;

  std::atomic<std::uint64_t> frames_{0}, bytes_{0}, lost_{0}, malformed_replies_{0}, dropped_{0};
};

}  // namespace netgear::engine
