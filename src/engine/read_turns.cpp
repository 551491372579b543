#include "engine/read_turns.hpp"

#include <utility>

namespace netgear::engine {

bool ReadTurns::application_takes() {
  std::lock_guard lk(mu_);
  if (holder_ != Holder::Nobody) return false;
  holder_ = Holder::Application;
  taken_at_ = Clock::now();
  return true;
}

void ReadTurns::application_leaves() {
  bool wake_thread = false;
  {
    std::lock_guard lk(mu_);
    holder_ = Holder::Nobody;
    left_at_ = Clock::now();
    wake_thread = std::exchange(thread_awaits_leave_, false);
  }
  // Without a waiter (close() is not waiting) this is no system call.
  released_.notify_all();
  if (wake_thread) changed_.notify_all();  // only after a long hold: not on a fast stream's path
}

void ReadTurns::application_waits() {
  std::lock_guard lk(mu_);
  ++waiting_;
}

void ReadTurns::application_waited() {
  std::lock_guard lk(mu_);
  --waiting_;
}

bool ReadTurns::application_waiting() const {
  std::lock_guard lk(mu_);
  return waiting_ > 0;
}

bool ReadTurns::thread_takes(Clock::duration slice) {
  std::unique_lock lk(mu_);
  const auto give_up = Clock::now() + slice;
  for (;;) {
    if (holder_ == Holder::Closed) return false;
    const auto now = Clock::now();
    if (holder_ == Holder::Nobody && now - left_at_ >= patience_) {
      holder_ = Holder::Thread;
      return true;
    }
    if (now >= give_up) return false;
    // An application that leaves after a short hold (a fast stream: it is back for the next
    // frame at once) does not pay for a wake-up: the thread looks again `patience` after it left,
    // or twice the patience after it took the socket. One that has held the socket for longer
    // than that (it waits for a slow stream's next frame) is asked to wake the thread when it
    // leaves, so that the thread does not look every few milliseconds meanwhile.
    auto until = left_at_ + patience_;
    if (holder_ == Holder::Application) {
      until = taken_at_ + 2 * patience_;
      if (now >= until) {
        thread_awaits_leave_ = true;
        until = give_up;
      }
    }
    if (until > give_up) until = give_up;
    changed_.wait_until(lk, until);
    thread_awaits_leave_ = false;
  }
}

void ReadTurns::thread_leaves() {
  std::lock_guard lk(mu_);
  if (holder_ == Holder::Thread) holder_ = Holder::Nobody;
  left_at_ = Clock::now();
}

void ReadTurns::close() {
  std::unique_lock lk(mu_);
  released_.wait(lk, [&] { return holder_ != Holder::Application; });
  holder_ = Holder::Closed;
  changed_.notify_all();
}

}  // namespace netgear::engine
