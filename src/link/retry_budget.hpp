// Lazy Pirate's count for one peer: time-outs in a row, reset by any success. A multi-client
// sender keeps one per receiver, so one dead receiver cannot spend the others' budget.
#pragma once

namespace netgear::link {

class RetryBudget {
 public:
  /// `max_retries` time-outs in a row use the budget up; 0: never.
  explicit RetryBudget(int max_retries) : max_(max_retries) {}

  /// Anything came from the peer: the count starts again.
  void success() noexcept { misses_ = 0; }
  /// Counts a time-out; true when it used the budget up (the count then starts again, so a caller
  /// that carries on gets a fresh budget).
  bool miss() noexcept {
    ++misses_;
    if (max_ > 0 && misses_ >= max_) {
      last_run_ = misses_;
      misses_ = 0;
      return true;
    }
    return false;
  }
  /// Time-outs in a row so far (after miss() returned true: the run that used the budget up).
  int misses() const noexcept { return misses_ == 0 ? last_run_ : misses_; }
  int max_retries() const noexcept { return max_; }

 private:
  int max_;
  int misses_ = 0;
  int last_run_ = 0;
};

}  // namespace netgear::link
