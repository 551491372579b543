// Log lines about a thing that repeats (a sender that keeps retrying a refused handshake): the
// first at once, then at most one per period, saying how many were left out meanwhile.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace netgear::security {

class Throttle {
 public:
  explicit Throttle(std::chrono::milliseconds period = std::chrono::seconds(10)) : period_(period) {}
  /// true when a line about `key` should be logged now; `skipped` is then set to the lines left out
  /// since the last one.
  bool allow(const std::string& key, std::uint64_t& skipped) {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lk(mu_);
    auto [it, fresh] = seen_.try_emplace(key, Seen{now, 0});
    if (fresh) {
      skipped = 0;
      return true;
    }
    if (now - it->second.last < period_) {
      ++it->second.skipped;
      return false;
    }
    skipped = it->second.skipped;
    it->second = Seen{now, 0};
    return true;
  }

 private:
  struct Seen {
    std::chrono::steady_clock::time_point last;
    std::uint64_t skipped;
  };
  std::chrono::milliseconds period_;
  std::mutex mu_;
  std::map<std::string, Seen> seen_;
};

}  // namespace netgear::security
