// `netgear recv` and `netgear demo`: the receiving loop, its statistics, the live status and the
// final summary (text and JSON).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "netgear/netgear.hpp"
#include "servers.hpp"

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

/// Bidirectional mode from the command line (recv and demo): what the receiver hands back.
struct ReplyFlags {
  std::string reply;            ///< --reply JSON: sticky return data, set at start
  bool reply_frame = false;     ///< --reply-frame: answer each frame with a thumbnail of it (exact pairing)
  CLI::Option* reply_opt = nullptr;
  bool any() const { return (reply_opt && reply_opt->count() > 0) || reply_frame; }
};

/// Adds --reply and --reply-frame.
void add_reply_flags(CLI::App& app, ReplyFlags& flags);

/// Turns bidirectional mode on in `cfg` (and exact pairing for --reply-frame) when a reply flag
/// was given, and returns the parsed --reply value (null without it). Throws UsageError naming
/// --reply for text that is not JSON.
json apply_reply_flags(const ReplyFlags& flags, Config& cfg);

/// Creates the receiver; with a reply flag, a setting that cannot be combined with it (pattern 2)
/// is a UsageError naming the flag and the library's message. Then sets the sticky --reply value.
std::unique_ptr<NetGear> open_replying_receiver(const ReplyFlags& flags, const Config& cfg, const json& reply);

/// --reply-frame's answer: the frame shrunk to about 1/8 of each side (at least 16 px), or
/// nullopt for a frame that cannot be resized (not 2-D).
std::optional<cv::Mat> thumbnail(const cv::Mat& image);

/// Called for every frame recv() handed out, right after it arrived (before it is shown or
/// recorded).
using FrameHook = std::function<void(const Frame&)>;

/// The hook that answers each frame with its thumbnail (--reply-frame), or an empty hook.
FrameHook make_reply_hook(const ReplyFlags& flags, NetGear& ng);

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
  std::uint64_t answers_late = 0;  ///< exact pairing: replies that left without the answer (Stats)
  double seconds = 0;
  std::string end_reason;
  int width = 0;
  int height = 0;
  bool multi_server = false;           ///< multi-server mode: `servers` is reported
  std::vector<ServerSummary> servers;  ///< multi-server mode: one per server, in first-seen order

  nlohmann::json to_json() const;
  std::string to_line() const;
};

/// Frame rate, bit rate, latency and loss of the frames handed out by recv().
class ReceiveStats {
 public:
  /// `count_gaps`: a gap in the sender's frame counter counts as lost frames.
  explicit ReceiveStats(bool count_gaps = true) : count_gaps_(count_gaps) {}
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
  bool count_gaps_ = true;
  std::uint64_t frames_ = 0;
  std::chrono::steady_clock::time_point first_{}, last_{};
  std::map<std::string, std::uint64_t> last_counter_;  ///< per server (multi-server), else one under ""
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
/// says so; shows/records the frames, prints the live status. In multi-server mode (the NetGear's
/// topology) the window shows every server's stream as a mosaic, each server is recorded to its
/// own file (per_server_target()), and the summary lists the servers. Closes the recording (so the file is
/// playable) but not `ng`: the caller closes it.
/// `recorder` (may be null) is made by make_recorder() before the NetGear, so that a bad --record
/// is a usage error before anything binds.
ReceiveOutcome receive_loop(NetGear& ng, const ReceiveFlags& flags, Recorder* recorder,
                            const std::string& window_title, const StopCheck& extra = {},
                            const FrameHook& on_frame = {});

/// The recorder for --record, or null. Throws UsageError for a bad target.
std::unique_ptr<Recorder> make_recorder(const ReceiveFlags& flags);

/// Prints the summary line, writes --stats-json, and returns the exit code for `outcome`.
int finish_receive(const ReceiveOutcome& outcome, const ReceiveFlags& flags, const std::string& endpoint);

}  // namespace netgear::cli
