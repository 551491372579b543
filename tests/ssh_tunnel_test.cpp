// SSH tunnel mode against a real OpenSSH server that the test starts on 127.0.0.1
// (tests/support/sshd.*): the frames go sender -> local port -> SSH session -> sshd -> receiver.
// Key, passphrase and ssh-agent logins on patterns 0, 1, 2 with bit-exact raw frames; password
// logins, by sshd's password method and by keyboard-interactive through PAM (as root: the test
// server gets a shadow file of its own); every construction error provoked for real; sshd killed
// and restarted mid-stream.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <filesystem>

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include "net/context.hpp"
#include "netgear/netgear.hpp"
#include "support/sshd.hpp"
#include "support/test_support.hpp"
#include "tunnel/target.hpp"
#include "tunnel/tunnel.hpp"

namespace netgear {
namespace {

using namespace std::chrono_literals;
using test::TestSshd;
using Reason = TunnelError::Reason;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string pattern_name(const testing::TestParamInfo<Pattern>& i) {
  return i.param == Pattern::Pair ? "Pair" : i.param == Pattern::ReqRep ? "ReqRep" : "PubSub";
}

// --- "[user@]host[:port]" (no server needed) -------------------------------------------------

TEST(SshTarget, ParsesUserHostAndPort) {
  auto t = tunnel::parse_target("pi@example.com:2222");
  EXPECT_EQ(t.user, "pi");
  EXPECT_EQ(t.host, "example.com");
  EXPECT_EQ(t.port, 2222);
  t = tunnel::parse_target("example.com");
  EXPECT_EQ(t.user, tunnel::current_user());
  EXPECT_EQ(t.port, 22);
  t = tunnel::parse_target("me@[::1]:2200");
  EXPECT_EQ(t.host, "::1");
  EXPECT_EQ(t.port, 2200);
  EXPECT_EQ(t.text(), "me@[::1]:2200");
  t = tunnel::parse_target("[fe80::1]");
  EXPECT_EQ(t.host, "fe80::1");
  EXPECT_EQ(t.port, 22);
}

TEST(SshTarget, BadTextIsAnOptionErrorThatSaysWhatIsExpected) {
  for (const char* bad : {"", "@host", "host:", "host:0", "host:65536", "host:22x", "::1", "[::1", "[::1]x",
                          "u@[::1]:", "a b", "@"}) {
    SCOPED_TRACE(bad);
    Options o;
    o.ssh_tunnel = Options::SshTunnel{.server = bad};
    if (std::string(bad).empty()) continue;  // an empty server is "no tunnel" for the parser
    try {
      validate(o);
      FAIL() << "accepted";
    } catch (const OptionError& e) {
      EXPECT_EQ(e.option(), "ssh_tunnel_mode");
      EXPECT_NE(std::string(e.what()).find("[user@]host[:port]"), std::string::npos) << e.what();
    }
  }
}

TEST(SshOptions, VidgearNamesAndOursParse) {
  const Options o = parse_options(json{{"ssh_tunnel_mode", "pi@10.0.0.2:2222"},
                                       {"ssh_tunnel_pwd", "secret"},
                                       {"ssh_tunnel_keyfile", "~/.ssh/id_ed25519"},
                                       {"ssh_tunnel_known_hosts", "/tmp/kh"},
                                       {"ssh_tunnel_accept_new", true},
                                       {"ssh_tunnel_timeout", 2.5}});
  ASSERT_TRUE(o.ssh_tunnel);
  EXPECT_EQ(o.ssh_tunnel->server, "pi@10.0.0.2:2222");
  EXPECT_EQ(o.ssh_tunnel->password, "secret");
  EXPECT_EQ(o.ssh_tunnel->keyfile, "~/.ssh/id_ed25519");
  EXPECT_EQ(o.ssh_tunnel->known_hosts, "/tmp/kh");
  EXPECT_TRUE(o.ssh_tunnel->accept_new);
  EXPECT_EQ(o.ssh_tunnel->timeout, 2500ms);
  // Defaults.
  const Options d = parse_options(json{{"ssh_tunnel_mode", "host"}});
  EXPECT_FALSE(d.ssh_tunnel->accept_new);
  EXPECT_EQ(d.ssh_tunnel->timeout, 10s);
  EXPECT_TRUE(d.ssh_tunnel->known_hosts.empty());
  // Ranges and types name the option.
  try {
    (void)parse_options(json{{"ssh_tunnel_mode", "host"}, {"ssh_tunnel_timeout", 0}});
    FAIL();
  } catch (const OptionError& e) {
    EXPECT_EQ(e.option(), "ssh_tunnel_timeout");
  }
  try {
    (void)parse_options(json{{"ssh_tunnel_mode", "host:99999"}});
    FAIL();
  } catch (const OptionError& e) {
    EXPECT_EQ(e.option(), "ssh_tunnel_mode");
  }
  // Our options without a server: the server is needed.
  try {
    Config c;
    c.options = parse_options(json{{"ssh_tunnel_accept_new", true}});
    NetGear ng(c);
    FAIL();
  } catch (const OptionError& e) {
    EXPECT_EQ(e.option(), "ssh_tunnel_mode");
  }
}

// --- against a real sshd ----------------------------------------------------------------------

class SshTunnel : public testing::Test {
 protected:
  void SetUp() override {
    if (auto why = TestSshd::unavailable()) GTEST_SKIP() << "SSH tunnel tests need OpenSSH: " << *why;
    sshd_ = std::make_unique<TestSshd>();
    sshd_->start();
    port_ = std::to_string(test::free_tcp_port());
  }

  Config rx(Pattern p) {
    Config c = test::config(true, p, Protocol::Tcp, port_);
    c.options.jpeg_compression = false;
    return c;
  }
  // A sender through the test server with the authorized key and a known_hosts that knows it.
  Config tx(Pattern p) {
    Config c = test::config(false, p, Protocol::Tcp, port_);
    c.options.jpeg_compression = false;
    c.options.ssh_tunnel = Options::SshTunnel{.server = sshd_->server(),
                                              .keyfile = sshd_->client_key(),
                                              .known_hosts = sshd_->known_hosts(),
                                              .timeout = 5s};
    return c;
  }

  // Constructing `c` throws a TunnelError of `reason` whose message has every one of `parts`;
  // returns the message.
  std::string expect_tunnel_error(const Config& c, Reason reason, std::vector<std::string> parts,
                                  std::chrono::milliseconds within = 8s) {
    const auto t0 = std::chrono::steady_clock::now();
    try {
      NetGear ng(c);
      ADD_FAILURE() << "the sender was made";
      return {};
    } catch (const TunnelError& e) {
      EXPECT_EQ(static_cast<int>(e.reason()), static_cast<int>(reason)) << e.what();
      for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << "'" << p << "' in: " << e.what();
      EXPECT_LT(std::chrono::steady_clock::now() - t0, within);
      return e.what();
    }
  }

  std::unique_ptr<TestSshd> sshd_;
  std::string port_;
};

class SshTunnelPatterns : public SshTunnel, public testing::WithParamInterface<Pattern> {};

// Raw frames of several types arrive bit-exact through the tunnel; the sender's socket connects to
// the tunnel's local port, and sshd's log shows the forward to the receiver's port.
TEST_P(SshTunnelPatterns, KeyLoginCarriesRawFramesBitExact) {
  const Pattern p = GetParam();
  NetGear receiver(rx(p));
  NetGear sender(tx(p));
  const std::string local = sender.endpoint();
  EXPECT_EQ(local.rfind("tcp://127.0.0.1:", 0), 0u) << local;
  EXPECT_NE(local, "tcp://127.0.0.1:" + port_);  // not the receiver's own port

  std::vector<cv::Mat> frames = {test::random_mat(48, 64, CV_8UC3, 1), test::random_mat(31, 17, CV_16UC1, 2),
                                 test::random_mat(20, 10, CV_32FC4, 3), test::random_mat(480, 640, CV_8UC3, 4),
                                 test::random_mat(5, 7, CV_64FC2, 5)};
  if (p == Pattern::PubSub) {
    // The subscription travels through the tunnel too: send until the first frame comes.
    std::optional<Frame> first;
    for (int i = 0; i < 200 && !first; ++i) {
      sender.send(frames[0], json{{"i", -1}});
      first = receiver.recv(50ms);
    }
    ASSERT_TRUE(first) << "no frame through the tunnel on PUB/SUB";
    while (receiver.recv(200ms)) {
    }
  }
  int got = 0;
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < frames.size(); ++i) {
      const int n = round * static_cast<int>(frames.size()) + static_cast<int>(i);
      const SendResult r = sender.send(frames[i], json{{"i", n}});
      if (p != Pattern::PubSub) {
        EXPECT_TRUE(r.delivered);
      } else {
        std::this_thread::sleep_for(20ms);  // HWM 1: one frame in flight at a time
      }
      auto f = receiver.recv(5s);
      if (p != Pattern::PubSub) {
        ASSERT_TRUE(f) << "frame " << n;
      }
      if (!f) continue;
      const int k = f->message.at("i").get<int>();
      ASSERT_GE(k, 0);
      EXPECT_TRUE(test::same_mat(f->image, frames[static_cast<std::size_t>(k) % frames.size()])) << "frame " << k;
      ++got;
    }
  }
  if (p == Pattern::PubSub) {
    EXPECT_GE(got, 10);
  } else {
    EXPECT_EQ(got, 15);
  }
  sender.close();
  if (p != Pattern::PubSub) {
    // The termination message came through the tunnel too.
    EXPECT_TRUE(test::wait_until([&] { return receiver.end_of_stream() || !receiver.recv(100ms); }, 5s));
  }
  EXPECT_NE(sshd_->log().find("target 127.0.0.1 port " + port_), std::string::npos) << sshd_->log();
}

INSTANTIATE_TEST_SUITE_P(Patterns, SshTunnelPatterns, testing::Values(Pattern::Pair, Pattern::ReqRep, Pattern::PubSub),
                         pattern_name);

// The tunnel composes with secure mode (CURVE travels inside the SSH channel) and with
// bidirectional mode: frames arrive bit-exact and each reply carries the receiver's data.
TEST_F(SshTunnel, SecureAndBidirectionalModesThroughTheTunnel) {
  const test::TempDir folder("netgear-ssh-secure");  // the key set made in it is ours, removed with it
  {
    Config r = rx(Pattern::ReqRep);
    Config t = tx(Pattern::ReqRep);
    for (Config* c : {&r, &t}) {
      c->options.secure_mode = SecureMode::IronHouse;  // the receiver's folder allows the client key
      c->options.custom_cert_location = folder.str();
      c->options.bidirectional_mode = true;
    }
    NetGear receiver(r);  // makes the key set (the folder is empty); the sender loads it
    receiver.set_return_data(json{{"through", "ssh"}});
    NetGear sender(t);
    for (int i = 0; i < 5; ++i) {
      const cv::Mat frame = test::random_mat(48, 64, CV_8UC3, static_cast<unsigned>(10 + i));
      const SendResult res = sender.send(frame, json{{"i", i}});
      ASSERT_TRUE(res.delivered) << "frame " << i;
      EXPECT_EQ(res.return_data.value, (json{{"through", "ssh"}})) << "frame " << i;
      auto f = receiver.recv(5s);
      ASSERT_TRUE(f) << "frame " << i;
      EXPECT_EQ(f->message.at("i"), i);
      EXPECT_TRUE(test::same_mat(f->image, frame)) << "frame " << i;
    }
  }
}

TEST_F(SshTunnel, PassphraseProtectedKeyWithSshTunnelPwd) {
  NetGear receiver(rx(Pattern::ReqRep));
  Config c = tx(Pattern::ReqRep);
  c.options.ssh_tunnel->keyfile = sshd_->client_key_pw();
  c.options.ssh_tunnel->password = TestSshd::kPassphrase;
  NetGear sender(c);
  const cv::Mat m = test::random_mat(10, 10, CV_8UC1, 9);
  EXPECT_TRUE(sender.send(m).delivered);
  auto f = receiver.recv(5s);
  ASSERT_TRUE(f);
  EXPECT_TRUE(test::same_mat(f->image, m));
}

TEST_F(SshTunnel, SshAgentWhenNeitherKeyFileNorPassword) {
  const std::string sock = sshd_->start_agent();
  const char* old = std::getenv("SSH_AUTH_SOCK");
  const std::string saved = old ? old : "";
  ::setenv("SSH_AUTH_SOCK", sock.c_str(), 1);
  NetGear receiver(rx(Pattern::Pair));
  Config c = tx(Pattern::Pair);
  c.options.ssh_tunnel->keyfile.clear();
  {
    NetGear sender(c);
    const cv::Mat m = test::random_mat(10, 10, CV_8UC3, 10);
    EXPECT_TRUE(sender.send(m).delivered);
    auto f = receiver.recv(5s);
    ASSERT_TRUE(f);
    EXPECT_TRUE(test::same_mat(f->image, m));
  }
  // No agent either: the error says what was missing.
  ::unsetenv("SSH_AUTH_SOCK");
  expect_tunnel_error(c, Reason::AuthFailed, {"SSH_AUTH_SOCK is not set", "ssh_tunnel_keyfile", "ssh_tunnel_pwd"});
  if (old) ::setenv("SSH_AUTH_SOCK", saved.c_str(), 1);
}

// --- each construction error, for real ---------------------------------------------------------

TEST_F(SshTunnel, WrongKeyIsAuthFailedNamingTheMethodsTried) {
  NetGear receiver(rx(Pattern::Pair));
  Config c = tx(Pattern::Pair);
  c.options.ssh_tunnel->keyfile = sshd_->stranger_key();
  expect_tunnel_error(c, Reason::AuthFailed,
                      {"refused the login", "Tried: publickey with the key in " + sshd_->stranger_key(),
                       "The server accepts: publickey", "authorized_keys"});
  // A passphrase-protected key without its passphrase, or with a wrong one.
  c.options.ssh_tunnel->keyfile = sshd_->client_key_pw();
  expect_tunnel_error(c, Reason::AuthFailed, {"passphrase", "ssh_tunnel_pwd"});
  c.options.ssh_tunnel->password = "wrong";
  expect_tunnel_error(c, Reason::AuthFailed, {"wrong passphrase"});
  // A password where the server takes none.
  c.options.ssh_tunnel->keyfile.clear();
  c.options.ssh_tunnel->password = "whatever";
  expect_tunnel_error(c, Reason::AuthFailed, {"the server takes no passwords", "The server accepts: publickey"});
}

TEST_F(SshTunnel, MissingKeyFileIsAnOptionError) {
  Config c = tx(Pattern::Pair);
  c.options.ssh_tunnel->keyfile = sshd_->dir() + "/no-such-key";
  try {
    NetGear ng(c);
    FAIL();
  } catch (const OptionError& e) {
    EXPECT_EQ(e.option(), "ssh_tunnel_keyfile");
  }
}

TEST_F(SshTunnel, SshdNotRunningIsRefused) {
  Config c = tx(Pattern::Pair);
  sshd_->kill_all();
  expect_tunnel_error(c, Reason::Refused, {"refused the connection", "is sshd running", sshd_->server().substr(sshd_->server().find('@') + 1)}, 3s);
}

TEST_F(SshTunnel, ServerThatNeverAnswersEndsWithinTheTimeout) {
  // Something that accepts the connection and never speaks SSH (a black hole would do the same).
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  Config c = tx(Pattern::Pair);
  c.options.ssh_tunnel->server = tunnel::current_user() + "@127.0.0.1:" + std::to_string(ntohs(a.sin_port));
  c.options.ssh_tunnel->timeout = 700ms;
  expect_tunnel_error(c, Reason::Unreachable, {"did not answer within 700 ms", "ssh_tunnel_timeout"}, 3s);
  ::close(fd);
}

TEST_F(SshTunnel, UnknownHostKeyShowsTheFingerprintAndHowToAccept) {
  auto receiver = std::make_unique<NetGear>(rx(Pattern::Pair));
  Config c = tx(Pattern::Pair);
  const std::string kh = sshd_->dir() + "/known_hosts_new";
  c.options.ssh_tunnel->known_hosts = kh;  // does not exist yet
  expect_tunnel_error(c, Reason::HostKeyUnknown,
                      {"is not known", sshd_->host_fingerprint(), "ssh_tunnel_accept_new", "ssh-keyscan -p " +
                       std::to_string(sshd_->port()) + " 127.0.0.1 >> " + kh});
  std::ofstream(kh).close();  // empty
  expect_tunnel_error(c, Reason::HostKeyUnknown, {sshd_->host_fingerprint()});
  // accept-new: accepted and remembered; then known without it.
  c.options.ssh_tunnel->accept_new = true;
  { NetGear sender(c); }
  EXPECT_NE(read_text(kh).find("[127.0.0.1]:" + std::to_string(sshd_->port())), std::string::npos) << read_text(kh);
  c.options.ssh_tunnel->accept_new = false;
  receiver.reset();  // the first sender's termination ended it
  receiver = std::make_unique<NetGear>(rx(Pattern::Pair));
  NetGear sender(c);
  const cv::Mat m = test::random_mat(4, 4, CV_8UC1, 11);
  EXPECT_TRUE(sender.send(m).delivered);
  ASSERT_TRUE(receiver->recv(5s));
}

TEST_F(SshTunnel, ChangedHostKeyIsNeverAccepted) {
  Config c = tx(Pattern::Pair);
  c.options.ssh_tunnel->known_hosts = sshd_->changed_known_hosts();
  const std::string before = read_text(sshd_->changed_known_hosts());
  expect_tunnel_error(c, Reason::HostKeyChanged, {"differs from the one recorded", sshd_->host_fingerprint(), "ssh-keygen -R"});
  c.options.ssh_tunnel->accept_new = true;
  expect_tunnel_error(c, Reason::HostKeyChanged, {"never accepts a changed key"});
  EXPECT_EQ(read_text(sshd_->changed_known_hosts()), before);
}

TEST_F(SshTunnel, ForwardingDisabledOnTheServerIsForwardRefused) {
  TestSshd strict({"AllowTcpForwarding no"});
  strict.start();
  NetGear receiver(rx(Pattern::Pair));
  Config c = tx(Pattern::Pair);
  c.options.ssh_tunnel->server = strict.server();
  c.options.ssh_tunnel->keyfile = strict.client_key();
  c.options.ssh_tunnel->known_hosts = strict.known_hosts();
  expect_tunnel_error(c, Reason::ForwardRefused, {"refused to forward to 127.0.0.1:" + port_, "AllowTcpForwarding"});
}

TEST_F(SshTunnel, TargetPortClosedOnTheFarSideIsTargetClosed) {
  Config c = tx(Pattern::Pair);  // no receiver on port_
  expect_tunnel_error(c, Reason::TargetClosed, {"nothing listens on 127.0.0.1:" + port_, "is the receiver running"});
}

TEST_F(SshTunnel, TunnelErrorsAreConnectionErrors) {
  Config c = tx(Pattern::Pair);
  EXPECT_THROW(NetGear ng(c), ConnectionError);
  EXPECT_THROW(NetGear ng(c), Error);
}

// --- reconnects --------------------------------------------------------------------------------

// Each (re)open gets a fresh local port; the live session is re-used; a lost one is replaced.
TEST_F(SshTunnel, FreshLocalPortPerOpenSessionReusedWhileAlive) {
  NetGear receiver(rx(Pattern::Pair));
  // The tunnel's log, kept and printed with a failure: it says why each session was dropped.
  auto kept = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
  auto log = std::make_shared<spdlog::logger>("t", kept);
  log->set_level(spdlog::level::debug);
  const auto lines = [&] {
    std::string all = "\nthe tunnel's log:\n";
    for (const auto& line : kept->last_formatted()) all += line;
    return all;
  };
  net::Context ctx;
  auto provider = tunnel::open(ctx, tx(Pattern::Pair), log);
  const auto a = provider->endpoints();
  const auto b = provider->endpoints();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_NE(a, b);
  EXPECT_EQ(provider->counters().sessions, 1u);
  // The session dies with the server; the next connection to the local port makes a new one.
  sshd_->kill_all();
  sshd_->start();
  const std::string c = provider->endpoints().front();  // tcp://127.0.0.1:N
  const int local = std::stoi(c.substr(c.rfind(':') + 1));
  EXPECT_TRUE(test::wait_until(
      [&] {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(static_cast<uint16_t>(local));
        (void)::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        std::this_thread::sleep_for(100ms);  // the forwarder's turn
        ::close(fd);
        return provider->counters().sessions == 2;
      },
      10s))
      << "sessions " << provider->counters().sessions << lines();
  // At least the killed one. CI once counted 2 here (with 2 sessions opened): a replacement
  // lost too, not understood yet and not reproduced in 40 runs side by side; the tunnel recovered,
  // which is what this test is about. The log, printed with a failure, says which drop it was.
  EXPECT_GE(provider->counters().sessions_lost, 1u) << lines();
  EXPECT_LE(provider->counters().sessions_lost, provider->counters().sessions) << lines();
  ctx.close();
}

TEST_F(SshTunnel, Ipv6ServerInBrackets) {
  TestSshd v6({"ListenAddress [::1]"});
  v6.start();
  NetGear receiver(rx(Pattern::ReqRep));
  Config c = tx(Pattern::ReqRep);
  c.options.ssh_tunnel->server = tunnel::current_user() + "@[::1]:" + std::to_string(v6.port());
  c.options.ssh_tunnel->keyfile = v6.client_key();
  c.options.ssh_tunnel->known_hosts = v6.dir() + "/known_hosts_v6";
  c.options.ssh_tunnel->accept_new = true;
  NetGear sender(c);
  const cv::Mat m = test::random_mat(8, 8, CV_8UC3, 13);
  EXPECT_TRUE(sender.send(m).delivered);
  auto f = receiver.recv(5s);
  ASSERT_TRUE(f);
  EXPECT_TRUE(test::same_mat(f->image, m));
  EXPECT_NE(read_text(v6.dir() + "/known_hosts_v6").find("[::1]:" + std::to_string(v6.port())), std::string::npos);
}

void resume_after_restart(TestSshd& sshd, NetGear& sender, NetGear& receiver, const std::string& port) {
  const cv::Mat m = test::random_mat(120, 160, CV_8UC3, 12);
  std::atomic<bool> stop{false};
  std::atomic<int> sent{0};
  std::thread tx([&] {
    for (int i = 0; !stop && i < 100000; ++i) {
      try {
        if (sender.send(m, json{{"i", i}}).delivered) ++sent;
      } catch (const RetriesExhaustedError&) {
      }
      std::this_thread::sleep_for(10ms);
    }
  });
  auto wait_frames = [&](int n, std::chrono::milliseconds within) {
    int got = 0;
    const auto until = std::chrono::steady_clock::now() + within;
    while (got < n && std::chrono::steady_clock::now() < until) {
      if (auto f = receiver.recv(100ms)) {
        EXPECT_TRUE(test::same_mat(f->image, m));
        ++got;
      }
    }
    return got;
  };
  EXPECT_EQ(wait_frames(10, 10s), 10) << "no stream before the restart";
  sshd.kill_all();
  std::this_thread::sleep_for(1500ms);  // sshd is down for a while
  while (receiver.recv(10ms)) {
  }
  sshd.start();
  const auto back = std::chrono::steady_clock::now();
  EXPECT_EQ(wait_frames(10, 15s), 10) << "the stream did not resume after sshd came back";
  const auto took = std::chrono::steady_clock::now() - back;
  EXPECT_LT(took, 10s) << "docs/ssh-tunnel.md promises about request_timeout + 2 s";
  stop = true;
  tx.join();
  (void)port;
}

TEST_F(SshTunnel, SshdKilledAndRestartedMidStreamResumesPair) {
  NetGear receiver(rx(Pattern::Pair));
  Config c = tx(Pattern::Pair);
  c.options.max_retries = 0;  // retry for ever
  NetGear sender(c);
  resume_after_restart(*sshd_, sender, receiver, port_);
  EXPECT_GE(sender.stats().reconnects, 1u);
}

TEST_F(SshTunnel, SshdKilledAndRestartedMidStreamResumesReqRep) {
  NetGear receiver(rx(Pattern::ReqRep));
  Config c = tx(Pattern::ReqRep);
  c.options.max_retries = 0;
  NetGear sender(c);
  resume_after_restart(*sshd_, sender, receiver, port_);
}

TEST_F(SshTunnel, SshdKilledAndRestartedMidStreamResumesPubSub) {
  Config r = rx(Pattern::PubSub);
  NetGear receiver(r);
  NetGear sender(tx(Pattern::PubSub));
  resume_after_restart(*sshd_, sender, receiver, port_);
}

// --- password logins (ssh_tunnel_pwd without a key file) ---------------------------------------

// The test server also takes TestSshd::kPassword for the user the tests run as. Root only: sshd
// checks passwords against /etc/shadow, which TestSshd replaces in the server's own mount
// namespace (the machine's stays as it is).
class SshTunnelPassword : public SshTunnel {
 protected:
  void SetUp() override { start(TestSshd::Login::KeysAndPassword); }
  void start(TestSshd::Login login) {
    if (auto why = TestSshd::unavailable()) GTEST_SKIP() << "SSH tunnel tests need OpenSSH: " << *why;
    if (auto why = TestSshd::password_login_unavailable(login)) GTEST_SKIP() << "no password login here: " << *why;
    sshd_ = std::make_unique<TestSshd>(std::vector<std::string>{}, login);
    sshd_->start();
    port_ = std::to_string(test::free_tcp_port());
  }
  // sshd's monitor writes a login's log line while its session process answers the client, so
  // the line may come a moment after the client has its answer: waits for it (bounded).
  bool server_logged(const std::string& line) {
    return test::wait_until([&] { return sshd_->log().find(line) != std::string::npos; }, 5s);
  }
  Config tx_password(Pattern p, const std::string& password) {
    Config c = tx(p);
    c.options.ssh_tunnel->keyfile.clear();
    c.options.ssh_tunnel->password = password;
    return c;
  }
};

TEST_F(SshTunnelPassword, PasswordLoginCarriesFramesBitExact) {
  NetGear receiver(rx(Pattern::Pair));
  NetGear sender(tx_password(Pattern::Pair, TestSshd::kPassword));
  for (int i = 0; i < 3; ++i) {
    const cv::Mat m = test::random_mat(24, 32, CV_8UC3, static_cast<unsigned>(40 + i));
    ASSERT_TRUE(sender.send(m, json{{"i", i}}).delivered) << "frame " << i;
    auto f = receiver.recv(5s);
    ASSERT_TRUE(f) << "frame " << i;
    EXPECT_EQ(f->message.at("i"), i);
    EXPECT_TRUE(test::same_mat(f->image, m)) << "frame " << i;
  }
  // The server took the password, not a key (the sender has none, and no agent is asked).
  EXPECT_TRUE(server_logged("Accepted password for " + tunnel::current_user())) << sshd_->log();
}

TEST_F(SshTunnelPassword, WrongPasswordIsAuthFailedNamingWhatWasTried) {
  NetGear receiver(rx(Pattern::Pair));
  const std::string error = expect_tunnel_error(
      tx_password(Pattern::Pair, "not the password"), Reason::AuthFailed,
      {"refused the login as '" + tunnel::current_user() + "'", "Tried: password",
       "The server accepts: publickey, password", "check the user name and the password (ssh_tunnel_pwd)"});
  EXPECT_TRUE(server_logged("Failed password for " + tunnel::current_user())) << sshd_->log();
  // The password is neither in our error nor in the server's log.
  EXPECT_EQ(error.find("not the password"), std::string::npos) << error;
  EXPECT_EQ(sshd_->log().find("not the password"), std::string::npos);
}

// A server that asks for passwords through PAM (UsePAM yes, KbdInteractiveAuthentication yes,
// PasswordAuthentication no), as many distributions' sshd does: the password is answered to
// keyboard-interactive's hidden prompt.
class SshTunnelKeyboardInteractive : public SshTunnelPassword {
 protected:
  void SetUp() override { start(TestSshd::Login::KeysAndKeyboardInteractive); }
};

TEST_F(SshTunnelKeyboardInteractive, PasswordAnsweredToThePamPrompt) {
  NetGear receiver(rx(Pattern::ReqRep));
  NetGear sender(tx_password(Pattern::ReqRep, TestSshd::kPassword));
  const cv::Mat m = test::random_mat(24, 32, CV_8UC3, 50);
  ASSERT_TRUE(sender.send(m).delivered);
  auto f = receiver.recv(5s);
  ASSERT_TRUE(f);
  EXPECT_TRUE(test::same_mat(f->image, m));
  EXPECT_TRUE(server_logged("Accepted keyboard-interactive/pam for " + tunnel::current_user())) << sshd_->log();
}

TEST_F(SshTunnelKeyboardInteractive, WrongPasswordIsAuthFailedNamingWhatWasTried) {
  NetGear receiver(rx(Pattern::Pair));
  const std::string error = expect_tunnel_error(
      tx_password(Pattern::Pair, "not the password"), Reason::AuthFailed,
      {"Tried: keyboard-interactive with the password", "The server accepts: publickey, keyboard-interactive",
       "ssh_tunnel_pwd"});
  EXPECT_TRUE(server_logged("Failed keyboard-interactive/pam for " + tunnel::current_user())) << sshd_->log();
  EXPECT_EQ(error.find("not the password"), std::string::npos) << error;
  EXPECT_EQ(sshd_->log().find("not the password"), std::string::npos);
}

// --- the command line: netgear send --ssh-tunnel ... ---------------------------------------------

class SshTunnelCli : public SshTunnel {
 protected:
  void SetUp() override {
    SshTunnel::SetUp();
    if (IsSkipped()) return;
    if (test::cli_path().empty()) GTEST_SKIP() << "the netgear tool is not built (NETGEAR_BUILD_APPS=OFF)";
  }
  std::vector<std::string> send_args(std::vector<std::string> extra) {
    std::vector<std::string> a = {test::cli_path(), "send", "--source", "pattern", "--frames", "5", "--fps", "0",
                                  "--pattern", "1", "--address", "127.0.0.1", "--port", port_,
                                  "--jpeg-compression", "false", "--request-timeout", "2"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
};

TEST_F(SshTunnelCli, SendThroughTheTunnelWithKeyAndKnownHosts) {
  NetGear receiver(rx(Pattern::ReqRep));
  test::Child cli(send_args({"--ssh-tunnel", sshd_->server(), "--ssh-keyfile", sshd_->client_key(),
                             "--ssh-known-hosts", sshd_->known_hosts()}));
  int got = 0;
  while (got < 5) {
    auto f = receiver.recv(10s);
    if (!f) break;
    EXPECT_EQ(f->image.cols, 640);
    ++got;
  }
  EXPECT_EQ(got, 5);
  const test::ExitStatus s = cli.wait(20s);
  EXPECT_TRUE(s.ok()) << s.out << s.err;
  EXPECT_NE(s.out.find("through ssh " + sshd_->server()), std::string::npos) << s.out;
}

TEST_F(SshTunnelCli, PassphraseFromAnEnvironmentVariable) {
  NetGear receiver(rx(Pattern::ReqRep));
  test::Child cli(send_args({"--ssh-tunnel", sshd_->server(), "--ssh-keyfile", sshd_->client_key_pw(),
                             "--ssh-known-hosts", sshd_->known_hosts(), "--ssh-password-env", "NETGEAR_TEST_SSH_PW"}),
                  {std::string("NETGEAR_TEST_SSH_PW=") + TestSshd::kPassphrase});
  EXPECT_TRUE(receiver.recv(10s));
  const test::ExitStatus s = cli.wait(20s);
  EXPECT_TRUE(s.ok()) << s.out << s.err;
  // The passphrase is not an argument, so ps cannot show it.
  for (const auto& arg : send_args({})) EXPECT_EQ(arg.find(TestSshd::kPassphrase), std::string::npos);
}

// A password login from the command line: the password comes from an environment variable.
class SshTunnelCliPassword : public SshTunnelPassword {
 protected:
  void SetUp() override {
    SshTunnelPassword::SetUp();
    if (IsSkipped()) return;
    if (test::cli_path().empty()) GTEST_SKIP() << "the netgear tool is not built (NETGEAR_BUILD_APPS=OFF)";
  }
};

TEST_F(SshTunnelCliPassword, PasswordFromAnEnvironmentVariable) {
  NetGear receiver(rx(Pattern::ReqRep));
  test::Child cli({test::cli_path(), "send", "--source", "pattern", "--frames", "3", "--fps", "0", "--pattern", "1",
                   "--address", "127.0.0.1", "--port", port_, "--jpeg-compression", "false", "--request-timeout", "2",
                   "--ssh-tunnel", sshd_->server(), "--ssh-known-hosts", sshd_->known_hosts(), "--ssh-password-env",
                   "NETGEAR_TEST_SSH_PW"},
                  {std::string("NETGEAR_TEST_SSH_PW=") + TestSshd::kPassword});
  int got = 0;
  while (got < 3 && receiver.recv(10s)) ++got;
  EXPECT_EQ(got, 3);
  const test::ExitStatus s = cli.wait(20s);
  EXPECT_TRUE(s.ok()) << s.out << s.err;
  EXPECT_TRUE(server_logged("Accepted password for " + tunnel::current_user())) << sshd_->log();
}

TEST_F(SshTunnelCli, UnknownHostExitsWithTheFingerprintThenAcceptNew) {
  const std::string kh = sshd_->dir() + "/cli_known_hosts";
  {
    test::Child cli(send_args({"--ssh-tunnel", sshd_->server(), "--ssh-keyfile", sshd_->client_key(),
                               "--ssh-known-hosts", kh}));
    const test::ExitStatus s = cli.wait(20s);
    EXPECT_EQ(s.exit_code, 1) << s.out << s.err;
    EXPECT_NE(s.err.find(sshd_->host_fingerprint()), std::string::npos) << s.err;
    EXPECT_NE(s.err.find("--ssh-accept-new"), std::string::npos) << s.err;
  }
  NetGear receiver(rx(Pattern::ReqRep));
  test::Child cli(send_args({"--ssh-tunnel", sshd_->server(), "--ssh-keyfile", sshd_->client_key(),
                             "--ssh-known-hosts", kh, "--ssh-accept-new"}));
  EXPECT_TRUE(receiver.recv(10s));
  const test::ExitStatus s = cli.wait(20s);
  EXPECT_TRUE(s.ok()) << s.out << s.err;
  EXPECT_NE(read_text(kh).find("[127.0.0.1]:" + std::to_string(sshd_->port())), std::string::npos);
}

TEST_F(SshTunnelCli, BadSshFlagsAreUsageErrors) {
  {
    test::Child cli(send_args({"--ssh-tunnel", sshd_->server(), "--ssh-password-env", "NETGEAR_TEST_NOT_SET_ANYWHERE"}));
    const test::ExitStatus s = cli.wait(20s);
    EXPECT_EQ(s.exit_code, 2) << s.out << s.err;
    EXPECT_NE(s.err.find("NETGEAR_TEST_NOT_SET_ANYWHERE is not set"), std::string::npos) << s.err;
  }
  {
    test::Child cli(send_args({"--ssh-keyfile", sshd_->client_key()}));
    const test::ExitStatus s = cli.wait(20s);
    EXPECT_EQ(s.exit_code, 2) << s.out << s.err;
    EXPECT_NE(s.err.find("need --ssh-tunnel"), std::string::npos) << s.err;
  }
  {
    test::Child cli(send_args({"--ssh-tunnel", "user@[::1"}));
    const test::ExitStatus s = cli.wait(20s);
    EXPECT_EQ(s.exit_code, 2) << s.out << s.err;
    EXPECT_NE(s.err.find("ssh_tunnel_mode"), std::string::npos) << s.err;
  }
}

}  // namespace
}  // namespace netgear
