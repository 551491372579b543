#include "engine/sender.hpp"

#include <algorithm>

#include "net/endpoints.hpp"
#include "net/poll.hpp"
#include "tunnel/tunnel.hpp"
#include "security/secure.hpp"
#include "wire/reply.hpp"

namespace netgear::engine {

using namespace std::chrono_literals;

namespace {

std::chrono::milliseconds termination_wait(const Options& o) {
  return std::clamp(o.request_timeout / 5, std::chrono::milliseconds(10), std::chrono::milliseconds(2000));
}

}  // namespace

Sender::Peer::Peer(net::Context& ctx, const net::SocketSpec& spec, std::unique_ptr<net::EndpointProvider> endpoints,
                   const Config& c, std::shared_ptr<spdlog::logger> log)
    : link(ctx, spec, std::move(endpoints)),
      requester(link, c.options.request_timeout, net::traits(c.pattern).one_connection, std::move(log)),
      budget(c.options.max_retries) {}

Sender::Sender(const Config& config, std::shared_ptr<spdlog::logger> log)
    : config_(config),
      traits_(net::traits(config.pattern)),
      log_(std::move(log)),
      // Raw frames are lent to ZeroMQ only where send() returns after the acknowledgement: a PUB
      // send and a pipelined one return while the bytes may still be leaving, and the caller may
      // write its next image into the same buffer at once.
      encoder_(config.options, traits_.acknowledged && !config.options.pipelined_send, ctx_.pool(), log_),
      decoder_(config.options),
      multi_(config.options.topology == Topology::MultiClient),
      secure_(config.options.secure_mode != SecureMode::Off),
      rotation_(net::ports_of(config).size(), config.options.request_timeout, config.options.max_retries) {
  // One socket per receiver: each client of a multi-client sender has its own connection, Lazy
  // Pirate state and retry budget (and on PUB its own pipe, so that a slow one drops alone).
  const net::SocketSpec spec = security::secure(ctx_, config_, net::socket_spec(config_), log_);
  const std::vector<std::string> ports = net::ports_of(config_);
  const std::vector<std::string> endpoints = net::make_endpoints(config_);
  for (std::size_t i = 0; i < endpoints.size(); ++i) {
    // An SSH tunnel (one receiver) gives the socket a fresh local endpoint on each (re)open.
    std::unique_ptr<net::EndpointProvider> where;
    if (config_.options.ssh_tunnel) {
      where = tunnel::open(ctx_, config_, log_);
    } else {
      where = std::make_unique<net::FixedEndpoints>(std::vector<std::string>{endpoints[i]});
    }
    peers_.push_back(std::make_unique<Peer>(ctx_, spec, std::move(where), config_, log_));
    peers_.back()->stats.peer = ports[i];
    if (secure_) security::report_handshake_failures(peers_.back()->link, log_, "sender");
  }
  header_.pattern = to_string(config_.pattern);
  // Multi-server mode: the port is this server's name, first in every header and in the
  // termination message.
  if (config_.options.topology == Topology::MultiServer) header_.port = net::ports_of(config_).front();
  if (multi_) {
    log_->info("sender connecting to {} clients (pattern {}, multi-client), ports {}", endpoints.size(),
               to_string(config_.pattern), config_.port.text());
  } else if (config_.options.ssh_tunnel) {
    log_->info("sender connecting to {} through the SSH server {} (pattern {}), local end {}", endpoints.front(),
               config_.options.ssh_tunnel->server, to_string(config_.pattern), peers_.front()->link.endpoints().front());
  } else {
    log_->info("sender connecting to {} (pattern {})", endpoints.front(), to_string(config_.pattern));
  }
}

std::vector<std::string> Sender::endpoints() const {
  std::vector<std::string> out;
  for (const auto& p : peers_) out.insert(out.end(), p->link.endpoints().begin(), p->link.endpoints().end());
  return out;
}

codec::EncodePlan Sender::describe(const cv::Mat& frame, const json& message) {
  const codec::EncodePlan plan = encoder_.plan(frame, {header_.compression, header_.dtype, header_.shape});
  try {
    wire::encode_frame_header(out_.header, header_, message);  // the message is written, not copied
  } catch (const Error& e) {
    throw FrameError(std::string("the message cannot be sent: ") + e.what());
  }
  return plan;
}

SendResult Sender::send(const cv::Mat& frame, const json& message) {
  if (closed_) throw ClosedError("send() called after close()");
  const codec::EncodePlan plan = describe(frame, message);
  if (!traits_.acknowledged) return publish(frame, plan);
  encoder_.fill(frame, plan, out_.payload);
  if (multi_) return request_any();
  return config_.options.pipelined_send ? request_pipelined(*peers_.front()) : request(*peers_.front());
}

void Sender::count(Peer& peer, bool delivered, std::size_t bytes) {
  if (!multi_) return;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lk(stats_mu_);
  PeerStats& s = peer.stats;
  if (!delivered) {
    ++s.frames_lost;
    return;
  }
  if (s.frames == 0) s.first_seen = now;
  ++s.frames;
  s.bytes += bytes;
  s.last_seen = now;
}

SendResult Sender::publish(const cv::Mat& frame, const codec::EncodePlan& plan) {
  // PUB never blocks: with SNDHWM 1 a subscriber that is behind refuses the frame's first part
  // (XPUB_NODROP) and the frame is dropped for it here. The header goes first, so a frame that no
  // subscriber can take is never encoded or copied: a sender faster than its subscribers spends
  // its CPU on the frames that leave. Once the first part is in, the second always fits.
  takers_.clear();
  for (const auto& p : peers_) {
    Peer& peer = *p;
    if (secure_) retry_refused(peer);
    zmq::socket_t& s = peer.link.socket();
    bool taken = s.send(zmq::buffer(out_.header), zmq::send_flags::sndmore | zmq::send_flags::dontwait).has_value();
    if (!taken) {
      // A socket learns that its pipe has room again from a command that send() reads at most
      // once a millisecond or so; reading the socket's events reads pending commands at once.
      (void)s.get(zmq::sockopt::events);
      taken = s.send(zmq::buffer(out_.header), zmq::send_flags::sndmore | zmq::send_flags::dontwait).has_value();
    }
    if (taken) {
      takers_.push_back(&peer);
    } else {
      count(peer, false, 0);
    }
  }
  if (takers_.empty()) wait_for_room();
  if (takers_.empty()) {
    ++dropped_;
    return {};
  }
  try {
    encoder_.fill(frame, plan, out_.payload);
  } catch (...) {
    // The headers are out: end each message with an empty payload, which receivers drop as
    // malformed, rather than leave the sockets in the middle of one.
    for (Peer* peer : takers_) (void)peer->link.socket().send(zmq::message_t(), zmq::send_flags::dontwait);
    throw;
  }
  // Several clients share the payload's bytes (zmq_msg_copy counts references); the last one
  // takes the message itself.
  const std::size_t bytes = out_.header.size() + out_.payload.size();
  for (std::size_t i = 0; i < takers_.size(); ++i) {
    zmq::socket_t& s = takers_[i]->link.socket();
    if (i + 1 < takers_.size()) {
      zmq::message_t shared;
      shared.copy(out_.payload);
      s.send(shared, zmq::send_flags::dontwait);
    } else {
      s.send(out_.payload, zmq::send_flags::dontwait);
    }
    count(*takers_[i], true, bytes);
  }
  ++frames_;
  bytes_ += bytes;
  return {};
}

void Sender::wait_for_room() {
  // A blocking send on a socket with XPUB_NODROP waits (up to SNDTIMEO) for the pipe to have room
  // again; polling for POLLOUT cannot, a PUB socket always reports it. With several subscribers
  // (multi-client) they are asked in turn, a millisecond each, and the first that takes it ends
  // the wait: the others were behind, and get the next frame.
  const auto wait = config_.options.pubsub_send_wait;
  if (wait.count() <= 0) return;
  const auto deadline = std::chrono::steady_clock::now() + wait;
  const std::chrono::milliseconds slice = peers_.size() == 1 ? wait : std::chrono::milliseconds(1);
  do {
    for (const auto& p : peers_) {
      zmq::socket_t& s = p->link.socket();
      s.set(zmq::sockopt::sndtimeo, static_cast<int>(slice.count()));
      try {
        if (s.send(zmq::buffer(out_.header), zmq::send_flags::sndmore).has_value()) {
          takers_.push_back(p.get());
          return;
        }
      } catch (const zmq::error_t& e) {
        if (e.num() == EINTR) return;  // a signal ends the wait (the frame is dropped), as a time-out would
        throw;
      }
    }
  } while (std::chrono::steady_clock::now() < deadline);
}

void Sender::retry_refused(Peer& peer) {
  // A CURVE client whose key the receiver refused gives the connection up for good (libzmq ends
  // the session on an authentication failure); Lazy Pirate re-opens it on patterns 0/1. A
  // publisher has no Lazy Pirate: it re-opens after request_timeout, so that a key allowed
  // meanwhile gets through.
  const auto now = std::chrono::steady_clock::now();
  if (peer.link.events().auth_failed > 0 && !peer.refused_at) peer.refused_at = now;
  if (peer.refused_at && now - *peer.refused_at >= config_.options.request_timeout) {
    peer.refused_at.reset();
    peer.link.reopen();
  }
}

SendResult Sender::request(Peer& peer) {
  const std::size_t bytes = out_.header.size() + out_.payload.size();
  const net::Monitor::Events before = peer.link.totals();
  if (peer.requester.request(out_, reply_)) return acknowledged(peer, bytes);
  return lost(peer, before);
}

SendResult Sender::request_pipelined(Peer& peer) {
  // The previous frame's acknowledgement first (this frame was encoded meanwhile), then this one
  // leaves and the call returns: one frame on the wire at a time, as without pipelining.
  SendResult previous;
  if (in_flight_) previous = settle(peer);
  const std::size_t bytes = out_.header.size() + out_.payload.size();
  const net::Monitor::Events before = peer.link.totals();
  if (!peer.requester.start(out_)) {
    (void)lost(peer, before);  // the socket did not even take it (counted; may throw)
    return previous;
  }
  std::swap(out_, in_flight_msg_);  // kept intact for a resend; out_ takes the next frame
  in_flight_ = InFlight{bytes, before, std::chrono::steady_clock::now() + config_.options.request_timeout};
  return previous;
}

SendResult Sender::settle(Peer& peer) {
  const InFlight f = *in_flight_;
  in_flight_.reset();
  if (peer.requester.finish(in_flight_msg_, reply_, f.deadline)) return acknowledged(peer, f.bytes);
  return lost(peer, f.before);
}

SendResult Sender::acknowledged(Peer& peer, std::size_t bytes) {
  peer.budget.success();
  ++frames_;
  bytes_ += bytes;
  SendResult result;
  read_reply(result);
  return result;
}

SendResult Sender::lost(Peer& peer, const net::Monitor::Events& before) {
  ++lost_;
  const bool exhausted = peer.budget.miss();
  const int misses = peer.budget.misses();
  const Options& o = config_.options;
  const std::string endpoint = peer.link.endpoints().front();
  log_->warn("no acknowledgement from {} within {} ms ({} in a row): frame lost, reconnecting", endpoint,
             o.request_timeout.count(), misses);
  const net::Monitor::Events after = peer.link.totals();
  peer.link.reopen();
  peer.requester.reopened();
  if (secure_ && security::authentication_failed(before, after)) {
    throw AuthenticationError(security::authentication_failure(config_, endpoint, before, after));
  }
  if (exhausted) {
    // The budget starts again: a caller that catches this may carry on. A plain sender whose
    // handshakes the receiver closed is probably talking to a secure one.
    const bool refused = security::authentication_failed(before, after);
    throw RetriesExhaustedError("no acknowledgement from the receiver at " + endpoint + " for " +
                                std::to_string(misses) + " frames in a row (request_timeout " +
                                std::to_string(o.request_timeout.count()) + " ms, max_retries " +
                                std::to_string(o.max_retries) + "): " +
                                (refused ? "the receiver closed the connection during the handshake: does it run in "
                                           "secure mode (secure_mode)?"
                                         : "is a receiver running and bound there?"));
  }
  SendResult result;
  result.delivered = false;
  return result;
}

SendResult Sender::request_any() {
  const std::size_t bytes = out_.header.size() + out_.payload.size();
  const Options& o = config_.options;
  std::size_t tried = 0, refused = 0;
  std::string refusal;
  for (const std::size_t i : rotation_.order(std::chrono::steady_clock::now())) {
    Peer& peer = *peers_[i];
    const net::Monitor::Events before = peer.link.totals();
    ++tried;
    if (peer.requester.request(out_, reply_)) {
      rotation_.answered(i);
      peer.budget.success();
      peer.replied = true;
      ++frames_;
      bytes_ += bytes;
      count(peer, true, bytes);
      SendResult result;
      read_reply(result);
      result.peer = peer.stats.peer;  // the client whose socket answered
      return result;
    }
    count(peer, false, bytes);
    if (secure_ && security::authentication_failed(before, peer.link.totals())) {
      ++refused;
      refusal = security::authentication_failure(config_, peer.link.endpoints().front(), before, peer.link.totals());
    }
    rotation_.missed(i, std::chrono::steady_clock::now());
    log_->warn("client {} did not answer within {} ms: re-connecting it, and the frame goes to the next client",
               peer.stats.peer, o.request_timeout.count());
    peer.link.reopen();
    peer.requester.reopened();
  }
  ++lost_;
  // Every client refused this sender: say so rather than wait for the retry budget.
  if (refused > 0 && refused == tried) throw AuthenticationError(refusal);
  if (rotation_.unanswered()) {
    throw RetriesExhaustedError("no client answered " + std::to_string(rotation_.unanswered_in_a_row()) +
                                " frames in a row (request_timeout " + std::to_string(o.request_timeout.count()) +
                                " ms, max_retries " + std::to_string(o.max_retries) + ", clients " +
                                config_.port.text() + "): are the receivers running and bound there?");
  }
  SendResult lost;
  lost.delivered = false;
  return lost;
}

void Sender::read_reply(SendResult& result) {
  std::string_view views[2];
  const std::size_t n = std::min<std::size_t>(reply_.size(), 2);
  for (std::size_t i = 0; i < n; ++i) views[i] = reply_[i].to_string_view();
  try {
    if (reply_.size() > 2) throw ProtocolError("a reply has at most 2 parts, got " + std::to_string(reply_.size()));
    const wire::Reply reply = wire::decode_reply(std::span<const std::string_view>(views, n));
    switch (reply.kind) {
      case wire::Reply::Kind::Text:
        if (!wire::is_ack_text(reply.text)) log_->debug("reply is text but not an acknowledgement");
        break;
      case wire::Reply::Kind::Data:
        result.return_data.value = reply.header.data;
        break;
      case wire::Reply::Kind::Frame:
        result.return_data.frame = decoder_.decode(reply.header.compression, reply.header.array_dtype,
                                                   reply.header.array_shape, std::move(reply_[1]));
        break;
    }
    if (reply.header.port) {
      result.peer = wire::port_name(*reply.header.port, "reply");
    }
  } catch (const ProtocolError& e) {
    ++malformed_replies_;
    log_->warn("malformed reply from the receiver ({}): counting the frame as delivered", e.what());
  }
}

void Sender::terminate() noexcept {
  const std::string msg = wire::encode_termination(header_.port);
  const auto wait = termination_wait(config_.options);
  std::vector<Peer*> sent;
  auto deadline = std::chrono::steady_clock::now() + wait;
  for (auto& p : peers_) {
    // vidgear's multi-client sender ends only the clients that have replied (pattern 1); on PUB it
    // ends none, this one ends them all.
    if (multi_ && traits_.acknowledged && !p->replied) continue;
    try {
      if (send_termination(*p, msg, deadline)) sent.push_back(p.get());
    } catch (const std::exception& e) {
      log_->warn("could not send the termination message to {}: {}", p->link.endpoints().front(), e.what());
    }
  }
  // Pattern 1 waits as long again for the answers; pattern 2's room and hang-up share one wait.
  if (traits_.answers_termination) deadline = std::chrono::steady_clock::now() + wait;
  for (Peer* p : sent) {
    try {
      await_termination(*p, deadline);
    } catch (const std::exception& e) {
      log_->debug("termination of {}: {}", p->link.endpoints().front(), e.what());
    }
  }
}

bool Sender::send_termination(Peer& peer, const std::string& msg, std::chrono::steady_clock::time_point deadline) {
  zmq::socket_t& s = peer.link.socket();
  const auto wait = termination_wait(config_.options);
  const auto left = std::max(std::chrono::milliseconds(0), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                               deadline - std::chrono::steady_clock::now()));
  s.set(zmq::sockopt::linger, static_cast<int>(wait.count()));  // lets it leave after close()
  if (!traits_.acknowledged) {
    // The last frames are usually still on their way (SNDHWM 1 and the kernel's buffers): the
    // send waits for room (XPUB_NODROP, see net::socket_spec) instead of dropping the message.
    (void)peer.link.events();  // older drops are not the answer to this message
    s.set(zmq::sockopt::sndtimeo, static_cast<int>(left.count()));
    if (s.send(zmq::buffer(msg), zmq::send_flags::none)) return true;
    log_->info("{} did not take the termination message within {} ms", peer.link.endpoints().front(), wait.count());
    return false;
  }
  if (!net::wait_for(s, ZMQ_POLLOUT, left)) return false;
  return s.send(zmq::buffer(msg), zmq::send_flags::dontwait).has_value();
}

void Sender::await_termination(Peer& peer, std::chrono::steady_clock::time_point deadline) {
  zmq::socket_t& s = peer.link.socket();
  const auto left = std::max(std::chrono::milliseconds(0), std::chrono::duration_cast<std::chrono::milliseconds>(
                                                               deadline - std::chrono::steady_clock::now()));
  if (!traits_.acknowledged) {
    // Keep the connection up until the subscriber hangs up (a NetGear or vidgear receiver closes on
    // the termination): one that is behind has the message still unread in the kernel, and on ipc
    // ZeroMQ throws away what a reader has not read yet when the writer hangs up.
    if (peer.link.await(ZMQ_POLLIN, left, /*report_drops=*/true) != link::Link::Wait::Dropped) {
      log_->debug("{} was still connected after the termination message", peer.link.endpoints().front());
    }
    return;
  }
  if (!traits_.answers_termination) return;  // PAIR: no answer; the linger lets it leave
  if (net::wait_for(s, ZMQ_POLLIN, left)) {
    zmq::message_t answer;
    (void)s.recv(answer, zmq::recv_flags::dontwait);
    log_->info("receiver answered termination: {}", answer.to_string_view());
  } else {
    log_->info("no answer to the termination message from {} in time", peer.link.endpoints().front());
  }
}

void Sender::close() noexcept {
  if (closed_) return;
  closed_ = true;
  if (in_flight_) {
    // The last frame of a pipelined sender: its acknowledgement (or its loss) still counts.
    try {
      (void)settle(*peers_.front());
    } catch (const std::exception& e) {
      log_->warn("the last frame: {}", e.what());
    }
  }
  terminate();
  for (auto& p : peers_) p->link.close();  // linger as set by terminate()
  ctx_.close();                            // waits at most that linger
  log_->info("sender closed: {} frames sent, {} lost, {} reconnects", frames_.load(), lost_.load(),
             stats().reconnects);
}

std::vector<PeerStats> Sender::peers() const {
  std::vector<PeerStats> out;
  if (!multi_) return out;
  std::lock_guard lk(stats_mu_);
  for (const auto& p : peers_) out.push_back(p->stats);
  return out;
}

Stats Sender::stats() const {
  Stats s;
  s.frames = frames_;
  s.bytes = bytes_;
  s.frames_lost = lost_;
  s.frames_dropped = dropped_;
  s.malformed_replies = malformed_replies_;
  for (const auto& p : peers_) {
    s.reconnects += p->link.reopens();
    s.frames_resent += p->requester.resent();
  }
  return s;
}

}  // namespace netgear::engine
