#include "engine/read_turns.hpp"

#include <algorithm>

namespace netgear::engine {

bool ReadTurns::application_takes() {
  std::lock_guard lk(mu_);
  if (holder_ != Holder::Nobody) return false;
  holder_ = Holder::Application;
  taken_at_ = Clock::now();
  return true;
}

void ReadTurns::application_leaves() {
  {
    std::lock_guard lk(mu_);
    holder_ = Holder::Nobody;
    left_at_ = Clock::now();
  }
  // Without a waiter (close() is not waiting) this is no system call.
  released_.notify_all();
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
    // Nothing wakes this wait but close(): an application that leaves does not pay for a
    // wake-up. While it holds the socket it waits for a frame; look again after half the time it
    // has waited so far (a stream that comes slowly needs no drain), at least `patience`.
    auto until = left_at_ + patience_;
    if (holder_ == Holder::Application) until = now + std::max<Clock::duration>(patience_, (now - taken_at_) / 2);
    if (until > give_up) until = give_up;
    changed_.wait_until(lk, until);
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
