#include "support/test_support.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

#include <opencv2/core.hpp>

extern char** environ;

namespace netgear::test {

TempDir::TempDir(const std::string& prefix) {
  std::string t = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
  if (::mkdtemp(t.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + t);
  path_ = t;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}


std::string cli_path() { return NETGEAR_CLI_PATH; }
std::string peer_path() { return NETGEAR_PEER_PATH; }

Child::Child(std::vector<std::string> argv, std::vector<std::string> extra_env) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<std::string> env_store;
  for (char** e = environ; *e; ++e) env_store.emplace_back(*e);
  for (auto& e : extra_env) env_store.push_back(e);
  std::vector<char*> env;
  for (auto& e : env_store) env.push_back(e.data());
  env.push_back(nullptr);

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::execve(args[0], args.data(), env.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  out_fd_ = out[0];
  err_fd_ = err[0];
  reader_ = std::thread([this] { read_loop(); });
}

Child::~Child() {
  if (!reaped_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
  }
  wait_for_eof(std::chrono::seconds(2));
  stop_ = true;  // the reader polls with a short time-out, so this ends it even if a pipe stays open
  if (reader_.joinable()) reader_.join();
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

void Child::read_loop() {
  bool open[2] = {true, true};
  char buf[65536];
  while (!stop_ && (open[0] || open[1])) {
    pollfd fds[2] = {{open[0] ? out_fd_ : -1, POLLIN, 0}, {open[1] ? err_fd_ : -1, POLLIN, 0}};
    if (::poll(fds, 2, 50) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (!open[i] || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const ssize_t r = ::read(fds[i].fd, buf, sizeof buf);
      if (r < 0 && errno == EINTR) continue;
      std::lock_guard lk(mu_);
      if (r > 0) {
        (i == 0 ? out_ : err_).append(buf, static_cast<std::size_t>(r));
      } else {
        open[i] = false;
      }
      cv_.notify_all();
    }
  }
  std::lock_guard lk(mu_);
  eof_ = true;
  cv_.notify_all();
}

void Child::wait_for_eof(std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  cv_.wait_for(lk, timeout, [&] { return eof_; });
}

void Child::signal(int sig) {
  if (!reaped_) ::kill(pid_, sig);
}

bool Child::running() {
  if (reaped_) return false;
  int st = 0;
  pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    status_ = st;
    return false;
  }
  return true;
}

ExitStatus Child::wait(std::chrono::milliseconds timeout) {
  ExitStatus s;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      s.timed_out = true;
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status_, 0);
      reaped_ = true;
      break;
    }
    // No child-exit notification without a SIGCHLD handler: wake on output, or every 5 ms.
    std::unique_lock lk(mu_);
    cv_.wait_for(lk, std::chrono::milliseconds(5));
  }
  // Collect what is left in the pipes (bounded: the child is gone, so they reach EOF).
  wait_for_eof(std::chrono::seconds(2));
  if (WIFEXITED(status_)) s.exit_code = WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) s.signal = WTERMSIG(status_);
  std::lock_guard lk(mu_);
  s.out = out_;
  s.err = err_;
  return s;
}

bool Child::wait_for_output(const std::string& text, std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  return cv_.wait_for(lk, timeout, [&] { return out_.find(text) != std::string::npos || eof_; }) &&
         out_.find(text) != std::string::npos;
}

std::string Child::output() {
  std::lock_guard lk(mu_);
  return out_;
}

int free_tcp_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("no free port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string unique_ipc_prefix() {
  static std::atomic<int> n{0};
  return "/tmp/netgear-test-" + std::to_string(::getpid()) + "-" + std::to_string(n++);
}

std::vector<std::string> free_tcp_ports(int n) {
  std::set<int> ports;
  while (static_cast<int>(ports.size()) < n) ports.insert(free_tcp_port());
  std::vector<std::string> out;
  for (int p : ports) out.push_back(std::to_string(p));
  return out;
}

ReceivingThreads::ReceivingThreads(NetGear& rx, int threads) : rx_(rx) {
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] {
      while (!done_) {
        if (auto f = rx_.recv(std::chrono::milliseconds(50))) {
          std::lock_guard lk(mu_);
          got_.push_back(f->message.get<int>());
        }
      }
    });
  }
}

std::size_t ReceivingThreads::received() const {
  std::lock_guard lk(mu_);
  return got_.size();
}

std::vector<int> ReceivingThreads::stop() {
  done_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  std::lock_guard lk(mu_);
  std::vector<int> got = got_;
  std::sort(got.begin(), got.end());
  return got;
}

std::vector<int> zero_to(int n) {
  std::vector<int> v(static_cast<std::size_t>(std::max(0, n)));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

cv::Mat random_mat(const std::vector<int>& sizes, int type, unsigned seed) {
  cv::Mat m(static_cast<int>(sizes.size()), sizes.data(), type);
  std::mt19937 gen(seed);
  auto* p = m.data;
  const std::size_t n = m.total() * m.elemSize();
  for (std::size_t i = 0; i < n; ++i) p[i] = static_cast<uchar>(gen());
  // Random bytes can make NaNs, and NaN != NaN would break comparisons through cv::norm; tests
  // compare bytes (same_mat), so keep them.
  return m;
}

cv::Mat random_mat(int rows, int cols, int type, unsigned seed) { return random_mat({rows, cols}, type, seed); }

bool same_mat(const cv::Mat& a, const cv::Mat& b) {
  if (a.dims != b.dims || a.type() != b.type()) return false;
  for (int i = 0; i < a.dims; ++i) {
    if (a.size[i] != b.size[i]) return false;
  }
  cv::Mat ca = a.isContinuous() ? a : a.clone();
  cv::Mat cb = b.isContinuous() ? b : b.clone();
  return std::memcmp(ca.data, cb.data, ca.total() * ca.elemSize()) == 0;
}

Config config(bool receive_mode, Pattern pattern, Protocol protocol, const std::string& port,
              const std::string& ipc_prefix) {
  Config c;
  c.receive_mode = receive_mode;
  c.pattern = pattern;
  c.protocol = protocol;
  c.port = port;
  if (protocol == Protocol::Tcp) {
    c.address = "127.0.0.1";
  } else {
    c.address = ipc_prefix.empty() ? unique_ipc_prefix() : ipc_prefix;
  }
  c.options.request_timeout = std::chrono::milliseconds(1000);
  c.options.max_retries = 5;
  return c;
}

}  // namespace netgear::test
