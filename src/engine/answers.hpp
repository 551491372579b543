// Exact pairing in bidirectional mode: the receiving thread, having queued frame n, waits (at most
// answer_timeout) for the application's answer to frame n before it replies. Answers can arrive
// before the thread starts waiting (the application was quick) and are kept until then; an answer
// to a frame whose reply already left is refused.
//
// Threads: answer() from application threads, await() from the receiving thread, stop() from
// close(); all guarded by mu_.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>

#include "engine/reply_policy.hpp"

namespace netgear::engine {

class Answers {
 public:
  explicit Answers(std::chrono::milliseconds timeout) : timeout_(timeout) {}

  /// The answer to frame `id` (encoded by the caller, in its own thread; the caller checks that
  /// the frame was queued); false when its reply has left already, or when too many answers to
  /// frames not yet replied to are waiting.
  bool answer(std::uint64_t id, EncodedReply reply);
  /// Receiving thread: waits for the answer to `id` (queued just now) up to the time-out; nullopt
  /// when none came (or stop()). Answers to older frames are dropped.
  std::optional<EncodedReply> await(std::uint64_t id);
  /// Ends every wait now and makes later ones return at once.
  void stop();

 private:
  static constexpr std::size_t kMaxEarly = 64;  // bounds answers to frames not yet replied to
  const std::chrono::milliseconds timeout_;
  std::mutex mu_;
  std::condition_variable arrived_;
  std::map<std::uint64_t, EncodedReply> answers_;
  std::uint64_t replied_ = 0;  // every frame up to this id has had its reply
  bool stopping_ = false;
};

}  // namespace netgear::engine
