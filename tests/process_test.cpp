// Sender and receiver in separate processes: streaming across processes, and Lazy Pirate when a
// peer is killed (SIGKILL), paused (SIGSTOP) or never comes back.
#include <signal.h>

#include <atomic>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "netgear/netgear.hpp"
#include "support/peer_frame.hpp"
#include "support/test_support.hpp"

namespace netgear {
namespace {

using namespace std::chrono_literals;
using test::Child;
using test::config;
using Clock = std::chrono::steady_clock;

std::string proto_name(Protocol p) { return p == Protocol::Tcp ? "tcp" : "ipc"; }

std::vector<std::string> peer_args(const std::string& role, const Config& c, std::vector<std::string> extra = {}) {
  std::vector<std::string> a = {test::peer_path(), role, "--pattern", std::to_string(static_cast<int>(c.pattern)),
                                "--protocol", proto_name(c.protocol), "--address", c.address, "--port", c.port.text(),
                                "--timeout-ms", std::to_string(c.options.request_timeout.count()),
                                "--retries", std::to_string(c.options.max_retries)};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

int count_lines(const std::string& out, const std::string& prefix) {
  int n = 0;
  for (std::size_t p = out.find(prefix); p != std::string::npos; p = out.find(prefix, p + 1)) {
    if (p == 0 || out[p - 1] == '\n') ++n;
  }
  return n;
}

// A sender in a thread of this process that sends until stopped and counts what happened.
class BackgroundSender {
 public:
  explicit BackgroundSender(const Config& c) : ng_(c) {
    thread_ = std::thread([this] {
      for (int i = 0; !stop_; ++i) {
        try {
          (ng_.send(test::peer_frame(i), {{"i", i}}).delivered ? acked_ : lost_)++;
        } catch (const std::exception& e) {
          std::lock_guard lk(mu_);
          error_ = e.what();
          return;
        }
      }
    });
  }
  ~BackgroundSender() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int acked() const { return acked_; }
  int lost() const { return lost_; }
  std::string error() {
    std::lock_guard lk(mu_);
    return error_;
  }
  NetGear& netgear() { return ng_; }

 private:
  NetGear ng_;
  std::atomic<bool> stop_{false};
  std::atomic<int> acked_{0}, lost_{0};
  std::mutex mu_;
  std::string error_;
  std::thread thread_;
};

struct Endpoint {
  Pattern pattern;
  Protocol protocol;
};
std::string name_of(const testing::TestParamInfo<Endpoint>& i) {
  return std::string(i.param.pattern == Pattern::Pair ? "Pair" : i.param.pattern == Pattern::ReqRep ? "ReqRep" : "PubSub") +
         (i.param.protocol == Protocol::Tcp ? "Tcp" : "Ipc");
}

class CrossProcess : public testing::TestWithParam<Endpoint> {
 protected:
  Config cfg(bool rx) {
    return config(rx, GetParam().pattern, GetParam().protocol, port_, ipc_);
  }
  std::string port_ = std::to_string(test::free_tcp_port());
  std::string ipc_ = test::unique_ipc_prefix();
};

TEST_P(CrossProcess, ChildReceiverGetsRawFramesExactly) {
  Config rc = cfg(true);
  Child rx(peer_args("recv", rc, {"--frames", "20", "--raw"}));
  ASSERT_TRUE(rx.wait_for_output("READY", 10s));
  Config tc = cfg(false);
  tc.options.jpeg_compression = false;
  {
    BackgroundSender tx(tc);
    auto st = rx.wait(20s);
    tx.stop();
    ASSERT_TRUE(st.ok()) << st.err;
    EXPECT_EQ(count_lines(st.out, "FRAME "), 20) << st.out;
    EXPECT_EQ(st.out.find(" bad"), std::string::npos) << st.out;
    EXPECT_EQ(tx.error(), "");
  }
}

TEST_P(CrossProcess, ChildSenderStreamsToThisReceiverAndTerminates) {
  Config rc = cfg(true);
  NetGear rx(rc);
  // PUB/SUB loses the frames sent before the subscription is up: send enough that some arrive.
  const int frames = GetParam().pattern == Pattern::PubSub ? 2000 : 30;
  Config tc = cfg(false);
  // PUB/SUB's termination waits request_timeout / 5 for a subscriber that is behind to read up to
  // it: give a slow (sanitizer) receiver the longest wait, 2 s (with 1 s it lost it under TSan).
  if (GetParam().pattern == Pattern::PubSub) tc.options.request_timeout = std::chrono::seconds(10);
  Child tx(peer_args("send", tc, {"--frames", std::to_string(frames)}));
  int got = 0;
  while (auto f = rx.recv(20s)) {
    EXPECT_EQ(f->image.size(), cv::Size(64, 48));
    ++got;
  }
  auto st = tx.wait(20s);
  ASSERT_TRUE(st.ok()) << st.err;
  EXPECT_EQ(rx.end_reason(), EndReason::Terminated);
  if (GetParam().pattern == Pattern::PubSub) {
    EXPECT_GT(got, 0);
  } else {
    EXPECT_EQ(got, frames);
  }
}

INSTANTIATE_TEST_SUITE_P(AllPatterns, CrossProcess,
                         testing::Values(Endpoint{Pattern::Pair, Protocol::Tcp}, Endpoint{Pattern::Pair, Protocol::Ipc},
                                         Endpoint{Pattern::ReqRep, Protocol::Tcp}, Endpoint{Pattern::ReqRep, Protocol::Ipc},
                                         Endpoint{Pattern::PubSub, Protocol::Tcp}, Endpoint{Pattern::PubSub, Protocol::Ipc}),
                         name_of);

class LazyPirate : public testing::TestWithParam<Pattern> {
 protected:
  Config cfg(bool rx, std::chrono::milliseconds timeout, int retries) {
    Config c = config(rx, GetParam(), Protocol::Tcp, port_);
    c.options.request_timeout = timeout;
    c.options.max_retries = retries;
    return c;
  }
  std::string port_ = std::to_string(test::free_tcp_port());
};

TEST_P(LazyPirate, ReceiverKilledAndRestartedFiveTimes) {
  constexpr auto kTimeout = 300ms;
  BackgroundSender tx(cfg(false, kTimeout, 0));  // retry for ever
  for (int cycle = 0; cycle < 5; ++cycle) {
    const auto t0 = Clock::now();
    Child rx(peer_args("recv", cfg(true, kTimeout, 0)));
    ASSERT_TRUE(rx.wait_for_output("FRAME", 10s)) << "cycle " << cycle << ": no frame after restart";
    const auto resumed = Clock::now() - t0;
    // Frames flow again within about 2 x request_timeout (plus process start-up).
    EXPECT_LT(resumed, 2 * kTimeout + 1500ms) << "cycle " << cycle;
    rx.signal(SIGKILL);
    rx.wait(5s);
  }
  EXPECT_EQ(tx.error(), "");
  // The frame in flight at each kill is reported lost and the socket re-created, or (PAIR) the
  // dropped connection is noticed and the frame sent again once the new receiver is up.
  const Stats st = tx.netgear().stats();
  EXPECT_GE(st.frames_lost + st.frames_resent, 1u);
  EXPECT_GE(st.reconnects + st.frames_resent, 1u);
  // PAIR notices each dropped connection while a frame waits for its acknowledgement.
  if (GetParam() == Pattern::Pair) {
    EXPECT_GE(st.frames_resent, 1u);
  }
}

TEST_P(LazyPirate, SenderKilledAndRestartedReceiverKeepsItsStream) {
  NetGear rx(cfg(true, 500ms, 0));
  for (int cycle = 0; cycle < 3; ++cycle) {
    Child tx(peer_args("send", cfg(false, 500ms, 0)));
    // The new sender numbers its frames from 0: wait for a fresh low number from it.
    bool from_new_sender = false;
    const auto deadline = Clock::now() + 10s;
    while (!from_new_sender && Clock::now() < deadline) {
      auto f = rx.recv(1s);
      if (f && f->message.value("i", -1) < 5) from_new_sender = true;
      if (!f) {
        ASSERT_FALSE(rx.end_of_stream());
      }
    }
    ASSERT_TRUE(from_new_sender) << "cycle " << cycle;
    tx.signal(SIGKILL);
    tx.wait(5s);
    // Skip what the dead sender left in the queue.
    while (rx.recv(50ms)) {
    }
  }
  EXPECT_FALSE(rx.end_of_stream());
}

TEST_P(LazyPirate, PausedReceiverLosesFramesButTheStreamSurvivesMoreTimeoutsThanMaxRetries) {
  constexpr int kRetries = 2;
  Child rx(peer_args("recv", cfg(true, 300ms, 0)));
  ASSERT_TRUE(rx.wait_for_output("READY", 10s));
  BackgroundSender tx(cfg(false, 300ms, kRetries));
  for (int pause = 0; pause < 2 * kRetries; ++pause) {
    const int acked = tx.acked();
    ASSERT_TRUE(test::wait_until([&] { return tx.acked() > acked + 3 || !tx.error().empty(); }, 10s)) << pause;
    const int lost = tx.lost();
    rx.signal(SIGSTOP);
    // Paused for one time-out: the frame in flight is lost.
    ASSERT_TRUE(test::wait_until([&] { return tx.lost() > lost || !tx.error().empty(); }, 10s)) << pause;
    rx.signal(SIGCONT);
  }
  ASSERT_TRUE(test::wait_until([&] { return tx.acked() > 0 && !tx.error().empty() ? true : tx.lost() >= 2 * kRetries; }, 10s));
  const int acked = tx.acked();
  EXPECT_TRUE(test::wait_until([&] { return tx.acked() > acked + 3; }, 10s)) << "frames did not flow again";
  EXPECT_EQ(tx.error(), "") << "send() gave up although no more than one time-out came in a row";
  EXPECT_GE(tx.lost(), 2 * kRetries);
}

TEST_P(LazyPirate, SenderGivesUpWhenTheReceiverNeverComes) {
  constexpr auto kTimeout = 200ms;
  constexpr int kRetries = 3;
  NetGear tx(cfg(false, kTimeout, kRetries));
  cv::Mat m(8, 8, CV_8UC1, cv::Scalar(1));
  const auto t0 = Clock::now();
  EXPECT_FALSE(tx.send(m).delivered);
  EXPECT_FALSE(tx.send(m).delivered);
  try {
    tx.send(m);
    FAIL() << "send() did not give up";
  } catch (const RetriesExhaustedError& e) {
    EXPECT_NE(std::string(e.what()).find(port_), std::string::npos) << e.what();
  }
  const auto took = Clock::now() - t0;
  EXPECT_GE(took, kRetries * kTimeout - 50ms);
  EXPECT_LT(took, kRetries * kTimeout + 2s);
  EXPECT_EQ(tx.stats().frames_lost, 3u);
  const auto c0 = Clock::now();
  tx.close();
  EXPECT_LT(Clock::now() - c0, 2s);
}

TEST_P(LazyPirate, ReceiverEndsTheStreamWhenTheSenderNeverComes) {
  constexpr auto kTimeout = 100ms;
  constexpr int kRetries = 2;
  NetGear rx(cfg(true, kTimeout, kRetries));
  const auto t0 = Clock::now();
  EXPECT_FALSE(rx.recv(10s).has_value());
  const auto took = Clock::now() - t0;
  EXPECT_EQ(rx.end_reason(), EndReason::RetriesExhausted);
  EXPECT_TRUE(rx.end_of_stream());
  EXPECT_GE(took, kRetries * 3 * kTimeout - 50ms);
  EXPECT_LT(took, kRetries * 3 * kTimeout + 2s);
}

TEST_P(LazyPirate, CloseIsBoundedAfterThePeerWasKilled) {
  {
    Child rx(peer_args("recv", cfg(true, 1000ms, 0)));
    BackgroundSender tx(cfg(false, 1000ms, 0));
    ASSERT_TRUE(rx.wait_for_output("FRAME", 10s));
    rx.signal(SIGKILL);
    rx.wait(5s);
    tx.stop();
    const auto t0 = Clock::now();
    tx.netgear().close();
    EXPECT_LT(Clock::now() - t0, 2s);
  }
  {
    NetGear rx(cfg(true, 1000ms, 0));
    Child tx(peer_args("send", cfg(false, 1000ms, 0)));
    ASSERT_TRUE(rx.recv(10s).has_value());
    tx.signal(SIGKILL);
    tx.wait(5s);
    const auto t0 = Clock::now();
    rx.close();
    EXPECT_LT(Clock::now() - t0, 2s);
  }
}

INSTANTIATE_TEST_SUITE_P(Synchronous, LazyPirate, testing::Values(Pattern::Pair, Pattern::ReqRep),
                         [](const auto& i) { return i.param == Pattern::Pair ? "Pair" : "ReqRep"; });

TEST(SubscriberTimeout, EndsTheStreamWhenThePublisherVanishes) {
  const std::string port = std::to_string(test::free_tcp_port());
  Config rc = config(true, Pattern::PubSub, Protocol::Tcp, port);
  // Long enough for the child to start and send its first frame on a loaded machine (a sanitizer
  // build beside other jobs took more than 300 ms).
  rc.options.subscriber_timeout = 3s;
  NetGear rx(rc);
  Child tx(peer_args("send", config(false, Pattern::PubSub, Protocol::Tcp, port)));
  ASSERT_TRUE(rx.recv(10s).has_value());
  tx.signal(SIGKILL);
  tx.wait(5s);
  const auto t0 = Clock::now();
  while (rx.recv(10s)) {
  }
  EXPECT_EQ(rx.end_reason(), EndReason::SubscriberTimeout);
  EXPECT_LT(Clock::now() - t0, 3s + 2s);
  const auto c0 = Clock::now();
  rx.close();
  EXPECT_LT(Clock::now() - c0, 1s);
}

TEST(PubSubClose, PublisherCloseIsBoundedWithSubscriberGone) {
  const std::string port = std::to_string(test::free_tcp_port());
  Child rx(peer_args("recv", config(true, Pattern::PubSub, Protocol::Tcp, port)));
  ASSERT_TRUE(rx.wait_for_output("READY", 10s));
  Config tc = config(false, Pattern::PubSub, Protocol::Tcp, port);
  BackgroundSender tx(tc);
  ASSERT_TRUE(rx.wait_for_output("FRAME", 10s));
  rx.signal(SIGKILL);
  rx.wait(5s);
  tx.stop();
  const auto t0 = Clock::now();
  tx.netgear().close();
  EXPECT_LT(Clock::now() - t0, 2s);
}

}  // namespace
}  // namespace netgear
