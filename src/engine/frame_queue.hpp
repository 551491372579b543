// The receiver's queue between its receiving thread and the application's recv(), with the end
// of the stream: bounded by queue_size, either slowing the receiving thread down (back-pressure,
// no frame lost) or dropping the oldest frame (PUB/SUB, keep_newest).
//
// Threads: push() and end() from the receiving thread; pop(), ended() and stats from any thread.
// Everything is guarded by mu_.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>

#include "netgear/netgear.hpp"

namespace netgear::engine {

class FrameQueue {
 public:
  FrameQueue(std::size_t capacity, bool drop_oldest) : capacity_(capacity), drop_oldest_(drop_oldest) {}

  /// Queues a frame, numbering it (Frame::id); when full, drops the oldest or waits for room.
  /// Returns the frame's id, or 0 when stop() ended the wait (the frame is not queued).
  std::uint64_t push(Frame frame);
  /// The next frame, waiting up to `timeout` (nullopt: for ever). nullopt when none came in time
  /// or the stream ended with the queue empty; then rethrows the error the stream ended with.
  std::optional<Frame> pop(std::optional<std::chrono::milliseconds> timeout);

  /// Ends the stream (the first reason wins); frames already queued are still handed out.
  void end(EndReason reason, std::exception_ptr error = nullptr);
  /// Wakes a push() waiting for room; later pushes do not wait.
  void stop();
  bool stopping() const;

  EndReason reason() const;
  /// Ended and empty.
  bool drained() const;
  std::uint64_t queued() const;   ///< frames queued so far
  std::uint64_t dropped() const;  ///< frames dropped because the queue was full

 private:
  const std::size_t capacity_;
  const bool drop_oldest_;
  mutable std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  std::deque<Frame> frames_;
  EndReason reason_ = EndReason::None;
  std::exception_ptr error_;
  bool stopping_ = false;
  std::uint64_t queued_ = 0, dropped_ = 0;
};

}  // namespace netgear::engine
