// Shared pieces of `netgear bench`: frame sizes, the frame ring, clocks, statistics, the window
// a receiver measures over, and the hidden child-process subcommands.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <opencv2/core/mat.hpp>

namespace netgear::bench {

using Clock = std::chrono::steady_clock;

struct FrameSize {
  int width = 0;
  int height = 0;
  std::string str() const { return std::to_string(width) + "x" + std::to_string(height); }
  std::size_t raw_bytes() const { return static_cast<std::size_t>(width) * height * 3; }
};

/// "640x480" -> {640, 480}; nullopt when malformed.
std::optional<FrameSize> parse_size(std::string_view text);

/// `count` different frames of the test pattern (CV_8UC3 BGR), generated once so that drawing
/// frames costs nothing while measuring. The same ring is used by the senders and by the bare
/// TurboJPEG baseline, so JPEG sizes match.
std::vector<cv::Mat> make_ring(FrameSize size, int count);

/// Wall-clock time in nanoseconds since the epoch (one machine: both processes share it).
std::int64_t wall_ns();

/// CPU time used so far by this process, all threads (user + system), in milliseconds.
double process_cpu_ms();

/// q-quantile (0..1) of `values` (copied), 0 when empty.
double quantile(std::vector<double> values, double q);

/// Milliseconds from `t0` to now.
double ms_since(Clock::time_point t0);

/// `v` formatted with the printf format `f` (one double, e.g. "%.3f").
std::string fmt(const char* f, double v);

/// The measuring window of a receiver: it opens `warmup` after the first message and stays open
/// for `duration`. With a zero duration every message counts and the window never closes by
/// itself (frame-count mode).
class Meter {
 public:
  Meter(std::chrono::milliseconds warmup, std::chrono::milliseconds duration);
  /// One message arrived now; latency_ms < 0 means "no time stamp".
  void on_message(Clock::time_point now, double latency_ms);
  /// The window has closed (time-based mode only).
  bool finished(Clock::time_point now) const;
  bool started() const { return started_; }
  std::uint64_t count() const { return count_; }
  std::uint64_t total() const { return total_; }
  /// Length of the window in seconds: the configured duration, or in frame-count mode the time
  /// from the first to the last message.
  double seconds() const;
  const std::vector<double>& latencies_ms() const { return latencies_; }
  /// Process CPU time per counted message, ms (all threads: ZeroMQ's I/O thread included).
  double cpu_ms_per_message() const;

 private:
  std::chrono::milliseconds warmup_, duration_;
  bool started_ = false;
  Clock::time_point first_{}, last_{}, open_{}, close_{};
  std::uint64_t count_ = 0, total_ = 0;
  double cpu_open_ = -1, cpu_last_ = 0;
  std::uint64_t count_cpu_ = 0;
  std::vector<double> latencies_;
};

/// Writes one line to stdout with a single write(2) and no buffering: how a child talks to the
/// bench process.
void emit_line(const std::string& line);

/// Path of the running executable, for starting children (readlink /proc/self/exe).
std::string self_exe();

/// Registers the hidden subcommands the bench runs as child processes (peers.cpp).
void register_peers(CLI::App& root);

/// Names of the hidden subcommands.
inline constexpr const char* kPeerCommand = "bench-peer";
inline constexpr const char* kZmqCommand = "bench-zmq";

}  // namespace netgear::bench
