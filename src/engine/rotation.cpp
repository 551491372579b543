#include "engine/rotation.hpp"

#include <algorithm>

namespace netgear::engine {

Rotation::Rotation(std::size_t clients, std::chrono::milliseconds request_timeout, int max_retries)
    : timeout_(request_timeout), max_retries_(max_retries), retry_at_(clients), misses_(clients, 0) {}

std::vector<std::size_t> Rotation::order(Clock::time_point now) const {
  const std::size_t n = retry_at_.size();
  std::vector<std::size_t> out;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t i = (next_ + k) % n;
    if (retry_at_[i] <= now) out.push_back(i);
  }
  if (out.empty() && n > 0) {
    out.push_back(static_cast<std::size_t>(std::min_element(retry_at_.begin(), retry_at_.end()) - retry_at_.begin()));
  }
  return out;
}

void Rotation::answered(std::size_t client) {
  misses_[client] = 0;
  retry_at_[client] = {};
  next_ = (client + 1) % retry_at_.size();
  run_ = 0;
}

void Rotation::missed(std::size_t client, Clock::time_point now) {
  const int m = std::min(++misses_[client], 4);  // 1, 2, 4, 8 x request_timeout
  retry_at_[client] = now + timeout_ * (1 << (m - 1));
}

bool Rotation::unanswered() {
  ++run_;
  if (max_retries_ > 0 && run_ >= max_retries_) {
    last_run_ = run_;
    run_ = 0;
    return true;
  }
  return false;
}

}  // namespace netgear::engine
