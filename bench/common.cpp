#include "common.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <ctime>

#include "test_pattern.hpp"

namespace netgear::bench {

std::optional<FrameSize> parse_size(std::string_view text) {
  const auto x = text.find_first_of("xX");
  if (x == std::string_view::npos) return std::nullopt;
  FrameSize s;
  auto w = std::from_chars(text.data(), text.data() + x, s.width);
  auto h = std::from_chars(text.data() + x + 1, text.data() + text.size(), s.height);
  if (w.ec != std::errc() || w.ptr != text.data() + x || h.ec != std::errc() ||
      h.ptr != text.data() + text.size() || s.width < 16 || s.height < 16 || s.width > 8192 ||
      s.height > 8192) {
    return std::nullopt;
  }
  return s;
}

std::vector<cv::Mat> make_ring(FrameSize size, int count) {
  std::vector<cv::Mat> ring;
  ring.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    // Frames a few steps apart, so that the moving parts differ between ring entries.
    const auto index = static_cast<std::uint64_t>(i) * 7;
    ring.push_back(pattern::make_test_frame(size.width, size.height, index,
                                            "netgear bench frame " + std::to_string(index)));
  }
  return ring;
}

std::int64_t wall_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double process_cpu_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double quantile(std::vector<double> values, double q) {
  if (values.empty()) return 0.0;
  const auto k = static_cast<std::size_t>(q * static_cast<double>(values.size() - 1) + 0.5);
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return values[k];
}

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

Meter::Meter(std::chrono::milliseconds warmup, std::chrono::milliseconds duration)
    : warmup_(warmup), duration_(duration) {
  latencies_.reserve(1 << 18);
}

void Meter::on_message(Clock::time_point now, double latency_ms) {
  ++total_;
  if (!started_) {
    started_ = true;
    first_ = now;
    open_ = now + warmup_;
    close_ = open_ + duration_;
  }
  last_ = now;
  const bool counting = duration_.count() == 0 ? true : (now >= open_ && now < close_);
  if (!counting) return;
  // CPU time is taken from the first counted message to the last one.
  if (cpu_open_ < 0) {
    cpu_open_ = process_cpu_ms();
  } else {
    cpu_last_ = process_cpu_ms();
    ++count_cpu_;
  }
  ++count_;
  if (latency_ms >= 0 && latencies_.size() < latencies_.capacity()) latencies_.push_back(latency_ms);
}

bool Meter::finished(Clock::time_point now) const {
  return started_ && duration_.count() > 0 && now >= close_;
}

double Meter::cpu_ms_per_message() const {
  return count_cpu_ > 0 ? (cpu_last_ - cpu_open_) / static_cast<double>(count_cpu_) : 0.0;
}

double Meter::seconds() const {
  if (duration_.count() > 0) return std::chrono::duration<double>(duration_).count();
  return std::chrono::duration<double>(last_ - first_).count();
}

void emit_line(const std::string& line) {
  std::string out = line + "\n";
  const char* p = out.data();
  std::size_t left = out.size();
  while (left > 0) {
    const ssize_t n = ::write(STDOUT_FILENO, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

std::string self_exe() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "/proc/self/exe";
  return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace netgear::bench
