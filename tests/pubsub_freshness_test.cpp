// PUB/SUB freshness and the pattern 2 paths of issue 16: a receiver slower than the stream is
// handed the newest frame (a dropping queue of one by default), JPEG frames wait undecoded (a
// corrupt one is dropped by recv(), a lying header before it is queued), a publisher sends a
// frame's header first (nothing is encoded for a subscriber that is behind), waits at most
// pubsub_send_wait for room, and a signal ends that wait. Real sockets on 127.0.0.1: NetGear
// on one side, NetGear or a plain ZeroMQ socket on the other.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "codec/jpeg.hpp"
#include "netgear/netgear.hpp"
#include "support/test_support.hpp"

namespace netgear {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

Config sub_config(const std::string& port) {
  Config c = test::config(true, Pattern::PubSub, Protocol::Tcp, port);
  c.options.subscriber_timeout = 10s;
  return c;
}

Config pub_config(const std::string& port) {
  Config c = test::config(false, Pattern::PubSub, Protocol::Tcp, port);
  c.options.jpeg_compression = false;
  return c;
}

// A plain XPUB that connects to a NetGear receiver and sends what it is given, after the
// subscription has arrived (no slow-joiner loss).
struct PlainPublisher {
  zmq::context_t ctx{1};
  zmq::socket_t sock{ctx, zmq::socket_type::xpub};
  explicit PlainPublisher(const std::string& port) {
    sock.set(zmq::sockopt::linger, 0);
    sock.connect("tcp://127.0.0.1:" + port);
    zmq::message_t sub;
    sock.set(zmq::sockopt::rcvtimeo, 5000);
    EXPECT_TRUE(sock.recv(sub)) << "no subscription within 5 s";
  }
  void send(const std::string& header, const std::string& payload) {
    sock.send(zmq::buffer(header), zmq::send_flags::sndmore);
    sock.send(zmq::buffer(payload), zmq::send_flags::none);
  }
};

std::string jpeg_header(int message) {
  return R"({"terminate_flag": false, "compression": {"dct": true, "ups": false, "colorspace": "BGR"}, "message": )" +
         std::to_string(message) + R"(, "pattern": "2", "dtype": "", "shape": ""})";
}

// A smooth picture (JPEG keeps it close; noise it would not).
cv::Mat smooth(int rows, int cols) {
  cv::Mat m(rows, cols, CV_8UC3);
  for (int y = 0; y < rows; ++y)
    for (int x = 0; x < cols; ++x) m.at<cv::Vec3b>(y, x) = cv::Vec3b(x * 3, y * 4, (x + y) * 2);
  return m;
}

std::string jpeg_of(const cv::Mat& bgr) {
  codec::JpegEncoder enc;
  const auto bytes = enc.encode(bgr, Colorspace::BGR, 90, true);
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// Sends frames 0..n-1 (raw 16x16, message = index) from a NetGear publisher and waits until the
// receiver has queued every one of them, without taking any.
void publish_and_wait(NetGear& tx, NetGear& rx, int n) {
  const cv::Mat frame = test::random_mat(16, 16, CV_8UC3, 3);
  // The subscription takes a moment to reach the publisher: until the first frame is in, send again.
  int sent = 0;
  ASSERT_TRUE(test::wait_until(
      [&] {
        if (rx.stats().frames > 0) return true;
        tx.send(frame, 0);
        std::this_thread::sleep_for(5ms);
        return false;
      },
      5s));
  const std::uint64_t before = rx.stats().frames;
  for (sent = 1; sent < n; ++sent) tx.send(frame, sent);
  ASSERT_TRUE(test::wait_until([&] { return rx.stats().frames >= before + static_cast<std::uint64_t>(n - 1); }, 5s))
      << "the receiver queued " << rx.stats().frames << " frames";
}

TEST(PubSubFreshness, AnApplicationThatFellBehindIsHandedTheNewestFrame) {
  const std::string port = std::to_string(test::free_tcp_port());
  NetGear rx(sub_config(port));
  NetGear tx(pub_config(port));
  publish_and_wait(tx, rx, 10);
  auto f = rx.recv(1s);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->message, 9) << "the queue holds one frame by default on pattern 2: the newest";
  EXPECT_FALSE(rx.recv(100ms)) << "older frames were dropped, not kept";
  EXPECT_EQ(rx.stats().dropped_queue, rx.stats().frames - 1);
}

TEST(PubSubFreshness, AnExplicitQueueSizeKeepsThatManyNewestFrames) {
  const std::string port = std::to_string(test::free_tcp_port());
  Config c = sub_config(port);
  c.options.queue_size = 4;
  NetGear rx(c);
  NetGear tx(pub_config(port));
  publish_and_wait(tx, rx, 10);
  for (int want = 6; want <= 9; ++want) {
    auto f = rx.recv(1s);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->message, want);
  }
}

TEST(PubSubFreshness, KeepNewestOnPatternOneHoldsOneFrameByDefault) {
  const std::string port = std::to_string(test::free_tcp_port());
  Config rc = test::config(true, Pattern::ReqRep, Protocol::Tcp, port);
  rc.options.keep_newest = true;
  NetGear rx(rc);
  Config tc = test::config(false, Pattern::ReqRep, Protocol::Tcp, port);
  NetGear tx(tc);
  const cv::Mat frame = test::random_mat(16, 16, CV_8UC3, 4);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(tx.send(frame, i).delivered);  // acknowledged before queued
  ASSERT_TRUE(test::wait_until([&] { return rx.stats().frames == 5; }, 5s));
  auto f = rx.recv(1s);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->message, 4);
  EXPECT_EQ(rx.stats().dropped_queue, 4u);
}

// Pattern 2: recv() reads the socket itself while the application keeps up, the receiving thread
// while it is away (engine::ReadTurns). A plain publisher sends every frame after the
// subscription arrived, so that none is lost and the counts are exact.

std::string raw_header(int message) {
  return R"({"terminate_flag": false, "compression": false, "message": )" + std::to_string(message) +
         R"(, "pattern": "2", "dtype": "uint8", "shape": [4, 4, 3]})";
}

const std::string kRawPayload(48, '\x2a');

TEST(PubSubTurns, AnApplicationAwayIsHandedTheNewestFrameAndOneThatWaitsTheNextOne) {
  const std::string port = std::to_string(test::free_tcp_port());
  NetGear rx(sub_config(port));
  PlainPublisher pub(port);
  // Waiting in recv() (reading the socket itself): the frame sent meanwhile.
  std::optional<Frame> first;
  std::thread app([&] { first = rx.recv(5s); });
  pub.send(raw_header(0), kRawPayload);
  app.join();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->message, 0);
  // Away (between recv() calls): the receiving thread reads the socket and keeps the newest.
  for (int i = 1; i <= 9; ++i) pub.send(raw_header(i), kRawPayload);
  ASSERT_TRUE(test::wait_until([&] { return rx.stats().frames == 10; }, 5s))
      << "frames 1-9 were not read while the application was away: " << rx.stats().frames;
  auto newest = rx.recv(1s);
  ASSERT_TRUE(newest);
  EXPECT_EQ(newest->message, 9);
  EXPECT_EQ(rx.stats().dropped_queue, 8u);
  // Back and waiting: the next frame, whoever holds the socket now.
  std::optional<Frame> next;
  std::thread app2([&] { next = rx.recv(5s); });
  pub.send(raw_header(10), kRawPayload);
  app2.join();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->message, 10);
  EXPECT_EQ(next->image.size(), cv::Size(4, 4));
}

TEST(PubSubTurns, TwoThreadsReceivingTogetherGetEveryFrameOnce) {
  const std::string port = std::to_string(test::free_tcp_port());
  NetGear rx(sub_config(port));
  PlainPublisher pub(port);
  constexpr int kFrames = 40;
  test::ReceivingThreads app(rx, 2);
  for (int i = 0; i < kFrames; ++i) {
    pub.send(raw_header(i), kRawPayload);
    // The next one only once this one was taken: the dropping queue never has to choose.
    if (!test::wait_until([&] { return app.received() == static_cast<std::size_t>(i + 1); }, 5s)) break;
  }
  EXPECT_EQ(app.stop(), test::zero_to(kFrames));
}

TEST(PubSubTurns, CloseFromAnotherThreadEndsAWaitingRecv) {
  const std::string port = std::to_string(test::free_tcp_port());
  NetGear rx(sub_config(port));
  std::atomic<bool> returned{false};
  std::optional<Frame> got;
  std::thread app([&] {
    got = rx.recv();  // no time-out: only close() ends it
    returned = true;
  });
  // Not synchronisation (the test holds either way): most likely, close() now meets a recv()
  // that is reading the socket itself.
  std::this_thread::sleep_for(100ms);
  const auto t0 = Clock::now();
  rx.close();
  app.join();
  EXPECT_TRUE(returned.load());
  EXPECT_FALSE(got);
  EXPECT_EQ(rx.end_reason(), EndReason::Closed);
  EXPECT_LT(Clock::now() - t0, 2s);
}

TEST(PubSubTurns, SubscriberTimeoutEndsTheStreamWhetherTheApplicationWaitsOrIsAway) {
  for (const bool waiting : {true, false}) {
    SCOPED_TRACE(waiting ? "the application waits in recv()" : "the application is away");
    const std::string port = std::to_string(test::free_tcp_port());
    Config c = sub_config(port);
    c.options.subscriber_timeout = 300ms;
    NetGear rx(c);
    PlainPublisher pub(port);
    const auto t0 = Clock::now();  // the silence starts after this (when the frame is read)
    pub.send(raw_header(0), kRawPayload);
    ASSERT_TRUE(rx.recv(5s));
    if (waiting) {
      EXPECT_FALSE(rx.recv(10s));
    } else {
      ASSERT_TRUE(test::wait_until([&] { return rx.end_reason() != EndReason::None; }, 10s));
    }
    EXPECT_EQ(rx.end_reason(), EndReason::SubscriberTimeout);
    EXPECT_GE(Clock::now() - t0, 300ms) << "ended before subscriber_timeout of silence";
    EXPECT_LT(Clock::now() - t0, 5s);
    EXPECT_TRUE(rx.end_of_stream());
  }
}

TEST(PubSubJpeg, FramesWaitUndecodedAndACorruptOneIsDroppedByRecv) {
  const std::string port = std::to_string(test::free_tcp_port());
  NetGear rx(sub_config(port));
  PlainPublisher pub(port);
  const cv::Mat image = smooth(240, 320);
  std::string corrupt = jpeg_of(image);
  // The second half of the scan: the headers (tables, size) before it stay intact.
  for (std::size_t i = corrupt.size() / 2; i + 2 < corrupt.size(); ++i) corrupt[i] = static_cast<char>(0xFF);

  // Its header is fine, so it is queued; the data is found bad when recv() decodes it.
  pub.send(jpeg_header(1), corrupt);
  ASSERT_TRUE(test::wait_until([&] { return rx.stats().frames == 1; }, 5s));
  EXPECT_EQ(rx.stats().dropped_malformed, 0u);
  EXPECT_FALSE(rx.recv(200ms)) << "a corrupt JPEG was handed out";
  EXPECT_EQ(rx.stats().dropped_malformed, 1u);

  pub.send(jpeg_header(2), jpeg_of(image));
  auto f = rx.recv(5s);
  ASSERT_TRUE(f) << "the stream did not go on";
  EXPECT_EQ(f->message, 2);
  ASSERT_EQ(f->image.size(), image.size());
  EXPECT_EQ(f->image.type(), CV_8UC3);
  EXPECT_LT(cv::norm(f->image, image, cv::NORM_L1) / static_cast<double>(image.total() * 3), 4.0);
}

TEST(PubSubJpeg, AHeaderThatClaimsTooBigAFrameIsDroppedBeforeItIsQueued) {
  const std::string port = std::to_string(test::free_tcp_port());
  Config c = sub_config(port);
  c.options.max_frame_bytes = 4096;  // 48 x 64 x 3 = 9216
  NetGear rx(c);
  PlainPublisher pub(port);
  pub.send(jpeg_header(1), jpeg_of(smooth(48, 64)));
  ASSERT_TRUE(test::wait_until([&] { return rx.stats().dropped_malformed == 1; }, 5s));
  EXPECT_EQ(rx.stats().frames, 0u) << "checked when it arrived, not when recv() took it";
}

// A plain SUB that never reads, with small buffers: after a few raw frames its connection is
// full and a publisher's pipe to it stays full (SNDHWM 1).
struct StalledSubscriber {
  zmq::context_t ctx{1};
  zmq::socket_t sock{ctx, zmq::socket_type::sub};
  std::string port;
  StalledSubscriber() {
    sock.set(zmq::sockopt::linger, 0);
    sock.set(zmq::sockopt::rcvhwm, 1);
    sock.set(zmq::sockopt::rcvbuf, 64 * 1024);
    sock.set(zmq::sockopt::subscribe, "");
    sock.bind("tcp://127.0.0.1:*");
    const std::string ep = sock.get(zmq::sockopt::last_endpoint);
    port = ep.substr(ep.rfind(':') + 1);
  }
};

// Sends until the subscriber has read one frame (a bound socket takes a new connection, and
// sends its subscription, only when its owner calls into it), then until the publisher has
// dropped three frames in a row (the subscriber, no longer reading, is behind for good: one drop
// alone may be ZeroMQ's I/O thread falling behind for a moment on a busy machine, which makes
// room again later). false when that did not happen within 20 s.
bool fill_until_dropped(NetGear& tx, StalledSubscriber& sub, const cv::Mat& frame) {
  const auto until = Clock::now() + 20s;
  for (bool got = false; !got;) {
    if (Clock::now() > until) {
      ADD_FAILURE() << "the subscriber got no frame";
      return false;
    }
    tx.send(frame);
    std::vector<zmq::message_t> parts;
    got = zmq::recv_multipart(sub.sock, std::back_inserter(parts), zmq::recv_flags::dontwait).has_value();
    if (!got) std::this_thread::sleep_for(5ms);
  }
  for (int in_a_row = 0; Clock::now() < until;) {
    const std::uint64_t before = tx.stats().frames_dropped;
    tx.send(frame);
    in_a_row = tx.stats().frames_dropped > before ? in_a_row + 1 : 0;
    if (in_a_row == 3) return true;
  }
  ADD_FAILURE() << "sent " << tx.stats().frames << " frames, none dropped";
  return false;
}

TEST(PubSubSender, ASubscriberThatIsBehindCostsAtMostPubsubSendWaitPerFrame) {
  StalledSubscriber sub;
  Config c = pub_config(sub.port);
  c.options.pubsub_send_wait = 300ms;
  c.options.pubsub_socket_buffer = 64 * 1024;
  NetGear tx(c);
  const cv::Mat frame = test::random_mat(480, 640, CV_8UC3, 7);
  ASSERT_TRUE(fill_until_dropped(tx, sub, frame));
  const std::uint64_t frames = tx.stats().frames, dropped = tx.stats().frames_dropped;
  const auto t0 = Clock::now();
  tx.send(frame);
  const auto waited = Clock::now() - t0;
  EXPECT_GE(waited, 250ms) << "send() did not wait for room";
  EXPECT_LT(waited, 2s) << "send() waited longer than pubsub_send_wait";
  EXPECT_EQ(tx.stats().frames_dropped, dropped + 1);
  EXPECT_EQ(tx.stats().frames, frames) << "a dropped frame counted as sent";
}

TEST(PubSubSender, WithoutAWaitADroppedFrameReturnsAtOnce) {
  StalledSubscriber sub;
  Config c = pub_config(sub.port);
  c.options.pubsub_send_wait = 0ms;
  c.options.pubsub_socket_buffer = 64 * 1024;
  NetGear tx(c);
  const cv::Mat frame = test::random_mat(480, 640, CV_8UC3, 8);
  ASSERT_TRUE(fill_until_dropped(tx, sub, frame));
  const std::uint64_t dropped = tx.stats().frames_dropped;
  const auto t0 = Clock::now();
  for (int i = 0; i < 20; ++i) tx.send(frame);
  EXPECT_LT(Clock::now() - t0, 1s) << "dropped frames should not wait";
  EXPECT_GT(tx.stats().frames_dropped, dropped);
}

TEST(PubSubSender, ASubscriberThatCatchesUpGetsWholeFramesOnly) {
  StalledSubscriber sub;
  Config c = pub_config(sub.port);
  c.options.pubsub_send_wait = 0ms;
  c.options.pubsub_socket_buffer = 64 * 1024;
  NetGear tx(c);
  const cv::Mat frame = test::random_mat(480, 640, CV_8UC3, 9);
  ASSERT_TRUE(fill_until_dropped(tx, sub, frame));
  const std::uint64_t taken_before = tx.stats().frames;
  for (int i = 0; i < 50; ++i) tx.send(frame);  // refused at the header: no half message left behind
  const std::uint64_t taken = tx.stats().frames - taken_before;
  // Read everything that arrived: every message is a header and a whole payload.
  int messages = 0;
  sub.sock.set(zmq::sockopt::rcvtimeo, 500);
  for (;;) {
    std::vector<zmq::message_t> parts;
    if (!zmq::recv_multipart(sub.sock, std::back_inserter(parts))) break;
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[1].size(), frame.total() * frame.elemSize());
    ++messages;
  }
  EXPECT_GT(messages, 0);
  // Every frame the publisher took after the subscriber stalled arrives (and the ones before that
  // were still on their way).
  EXPECT_GE(static_cast<std::uint64_t>(messages), taken) << "a frame the publisher took was lost";
}

extern "C" void on_usr1(int) {}

TEST(PubSubSender, ASignalEndsTheWaitAndDropsTheFrame) {
  struct sigaction sa {};
  sa.sa_handler = on_usr1;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: the wait sees EINTR
  struct sigaction old {};
  ASSERT_EQ(::sigaction(SIGUSR1, &sa, &old), 0);

  StalledSubscriber sub;
  Config c = pub_config(sub.port);
  c.options.pubsub_send_wait = 20s;
  c.options.pubsub_socket_buffer = 64 * 1024;
  NetGear tx(c);
  const cv::Mat frame = test::random_mat(480, 640, CV_8UC3, 10);
  std::atomic<bool> done{false};
  const pthread_t me = ::pthread_self();
  std::thread poker([&] {
    // Signal the sending thread every 200 ms until it is done.
    while (!done) {
      std::this_thread::sleep_for(200ms);
      if (!done) ::pthread_kill(me, SIGUSR1);
    }
  });
  const auto t0 = Clock::now();
  bool dropped = false;
  EXPECT_NO_THROW(dropped = fill_until_dropped(tx, sub, frame));
  done = true;
  poker.join();
  ::sigaction(SIGUSR1, &old, nullptr);
  EXPECT_TRUE(dropped) << "no frame was dropped";
  EXPECT_LT(Clock::now() - t0, 15s) << "a signal did not end the 20 s wait";
}

}  // namespace
}  // namespace netgear
