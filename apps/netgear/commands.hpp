// `netgear` subcommands: send, recv, demo, keys.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "netgear/netgear.hpp"
#include "source.hpp"

namespace netgear::cli {

class StatusLine;

/// What main() runs after a successful parse; returns the exit code.
using Action = std::function<int()>;

/// Each adds its subcommand to `root`; when it is chosen, parsing sets `action`.
void register_send(CLI::App& root, Action& action);
void register_recv(CLI::App& root, Action& action);
void register_demo(CLI::App& root, Action& action);
void register_keys(CLI::App& root, Action& action);  // keys.cpp

/// How a sending loop ended.
struct SendOutcome {
  std::uint64_t attempted = 0;  ///< frames handed to send()
  double seconds = 0;
  std::string end_reason;       ///< frames, seconds, end_of_source, signal, stopped, failed
  std::string error;            ///< what failed (end_reason "failed")
  std::uint64_t returned = 0;   ///< replies that carried return data (bidirectional receivers)
  ReturnData last_return;       ///< the last return data that came
};

/// The last return data for the status and summary lines: the JSON value (cut to about 40
/// characters) or "frame WxH".
std::string return_text(const ReturnData& d);
/// The last return data for --stats-json: the JSON value, {"frame": [w, h, channels]}, or null.
json return_json(const ReturnData& d);

/// Sends frames from `source` paced at `fps` (0: no pacing) until `frames` (0: no limit) or
/// `seconds` (0: no limit) is reached, the source ends, a signal arrives or `stop` becomes true.
/// Each frame's message is {"frame": n, "fps": fps (when paced), "t_send": wall-clock seconds}.
/// Errors from send() end the loop (reported in the outcome). Does not close `ng`.
SendOutcome send_loop(NetGear& ng, FrameSource& source, double fps, std::uint64_t frames, double seconds,
                      const std::atomic<bool>* stop, StatusLine* status);

/// "summary: 300 frames sent, 0 lost, ..." for a sender (call after ng.close()).
std::string send_summary_line(const SendOutcome& o, const Stats& st, const char* prefix = "summary");
/// The sender's --stats-json document.
json send_summary_json(const SendOutcome& o, const Stats& st);

}  // namespace netgear::cli
