// Child processes of `netgear bench`: this same executable re-started with a hidden subcommand,
// its stdout read line by line through a pipe, every wait bounded by a deadline.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common.hpp"

namespace netgear::bench {

class Child {
 public:
  Child() = default;
  /// Starts `exe` with `args` (argv[1..]); the child's stdout is a pipe to us, its stderr is ours.
  /// The child is killed if this process dies (PR_SET_PDEATHSIG). Throws std::runtime_error.
  static Child spawn(const std::string& exe, const std::vector<std::string>& args);

  Child(Child&& other) noexcept;
  Child& operator=(Child&& other) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  /// Kills (SIGKILL) and reaps a child that is still running.
  ~Child();

  bool valid() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  /// The next line the child wrote, waiting at most until `deadline`; nullopt on time-out or when
  /// the child closed its stdout.
  std::optional<std::string> read_line(Clock::time_point deadline);
  /// Whatever full lines the child wrote that were not read yet (after it exited).
  std::vector<std::string> drain_lines();

  /// Waits for the child to exit until `deadline`. Returns its wait status, nullopt on time-out.
  std::optional<int> wait_until(Clock::time_point deadline);
  void signal(int sig);
  /// SIGKILL and reap.
  void kill_now();

 private:
  void close_fd();
  pid_t pid_ = -1;
  int fd_ = -1;
  std::string buffer_;
  bool reaped_ = false;
  int status_ = 0;
};

/// A description of how a child ended, e.g. "exit 0", "killed by signal 9".
std::string describe_status(int status);

}  // namespace netgear::bench
