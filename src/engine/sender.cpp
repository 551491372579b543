#include "engine/sender.hpp"

#include <algorithm>

#include "net/endpoints.hpp"
#include "net/poll.hpp"
#include "wire/reply.hpp"

namespace netgear::engine {

using namespace std::chrono_literals;

namespace {

std::chrono::milliseconds termination_wait(const Options& o) {
  return std::clamp(o.request_timeout / 5, std::chrono::milliseconds(10), std::chrono::milliseconds(2000));
}

}  // namespace

Sender::Peer::Peer(net::Context& ctx, const net::SocketSpec& spec, std::vector<std::string> endpoints,
                   const Config& c, std::shared_ptr<spdlog::logger> log)
    : link(ctx, spec, std::make_unique<net::FixedEndpoints>(std::move(endpoints))),
      requester(link, c.options.request_timeout, net::traits(c.pattern).one_connection, std::move(log)),
      budget(c.options.max_retries) {}

Sender::Sender(const Config& config, std::shared_ptr<spdlog::logger> log)
    : config_(config),
      traits_(net::traits(config.pattern)),
      log_(std::move(log)),
      encoder_(config.options, traits_.acknowledged, ctx_.pool(), log_),
      decoder_(config.options) {
  peers_.push_back(std::make_unique<Peer>(ctx_, net::socket_spec(config_), net::make_endpoints(config_), config_, log_));
  header_.pattern = to_string(config_.pattern);
  // Multi-server mode: the port is this server's name, first in every header and in the
  // termination message.
  if (config_.options.topology == Topology::MultiServer) header_.port = net::ports_of(config_).front();
  log_->info("sender connecting to {} (pattern {})", endpoints().front(), to_string(config_.pattern));
}

std::vector<std::string> Sender::endpoints() const {
  std::vector<std::string> out;
  for (const auto& p : peers_) out.insert(out.end(), p->link.endpoints().begin(), p->link.endpoints().end());
  return out;
}

void Sender::encode(const cv::Mat& frame, const json& message) {
  encoder_.encode(frame, {header_.compression, header_.dtype, header_.shape}, out_.payload);
  try {
    wire::encode_frame_header(out_.header, header_, message);  // the message is written, not copied
  } catch (const Error& e) {
    throw FrameError(std::string("the message cannot be sent: ") + e.what());
  }
}

SendResult Sender::send(const cv::Mat& frame, const json& message) {
  if (closed_) throw ClosedError("send() called after close()");
  encode(frame, message);
  return traits_.acknowledged ? request(*peers_.front()) : publish();
}

SendResult Sender::publish() {
  // PUB never blocks: with SNDHWM 1 a frame that a slow subscriber cannot take is refused
  // (XPUB_NODROP) and dropped here. Once the first part is in, the second always fits.
  const std::size_t bytes = out_.header.size() + out_.payload.size();
  zmq::socket_t& s = peers_.front()->link.socket();
  if (s.send(zmq::buffer(out_.header), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
    s.send(out_.payload, zmq::send_flags::dontwait);
  }
  ++frames_;
  bytes_ += bytes;
  return {};
}

SendResult Sender::request(Peer& peer) {
  const std::size_t bytes = out_.header.size() + out_.payload.size();
  if (peer.requester.request(out_, reply_)) {
    peer.budget.success();
    ++frames_;
    bytes_ += bytes;
    SendResult result;
    read_reply(result);
    return result;
  }

  ++lost_;
  const bool exhausted = peer.budget.miss();
  const int misses = peer.budget.misses();
  const Options& o = config_.options;
  const std::string endpoint = peer.link.endpoints().front();
  log_->warn("no acknowledgement from {} within {} ms ({} in a row): frame lost, reconnecting", endpoint,
             o.request_timeout.count(), misses);
  peer.link.reopen();
  peer.requester.reopened();
  if (exhausted) {
    // The budget starts again: a caller that catches this may carry on.
    throw RetriesExhaustedError("no acknowledgement from the receiver at " + endpoint + " for " +
                                std::to_string(misses) + " frames in a row (request_timeout " +
                                std::to_string(o.request_timeout.count()) + " ms, max_retries " +
                                std::to_string(o.max_retries) + "): is a receiver running and bound there?");
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

void Sender::publish_termination(Peer& peer, const std::string& msg, std::chrono::milliseconds wait) {
  // The last frames are usually still on their way (SNDHWM 1 and the kernel's buffers): the send
  // waits for room (XPUB_NODROP, see net::socket_spec) instead of dropping the message. Then the
  // connection stays up until the subscriber hangs up (a NetGear or vidgear receiver closes on
  // the termination): a subscriber that is behind has the message still unread in the kernel, and
  // on ipc ZeroMQ throws away what a reader has not read yet when the writer hangs up. Both waits
  // together take at most `wait`.
  const auto give_up = std::chrono::steady_clock::now() + wait;
  zmq::socket_t& s = peer.link.socket();
  (void)peer.link.events();  // older drops are not the answer to this message
  s.set(zmq::sockopt::linger, static_cast<int>(wait.count()));
  s.set(zmq::sockopt::sndtimeo, static_cast<int>(wait.count()));
  if (!s.send(zmq::buffer(msg), zmq::send_flags::none)) {
    log_->info("the subscriber did not take the termination message within {} ms", wait.count());
    return;
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - std::chrono::steady_clock::now());
  if (left.count() <= 0) return;
  if (peer.link.await(ZMQ_POLLIN, left, /*report_drops=*/true) != link::Link::Wait::Dropped) {
    log_->debug("the subscriber was still connected {} ms after the termination message", wait.count());
  }
}

void Sender::terminate(Peer& peer) noexcept {
  try {
    zmq::socket_t& s = peer.link.socket();
    const std::string msg = wire::encode_termination(header_.port);
    const auto wait = termination_wait(config_.options);
    if (!traits_.acknowledged) {
      publish_termination(peer, msg, wait);
      return;
    }
    if (!net::wait_for(s, ZMQ_POLLOUT, wait)) return;
    s.send(zmq::buffer(msg), zmq::send_flags::dontwait);
    if (!traits_.answers_termination) {
      s.set(zmq::sockopt::linger, static_cast<int>(wait.count()));
      return;
    }
    if (net::wait_for(s, ZMQ_POLLIN, wait)) {
      zmq::message_t answer;
      (void)s.recv(answer, zmq::recv_flags::dontwait);
      log_->info("receiver answered termination: {}", answer.to_string_view());
    } else {
      log_->info("no answer to the termination message within {} ms", wait.count());
    }
  } catch (const std::exception& e) {
    log_->warn("could not send the termination message: {}", e.what());
  }
}

void Sender::close() noexcept {
  if (closed_) return;
  closed_ = true;
  for (auto& p : peers_) terminate(*p);
  for (auto& p : peers_) p->link.close();  // linger as set by terminate()
  ctx_.close();                            // waits at most that linger
  log_->info("sender closed: {} frames sent, {} lost, {} reconnects", frames_.load(), lost_.load(),
             stats().reconnects);
}

Stats Sender::stats() const {
  Stats s;
  s.frames = frames_;
  s.bytes = bytes_;
  s.frames_lost = lost_;
  s.malformed_replies = malformed_replies_;
  for (const auto& p : peers_) {
    s.reconnects += p->link.reopens();
    s.frames_resent += p->requester.resent();
  }
  return s;
}

}  // namespace netgear::engine
