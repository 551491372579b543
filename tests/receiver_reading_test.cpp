// Patterns 0/1: the receiver answers every frame whether or not the application waits in recv(),
// hands each frame out once and in order (also to several threads at once), and a frame read
// starts Lazy Pirate's count of silences again. Real sockets on loopback.
#include <chrono>
#include <future>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <zmq.hpp>

#include "netgear/netgear.hpp"
#include "support/test_support.hpp"

namespace netgear {
namespace {

using namespace std::chrono_literals;

class ReceiverReading : public ::testing::TestWithParam<Pattern> {};

cv::Mat numbered(int i) { return cv::Mat(8, 8, CV_8UC1, cv::Scalar(10 * i)); }

// Nobody calls recv() while the frames come: the receiving thread answers each one (a synchronous
// sender would otherwise wait out its request_timeout) and queues them in order.
TEST_P(ReceiverReading, AnApplicationAwayStillHasItsFramesAnswered) {
  const std::string port = std::to_string(test::free_tcp_port());
  NetGear rx(test::config(true, GetParam(), Protocol::Tcp, port));
  Config tc = test::config(false, GetParam(), Protocol::Tcp, port);
  tc.options.max_retries = 1;  // a frame left unanswered for request_timeout fails the test
  NetGear tx(tc);
  constexpr int kFrames = 5;
  for (int i = 0; i < kFrames; ++i) ASSERT_TRUE(tx.send(numbered(i), json(i)).delivered) << "frame " << i;
  EXPECT_EQ(tx.stats().frames_lost, 0u);
  for (int i = 0; i < kFrames; ++i) {
    auto f = rx.recv(5s);
    ASSERT_TRUE(f) << "frame " << i;
    EXPECT_EQ(f->message, i);
  }
}

// The application waits in recv() for each frame: every frame comes once, in order, with its
// message, and each one's answer reaches the sender.
TEST_P(ReceiverReading, AnApplicationWaitingReadsEveryFrameInOrder) {
  const std::string port = std::to_string(test::free_tcp_port());
  NetGear rx(test::config(true, GetParam(), Protocol::Tcp, port));
  NetGear tx(test::config(false, GetParam(), Protocol::Tcp, port));
  constexpr int kFrames = 30;
  std::vector<int> got;
  std::thread app([&] {
    for (int i = 0; i < kFrames; ++i) {
      auto f = rx.recv(5s);
      if (!f) return;
      got.push_back(f->message.get<int>());
    }
  });
  int delivered = 0;
  for (int i = 0; i < kFrames; ++i) delivered += tx.send(numbered(i), json(i)).delivered ? 1 : 0;
  app.join();
  EXPECT_EQ(delivered, kFrames);
  EXPECT_EQ(got, test::zero_to(kFrames));
}

TEST_P(ReceiverReading, TwoThreadsReceivingTogetherGetEveryFrameOnce) {
  const std::string port = std::to_string(test::free_tcp_port());
  NetGear rx(test::config(true, GetParam(), Protocol::Tcp, port));
  NetGear tx(test::config(false, GetParam(), Protocol::Tcp, port));
  constexpr int kFrames = 40;
  test::ReceivingThreads app(rx, 2);
  for (int i = 0; i < kFrames; ++i) EXPECT_TRUE(tx.send(numbered(i), json(i)).delivered) << "frame " << i;
  EXPECT_TRUE(test::wait_until([&] { return app.received() >= static_cast<std::size_t>(kFrames); }, 5s));
  EXPECT_EQ(app.stop(), test::zero_to(kFrames));
}

// A frame read (while the application waits in recv()) starts Lazy Pirate's count of silences
// again. With max_retries 3 the stream ends at the third silence in a row: after a frame, two
// re-binds and then the end. Had the frame not counted, the count would have gone on from the
// silences before it (one re-bind at most after the frame).
TEST_P(ReceiverReading, AFrameStartsTheSilenceCountAgain) {
  const std::string port = std::to_string(test::free_tcp_port());
  Config rc = test::config(true, GetParam(), Protocol::Tcp, port);
  rc.options.request_timeout = 200ms;  // a re-bind after 600 ms of silence
  rc.options.max_retries = 3;
  NetGear rx(rc);
  ASSERT_TRUE(test::wait_until([&] { return rx.stats().reconnects >= 1; }, 5s)) << "no re-bind after a silence";
  ASSERT_FALSE(rx.end_of_stream());

  auto app = std::async(std::launch::async, [&] { return rx.recv(5s); });
  // A plain ZeroMQ sender (vidgear's messages), which leaves without a termination message.
  const bool pair = GetParam() == Pattern::Pair;
  zmq::context_t ctx(1);
  zmq::socket_t tx(ctx, pair ? zmq::socket_type::pair : zmq::socket_type::req);
  tx.set(zmq::sockopt::linger, 0);
  tx.connect("tcp://127.0.0.1:" + port);
  const std::string header = std::string(R"({"terminate_flag": false, "compression": false, "message": 7, "pattern": ")") +
                             (pair ? "0" : "1") + R"(", "dtype": "uint8", "shape": [2, 2]})";
  ASSERT_TRUE(tx.send(zmq::buffer(header), zmq::send_flags::sndmore));
  ASSERT_TRUE(tx.send(zmq::buffer(std::string(4, '\x07')), zmq::send_flags::none));
  zmq::pollitem_t item{static_cast<void*>(tx), 0, ZMQ_POLLIN, 0};
  ASSERT_EQ(zmq::poll(&item, 1, 5s), 1) << "no answer";
  auto f = app.get();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->message, 7);
  EXPECT_EQ(f->image.at<uchar>(1, 1), 7);
  const auto at_frame = rx.stats().reconnects;
  tx.close();

  EXPECT_FALSE(rx.recv(10s).has_value());
  EXPECT_EQ(rx.end_reason(), EndReason::RetriesExhausted);
  EXPECT_EQ(rx.stats().reconnects - at_frame, 2u) << "re-binds after the frame";
}

INSTANTIATE_TEST_SUITE_P(Patterns, ReceiverReading, ::testing::Values(Pattern::Pair, Pattern::ReqRep),
                         [](const auto& info) { return info.param == Pattern::Pair ? "Pair" : "ReqRep"; });

}  // namespace
}  // namespace netgear
