// `netgear` command-line tool: pieces shared by the subcommands (NetGear flags, errors, signals,
// console output).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "netgear/netgear.hpp"

namespace netgear::cli {

/// ASCII lower case (file extensions, source names).
std::string lower(std::string s);

// Exit codes (documented in every --help footer and in docs/cli.md).
inline constexpr int kExitOk = 0;        ///< done, or stopped cleanly by Ctrl-C / SIGTERM
inline constexpr int kExitFailure = 1;   ///< a run-time error (NetGear, source, recording, ...)
inline constexpr int kExitUsage = 2;     ///< bad flag, bad option value, bad combination of settings
inline constexpr int kExitNoFrames = 3;  ///< recv/demo: no frame arrived at all

/// Text for the "Exit codes" footer of --help.
std::string exit_codes_help();

/// A mistake on the command line: reported as one line, exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Which subcommand the NetGear flags are for (their defaults differ).
enum class Role { Sender, Receiver, Demo };

/// The NetGear settings as given on the command line.
struct NetgearFlags {
  std::string address;
  std::string port;
  std::string protocol = "tcp";
  int pattern = 0;
  bool logging = false;
  std::vector<std::string> option_pairs;  ///< --option name=value, in order
  std::string options_file;               ///< --options FILE.json
  /// One dedicated flag per vidgear option (--max-retries, ...): option name, flag name, value.
  struct Dedicated {
    std::string name;
    std::string flag;
    std::string value;
    CLI::Option* option = nullptr;
  };
  std::vector<Dedicated> dedicated;  // reserved up front: CLI11 keeps pointers into it
  CLI::Option* address_opt = nullptr;
  CLI::Option* port_opt = nullptr;
};

/// Adds --address, --port, --protocol, --pattern, --logging, --option, --options and one flag per
/// option in netgear::option_names() to `app`.
void add_netgear_flags(CLI::App& app, NetgearFlags& flags, Role role);

/// Builds the Options from --options FILE, then each --option name=value, then the dedicated flags
/// (so a dedicated flag wins). Throws UsageError naming the flag and value.
Options build_options(const NetgearFlags& flags);

/// Builds a Config (address/port/protocol/pattern/logging and the options). Throws UsageError.
Config build_config(const NetgearFlags& flags, bool receive_mode);

// --- signals ---------------------------------------------------------------------------------

/// Installs SIGINT/SIGTERM handlers that ask the loops to stop (a second signal ends the process
/// at once with the default action).
void install_signal_handlers();
/// true once SIGINT or SIGTERM arrived (or request_stop() was called).
bool stop_requested();
/// The signal that asked to stop, or 0.
int stop_signal();
/// Sleeps until `until` or until a stop is requested / `extra` becomes true, whichever comes first.
void sleep_until_or_stop(std::chrono::steady_clock::time_point until, const std::atomic<bool>* extra = nullptr);

// --- console ---------------------------------------------------------------------------------

bool stdout_is_tty();
/// A line on stdout (flushed at once: the tool is often read through a pipe).
void print_line(const std::string& line);
/// "netgear: warning: ..." on stderr.
void warn(const std::string& message);
/// Replaces newlines and tabs by spaces and trims, so that any message fits on one line.
std::string one_line(std::string text);

/// The live one-line status: redrawn in place with '\r' on a terminal, plain lines (at most once
/// per `plain_interval`) otherwise.
class StatusLine {
 public:
  StatusLine();
  ~StatusLine();
  /// true when it is time for a new status (every 250 ms on a terminal, else every second).
  bool due(std::chrono::steady_clock::time_point now) const;
  void show(const std::string& text, std::chrono::steady_clock::time_point now);
  /// The next status is due one interval from `now`.
  void defer(std::chrono::steady_clock::time_point now) { last_ = now; }
  /// Prints a permanent line (clears a status drawn in place first).
  void line(const std::string& text);
  /// Ends an in-place status with a newline.
  void finish();
  bool tty() const { return tty_; }

 private:
  bool tty_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point last_{};
};

// --- misc ------------------------------------------------------------------------------------

/// true when a graphical display is available (DISPLAY or WAYLAND_DISPLAY set).
bool display_available();
/// Wall-clock time, seconds since the epoch.
double wall_seconds();
/// A TCP port on 127.0.0.1 that was free a moment ago.
int free_tcp_port();
/// Writes `text` to `path` (UsageError-free: throws std::runtime_error on failure).
void write_text_file(const std::string& path, const std::string& text);
/// "%.1f"-style formatting.
std::string fixed(double v, int decimals);

}  // namespace netgear::cli
