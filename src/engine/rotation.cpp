#include "engine/rotation.hpp"

#include <algorithm>

namespace netgear::engine {

Rotation::Rotation(std::size_t clients, std::chrono::milliseconds request_timeout, int max_retries)
    : timeout_(request_timeout), retry_at_(clients), misses_(clients, 0), budget_(max_retries) {}

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
  budget_.success();
}

void Rotation::missed(std::size_t client, Clock::time_point now) {
  const int m = std::min(++misses_[client], 4);  // 1, 2, 4, 8 x request_timeout
  retry_at_[client] = now + timeout_ * (1 << (m - 1));
}

bool Rotation::unanswered() { return budget_.miss(); }

}  // namespace netgear::engine
