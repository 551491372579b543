#include "engine/frame_queue.hpp"

#include <algorithm>

namespace netgear::engine {

void FrameQueue::pop_front() {
  bytes_ -= frames_.front().cost;
  frames_.pop_front();
}

std::uint64_t FrameQueue::push(Pending frame, std::size_t cost) {
  std::unique_lock lk(mu_);
  if (!fits(cost)) {
    if (drop_oldest_) {
      while (!fits(cost)) {
        pop_front();
        ++dropped_;
      }
    } else {
      // Back-pressure: the receiving thread stops reading (and so acknowledging) until the
      // application catches up.
      not_full_.wait(lk, [&] { return fits(cost) || stopping_; });
      if (stopping_) return 0;
    }
  }
  const std::uint64_t id = frame.frame.id = ++queued_;
  frames_.push_back(Entry{std::move(frame), cost});
  bytes_ += cost;
  peak_bytes_ = std::max(peak_bytes_, bytes_);
  not_empty_.notify_one();
  return id;
}

std::optional<Pending> FrameQueue::pop(std::optional<std::chrono::milliseconds> timeout) {
  std::unique_lock lk(mu_);
  auto ready = [&] { return !frames_.empty() || reason_ != EndReason::None; };
  if (timeout) {
    if (timeout->count() > 0) not_empty_.wait_for(lk, *timeout, ready);  // 0: no wait (and no system call)
  } else {
    not_empty_.wait(lk, ready);
  }
  if (!frames_.empty()) {
    Pending f = std::move(frames_.front().frame);
    pop_front();
    not_full_.notify_one();
    return f;
  }
  if (error_) std::rethrow_exception(error_);
  return std::nullopt;
}

bool FrameQueue::end(EndReason reason, std::exception_ptr error) {
  std::lock_guard lk(mu_);
  if (reason_ != EndReason::None) return false;
  reason_ = reason;
  error_ = std::move(error);
  not_empty_.notify_all();
  return true;
}

bool FrameQueue::empty() const {
  std::lock_guard lk(mu_);
  return frames_.empty();
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

namespace netgear::engine {

std::size_t FrameQueue::bytes() const {
  std::lock_guard lk(mu_);
  return bytes_;
}

std::size_t FrameQueue::peak_bytes() const {
  std::lock_guard lk(mu_);
  return peak_bytes_;
}

}  // namespace netgear::engine
