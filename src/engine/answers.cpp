#include "engine/answers.hpp"

namespace netgear::engine {

bool Answers::answer(std::uint64_t id, EncodedReply reply) {
  std::lock_guard lk(mu_);
  if (id == 0 || id <= replied_ || answers_.size() >= kMaxEarly) return false;
  answers_[id] = std::move(reply);
  arrived_.notify_all();
  return true;
}

std::optional<EncodedReply> Answers::await(std::uint64_t id) {
  std::unique_lock lk(mu_);
  arrived_.wait_for(lk, timeout_, [&] { return stopping_ || answers_.count(id) > 0; });
  std::optional<EncodedReply> out;
  if (auto it = answers_.find(id); it != answers_.end()) out = std::move(it->second);
  replied_ = std::max(replied_, id);
  answers_.erase(answers_.begin(), answers_.upper_bound(replied_));
  return out;
}

void Answers::stop() {
  std::lock_guard lk(mu_);
  stopping_ = true;
  arrived_.notify_all();
}

}  // namespace netgear::engine
