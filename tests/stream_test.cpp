// Sender and receiver in one process (threads), over real ZeroMQ sockets on 127.0.0.1 and ipc.
#include <cmath>
#include <cstdlib>
#include <thread>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "netgear/netgear.hpp"
#include "support/test_support.hpp"

namespace netgear {
namespace {

using namespace std::chrono_literals;
using test::config;

struct Endpoint {
  Pattern pattern;
  Protocol protocol;
};

std::string name_of(const testing::TestParamInfo<Endpoint>& i) {
  return std::string(i.param.pattern == Pattern::Pair ? "Pair" : i.param.pattern == Pattern::ReqRep ? "ReqRep" : "PubSub") +
         (i.param.protocol == Protocol::Tcp ? "Tcp" : "Ipc");
}

class Stream : public testing::TestWithParam<Endpoint> {
 protected:
  void SetUp() override {
    port_ = std::to_string(test::free_tcp_port());
    ipc_ = test::unique_ipc_prefix();
  }
  Config rx_config() { return config(true, GetParam().pattern, GetParam().protocol, port_, ipc_); }
  Config tx_config() { return config(false, GetParam().pattern, GetParam().protocol, port_, ipc_); }
  bool pubsub() const { return GetParam().pattern == Pattern::PubSub; }

  std::string port_, ipc_;
};

// Sends `frame` until the receiver has `want` frames (PUB/SUB loses frames while the subscription
// is being set up, so it keeps sending), and returns what arrived.
std::vector<Frame> stream(NetGear& tx, NetGear& rx, const cv::Mat& frame, int want, const json& message = nullptr) {
  std::vector<Frame> got;
  std::atomic<bool> done{false};
  std::thread sender([&] {
    for (int i = 0; !done && i < 100000; ++i) {
      json m = message.is_null() ? json{{"i", i}} : message;
      tx.send(frame, m);
    }
  });
  while (static_cast<int>(got.size()) < want) {
    auto f = rx.recv(10s);
    if (!f) break;
    got.push_back(std::move(*f));
  }
  done = true;
  sender.join();
  return got;
}

TEST_P(Stream, RawFramesArriveExact) {
  NetGear rx(rx_config());
  Config tc = tx_config();
  tc.options.jpeg_compression = false;
  NetGear tx(tc);
  cv::Mat frame = test::random_mat(48, 64, CV_8UC3, 7);
  auto got = stream(tx, rx, frame, 5);
  ASSERT_EQ(got.size(), 5u);
  for (const auto& f : got) EXPECT_TRUE(test::same_mat(f.image, frame));
}

TEST_P(Stream, JpegFramesArriveWithRightShape) {
  NetGear rx(rx_config());
  NetGear tx(tx_config());
  cv::Mat frame(120, 160, CV_8UC3, cv::Scalar(30, 120, 210));
  auto got = stream(tx, rx, frame, 3);
  ASSERT_EQ(got.size(), 3u);
  for (const auto& f : got) {
    EXPECT_EQ(f.image.type(), CV_8UC3);
    EXPECT_EQ(f.image.size(), frame.size());
    EXPECT_LT(cv::norm(f.image, frame, cv::NORM_INF), 8.0);
  }
}

TEST_P(Stream, JpegOnSeveralThreadsOnBothEndsGivesTheSamePixelsAsOneThread) {
  // 640x480 on 2 threads: the sender encodes strips joined at a restart marker, the receiver
  // decodes the two parts at once; the frames equal those of a stream on one thread each.
  const cv::Mat frame = test::random_mat(480, 640, CV_8UC3, 3);
  std::vector<cv::Mat> images;
  for (const int threads : {1, 2}) {
    SetUp();  // fresh endpoints for each stream
    Config rc = rx_config(), tc = tx_config();
    rc.options.jpeg_compression_threads = tc.options.jpeg_compression_threads = threads;
    NetGear rx(rc);
    NetGear tx(tc);
    auto got = stream(tx, rx, frame, 2);
    ASSERT_EQ(got.size(), 2u) << threads << " thread(s)";
    EXPECT_TRUE(test::same_mat(got[0].image, got[1].image));
    images.push_back(got[1].image);
  }
  EXPECT_TRUE(test::same_mat(images[0], images[1]));
  EXPECT_LT(cv::norm(images[1], frame, cv::NORM_L1) / static_cast<double>(frame.total() * 3), 40.0);  // a JPEG of it
}

TEST_P(Stream, ReceiverSeesEndOfStreamAfterSenderCloses) {
  NetGear rx(rx_config());
  NetGear tx(tx_config());
  cv::Mat frame(32, 32, CV_8UC1, cv::Scalar(9));
  ASSERT_EQ(stream(tx, rx, frame, 2).size(), 2u);
  tx.close();
  // Drain whatever is still queued; then the stream must end by termination.
  for (int i = 0; i < 1000 && rx.recv(10s); ++i) {
  }
  EXPECT_TRUE(rx.end_of_stream());
  EXPECT_EQ(rx.end_reason(), EndReason::Terminated);
  EXPECT_FALSE(rx.recv(10ms).has_value());
}

TEST_P(Stream, CloseIsBoundedWithPeerGone) {
  // A sender whose receiver never existed, and a receiver whose sender never existed.
  Config tc = tx_config();
  tc.options.request_timeout = 500ms;
  {
    NetGear tx(tc);
    auto t0 = std::chrono::steady_clock::now();
    tx.close();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  }
  {
    NetGear rx(rx_config());
    auto t0 = std::chrono::steady_clock::now();
    rx.close();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
    EXPECT_EQ(rx.end_reason(), EndReason::Closed);
  }
}

INSTANTIATE_TEST_SUITE_P(AllPatterns, Stream,
                         testing::Values(Endpoint{Pattern::Pair, Protocol::Tcp}, Endpoint{Pattern::Pair, Protocol::Ipc},
                                         Endpoint{Pattern::ReqRep, Protocol::Tcp}, Endpoint{Pattern::ReqRep, Protocol::Ipc},
                                         Endpoint{Pattern::PubSub, Protocol::Tcp}, Endpoint{Pattern::PubSub, Protocol::Ipc}),
                         name_of);

class Pair : public testing::Test {
 protected:
  Pair()
      : port_(std::to_string(test::free_tcp_port())),
        rx_(config(true, Pattern::Pair, Protocol::Tcp, port_)),
        tx_(raw_sender(port_)) {}
  static Config raw_sender(const std::string& port) {
    Config c = config(false, Pattern::Pair, Protocol::Tcp, port);
    c.options.jpeg_compression = false;
    return c;
  }
  Frame round_trip(const cv::Mat& m, const json& msg = nullptr) {
    EXPECT_TRUE(tx_.send(m, msg).delivered);
    auto f = rx_.recv(10s);
    EXPECT_TRUE(f.has_value());
    return f ? std::move(*f) : Frame{};
  }
  std::string port_;
  NetGear rx_, tx_;
};

TEST_F(Pair, EveryDepthAndChannelCountIsExact) {
  for (int depth : {CV_8U, CV_8S, CV_16U, CV_16S, CV_32S, CV_32F, CV_64F}) {
    for (int ch : {1, 2, 3, 4}) {
      cv::Mat m = test::random_mat(17, 23, CV_MAKETYPE(depth, ch), static_cast<unsigned>(depth * 10 + ch));
      Frame f = round_trip(m);
      EXPECT_TRUE(test::same_mat(f.image, m)) << "depth " << depth << " channels " << ch;
    }
  }
}

TEST_F(Pair, ThreeDimensionalAndNonContiguousFrames) {
  // A 3-D single-channel matrix travels as shape [4, 5, 6]; like a numpy HxWxC image, it comes
  // back as 4x5 with 6 channels, byte for byte.
  cv::Mat cube = test::random_mat({4, 5, 6}, CV_32F, 3);
  cv::Mat back = round_trip(cube).image;
  EXPECT_TRUE(test::same_mat(back, cv::Mat(4, 5, CV_32FC(6), cube.data)));
  // Four dimensions: the last becomes channels again.
  cv::Mat hyper = test::random_mat({2, 3, 4, 5}, CV_16S, 4);
  back = round_trip(hyper).image;
  ASSERT_EQ(back.dims, 3);
  EXPECT_EQ(back.channels(), 5);
  EXPECT_EQ(std::memcmp(back.data, hyper.data, hyper.total() * hyper.elemSize()), 0);
  cv::Mat big = test::random_mat(100, 100, CV_16UC3, 4);
  cv::Mat roi = big(cv::Rect(10, 20, 30, 40));
  ASSERT_FALSE(roi.isContinuous());
  Frame f = round_trip(roi);
  EXPECT_TRUE(test::same_mat(f.image, roi.clone()));
}

TEST_F(Pair, ReceivedFrameOutlivesEverything) {
  cv::Mat m = test::random_mat(64, 64, CV_64FC1, 5);
  cv::Mat kept = round_trip(m).image;  // the Frame is gone; the matrix owns the message bytes
  rx_.close();
  tx_.close();
  EXPECT_TRUE(test::same_mat(kept, m));
  cv::Mat copy = kept;  // a shared header keeps it alive too
  kept.release();
  EXPECT_TRUE(test::same_mat(copy, m));
}

TEST_F(Pair, EveryJsonKindRidesAlong) {
  cv::Mat m(2, 2, CV_8UC1, cv::Scalar(1));
  const json messages[] = {nullptr, true, false, 0, -7, 123456789012345ll, 2.5, "text", "\u00e9\u6f22\U0001F600",
                           json::array({1, "two", nullptr}), json{{"nested", {{"k", {1.5, false}}}}},
                           json::object(), json::array()};
  for (const auto& msg : messages) EXPECT_EQ(round_trip(m, msg).message, msg) << msg.dump();
  Frame f = round_trip(m, json{{"nan", std::nan("")}, {"inf", HUGE_VAL}, {"ninf", -HUGE_VAL}});
  EXPECT_TRUE(std::isnan(f.message["nan"].get<double>()));
  EXPECT_EQ(f.message["inf"].get<double>(), HUGE_VAL);
  EXPECT_EQ(f.message["ninf"].get<double>(), -HUGE_VAL);
}

TEST_F(Pair, MisuseIsAClearErrorAndInstancesStayUsable) {
  cv::Mat m(4, 4, CV_8UC3, cv::Scalar(1, 2, 3));
  EXPECT_THROW(rx_.send(m), ModeError);
  EXPECT_THROW(tx_.recv(), ModeError);
  EXPECT_THROW(tx_.recv(10ms), ModeError);
  EXPECT_TRUE(test::same_mat(round_trip(m).image, m));
  EXPECT_THROW(tx_.send(cv::Mat()), FrameError);
  EXPECT_TRUE(test::same_mat(round_trip(m).image, m));
}

TEST_F(Pair, RecvWithTimeoutSaysNoFrame) {
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_FALSE(rx_.recv(100ms).has_value());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 90ms);
  EXPECT_FALSE(rx_.end_of_stream());
  EXPECT_EQ(rx_.end_reason(), EndReason::None);
}

TEST(Bind, SecondReceiverOnSamePortSaysWhoBinds) {
  const std::string port = std::to_string(test::free_tcp_port());
  NetGear rx(config(true, Pattern::Pair, Protocol::Tcp, port));
  try {
    NetGear again(config(true, Pattern::Pair, Protocol::Tcp, port));
    FAIL() << "second bind succeeded";
  } catch (const ConnectionError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("receiver binds"), std::string::npos) << what;
    EXPECT_NE(what.find("tcp://127.0.0.1:" + port), std::string::npos) << what;
  }
}

class ManyFrames : public testing::TestWithParam<Pattern> {};

TEST_P(ManyFrames, ThousandFramesNoLossInOrder) {
  const std::string port = std::to_string(test::free_tcp_port());
  NetGear rx(config(true, GetParam(), Protocol::Tcp, port));
  NetGear tx(config(false, GetParam(), Protocol::Tcp, port));
  constexpr int kFrames = 1000;
  std::thread sender([&] {
    cv::Mat m(48, 64, CV_8UC3);
    for (int i = 0; i < kFrames; ++i) {
      m.setTo(cv::Scalar(i % 256, (i / 256) % 256, 0));
      ASSERT_TRUE(tx.send(m, {{"i", i}}).delivered) << i;
    }
    tx.close();
  });
  int next = 0;
  while (auto f = rx.recv(20s)) {
    ASSERT_EQ(f->message["i"].get<int>(), next);
    ++next;
  }
  sender.join();
  EXPECT_EQ(next, kFrames);
  EXPECT_EQ(rx.end_reason(), EndReason::Terminated);
  EXPECT_EQ(rx.stats().frames, static_cast<std::uint64_t>(kFrames));
}

INSTANTIATE_TEST_SUITE_P(Synchronous, ManyFrames, testing::Values(Pattern::Pair, Pattern::ReqRep),
                         [](const auto& i) { return i.param == Pattern::Pair ? "Pair" : "ReqRep"; });

TEST(Queue, KeepNewestDropsOldestWhenFull) {
  const std::string port = std::to_string(test::free_tcp_port());
  Config rc = config(true, Pattern::Pair, Protocol::Tcp, port);
  rc.options.queue_size = 2;
  rc.options.keep_newest = true;
  NetGear rx(rc);
  NetGear tx(config(false, Pattern::Pair, Protocol::Tcp, port));
  cv::Mat m(8, 8, CV_8UC1, cv::Scalar(0));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(tx.send(m, i).delivered);
  // Every frame was acknowledged; the receiver kept the newest two once the 10th is queued.
  ASSERT_TRUE(test::wait_until([&] { return rx.stats().frames == 10; }, 10s));
  EXPECT_EQ(rx.recv(1s)->message, 8);
  EXPECT_EQ(rx.recv(1s)->message, 9);
  EXPECT_EQ(rx.stats().dropped_queue, 8u);
}

// pubsub_socket_buffer bounds the kernel buffers; frames far larger than the buffer still arrive
// whole, and 0 (the OS default) works too.
TEST(PubSubSocketBuffer, LargeFramesArriveWithAnyBuffer) {
  for (std::size_t buffer : {std::size_t{0}, std::size_t{4096}, std::size_t{128 * 1024}}) {
    SCOPED_TRACE(buffer);
    const std::string port = std::to_string(test::free_tcp_port());
    Config rc = config(true, Pattern::PubSub, Protocol::Tcp, port);
    Config tc = config(false, Pattern::PubSub, Protocol::Tcp, port);
    rc.options.pubsub_socket_buffer = tc.options.pubsub_socket_buffer = buffer;
    tc.options.jpeg_compression = false;
    NetGear rx(rc);
    NetGear tx(tc);
    const cv::Mat frame = test::random_mat(600, 800, CV_8UC3, 11);  // 1.4 MB
    auto got = stream(tx, rx, frame, 3);
    ASSERT_EQ(got.size(), 3u);
    for (const auto& f : got) EXPECT_TRUE(test::same_mat(f.image, frame));
  }
}

TEST(Ipv6, LoopbackWorks) {
  const std::string port = std::to_string(test::free_tcp_port());
  Config rc = config(true, Pattern::ReqRep, Protocol::Tcp, port);
  rc.address = "::1";
  Config tc = config(false, Pattern::ReqRep, Protocol::Tcp, port);
  tc.address = "::1";
  NetGear rx(rc);
  EXPECT_EQ(rx.endpoint(), "tcp://[::1]:" + port);
  NetGear tx(tc);
  cv::Mat m(8, 8, CV_8UC3, cv::Scalar(50, 100, 150));
  ASSERT_TRUE(tx.send(m, "v6").delivered);
  auto f = rx.recv(5s);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->message, "v6");
}

}  // namespace
}  // namespace netgear

namespace netgear {
namespace {

TEST(ReceiverThread, AnErrorInTheThreadReachesTheCaller) {
  // The receiver re-binds after a silent period; make that re-bind fail by removing the folder
  // of its ipc socket. recv() must rethrow the error instead of hanging or ending quietly.
  char dir_template[] = "/tmp/netgear-test-dir-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  Config c = config(true, Pattern::Pair, Protocol::Ipc, "5555", dir + "/sock");
  c.options.request_timeout = std::chrono::milliseconds(20);
  c.options.max_retries = 0;
  NetGear rx(c);
  ASSERT_EQ(std::system(("rm -rf " + dir).c_str()), 0);
  try {
    while (rx.recv(std::chrono::seconds(10))) {
    }
    FAIL() << "recv() ended without an error; end reason: " << to_string(rx.end_reason());
  } catch (const ConnectionError& e) {
    EXPECT_NE(std::string(e.what()).find("receiver binds"), std::string::npos) << e.what();
  }
  EXPECT_EQ(rx.end_reason(), EndReason::Failed);
  EXPECT_THROW(rx.recv(std::chrono::milliseconds(10)), ConnectionError);  // and again: it stays visible
}

}  // namespace
}  // namespace netgear
