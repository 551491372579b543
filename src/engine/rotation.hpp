// Which client a multi-client sender on pattern 1 gives the next frame to: round robin over the
// clients, skipping a client that missed a frame until its back-off has passed (doubling with each
// miss in a row, from request_timeout up to 8 x request_timeout), so that a dead client costs one
// time-out per back-off period instead of one per round, and is tried again so that a client that
// comes back rejoins. Pure bookkeeping, no sockets: the sender asks it for the order in which to try
// the clients with one frame, and tells it who answered and who did not.
#pragma once

#include <chrono>
#include <cstddef>
#include <vector>

#include "link/retry_budget.hpp"

namespace netgear::engine {

class Rotation {
 public:
  using Clock = std::chrono::steady_clock;

  /// `max_retries` frames in a row that no client answered use the budget up (0: never).
  Rotation(std::size_t clients, std::chrono::milliseconds request_timeout, int max_retries);

  /// The clients to try for the next frame, in order: the ones not backing off, starting after the
  /// last that answered; if all are backing off, the one whose back-off ends first.
  std::vector<std::size_t> order(Clock::time_point now) const;
  /// `client` answered: it starts again without back-off, and the next frame goes to the one after it.
  void answered(std::size_t client);
  /// `client` did not answer within the time-out: it backs off.
  void missed(std::size_t client, Clock::time_point now);
  /// No client answered the frame: true when that used the budget up (the count then starts again).
  bool unanswered();
  /// Frames in a row that no client answered (after unanswered() returned true: that run).
  int unanswered_in_a_row() const noexcept { return budget_.misses(); }

 private:
  std::chrono::milliseconds timeout_;
  std::size_t next_ = 0;
  std::vector<Clock::time_point> retry_at_;
  std::vector<int> misses_;
  link::RetryBudget budget_;  // frames in a row that no client answered
};

}  // namespace netgear::engine
