// Who reads a PUB/SUB receiver's socket: the application's recv() while it keeps up with the
// stream, the receiving thread once the application has been away for longer than `patience`.
//
// A receiving thread that reads every frame and hands it over through the queue costs each frame
// a hand-off more (ZeroMQ's I/O thread -> receiving thread -> application) than an application
// that reads the socket itself (docs/benchmarks.md, session 13: raw 640x480, the receiver's CPU
// per frame 0.159 ms instead of 0.193, half the context switches). But an application that reads only when it asks for a
// frame leaves stale ones waiting in the socket's buffers while it works on the last one; the
// receiving thread drains them into the dropping queue, which keeps only the newest. So the turn
// goes to whoever needs it: recv() takes the socket when nobody holds it; the receiving thread
// takes it when the application has not been back for `patience`, and gives it back as soon as
// the application waits for a frame that is not there yet (the application keeps up again).
// Handing the socket from one thread to the other through this mutex is the full memory barrier
// ZeroMQ asks for when a socket changes threads.
//
// Threads: every member function is thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace netgear::engine {

class ReadTurns {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ReadTurns(Clock::duration patience) : patience_(patience), left_at_(Clock::now()) {}

  /// The application takes the socket; false when someone holds it (it then waits for a frame
  /// in the queue, after application_waits()).
  bool application_takes();
  /// The application gives the socket back (it leaves recv() now); wakes the thread only when it
  /// waits for this (a long hold).
  void application_leaves();
  /// The application is about to wait in the queue / has stopped waiting.
  void application_waits();
  void application_waited();
  /// An application waits for a frame (the receiving thread then gives the socket back).
  bool application_waiting() const;

  /// The receiving thread waits, at most `slice`, until nobody has held the socket for `patience`
  /// (the application is away), and takes it then: true. false when the slice ended first, or
  /// after close(). An application waiting in the queue while nobody reads is served the same
  /// way, after `patience`. While the application holds the socket the thread looks again twice
  /// the patience after it took it; an application that still holds it then wakes the thread
  /// when it leaves (application_leaves()), one that leaves sooner does not.
  bool thread_takes(Clock::duration slice);
  /// The receiving thread gives the socket back.
  void thread_leaves();

  /// Nobody takes the socket any more; waits for an application that holds it to give it back
  /// (it looks whether the stream is ending at least once per slice of its wait).
  void close();

 private:
  enum class Holder { Nobody, Application, Thread, Closed };

  const Clock::duration patience_;
  mutable std::mutex mu_;
  std::condition_variable released_;  // the application gave the socket back (close() waits for it)
  std::condition_variable changed_;   // close() (the receiving thread's wait ends)
  Holder holder_ = Holder::Nobody;
  Clock::time_point left_at_;   // when the socket was last given back
  Clock::time_point taken_at_;  // when the application last took it
  int waiting_ = 0;            // applications waiting in the queue
  bool thread_awaits_leave_ = false;  // the thread waits for the application's long hold to end
};

}  // namespace netgear::engine
