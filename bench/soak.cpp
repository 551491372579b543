#include "soak.hpp"

#include <dirent.h>
#include <signal.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common.hpp"
#include "process.hpp"

namespace netgear::bench {
namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

// Resident set of a process in kB (VmRSS), -1 when it is gone.
long rss_kb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

// Open file descriptors of a process, -1 when it is gone.
long open_fds(pid_t pid) {
  DIR* d = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  if (d == nullptr) return -1;
  long n = 0;
  while (const dirent* e = ::readdir(d)) {
    if (e->d_name[0] != '.') ++n;
  }
  ::closedir(d);
  return n;
}

struct Sample {
  long rss_kb = -1;
  long fds = -1;
};

// One side of one stream, and what was seen of it.
struct Side {
  std::string pattern;  // "pair", "pubsub"
  std::string role;     // "receiver", "sender"
  Child child;
  Sample start, end;
  long max_rss_kb = 0;
  json report;  // the receiver's "result" or the sender's "sent"
  void sample(bool at_start) {
    const Sample s{rss_kb(child.pid()), open_fds(child.pid())};
    if (s.rss_kb < 0) return;
    max_rss_kb = std::max(max_rss_kb, s.rss_kb);
    (at_start ? start : end) = s;
  }
  double growth_mb() const { return static_cast<double>(end.rss_kb - start.rss_kb) / 1024.0; }
};

std::string fmt_mb(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

}  // namespace

int run_soak(const SoakOptions& o) {
  const std::string exe = self_exe();
  const auto warmup = std::chrono::milliseconds(static_cast<long>(o.warmup_s * 1000));
  const auto total = std::chrono::milliseconds(static_cast<long>(o.minutes * 60'000));
  if (total <= warmup) throw std::runtime_error("--soak-minutes must be longer than the warm-up (" +
                                                std::to_string(o.warmup_s) + " s)");
  const int timeout_s = static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(total).count()) + 120;
  std::vector<Side> sides;
  sides.reserve(4);
  for (const auto& [pattern, name] : {std::pair{0, "pair"}, std::pair{2, "pubsub"}}) {
    const std::vector<std::string> common = {"--pattern",     std::to_string(pattern),
                                             "--transport",   "tcp",
                                             "--width",       "640",
                                             "--height",      "480",
                                             "--ring",        "8",
                                             "--jpeg",
                                             "--warmup-ms",   std::to_string(warmup.count()),
                                             "--duration-ms", std::to_string((total - warmup).count()),
                                             "--timeout",     std::to_string(timeout_s)};
    std::vector<std::string> rx = {kPeerCommand, "--role", "recv", "--port", "0"};
    rx.insert(rx.end(), common.begin(), common.end());
    Side receiver{name, "receiver", Child::spawn(exe, rx), {}, {}, 0, nullptr};
    const auto ready = receiver.child.read_line(Clock::now() + 15s);
    if (!ready || ready->rfind("ready ", 0) != 0) throw std::runtime_error(std::string(name) + " receiver did not start");
    std::vector<std::string> tx = {kPeerCommand, "--role", "send", "--port", ready->substr(6)};
    tx.insert(tx.end(), common.begin(), common.end());
    Side sender{name, "sender", Child::spawn(exe, tx), {}, {}, 0, nullptr};
    sides.push_back(std::move(receiver));
    sides.push_back(std::move(sender));
  }
  std::cerr << "[bench] soak: patterns 0 and 2 at once, 640x480 jpeg, tcp, " << o.minutes << " min (warm-up "
            << o.warmup_s << " s)" << std::endl;

  // Sample every 5 s; the start figures are the first sample after the warm-up, the end ones the
  // last sample before the receivers' windows close.
  const auto begin = Clock::now();
  const auto start_at = begin + warmup, end_at = begin + total;
  bool started = false;
  for (auto next = begin; Clock::now() < end_at - 1s;) {
    next = std::min(next + 5s, end_at - 1s);
    std::this_thread::sleep_until(next);
    if (!started && Clock::now() < start_at) continue;
    for (auto& s : sides) {
      if (!started) s.sample(true);
      s.sample(false);
    }
    started = true;
    const auto minutes = std::chrono::duration<double>(Clock::now() - begin).count() / 60;
    if (std::fmod(minutes, 1.0) < 5.0 / 60) {
      std::cerr << "[bench] soak: " << static_cast<int>(minutes) << " min, RSS";
      for (const auto& s : sides) std::cerr << " " << s.pattern << "/" << s.role << " " << s.end.rss_kb / 1024 << " MB";
      std::cerr << std::endl;
    }
  }

  // The receivers' results, then stop the senders (each terminates its stream) and read theirs.
  bool ok = true;
  for (auto& s : sides) {
    if (s.role != "receiver") continue;
    const auto deadline = Clock::now() + 30s;
    while (s.report.is_null()) {
      auto line = s.child.read_line(deadline);
      if (!line) break;
      if (line->rfind("result ", 0) == 0) s.report = json::parse(line->substr(7));
    }
    if (s.report.is_null() || !s.report.value("complete", false)) ok = false;
  }
  for (auto& s : sides) {
    if (s.role != "sender") continue;
    s.child.signal(SIGTERM);
    if (!s.child.wait_until(Clock::now() + 10s)) s.child.kill_now();
    for (const auto& l : s.child.drain_lines()) {
      if (l.rfind("sent ", 0) == 0) s.report = json::parse(l.substr(5));
    }
    if (s.report.is_null()) ok = false;
  }
  for (auto& s : sides) {
    if (s.role == "receiver" && !s.child.wait_until(Clock::now() + 10s)) s.child.kill_now();
  }

  const double limit_mb = 2.0;
  double worst = 0;
  for (const auto& s : sides) worst = std::max(worst, s.growth_mb());
  const bool met = ok && worst < limit_mb;
  if (o.json_out) {
    json out = json::array();
    for (const auto& s : sides) {
      out.push_back({{"group", "soak"},
                     {"pattern", s.pattern},
                     {"role", s.role},
                     {"minutes", o.minutes},
                     {"warmup_s", o.warmup_s},
                     {"rss_kb_start", s.start.rss_kb},
                     {"rss_kb_end", s.end.rss_kb},
                     {"rss_kb_max", s.max_rss_kb},
                     {"rss_growth_mb", s.growth_mb()},
                     {"fds_start", s.start.fds},
                     {"fds_end", s.end.fds},
                     {"report", s.report},
                     {"target_rss_growth_mb", limit_mb},
                     {"met", met}});
    }
    std::cout << out.dump(2) << std::endl;
  } else {
    std::cout << "Soak: patterns 0 and 2 at the same time, 640x480 JPEG over tcp as fast as they can, "
              << o.minutes << " min; start = " << o.warmup_s
              << " s in (after the warm-up), end = the last sample (every 5 s)\n\n";
    char line[256];
    std::snprintf(line, sizeof line, "%-7s %-9s %9s %8s %10s %8s %9s %8s %9s %7s\n", "pattern", "side", "frames",
                  "fps", "RSS start", "RSS end", "growth", "RSS max", "fds start", "fds end");
    std::cout << line;
    for (const auto& s : sides) {
      // A receiver's rate over its measuring window; a sender's over its whole run.
      const double secs = s.report.is_object() ? s.report.value("seconds", 0.0) : 0.0;
      const double fps = s.role == "receiver" ? s.report.value("fps", 0.0)
                         : secs > 0           ? static_cast<double>(s.report.value("frames", std::uint64_t{0})) / secs
                                              : 0.0;
      const auto frames = s.report.is_object() ? s.report.value("frames", std::uint64_t{0}) : 0;
      std::snprintf(line, sizeof line, "%-7s %-9s %9llu %8.1f %7.1f MB %5.1f MB %6.2f MB %5.1f MB %9ld %7ld\n",
                    s.pattern.c_str(), s.role.c_str(), static_cast<unsigned long long>(frames), fps,
                    static_cast<double>(s.start.rss_kb) / 1024, static_cast<double>(s.end.rss_kb) / 1024,
                    s.growth_mb(), static_cast<double>(s.max_rss_kb) / 1024, s.start.fds, s.end.fds);
      std::cout << line;
    }
    std::cout << "\n  [" << (met ? "met" : "MISSED") << "] RSS growth after the warm-up < " << limit_mb
              << " MB on every side: worst " << fmt_mb(worst) << " MB" << (ok ? "" : " (a stream did not run to the end)")
              << "\n";
  }
  return ok ? 0 : 1;
}

}  // namespace netgear::bench
