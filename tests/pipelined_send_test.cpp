// Options::pipelined_send: send() returns once the frame is on its way and the next call settles
// its acknowledgement. Frames still arrive whole and in order, one at a time on the wire (REQ/REP
// allows no other), each call reports the previous frame, close() settles the last one, and Lazy
// Pirate still counts a frame that got no answer as lost and gives up after max_retries.
#include <chrono>

#include <gtest/gtest.h>

#include "netgear/netgear.hpp"
#include "support/test_support.hpp"

namespace netgear {
namespace {

using namespace std::chrono_literals;

class PipelinedSend : public testing::TestWithParam<Pattern> {
 protected:
  Config cfg(bool rx) const {
    Config c = test::config(rx, GetParam(), Protocol::Tcp, port_);
    c.options.jpeg_compression = false;
    if (!rx) c.options.pipelined_send = true;
    return c;
  }
  std::string port_ = std::to_string(test::free_tcp_port());
};

TEST_P(PipelinedSend, FramesArriveWholeAndInOrderAndEachCallReportsThePreviousFrame) {
  NetGear rx(cfg(true));
  constexpr int kFrames = 30;
  {
    NetGear tx(cfg(false));
    for (int i = 0; i < kFrames; ++i) {
      const SendResult r = tx.send(test::random_mat(24, 32, CV_8UC3, static_cast<unsigned>(i)), i);
      EXPECT_TRUE(r.delivered) << "frame " << i - 1;
      // The call waits for the previous frame's answer, so at most one is unanswered.
      EXPECT_GE(tx.stats().frames + 1, static_cast<std::uint64_t>(i));
    }
    EXPECT_EQ(tx.stats().frames, static_cast<std::uint64_t>(kFrames - 1)) << "the last one is still on its way";
    tx.close();  // settles it
    EXPECT_EQ(tx.stats().frames, static_cast<std::uint64_t>(kFrames));
    EXPECT_EQ(tx.stats().frames_lost, 0u);
  }
  for (int i = 0; i < kFrames; ++i) {
    auto f = rx.recv(5s);
    ASSERT_TRUE(f) << "frame " << i;
    EXPECT_EQ(f->message, i);
    EXPECT_TRUE(test::same_mat(f->image, test::random_mat(24, 32, CV_8UC3, static_cast<unsigned>(i))));
  }
}

TEST_P(PipelinedSend, AFrameWithNoAnswerIsLostAndTheRetriesRunOut) {
  Config c = cfg(false);
  c.options.request_timeout = 200ms;
  c.options.max_retries = 2;
  NetGear tx(c);  // no receiver
  const cv::Mat frame = test::random_mat(8, 8, CV_8UC1, 1);
  // REQ takes a frame with no peer and waits for the answer in the next call; PAIR (ZMQ_IMMEDIATE)
  // does not take it at all, and the call that tried counts it lost. Either way: two losses in a
  // row end it, within a few calls.
  int calls = 0;
  bool threw = false;
  for (; calls < 5 && !threw; ++calls) {
    try {
      tx.send(frame);
    } catch (const RetriesExhaustedError&) {
      threw = true;
    }
  }
  EXPECT_TRUE(threw);
  EXPECT_LE(calls, 3);
  EXPECT_EQ(tx.stats().frames_lost, 2u);
  EXPECT_EQ(tx.stats().frames, 0u);
}

INSTANTIATE_TEST_SUITE_P(Patterns, PipelinedSend, testing::Values(Pattern::Pair, Pattern::ReqRep),
                         [](const auto& i) { return i.param == Pattern::Pair ? "Pair" : "ReqRep"; });

TEST(PipelinedSendOptions, NotWithBidirectionalOrMultiClientMode) {
  Config c = test::config(false, Pattern::Pair, Protocol::Tcp, std::to_string(test::free_tcp_port()));
  c.options.pipelined_send = true;
  c.options.bidirectional_mode = true;
  try {
    NetGear ng(c);
    FAIL() << "accepted with bidirectional_mode";
  } catch (const OptionError& e) {
    EXPECT_EQ(e.option(), "pipelined_send");
  }
  Config m = test::config(false, Pattern::ReqRep, Protocol::Tcp, std::to_string(test::free_tcp_port()));
  m.port = test::free_tcp_ports(2);
  m.options.topology = Topology::MultiClient;
  m.options.pipelined_send = true;
  EXPECT_THROW(NetGear ng(m), OptionError);
  // A receiver ignores it (it sends nothing); so does pattern 2 (a PUB never waits).
  Config r = test::config(true, Pattern::Pair, Protocol::Tcp, std::to_string(test::free_tcp_port()));
  r.options.pipelined_send = true;
  r.options.bidirectional_mode = true;
  EXPECT_NO_THROW(NetGear ng(r));
}

}  // namespace
}  // namespace netgear
