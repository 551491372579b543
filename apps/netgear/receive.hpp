// `netgear recv` and `netgear demo`: the receiving loop, its statistics, the live status and the
// final summary (text and JSON).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "netgear/netgear.hpp"

namespace netgear::cli {

class Recorder;

/// What to do with received frames and when to stop (recv and demo flags).
struct ReceiveFlags {
  std::uint64_t frames = 0;   ///< --frames N: stop after N frames (0: no limit)
  double timeout = 0;         ///< --timeout S: give up after S seconds without a frame (0: never)
  int show = 0;               ///< --show (+1) / --no-show (-1) / auto (0)
  std::string record;         ///< --record FILE or DIR/
  std::string record_format = "png";
  double record_fps = 0;
  std::string stats_json;     ///< --stats-json FILE
};

/// Adds --show/--no-show, --record, --record-format, --record-fps, --stats-json and, when
/// `recv_limits`, --frames and --timeout.
void add_receive_flags(CLI::App& app, ReceiveFlags& flags, bool recv_limits);

/// The final numbers of a receiving run (also the --stats-json document).
struct ReceiveSummary {
  std::uint64_t frames = 0;
  double fps = 0;
  double mbps = 0;
  std::optional<double> latency_p50_ms;
  std::optional<double> latency_p99_ms;
  std::uint64_t frames_lost = 0;
  std::uint64_t reconnects = 0;
  std::uint64_t dropped_malformed = 0;
  double seconds = 0;
  std::string end_reason;
  int width = 0;
  int height = 0;

  nlohmann::json to_json() const;
  std::string to_line() const;
};

/// Frame rate, bit rate, latency and loss of the frames handed out by recv().
class ReceiveStats {
 public:
  /// Accounts one frame that arrived at `now`, whose message may carry "frame" and "t_send".
  void on_frame(const Frame& f, std::chrono::steady_clock::time_point now, double wall_now);
  /// The live status line (rates over the last second or so).
  std::string status(std::chrono::steady_clock::time_point now, const Stats& ng);
  ReceiveSummary summary(const Stats& ng, const std::string& end_reason) const;
  std::uint64_t frames() const { return frames_; }

 private:
  struct Tick {
    std::chrono::steady_clock::time_point t;
    std::uint64_t frames;
    std::uint64_t bytes;
  };
  std::uint64_t frames_ = 0;
  std::chrono::steady_clock::time_point first_{}, last_{};
  std::optional<std::uint64_t> last_counter_;
  std::uint64_t lost_ = 0;
  int width_ = 0, height_ = 0;
  // Every latency up to a cap, then a uniform sample (reservoir) of them.
  std::vector<double> latencies_;
  std::uint64_t latency_count_ = 0;
  std::mt19937_64 rng_{12345};
  // Recent latencies for the live status.
  std::deque<std::pair<std::chrono::steady_clock::time_point, double>> recent_;
  std::deque<Tick> ticks_;
};

/// Why the loop stopped, for the JSON "end_reason" (and the exit code).
struct ReceiveOutcome {
  ReceiveSummary summary;
  bool no_frame_timeout = false;  ///< --timeout passed before any frame
  std::string error;              ///< recv() failed (exit 1)
};

/// Extra stop condition checked on each pass: returns an end reason to stop, or nullopt.
using StopCheck = std::function<std::optional<std::string>()>;

/// Receives until --frames, end of stream, --timeout, a signal, the window is closed or `extra`
/// says so; shows/records the frames, prints the live status. Closes the recording (so the file is
/// playable) but not `ng`: the caller closes it.
/// `recorder` (may be null) is made by make_recorder() before the NetGear, so that a bad --record
/// is a usage error before anything binds.
ReceiveOutcome receive_loop(NetGear& ng, const ReceiveFlags& flags, Recorder* recorder,
                            const std::string& window_title, const StopCheck& extra = {});

/// The recorder for --record, or null. Throws UsageError for a bad target.
std::unique_ptr<Recorder> make_recorder(const ReceiveFlags& flags);

/// Prints the summary line, writes --stats-json, and returns the exit code for `outcome`.
int finish_receive(const ReceiveOutcome& outcome, const ReceiveFlags& flags, const std::string& endpoint);

}  // namespace netgear::cli
