// Test support: child processes, free ports and endpoints, frames, waiting on conditions.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "netgear/netgear.hpp"

namespace netgear::test {

using namespace std::chrono_literals;

/// A fresh folder under the temporary directory (mkdtemp, "<prefix>-XXXXXX"), removed with all it
/// holds when the object goes: every file in it is the test's own.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "netgear-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  /// The path of `name` in the folder.
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

/// Path of the `netgear` command-line tool and of the test peer program (tests/support/test_peer.cpp).
std::string cli_path();
std::string peer_path();

/// How a child process ended.
struct ExitStatus {
  bool timed_out = false;  ///< wait() hit its time limit and killed the child
  int exit_code = -1;      ///< exit code, or -1 when killed by a signal
  int signal = 0;          ///< signal that ended it, or 0
  std::string out;         ///< everything it wrote to stdout
  std::string err;         ///< everything it wrote to stderr
  bool ok() const { return !timed_out && exit_code == 0; }
};

/// A child process (fork + exec) whose stdout and stderr are collected. The destructor kills it
/// (SIGKILL) if it still runs. A reader thread drains both pipes all the time, so a chatty child
/// never blocks on a full pipe while the test is busy elsewhere.
class Child {
 public:
  explicit Child(std::vector<std::string> argv, std::vector<std::string> extra_env = {});
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig);
  bool running();
  /// Waits for the child to exit; after `timeout` it is killed and timed_out is set.
  ExitStatus wait(std::chrono::milliseconds timeout);
  /// Waits (bounded) until the child's stdout contains `text`; false on time-out or exit.
  bool wait_for_output(const std::string& text, std::chrono::milliseconds timeout);
  /// stdout collected so far.
  std::string output();

 private:
  void read_loop();
  /// Waits (bounded) until the reader thread saw end-of-file on both pipes.
  void wait_for_eof(std::chrono::milliseconds timeout);
  pid_t pid_ = -1;
  int out_fd_ = -1, err_fd_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string out_, err_;  // guarded by mu_
  bool eof_ = false;       // guarded by mu_
  std::atomic<bool> stop_{false};
  std::thread reader_;
};

/// A TCP port on 127.0.0.1 that was free a moment ago.
int free_tcp_port();
/// `n` different such ports, as text, in ascending order.
std::vector<std::string> free_tcp_ports(int n);
/// A fresh ipc path prefix under /tmp (the endpoint is ipc://<prefix>:<port>).
std::string unique_ipc_prefix();

/// Calls `pred` until it returns true or `timeout` passes; returns its last result.
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

/// 0, 1, ..., n - 1 (the frame numbers a test expects).
std::vector<int> zero_to(int n);

/// Threads that call `rx.recv(50ms)` together until stopped, collecting each frame's message
/// (an integer): what several threads receiving from one receiver get.
class ReceivingThreads {
 public:
  ReceivingThreads(NetGear& rx, int threads);
  ~ReceivingThreads() { stop(); }
  /// Frames received so far.
  std::size_t received() const;
  /// Stops and joins the threads; the messages received, sorted.
  std::vector<int> stop();

 private:
  NetGear& rx_;
  mutable std::mutex mu_;
  std::vector<int> got_;  // guarded by mu_
  std::atomic<bool> done_{false};
  std::vector<std::thread> threads_;
};

/// A matrix of the given type and size filled with random bytes (deterministic per seed).
cv::Mat random_mat(int rows, int cols, int type, unsigned seed = 1);
/// Same, n-dimensional.
cv::Mat random_mat(const std::vector<int>& sizes, int type, unsigned seed = 1);

/// true when both matrices have the same dims, sizes, type and bytes.
bool same_mat(const cv::Mat& a, const cv::Mat& b);

/// A Config for a sender/receiver pair on tcp 127.0.0.1:<port> or ipc, with short time-outs.
Config config(bool receive_mode, Pattern pattern, Protocol protocol, const std::string& port,
              const std::string& ipc_prefix = {});

}  // namespace netgear::test
