// Memory limits against a hostile peer (Options::queue_bytes, max_frame_bytes, max_message_size,
// max_header_size): what a peer sends cannot take the receiver past them. Before these limits, six
// 787 KB JPEGs whose headers claimed 8192x8192 BGRA took a stalled receiver from 10 MB to 1.5 GB.
#include <cstdio>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <zmq.hpp>

#include "codec/jpeg.hpp"
#include "netgear/netgear.hpp"
#include "support/test_support.hpp"

namespace netgear {
namespace {

using namespace std::chrono_literals;
using test::config;

constexpr std::size_t kMiB = std::size_t{1} << 20;

// The peak resident set of this process (kB), reset by reset_peak_rss().
long peak_rss_kb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }

// A plain PAIR socket that speaks the wire format: the hostile peer.
class Peer {
 public:
  explicit Peer(const std::string& port) : socket_(ctx_, zmq::socket_type::pair) {
    socket_.set(zmq::sockopt::linger, 0);
    socket_.connect("tcp://127.0.0.1:" + port);
  }

  void send(const std::string& header, const void* payload, std::size_t size) {
    socket_.send(zmq::buffer(header), zmq::send_flags::sndmore);
    socket_.send(zmq::const_buffer(payload, size));
  }
  void send_jpeg(const std::vector<std::uint8_t>& jpeg, const std::string& colorspace) {
    send(R"({"terminate_flag": false, "compression": {"dct": true, "ups": false, "colorspace": ")" + colorspace +
             R"("}, "message": null, "pattern": "0", "dtype": "", "shape": ""})",
         jpeg.data(), jpeg.size());
  }
  void send_raw(const std::string& message_json, const std::string& shape, const std::string& payload) {
    send(R"({"terminate_flag": false, "compression": false, "message": )" + message_json +
             R"(, "pattern": "0", "dtype": "uint8", "shape": )" + shape + "}",
         payload.data(), payload.size());
  }
  /// Waits for the receiver's acknowledgement of one frame.
  bool acked(std::chrono::milliseconds within) {
    zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, within) <= 0) return false;
    zmq::message_t ack;
    return socket_.recv(ack, zmq::recv_flags::dontwait).has_value();
  }

 private:
  zmq::context_t ctx_{1};
  zmq::socket_t socket_;
};

// The most compressible frame there is (one grey level) at 4096 x 4096: some 200 KB that a header
// saying BGRA makes 64 MiB decoded.
std::vector<std::uint8_t> flat_grey_4k() {
  codec::JpegEncoder enc;
  const auto span = enc.encode(cv::Mat(4096, 4096, CV_8UC1, cv::Scalar(77)), Colorspace::GRAY, 90, true);
  return {span.begin(), span.end()};
}

TEST(MemoryLimits, AStalledReceiverHoldsNoMoreThanItsQueueBudget) {
  const std::vector<std::uint8_t> jpeg = flat_grey_4k();
  const std::size_t decoded = std::size_t{4096} * 4096 * 4;
  ASSERT_LT(jpeg.size(), 400'000u);

  const std::string port = std::to_string(test::free_tcp_port());
  Config c = config(true, Pattern::Pair, Protocol::Tcp, port);
  c.options.queue_bytes = 100 * kMiB;  // room for one such frame, not two
  NetGear rx(c);
  Peer peer(port);
  reset_peak_rss();
  const long rss_before = peak_rss_kb();

  // The application is stalled (no recv()): the first frame is queued; the second is answered
  // (a frame is answered before it is decoded), decoded and waits for room; the third waits
  // unread and unanswered, and the peer can push no further.
  for (int i = 0; i < 10; ++i) peer.send_jpeg(jpeg, "BGRA");
  ASSERT_TRUE(peer.acked(20s)) << "the first frame was not acknowledged";
  ASSERT_TRUE(peer.acked(20s)) << "the second frame was not acknowledged";
  EXPECT_FALSE(peer.acked(1500ms)) << "a frame beyond the byte budget was read and acknowledged";
  const long rss_stalled = peak_rss_kb();
  const Stats stalled = rx.stats();
  EXPECT_EQ(stalled.frames, 1u);
  EXPECT_GE(stalled.queue_bytes_peak, decoded);
  EXPECT_LE(stalled.queue_bytes_peak, c.options.queue_bytes);

  // Taking a frame makes room for the next one, which is then acknowledged: back-pressure, no loss.
  auto f = rx.recv(10s);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->image.rows, 4096);
  EXPECT_EQ(f->image.channels(), 4);
  f.reset();
  EXPECT_TRUE(peer.acked(20s)) << "the frame that waited for room was not acknowledged";

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  // One queued frame and one decoded frame waiting: some 130 MiB; without the
  // budget, all ten frames (640 MiB) were held. (Sanitizer runtimes keep freed memory around.)
  if (rss_before > 0) {
    RecordProperty("peak_rss_growth_kb", std::to_string(rss_stalled - rss_before));
    std::printf("peak RSS growth while stalled: %ld kB\n", rss_stalled - rss_before);
    EXPECT_LT(rss_stalled - rss_before, 260 * 1024) << "peak RSS grew by " << (rss_stalled - rss_before) << " kB";
  }
#else
  (void)rss_stalled;
  (void)rss_before;
#endif
}

TEST(MemoryLimits, JpegClaimingMoreThanMaxFrameBytesIsDroppedUndecoded) {
  const std::vector<std::uint8_t> jpeg = flat_grey_4k();
  const std::string port = std::to_string(test::free_tcp_port());
  Config c = config(true, Pattern::Pair, Protocol::Tcp, port);
  c.options.max_frame_bytes = 32 * kMiB;  // 4096 x 4096 x 4 is 64 MiB; as GRAY it is 16 MiB
  NetGear rx(c);
  Peer peer(port);
  peer.send_jpeg(jpeg, "BGRA");
  ASSERT_TRUE(peer.acked(20s));  // answered anyway: the peer stays in step
  peer.send_jpeg(jpeg, "GRAY");
  ASSERT_TRUE(peer.acked(20s));
  auto f = rx.recv(10s);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->image.channels(), 1);
  EXPECT_EQ(f->id, 1u) << "the oversized frame was queued";
  EXPECT_EQ(rx.stats().dropped_malformed, 1u);

  // Raw frames are held to the same limit.
  const std::string port2 = std::to_string(test::free_tcp_port());
  Config c2 = config(true, Pattern::Pair, Protocol::Tcp, port2);
  c2.options.max_frame_bytes = 1024;
  NetGear raw_rx(c2);
  Peer raw_peer(port2);
  raw_peer.send_raw("null", "[2048]", std::string(2048, 'x'));
  ASSERT_TRUE(raw_peer.acked(20s));
  raw_peer.send_raw("null", "[1024]", std::string(1024, 'y'));
  ASSERT_TRUE(raw_peer.acked(20s));
  f = raw_rx.recv(10s);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->image.total(), 1024u);
  EXPECT_EQ(raw_rx.stats().dropped_malformed, 1u);
}

TEST(MemoryLimits, HeadersLargerThanMaxHeaderSizeAreDroppedUnread) {
  const std::string port = std::to_string(test::free_tcp_port());
  Config c = config(true, Pattern::Pair, Protocol::Tcp, port);
  c.options.max_header_size = 64 * 1024;
  NetGear rx(c);
  Peer peer(port);
  // 100 KB of valid JSON message (a flat array: 16 bytes per element once parsed).
  std::string big = "[0";
  while (big.size() < 100'000) big += ",0";
  big += "]";
  peer.send_raw(big, "[1]", "a");
  ASSERT_TRUE(peer.acked(20s));
  peer.send_raw(R"("small")", "[1]", "b");
  ASSERT_TRUE(peer.acked(20s));
  auto f = rx.recv(10s);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->message, "small");
  EXPECT_EQ(rx.stats().dropped_malformed, 1u);
}

TEST(MemoryLimits, AMessagePartLargerThanMaxMessageSizeIsNeverRead) {
  const std::string port = std::to_string(test::free_tcp_port());
  Config c = config(true, Pattern::Pair, Protocol::Tcp, port);
  c.options.max_message_size = 1 * kMiB;
  NetGear rx(c);
  Peer peer(port);
  // ZeroMQ drops the connection of a peer whose message is too large, before reading it; the
  // peer's socket reconnects by itself and its next frame arrives.
  peer.send_raw("null", "[2097152]", std::string(2 * kMiB, 'x'));
  EXPECT_FALSE(peer.acked(1500ms)) << "a 2 MiB message was read past a 1 MiB limit";
  bool delivered = false;
  for (int i = 0; i < 20 && !delivered; ++i) {  // a frame sent before the reconnect is lost with it
    peer.send_raw(R"("after")", "[4]", "abcd");
    delivered = peer.acked(2s);
  }
  ASSERT_TRUE(delivered);
  auto f = rx.recv(10s);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->message, "after");
  EXPECT_EQ(f->image.total(), 4u);
  EXPECT_EQ(rx.stats().frames, 1u);
}

TEST(MemoryLimits, LimitsOutOfRangeAreOptionErrors) {
  for (const char* name : {"queue_bytes", "max_frame_bytes", "max_header_size"}) {
    SCOPED_TRACE(name);
    Options o;
    EXPECT_THROW(apply_option(o, name, 0), OptionError);
    EXPECT_THROW(apply_option(o, name, 1023), OptionError);
    EXPECT_THROW(apply_option(o, name, -1), OptionError);
    EXPECT_NO_THROW(apply_option(o, name, 1024));
  }
  Options o;
  EXPECT_NO_THROW(apply_option(o, "max_message_size", 0));  // 0: no limit
  EXPECT_THROW(apply_option(o, "max_message_size", 10), OptionError);
  // Set in the struct, the same ranges hold when a NetGear is made.
  Config c = config(true, Pattern::Pair, Protocol::Tcp, std::to_string(test::free_tcp_port()));
  c.options.queue_bytes = 0;
  try {
    NetGear rx(c);
    ADD_FAILURE() << "no error";
  } catch (const OptionError& e) {
    EXPECT_EQ(e.option(), "queue_bytes");
  }
  // The defaults fit an 8K frame of 16-bit BGR (7680 x 4320 x 3 x 2 bytes).
  const Options d;
  EXPECT_GE(d.max_frame_bytes, std::size_t{7680} * 4320 * 3 * 2);
  EXPECT_GE(d.max_message_size, std::size_t{7680} * 4320 * 3 * 2);
  EXPECT_GE(d.queue_bytes, 2 * d.max_frame_bytes);
}

}  // namespace
}  // namespace netgear
