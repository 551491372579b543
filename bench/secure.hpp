// `netgear bench --secure` (docs/benchmarks.md, "Secure mode"): secure mode next to plain on
// pattern 0 (640x480 JPEG, 1920x1080 raw), and bare libzmq with and without CURVE at the same
// message size, so that the ratio shows what NetGear costs beyond CURVE itself.
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

namespace netgear::bench {

struct SecureSettings {
  std::chrono::milliseconds warmup{500};
  std::chrono::milliseconds duration{2000};
  int ring = 8;
  int attempts = 2;
  int rounds = 1;       ///< each case this many times, interleaved; the median counts
  int timeout_s = 60;   ///< a child's own time limit
};

struct SecureReport {
  bool ok = false;
  nlohmann::json cases = nlohmann::json::array();  ///< one object per case (group "secure")
  std::string table;                               ///< the human-readable section
};

/// Runs the secure group with `exe` (this program) as the child processes.
SecureReport run_secure_group(const SecureSettings& s, const std::string& exe);

}  // namespace netgear::bench
