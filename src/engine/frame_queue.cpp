#include "engine/frame_queue.hpp"

namespace netgear::engine {

std::uint64_t FrameQueue::push(Frame frame) {
  std::unique_lock lk(mu_);
  if (frames_.size() >= capacity_) {
    if (drop_oldest_) {
      frames_.pop_front();
      ++dropped_;
    } else {
      // Back-pressure: the receiving thread stops reading (and so acknowledging) until the
      // application catches up.
      not_full_.wait(lk, [&] { return frames_.size() < capacity_ || stopping_; });
      if (stopping_) return 0;
    }
  }
  const std::uint64_t id = frame.id = ++queued_;
  frames_.push_back(std::move(frame));
  not_empty_.notify_one();
  return id;
}

std::optional<Frame> FrameQueue::pop(std::optional<std::chrono::milliseconds> timeout) {
  std::unique_lock lk(mu_);
  auto ready = [&] { return !frames_.empty() || reason_ != EndReason::None; };
  if (timeout) {
    not_empty_.wait_for(lk, *timeout, ready);
  } else {
    not_empty_.wait(lk, ready);
  }
  if (!frames_.empty()) {
    Frame f = std::move(frames_.front());
    frames_.pop_front();
    not_full_.notify_one();
    return f;
  }
  if (error_) std::rethrow_exception(error_);
  return std::nullopt;
}

void FrameQueue::end(EndReason reason, std::exception_ptr error) {
  std::lock_guard lk(mu_);
  if (reason_ != EndReason::None) return;
  reason_ = reason;
  error_ = std::move(error);
  not_empty_.notify_all();
}

void FrameQueue::stop() {
  std::lock_guard lk(mu_);
  stopping_ = true;
  not_full_.notify_all();
}

bool FrameQueue::stopping() const {
  std::lock_guard lk(mu_);
  return stopping_;
}

EndReason FrameQueue::reason() const {
  std::lock_guard lk(mu_);
  return reason_;
}

bool FrameQueue::drained() const {
  std::lock_guard lk(mu_);
  return reason_ != EndReason::None && frames_.empty();
}

std::uint64_t FrameQueue::queued() const {
  std::lock_guard lk(mu_);
  return queued_;
}

std::uint64_t FrameQueue::dropped() const {
  std::lock_guard lk(mu_);
  return dropped_;
}

}  // namespace netgear::engine
