// The receiver's queue between its receiving thread and the application's recv(), with the end
// of the stream: bounded by queue_size frames and by queue_bytes (each frame has a cost in bytes,
// given by the caller; one frame is always let in, whatever its cost), either slowing the
// receiving thread down (back-pressure, no frame lost) or dropping the oldest frames (PUB/SUB,
// keep_newest).
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

#include <zmq.hpp>

#include "netgear/netgear.hpp"
#include "wire/header.hpp"

namespace netgear::engine {

/// A frame on its way to recv(): decoded, or (`jpeg` set) a JPEG payload that recv() decodes in
/// the application's thread. Dropping queues hold their JPEG frames so: a frame that is dropped is
/// never decoded, and the receiving thread, which only reads, keeps up with the wire.
struct Pending {
  Frame frame;                             ///< frame.image empty while `jpeg` is set
  std::optional<wire::Compression> jpeg;   ///< how to decode `payload`
  zmq::message_t payload;                  ///< the JPEG, while not decoded
};

class FrameQueue {
 public:
  FrameQueue(std::size_t capacity, std::size_t byte_budget, bool drop_oldest)
      : capacity_(capacity), budget_(byte_budget), drop_oldest_(drop_oldest) {}

  /// Queues a frame that costs `cost` bytes of the budget, numbering it (Frame::id); when it does
  /// not fit, drops the oldest frames or waits for room. Returns the frame's id, or 0 when stop()
  /// ended the wait (the frame is not queued).
  std::uint64_t push(Pending frame, std::size_t cost);
  /// The next frame, waiting up to `timeout` (nullopt: for ever; 0: not at all). nullopt when none came in time
  /// or the stream ended with the queue empty; then rethrows the error the stream ended with.
  std::optional<Pending> pop(std::optional<std::chrono::milliseconds> timeout);

  bool empty() const;  ///< no frame queued now
  /// Ends the stream (the first reason wins: true when this call ended it); frames already
  /// queued are still handed out.
  bool end(EndReason reason, std::exception_ptr error = nullptr);
  /// Wakes a push() waiting for room; later pushes do not wait.
  void stop();
  bool stopping() const;

  EndReason reason() const;
  /// Ended and empty.
  bool drained() const;
  std::uint64_t queued() const;   ///< frames queued so far
  std::uint64_t dropped() const;  ///< frames dropped because the queue was full
  std::size_t bytes() const;      ///< cost of the frames queued now
  std::size_t peak_bytes() const; ///< the most bytes queued at once so far

 private:
  bool fits(std::size_t cost) const { return frames_.size() < capacity_ && (frames_.empty() || bytes_ + cost <= budget_); }
  void pop_front();

  const std::size_t capacity_;
  const std::size_t budget_;
  const bool drop_oldest_;
  mutable std::mutex mu_;
  std::condition_variable not_empty_, not_full_;
  struct Entry {
    Pending frame;
    std::size_t cost;
  };
  std::deque<Entry> frames_;
  std::size_t bytes_ = 0, peak_bytes_ = 0;
  EndReason reason_ = EndReason::None;
  std::exception_ptr error_;
  bool stopping_ = false;
  std::uint64_t queued_ = 0, dropped_ = 0;
};

}  // namespace netgear::engine
