// The forwarding thread of a tunnel. One thread owns the SSH session and every channel, and runs
// one poll() loop over: a wake-up pipe (a fresh listener, stop), the current listener on
// 127.0.0.1, each accepted connection, and the SSH socket. libssh is used non-blocking there; no
// other thread calls it once the thread has started.
//
// Per connection: accepted -> a direct-tcpip channel is requested (bounded by the tunnel timeout)
// -> bytes are copied both ways, local -> SSH only as far as the channel's window allows and only
// when nothing is pending, SSH -> local only when the local side took the previous bytes (so
// nothing grows without bound) -> either side's end closes both.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "tunnel/session.hpp"
#include "tunnel/tunnel.hpp"

namespace netgear::tunnel {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr std::size_t kChunk = 128 * 1024;        // one read from a socket or a channel
constexpr int kReadsPerTurn = 16;                 // per connection and direction, then the others' turn
constexpr auto kFirstBackoff = 250ms;             // a failed reconnect waits this, doubling ...
constexpr auto kMaxBackoff = 2000ms;              // ... up to this
constexpr auto kMaxDrain = 1000ms;                // stop(): what is still in flight may leave for this long
constexpr auto kRepeatLogEvery = 5s;              // the same warning at most this often

void close_fd(int& fd) noexcept {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// libssh's own poll loop over a session's socket, run once without waiting whenever our poll()
// saw that socket ready: it reads what arrived also when no channel asks for it (a close
// confirmation, a window change, a keep-alive) and writes what libssh buffered, which is what
// clears libssh's POLLOUT interest (ssh_get_poll_flags). Without it a session with no forward
// left kept the socket readable or "write pending" for ever, and the loop spun on poll().
class SessionPump {
 public:
  explicit SessionPump(ssh_session s) : s_(s), ev_(ssh_event_new()) {
    if (ev_ != nullptr && ssh_event_add_session(ev_, s_) != SSH_OK) {
      ssh_event_free(ev_);
      ev_ = nullptr;
    }
  }
  ~SessionPump() {
    if (ev_ == nullptr) return;
    (void)ssh_event_remove_session(ev_, s_);  // the socket goes back to the session's own loop
    ssh_event_free(ev_);
  }
  SessionPump(const SessionPump&) = delete;
  SessionPump& operator=(const SessionPump&) = delete;

  void run_once() {
    if (ev_ != nullptr) (void)ssh_event_dopoll(ev_, 0);
  }

 private:
  ssh_session s_;
  ssh_event ev_;
};

}  // namespace

class Forwarder {
 public:
  Forwarder(Settings settings, std::unique_ptr<Session> first, std::shared_ptr<spdlog::logger> log)
      : st_(std::move(settings)), log_(std::move(log)), session_(std::move(first)) {
    if (::pipe2(wake_, O_NONBLOCK | O_CLOEXEC) != 0) {
      throw TunnelError(TunnelError::Reason::Other, std::string("ssh tunnel: cannot make a pipe: ") + std::strerror(errno));
    }
    counters_.sessions = 1;
  }
  ~Forwarder() {
    stop();
    close_fd(wake_[0]);
    close_fd(wake_[1]);
  }

  void start() {
    ssh_set_blocking(session_->get(), 0);
    pump_ = std::make_unique<SessionPump>(session_->get());
    thread_ = std::thread([this] { run(); });
  }

  /// A new listener on 127.0.0.1 with a kernel-chosen port; the thread takes it over, and the
  /// previous one is closed (its socket is gone). Any thread.
  std::string fresh_endpoint() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw TunnelError(TunnelError::Reason::Other, std::string("ssh tunnel: socket(): ") + std::strerror(errno));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 16) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      const int e = errno;
      ::close(fd);
      throw TunnelError(TunnelError::Reason::Other,
                        std::string("ssh tunnel: cannot listen on 127.0.0.1: ") + std::strerror(e));
    }
    const int port = ntohs(a.sin_port);
    {
      std::lock_guard lk(mu_);
      if (stopping_) {
        ::close(fd);
        throw ClosedError("the SSH tunnel is closed");
      }
      if (next_listener_ >= 0) ::close(next_listener_);
      next_listener_ = fd;
      next_port_ = port;
    }
    wake();
    return "tcp://127.0.0.1:" + std::to_string(port);
  }

  /// Lets what is in flight leave (bounded), then ends the thread and the session. Idempotent.
  void stop() noexcept {
    {
      std::lock_guard lk(mu_);
      stopping_ = true;
    }
    wake();
    if (thread_.joinable()) thread_.join();
    teardown();
  }

  Counters counters() const {
    std::lock_guard lk(counters_mu_);
    return counters_;
  }

 private:
  struct Conn {
    int fd = -1;
    int local_port = 0;                // the accepted connection's source port (for the server's log)
    ssh_channel ch = nullptr;
    bool open = false;                 // the server confirmed the channel
    Clock::time_point deadline{};      // for the confirmation
    std::string to_local;              // from the channel, not yet taken by the local socket
    std::size_t to_local_at = 0;
    std::string to_ssh;                // from the local socket, not yet taken by the channel
    std::size_t to_ssh_at = 0;
    bool local_eof = false, remote_eof = false, done = false;
  };

  void wake() noexcept {
    const char b = 1;
    if (wake_[1] >= 0) (void)!::write(wake_[1], &b, 1);
  }

  template <typename... A>
  void warn_limited(const std::string& key, fmt::format_string<A...> f, A&&... a) {
    const auto now = Clock::now();
    auto& last = last_logged_[key];
    if (last != Clock::time_point{} && now - last < kRepeatLogEvery) return;
    last = now;
    log_->warn(f, std::forward<A>(a)...);
  }

  void count(std::uint64_t Counters::*field, std::uint64_t n = 1) {
    std::lock_guard lk(counters_mu_);
    counters_.*field += n;
  }

  bool session_up() const { return session_ && session_->alive(); }

  void end_session() {
    pump_.reset();  // before the session it belongs to
    session_.reset();
  }

  void run() {
    std::vector<pollfd> fds;
    std::vector<Conn*> owners;  // fds[i] belongs to owners[i] (nullptr: not a connection)
    std::size_t ssh_at = 0;     // fds[ssh_at] is the SSH socket (0: not polled)
    bool draining = false;
    Clock::time_point drain_until{};
    for (;;) {
      {
        std::lock_guard lk(mu_);
        if (next_listener_ >= 0) {
          close_fd(listener_);
          listener_ = next_listener_;
          next_listener_ = -1;
          log_->info("ssh tunnel: listening on 127.0.0.1:{} for {}", next_port_, st_.route());
        }
        if (stopping_ && !draining) {
          draining = true;
          drain_until = Clock::now() + std::min<Clock::duration>(kMaxDrain, st_.timeout);
          close_fd(listener_);
        }
      }
      if (draining && (conns_.empty() || Clock::now() >= drain_until)) break;

      fds.clear();
      owners.clear();
      ssh_at = 0;
      fds.push_back({wake_[0], POLLIN, 0});
      owners.push_back(nullptr);
      if (listener_ >= 0) {
        fds.push_back({listener_, POLLIN, 0});
        owners.push_back(nullptr);
      }
      if (session_up()) {
        short ev = POLLIN;
        if (ssh_get_poll_flags(session_->get()) & SSH_WRITE_PENDING) ev |= POLLOUT;
        const int ssh_fd = ssh_get_fd(session_->get());
        // ACK the server's segments at once (the kernel leaves quick-ACK mode by itself, so this is
        // re-armed every turn). sshd sends a forward-only session's packets with Nagle's
        // algorithm on, so each small acknowledgement waited for our delayed ACK: 6x fewer
        // frames/s on 640x480 JPEG without this (docs/benchmarks.md, "SSH tunnel").
        const int one = 1;
        (void)::setsockopt(ssh_fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
        ssh_at = fds.size();
        fds.push_back({ssh_fd, ev, 0});
        owners.push_back(nullptr);
      }
      bool busy = conns_.size() > 1;  // one channel's read may have buffered another's data
      for (auto& c : conns_) {
        short ev = 0;
        if (c.open && !c.local_eof && c.to_ssh_at == c.to_ssh.size()) ev |= POLLIN;
        if (c.to_local_at < c.to_local.size()) ev |= POLLOUT;
        if (!c.open || c.to_ssh_at < c.to_ssh.size()) busy = true;  // waiting on the server
        fds.push_back({c.fd, ev, 0});
        owners.push_back(&c);
      }
      const int wait_ms = busy ? 5 : 50;
      if (::poll(fds.data(), fds.size(), wait_ms) < 0 && errno != EINTR) {
        log_->error("ssh tunnel: poll failed: {}", std::strerror(errno));
        std::this_thread::sleep_for(10ms);
      }
      char sink[64];
      while (::read(wake_[0], sink, sizeof sink) > 0) {
      }
      if (listener_ >= 0) accept_all();
      if (ssh_at != 0 && fds[ssh_at].revents != 0 && session_up() && pump_) pump_->run_once();
      if (session_up()) {
        for (auto& c : conns_) step(c);
        if (session_ && (ssh_get_poll_flags(session_->get()) & SSH_WRITE_PENDING)) {
          (void)ssh_blocking_flush(session_->get(), 0);
        }
      }
      if (session_ && !session_->alive()) drop_session("the connection to the SSH server ended");
      if (!session_) {
        for (auto& c : conns_) c.done = true;
      }
      reap();
    }
  }

  void accept_all() {
    for (;;) {
      sockaddr_in peer{};
      socklen_t len = sizeof peer;
      const int fd = ::accept4(listener_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      const int one = 1;
      (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // as ZeroMQ's own sockets
      Conn c;
      c.fd = fd;
      c.local_port = ntohs(peer.sin_port);
      if (!session_up() && !reconnect()) {
        ::close(fd);  // the socket connects again by itself (ZeroMQ's reconnect interval)
        continue;
      }
      c.ch = ssh_channel_new(session_->get());
      if (!c.ch) {
        warn_limited("channel", "ssh tunnel: cannot make an SSH channel: {}", ssh_get_error(session_->get()));
        ::close(fd);
        continue;
      }
      c.deadline = Clock::now() + st_.timeout;
      conns_.push_back(std::move(c));
    }
  }

  /// A new session after the old one ended; rate-limited. true when one is up.
  bool reconnect() {
    const auto now = Clock::now();
    if (now < next_attempt_) return false;
    end_session();
    try {
      session_ = Session::open(st_, *log_);
      ssh_set_blocking(session_->get(), 0);
      pump_ = std::make_unique<SessionPump>(session_->get());
      count(&Counters::sessions);
      backoff_ = kFirstBackoff;
      next_attempt_ = {};
      log_->info("ssh tunnel: new SSH session to {}", st_.target.text());
      return true;
    } catch (const std::exception& e) {
      end_session();
      next_attempt_ = Clock::now() + backoff_;
      warn_limited("reconnect", "ssh tunnel: cannot open a new SSH session (trying again in {} ms at the next "
                   "connection): {}", std::chrono::duration_cast<std::chrono::milliseconds>(backoff_).count(), e.what());
      backoff_ = std::min<Clock::duration>(backoff_ * 2, kMaxBackoff);
      return false;
    }
  }

  void drop_session(const char* why) {
    log_->warn("ssh tunnel: {} ({}): its {} forwards are closed; a new session is opened for the next connection",
               why, st_.target.text(), conns_.size());
    for (auto& c : conns_) {
      c.ch = nullptr;  // freed with the session
      c.done = true;
    }
    end_session();
    count(&Counters::sessions_lost);
    next_attempt_ = {};
  }

  void step(Conn& c) {
    if (c.done) return;
    if (!c.open) {
      const int rc = ssh_channel_open_forward(c.ch, st_.remote_host.c_str(), st_.remote_port, "127.0.0.1", c.local_port);
      if (rc == SSH_AGAIN) {
        if (Clock::now() > c.deadline) {
          // The server does not answer: the session hangs (the network between went away).
          drop_session("the SSH server did not answer a forward within the tunnel timeout");
        }
        return;
      }
      if (rc != SSH_OK) {
        if (!session_->alive()) return;  // the loop drops the session
        count(&Counters::forwards_failed);
        const TunnelError e = forward_error(session_->get(), st_);
        warn_limited("forward", "ssh tunnel: {}", e.what());
        c.done = true;
        return;
      }
      c.open = true;
      count(&Counters::forwards);
      log_->debug("ssh tunnel: forward open for 127.0.0.1:{}", c.local_port);
    }
    char buf[kChunk];
    // SSH -> local.
    bool channel_empty = false;  // the last read found nothing more
    for (int i = 0; i < kReadsPerTurn && !c.remote_eof; ++i) {
      if (c.to_local_at < c.to_local.size()) {
        const ssize_t w = ::send(c.fd, c.to_local.data() + c.to_local_at, c.to_local.size() - c.to_local_at, MSG_NOSIGNAL);
        if (w < 0) {
          if (errno != EAGAIN && errno != EWOULDBLOCK) c.done = true;
          break;
        }
        c.to_local_at += static_cast<std::size_t>(w);
        if (c.to_local_at < c.to_local.size()) break;
        c.to_local.clear();
        c.to_local_at = 0;
      }
      const int n = ssh_channel_read_nonblocking(c.ch, buf, sizeof buf, 0);
      if (n == SSH_EOF) {
        c.remote_eof = true;
        break;
      }
      if (n == SSH_ERROR) {
        warn_limited("read", "ssh tunnel: reading the forward of 127.0.0.1:{} failed, closing it: {}", c.local_port,
                     ssh_get_error(session_->get()));
        c.done = true;
        return;
      }
      if (n <= 0) {
        channel_empty = true;
        break;
      }
      count(&Counters::bytes_in, static_cast<std::uint64_t>(n));
      c.to_local.assign(buf, static_cast<std::size_t>(n));
      c.to_local_at = 0;
    }
    if (c.to_local_at == c.to_local.size() && !c.remote_eof && ssh_channel_is_eof(c.ch)) c.remote_eof = true;
    // Local -> SSH.
    for (int i = 0; i < kReadsPerTurn; ++i) {
      if (c.to_ssh_at < c.to_ssh.size()) {
        const uint32_t window = ssh_channel_window_size(c.ch);
        if (window == 0) break;
        const std::size_t n = std::min<std::size_t>(window, c.to_ssh.size() - c.to_ssh_at);
        const int w = ssh_channel_write(c.ch, c.to_ssh.data() + c.to_ssh_at, static_cast<uint32_t>(n));
        if (w == SSH_ERROR) {
          warn_limited("write", "ssh tunnel: writing to the forward of 127.0.0.1:{} failed, closing it: {}",
                       c.local_port, ssh_get_error(session_->get()));
          c.done = true;
          return;
        }
        if (w <= 0) break;  // SSH_AGAIN: the window shrank
        c.to_ssh_at += static_cast<std::size_t>(w);
        if (c.to_ssh_at < c.to_ssh.size()) break;
        c.to_ssh.clear();
        c.to_ssh_at = 0;
      }
      if (c.local_eof) break;
      const uint32_t window = ssh_channel_window_size(c.ch);
      if (window == 0) break;
      const ssize_t n = ::recv(c.fd, buf, std::min<std::size_t>(sizeof buf, window), 0);
      if (n == 0) {
        c.local_eof = true;
        break;
      }
      if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) c.local_eof = true;
        break;
      }
      count(&Counters::bytes_out, static_cast<std::uint64_t>(n));
      c.to_ssh.assign(buf, static_cast<std::size_t>(n));
      c.to_ssh_at = 0;
    }
    const bool local_flushed = c.to_local_at == c.to_local.size();
    const bool ssh_flushed = c.to_ssh_at == c.to_ssh.size();
    const bool closed = ssh_channel_is_closed(c.ch) && channel_empty && local_flushed;
    if ((c.local_eof && ssh_flushed) || (c.remote_eof && local_flushed) || closed) {
      if (c.local_eof && ssh_flushed) (void)ssh_channel_send_eof(c.ch);
      c.done = true;
    }
  }

  void reap() {
    for (auto it = conns_.begin(); it != conns_.end();) {
      if (!it->done) {
        ++it;
        continue;
      }
      if (it->ch) {
        if (ssh_channel_is_open(it->ch)) (void)ssh_channel_close(it->ch);
        ssh_channel_free(it->ch);  // freed for good once the server's close arrives
      }
      close_fd(it->fd);
      it = conns_.erase(it);
    }
  }

  void teardown() noexcept {
    for (auto& c : conns_) c.done = true;
    if (session_ && !session_->alive()) {
      for (auto& c : conns_) c.ch = nullptr;
    }
    reap();
    pump_.reset();  // the flush below runs libssh's own loop
    if (session_ && session_->alive()) {
      // The last bytes (a termination message) leave before the disconnect; bounded.
      ssh_set_blocking(session_->get(), 1);
      (void)ssh_blocking_flush(session_->get(), static_cast<int>(std::min<long long>(st_.timeout.count(), 1000)));
    }
    end_session();
    close_fd(listener_);
    std::lock_guard lk(mu_);
    close_fd(next_listener_);
  }

  const Settings st_;
  std::shared_ptr<spdlog::logger> log_;
  int wake_[2] = {-1, -1};

  std::mutex mu_;                     // guards stopping_, next_listener_, next_port_
  bool stopping_ = false;
  int next_listener_ = -1;
  int next_port_ = 0;

  mutable std::mutex counters_mu_;
  Counters counters_;

  // The thread's own (the constructing thread's until start()).
  std::unique_ptr<Session> session_;
  std::unique_ptr<SessionPump> pump_;  // session_'s, reset before it
  int listener_ = -1;
  std::vector<Conn> conns_;
  Clock::time_point next_attempt_{};
  Clock::duration backoff_ = kFirstBackoff;
  std::map<std::string, Clock::time_point> last_logged_;
  std::thread thread_;
};

namespace {

/// The context's handle on the forwarding thread: Context::close() stops it after the context
/// has terminated (so a lingering termination message still leaves through the tunnel).
class ForwarderService final : public net::Service {
 public:
  explicit ForwarderService(std::shared_ptr<Forwarder> f) : f_(std::move(f)) {}
  void stop() noexcept override { f_->stop(); }

 private:
  std::shared_ptr<Forwarder> f_;
};

}  // namespace

std::vector<std::string> TunnelEndpoints::endpoints() { return {forwarder_->fresh_endpoint()}; }

Counters TunnelEndpoints::counters() const { return forwarder_->counters(); }

std::unique_ptr<TunnelEndpoints> open(net::Context& ctx, const Config& config, std::shared_ptr<spdlog::logger> log) {
  Settings st = settings_for(config);
  std::unique_ptr<Session> session = Session::open(st, *log);
  session->probe(st);
  log->info("ssh tunnel: logged in to {}, forwarding to {}:{} as seen from there", st.target.text(), st.remote_host,
            st.remote_port);
  auto forwarder = std::make_shared<Forwarder>(std::move(st), std::move(session), log);
  forwarder->start();
  ctx.add(std::make_unique<ForwarderService>(forwarder));
  return std::make_unique<TunnelEndpoints>(std::move(forwarder));
}

}  // namespace netgear::tunnel
