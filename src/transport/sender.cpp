#include "transport/sender.hpp"

#include <algorithm>
#include <cstring>
#include <vector>
#include <thread>

#include "codec/raw.hpp"
#include "transport/endpoint.hpp"
#include "wire/header.hpp"

namespace netgear::transport {

using namespace std::chrono_literals;

struct Sender::Payload {
  zmq::message_t bytes;
};

namespace {

// ZeroMQ calls this (from its I/O thread) when it no longer needs a borrowed frame buffer.
void release_mat(void* /*data*/, void* hint) { delete static_cast<cv::Mat*>(hint); }

std::chrono::milliseconds termination_wait(const Options& o) {
  return std::clamp(o.request_timeout / 5, std::chrono::milliseconds(10), std::chrono::milliseconds(2000));
}

}  // namespace

Sender::Sender(const Config& config, std::string endpoint, std::shared_ptr<spdlog::logger> log)
    : config_(config), endpoint_(std::move(endpoint)), log_(std::move(log)), ctx_(1) {
  open();
  log_->info("sender connecting to {} (pattern {})", endpoint_, to_string(config_.pattern));
}

Sender::~Sender() { close(); }

Sender::Payload Sender::make_payload(const cv::Mat& frame, const json& message) {
  const Options& o = config_.options;
  // One header reused for every frame; the message is written from the caller's value, not copied.
  wire::FrameHeader& h = tx_header_;
  h.compression.reset();
  h.dtype.clear();
  h.shape.clear();
  h.pattern = to_string(config_.pattern);

  // Which frames travel as JPEG: 8-bit 2-D frames whose channel count fits the colorspace.
  std::optional<Colorspace> cs;
  if (o.jpeg_compression && frame.depth() == CV_8U && frame.dims == 2 && !frame.empty()) {
    if (o.jpeg_compression_colorspace) {
      if (frame.channels() != channels(*o.jpeg_compression_colorspace)) {
        throw FrameError("frame has " + std::to_string(frame.channels()) + " channel(s) but jpeg_compression is '" +
                         std::string(to_string(*o.jpeg_compression_colorspace)) + "', which needs " +
                         std::to_string(channels(*o.jpeg_compression_colorspace)));
      }
      cs = o.jpeg_compression_colorspace;
    } else if (frame.channels() == 1) {
      cs = Colorspace::GRAY;
    } else if (frame.channels() == 3) {
      cs = Colorspace::BGR;
    } else if (frame.channels() == 4) {
      cs = Colorspace::BGRA;
    }
  }
  if (o.jpeg_compression && !cs && !warned_raw_fallback_) {
    warned_raw_fallback_ = true;
    log_->warn("JPEG cannot carry this frame (depth {}, {} channel(s), {} dims): sending it raw",
               frame.depth(), frame.channels(), frame.dims);
  }

  Payload p;
  if (cs) {
    auto jpeg = jpeg_.encode(frame, *cs, o.jpeg_compression_quality, o.jpeg_compression_fastdct);
    p.bytes = pool_.message(jpeg.size());
    std::memcpy(p.bytes.data(), jpeg.data(), jpeg.size());
    h.compression = wire::Compression{o.jpeg_compression_fastdct, o.jpeg_compression_fastupsample, *cs};
  } else {
    codec::describe(frame, h.dtype, h.shape);
    const std::size_t size = frame.total() * frame.elemSize();
    // Patterns 0/1: send() returns only after the receiver acknowledged the whole frame, so
    // ZeroMQ can borrow the matrix's buffer (kept alive by a reference) instead of copying it.
    // PUB/SUB returns at once while the bytes may still be leaving, so it copies.
    if (frame.isContinuous() && frame.u != nullptr && config_.pattern != Pattern::PubSub) {
      auto* keep = new cv::Mat(frame);
      p.bytes = zmq::message_t(keep->data, size, release_mat, keep);
    } else {
      p.bytes = pool_.message(size);
      cv::Mat contiguous(frame.dims, frame.size.p, frame.type(), p.bytes.data());
      frame.copyTo(contiguous);
    }
  }
  wire::encode_frame_header(header_, h, message);
  return p;
}

SendResult Sender::send(const cv::Mat& frame, const json& message) {
  if (closed_) throw ClosedError("send() called after close()");
  Payload payload = make_payload(frame, message);
  const std::size_t bytes = header_.size() + payload.bytes.size();
  const Options& o = config_.options;

  if (config_.pattern == Pattern::PubSub) {
    // PUB never blocks: with SNDHWM 1 a frame that a slow subscriber cannot take is dropped.
    socket_.send(zmq::buffer(header_), zmq::send_flags::sndmore | zmq::send_flags::dontwait);
    socket_.send(payload.bytes, zmq::send_flags::dontwait);
    ++frames_;
    bytes_ += bytes;
    return {};
  }

  const bool delivered = deliver(payload.bytes);
  if (delivered) {
    misses_in_row_ = 0;
    ++frames_;
    bytes_ += bytes;
    return {};
  }

  ++lost_;
  ++misses_in_row_;
  log_->warn("no acknowledgement from {} within {} ms ({} in a row): frame lost, reconnecting",
             endpoint_, o.request_timeout.count(), misses_in_row_);
  reopen();
  if (o.max_retries > 0 && misses_in_row_ >= o.max_retries) {
    const int misses = misses_in_row_;
    misses_in_row_ = 0;  // a caller that catches this may carry on with a fresh budget
    throw RetriesExhaustedError("no acknowledgement from the receiver at " + endpoint_ + " for " +
                                std::to_string(misses) + " frames in a row (request_timeout " +
                                std::to_string(o.request_timeout.count()) +
                                " ms, max_retries " + std::to_string(o.max_retries) +
                                "): is a receiver running and bound there?");
  }
  return SendResult{false};
}

bool Sender::deliver(zmq::message_t& bytes) {
  // Lazy Pirate: the frame must leave, and be acknowledged, within request_timeout each.
  //
  // PAIR needs two more rules, because a PAIR receiver serves one connection at a time:
  // - A connection that drops while the frame is on its way (the receiver restarted) takes the
  //   frame with it: send it again once a connection is back, instead of waiting for the time-out.
  // - After a stall, the receiver may see the sender's fresh connection before it has let go of
  //   the old one. libzmq then keeps the fresh connection open but never reads from it, so the
  //   frame vanishes without a drop. The first frame on a fresh socket that gets no answer is
  //   therefore sent once more on another fresh socket, within the same call; by then the old
  //   connection is gone. (A receiver that was merely slow, not stalled, can see that frame twice.)
  const Options& o = config_.options;
  const bool pair = config_.pattern == Pattern::Pair;
  int resends = 0;
  bool refused_retry_done = false;
  for (;;) {
    zmq::message_t spare;
    if (pair) spare.copy(bytes);            // shares the buffer, no deep copy
    if (pair) (void)connection_dropped();   // forget drops that happened before this frame left
    if (await(ZMQ_POLLOUT, o.request_timeout) != Wait::Ready) return false;
    const bool first_on_socket = !acked_on_socket_;
    if (!socket_.send(zmq::buffer(header_), zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      // The connection went away between the poll and the send: nothing left. (Sending the
      // payload now would make it a one-part message of its own.)
      if (pair && resends < 2) {
        ++resends;
        continue;
      }
      return false;
    }
    socket_.send(bytes, zmq::send_flags::dontwait);  // the rest of a message always follows its first part
    const Wait w = await(ZMQ_POLLIN, o.request_timeout);
    if (w == Wait::Ready) {
      std::vector<zmq::message_t>& reply = reply_;
      reply.clear();
      (void)zmq::recv_multipart(socket_, std::back_inserter(reply), zmq::recv_flags::dontwait);
      if (reply.size() != 1 || !wire::is_ack_text(reply[0].to_string_view())) {
        log_->warn("unexpected reply from the receiver ({} part(s)); counting the frame as delivered",
                   reply.size());
      }
      acked_on_socket_ = true;
      return true;
    }
    if (!pair) return false;
    if (w == Wait::Dropped && resends < 2) {
      ++resends;
      log_->info("connection to {} dropped before the acknowledgement: sending the frame again", endpoint_);
    } else if (w == Wait::TimedOut && first_on_socket && !refused_retry_done) {
      refused_retry_done = true;
      log_->info("no acknowledgement for the first frame on a fresh connection to {}: the receiver may "
                 "still hold an older one; reconnecting and sending it again",
                 endpoint_);
      reopen();
    } else {
      return false;
    }
    bytes = std::move(spare);
    ++resent_;
  }
}

void Sender::open() {
  socket_ = open_socket(ctx_, config_, endpoint_);
  if (config_.pattern == Pattern::Pair) watch_connection();
}

void Sender::reopen() {
  acked_on_socket_ = false;
  stop_watching();
  close_now(socket_);
  open();
  ++reconnects_;
}

void Sender::watch_connection() {
  const std::string address = "inproc://netgear-sender-monitor-" + std::to_string(monitor_seq_++);
  if (zmq_socket_monitor(socket_.handle(), address.c_str(), ZMQ_EVENT_DISCONNECTED) != 0) throw zmq::error_t();
  monitor_ = zmq::socket_t(ctx_, zmq::socket_type::pair);
  monitor_.set(zmq::sockopt::linger, 0);
  monitor_.connect(address);
}

void Sender::stop_watching() noexcept {
  if (!monitor_) return;
  (void)zmq_socket_monitor(socket_.handle(), nullptr, 0);
  close_now(monitor_);
}

bool Sender::connection_dropped() {
  bool dropped = false;
  for (;;) {
    // An event is two parts: 6 bytes (uint16 event id, uint32 value), then the peer's address.
    std::vector<zmq::message_t> event;
    if (!zmq::recv_multipart(monitor_, std::back_inserter(event), zmq::recv_flags::dontwait)) break;
    if (!event.empty() && event[0].size() >= sizeof(std::uint16_t)) {
      std::uint16_t id = 0;
      std::memcpy(&id, event[0].data(), sizeof id);
      if (id == ZMQ_EVENT_DISCONNECTED) dropped = true;
    }
  }
  return dropped;
}

Sender::Wait Sender::await(short events, std::chrono::milliseconds timeout) {
  if (!monitor_) return wait_for(socket_, events, timeout) ? Wait::Ready : Wait::TimedOut;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    zmq::pollitem_t items[2] = {{socket_.handle(), 0, events, 0}, {monitor_.handle(), 0, ZMQ_POLLIN, 0}};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    const int rc = zmq_poll(items, 2, std::max<long>(0, left.count()));
    if (rc < 0) {
      if (zmq_errno() == EINTR) continue;
      throw zmq::error_t();
    }
    if (items[0].revents & events) return Wait::Ready;
    // Waiting to send: a drop only means there is no connection yet; keep waiting for one.
    if ((items[1].revents & ZMQ_POLLIN) && connection_dropped() && events == ZMQ_POLLIN) return Wait::Dropped;
    if (rc == 0 || left.count() <= 0) return Wait::TimedOut;
  }
}

void Sender::send_termination() noexcept {
  try {
    const std::string msg = wire::encode_termination();
    const auto wait = termination_wait(config_.options);
    switch (config_.pattern) {
      case Pattern::Pair:
        if (wait_for(socket_, ZMQ_POLLOUT, wait)) {
          socket_.send(zmq::buffer(msg), zmq::send_flags::dontwait);
          socket_.set(zmq::sockopt::linger, static_cast<int>(wait.count()));
        }
        break;
      case Pattern::ReqRep:
        if (wait_for(socket_, ZMQ_POLLOUT, wait)) {
          socket_.send(zmq::buffer(msg), zmq::send_flags::dontwait);
          if (wait_for(socket_, ZMQ_POLLIN, wait)) {
            zmq::message_t answer;
            (void)socket_.recv(answer, zmq::recv_flags::dontwait);
            log_->info("receiver answered termination: {}", answer.to_string_view());
          } else {
            log_->info("no answer to the termination message within {} ms", wait.count());
          }
        }
        break;
      case Pattern::PubSub:
        // With SNDHWM 1 the termination message is dropped if the last frame is still in the
        // pipe, and PUB cannot tell. Send it a few times, a few milliseconds apart, then linger so
        // it leaves: a subscriber stops at the first one it gets.
        socket_.set(zmq::sockopt::linger, static_cast<int>(wait.count()));
        for (int i = 0; i < 3; ++i) {
          if (i) std::this_thread::sleep_for(5ms);
          socket_.send(zmq::buffer(msg), zmq::send_flags::dontwait);
        }
        break;
    }
  } catch (const std::exception& e) {
    log_->warn("could not send the termination message: {}", e.what());
  }
}

void Sender::close() noexcept {
  if (closed_) return;
  closed_ = true;
  send_termination();
  try {
    stop_watching();
    socket_.close();
    ctx_.close();  // waits at most the linger set above
  } catch (const std::exception& e) {
    log_->warn("close: {}", e.what());
  }
  log_->info("sender closed: {} frames sent, {} lost, {} reconnects", frames_.load(), lost_.load(),
             reconnects_.load());
}

Stats Sender::stats() const {
  Stats s;
  s.frames = frames_;
  s.bytes = bytes_;
  s.frames_lost = lost_;
  s.reconnects = reconnects_;
  s.frames_resent = resent_;
  return s;
}

}  // namespace netgear::transport
