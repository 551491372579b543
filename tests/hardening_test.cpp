// Defects a hostile peer or a careless user found (issue "Hardening"), one test per defect; each
// failed before its fix.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "netgear/netgear.hpp"
#include "support/test_support.hpp"

namespace netgear {
namespace {

using namespace std::chrono_literals;
using test::config;

// Frames wider or taller than 16384 were sent as JPEG and reported delivered, though every
// receiver of ours drops them: send() now refuses them, and the same frame travels raw.
TEST(Hardening, JpegFramesBeyondTheReceiversLimitAreRefusedAtSend) {
  const std::string port = std::to_string(test::free_tcp_port());
  NetGear rx(config(true, Pattern::Pair, Protocol::Tcp, port));
  NetGear tx(config(false, Pattern::Pair, Protocol::Tcp, port));
  cv::Mat wide(2, 16385, CV_8UC1, cv::Scalar(9));
  EXPECT_THROW(tx.send(wide), FrameError);
  cv::Mat tall(16385, 2, CV_8UC1, cv::Scalar(9));
  EXPECT_THROW(tx.send(tall), FrameError);
  // At the limit it goes through and arrives.
  cv::Mat edge(2, 16384, CV_8UC1, cv::Scalar(9));
  ASSERT_TRUE(tx.send(edge).delivered);
  auto f = rx.recv(10s);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->image.cols, 16384);
  EXPECT_EQ(rx.stats().dropped_malformed, 0u);

  // The same frame travels raw (a fresh pair: closing tx ended rx's stream).
  const std::string port2 = std::to_string(test::free_tcp_port());
  NetGear raw_rx(config(true, Pattern::Pair, Protocol::Tcp, port2));
  Config raw = config(false, Pattern::Pair, Protocol::Tcp, port2);
  raw.options.jpeg_compression = false;
  NetGear raw_tx(raw);
  ASSERT_TRUE(raw_tx.send(wide).delivered);
  f = raw_rx.recv(10s);
  ASSERT_TRUE(f);
  EXPECT_TRUE(test::same_mat(f->image, wide));
}

// Port "99999" bound 34463 while endpoint() said 99999; "0" bound a random port.
TEST(Hardening, TcpPortsOutOfRangeAreOptionErrors) {
  for (const std::string port : {"99999", "0", "65536", "123456"}) {
    for (bool rx : {true, false}) {
      SCOPED_TRACE(port + (rx ? " receiver" : " sender"));
      try {
        NetGear ng(config(rx, Pattern::Pair, Protocol::Tcp, port));
        ADD_FAILURE() << "no error";
      } catch (const OptionError& e) {
        EXPECT_EQ(e.option(), "port");
        EXPECT_NE(std::string(e.what()).find(port), std::string::npos) << e.what();
      }
    }
  }
  // Not a number on ipc: part of the path, fine.
  NetGear ipc(config(true, Pattern::Pair, Protocol::Ipc, "99999", test::unique_ipc_prefix()));
  EXPECT_NE(ipc.endpoint().find(":99999"), std::string::npos);
  NetGear edge(config(false, Pattern::Pair, Protocol::Tcp, "65535"));
  EXPECT_EQ(edge.endpoint(), "tcp://127.0.0.1:65535");
}

// Headers with a shape without elements ([0], [1, 1, 0]) arrived as empty cv::Mats, though
// send() refuses empty frames: they are dropped as malformed, and the stream goes on.
TEST(Hardening, FramesWithoutElementsAreDroppedAsMalformed) {
  const std::string port = std::to_string(test::free_tcp_port());
  NetGear rx(config(true, Pattern::Pair, Protocol::Tcp, port));
  zmq::context_t ctx(1);
  zmq::socket_t peer(ctx, zmq::socket_type::pair);
  peer.set(zmq::sockopt::linger, 0);
  peer.set(zmq::sockopt::rcvtimeo, 10000);
  peer.connect("tcp://127.0.0.1:" + port);
  auto send_frame = [&](const std::string& shape, const std::string& payload) {
    const std::string header = R"({"terminate_flag": false, "compression": false, "message": null, "pattern": "0", "dtype": "uint8", "shape": )" + shape + "}";
    peer.send(zmq::buffer(header), zmq::send_flags::sndmore);
    peer.send(zmq::buffer(payload));
    zmq::message_t ack;
    ASSERT_TRUE(peer.recv(ack));  // answered anyway: the peer stays in step
  };
  send_frame("[0]", "");
  send_frame("[1, 1, 0]", "");
  send_frame("[0, 5]", "");
  send_frame("[1, 2]", "ab");
  auto f = rx.recv(10s);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->image.rows, 1);
  EXPECT_EQ(f->image.cols, 2);
  EXPECT_EQ(f->id, 1u) << "an empty frame reached the queue before it";
  EXPECT_EQ(rx.stats().dropped_malformed, 3u);
}

// Timeouts set in the struct overflowed the deadline arithmetic (a 300-year subscriber_timeout
// ended the stream at once); they are checked like the parser's: at most a year.
TEST(Hardening, TimeoutsBeyondAYearAreOptionErrors) {
  const auto centuries = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::hours(24 * 365 * 300));
  Config c = config(false, Pattern::ReqRep, Protocol::Tcp, std::to_string(test::free_tcp_port()));
  c.options.request_timeout = centuries;
  try {
    NetGear ng(c);
    ADD_FAILURE() << "no error";
  } catch (const OptionError& e) {
    EXPECT_EQ(e.option(), "request_timeout");
  }
  c = config(true, Pattern::PubSub, Protocol::Tcp, std::to_string(test::free_tcp_port()));
  c.options.subscriber_timeout = centuries;
  try {
    NetGear ng(c);
    ADD_FAILURE() << "no error";
  } catch (const OptionError& e) {
    EXPECT_EQ(e.option(), "subscriber_timeout");
  }
  // Out-of-range floats from text are refused before any conversion (no float-cast overflow).
  for (const char* v : {"1e300", "-1e300", "1e19"}) {
    EXPECT_THROW(parse_options(std::map<std::string, std::string>{{"request_timeout", v}}), OptionError) << v;
    EXPECT_THROW(parse_options(std::map<std::string, std::string>{{"max_retries", v}}), OptionError) << v;
  }
}

// ipc bind deleted whatever was at <address>:<port> (libzmq unlinks the path before binding): a
// regular file, or the socket of a receiver that is alive, which then silently lost its endpoint.
// Both are ConnectionErrors now; the socket file a killed receiver left behind is still taken over.
TEST(Hardening, IpcBindRefusesFilesAndLiveSocketsAndTakesOverStaleOnes) {
  namespace fs = std::filesystem;
  const std::string prefix = test::unique_ipc_prefix();
  const std::string path = prefix + ":5555";
  auto expect_refused = [&](const std::string& says) {
    try {
      NetGear ng(config(true, Pattern::ReqRep, Protocol::Ipc, "5555", prefix));
      ADD_FAILURE() << "bound over " << says;
    } catch (const ConnectionError& e) {
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    }
  };

  {  // A regular file: refused, and left as it was.
    std::ofstream(path) << "precious";
    expect_refused("not a socket");
    std::ifstream in(path);
    std::string text;
    in >> text;
    EXPECT_EQ(text, "precious");
    fs::remove(path);
  }

  // A receiver in another process, alive: refused, and it keeps its endpoint.
  const std::vector<std::string> peer = {test::peer_path(), "recv", "--pattern", "1", "--protocol", "ipc", "--address",
                                         prefix, "--port", "5555", "--frames", "1", "--timeout-ms", "1000",
                                         "--retries", "100", "--raw"};
  {
    test::Child live(peer);
    ASSERT_TRUE(live.wait_for_output("READY", 10s)) << live.output();
    expect_refused("another process is listening on it");
    Config c = config(false, Pattern::ReqRep, Protocol::Ipc, "5555", prefix);
    c.options.jpeg_compression = false;
    NetGear tx(c);
    EXPECT_TRUE(tx.send(cv::Mat(4, 4, CV_8UC3, cv::Scalar::all(0)), {{"i", 0}}).delivered);
    EXPECT_TRUE(live.wait_for_output("FRAME", 10s)) << "the live receiver lost its endpoint: " << live.output();
  }

  // Killed with SIGKILL: its socket file stays, nobody listens; a new receiver takes it over.
  {
    test::Child dead(peer);
    ASSERT_TRUE(dead.wait_for_output("READY", 10s)) << dead.output();
    dead.signal(SIGKILL);
    EXPECT_FALSE(dead.wait(10s).ok());
  }
  struct stat st {};
  ASSERT_EQ(::lstat(path.c_str(), &st), 0) << "the killed receiver left no socket file to take over";
  ASSERT_TRUE(S_ISSOCK(st.st_mode));
  NetGear rx(config(true, Pattern::ReqRep, Protocol::Ipc, "5555", prefix));
  NetGear tx(config(false, Pattern::ReqRep, Protocol::Ipc, "5555", prefix));
  EXPECT_TRUE(tx.send(cv::Mat(8, 8, CV_8UC1, cv::Scalar(3))).delivered);
  auto f = rx.recv(10s);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->image.at<uchar>(0, 0), 3);
}

// An ipc receiver's re-bind waited for its socket file to go away, which libzmq 4.3 never does:
// 2 s of deafness per re-bind, so a give-up with request_timeout 0.1 s and max_retries 3 took
// 5.1 s instead of about 3 x 0.3 s, and few re-binds happened at all.
TEST(Hardening, IpcReceiverRebindsWithoutADeafGap) {
  Config c = config(true, Pattern::ReqRep, Protocol::Ipc, "5555");
  c.options.request_timeout = 100ms;
  c.options.max_retries = 3;
  const auto start = std::chrono::steady_clock::now();
  NetGear rx(c);
  EXPECT_FALSE(rx.recv(10s).has_value());
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(rx.end_reason(), EndReason::RetriesExhausted);
  EXPECT_LT(took, 2500ms) << "expected about 3 x 300 ms";
  EXPECT_EQ(rx.stats().reconnects, 2u);  // the third silence in a row ends it

  rx.close();  // it still holds the path: a second receiver there would be refused

  // Re-bound, it hears a sender at once.
  c.options.max_retries = 0;
  NetGear again(c);
  ASSERT_TRUE(test::wait_until([&] { return again.stats().reconnects >= 2; }, 5s)) << "re-binds too slow";
  Config tc = config(false, Pattern::ReqRep, Protocol::Ipc, "5555", c.address);
  tc.options.request_timeout = 1000ms;
  NetGear tx(tc);
  // A frame that meets one of the re-binds (every 300 ms, for ever) is lost; the next one gets in.
  EXPECT_TRUE(test::wait_until([&] { return tx.send(cv::Mat(8, 8, CV_8UC1, cv::Scalar(1))).delivered; }, 10s));
  const auto closing = std::chrono::steady_clock::now();
  again.close();
  EXPECT_LT(std::chrono::steady_clock::now() - closing, 1000ms);
}

// The Lazy Pirate re-bind frees the port for a moment; a local process that bound it then made
// the receiver fail for good, even with max_retries = 0 ("for ever"). It keeps trying now (each
// failed bind costs a retry), and binds again once the port is free.
TEST(Hardening, ReceiverWhosePortIsTakenDuringARebindKeepsTrying) {
  const int port = test::free_tcp_port();
  Config c = config(true, Pattern::ReqRep, Protocol::Tcp, std::to_string(port));
  c.options.request_timeout = 100ms;
  c.options.max_retries = 0;
  NetGear rx(c);
  // Take the port in the moment the receiver lets go of it (it re-binds every 300 ms).
  int thief = -1;
  ASSERT_TRUE(test::wait_until(
      [&] {
        for (int i = 0; i < 2000 && thief < 0; ++i) {
          const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
          sockaddr_in a{};
          a.sin_family = AF_INET;
          a.sin_port = htons(static_cast<std::uint16_t>(port));
          a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
          if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(fd, 1) == 0) {
            thief = fd;
          } else {
            ::close(fd);
          }
        }
        return thief >= 0;
      },
      10s))
      << "never caught the port free";
  // Held longer than a re-bind waits for its port (it gave up and ended the stream after 2 s).
  const auto reconnects = rx.stats().reconnects;
  EXPECT_FALSE(test::wait_until([&] { return rx.end_of_stream(); }, 3s)) << to_string(rx.end_reason());
  ::close(thief);
  ASSERT_TRUE(test::wait_until([&] { return rx.stats().reconnects > reconnects; }, 5s)) << "never re-bound";
  NetGear tx(config(false, Pattern::ReqRep, Protocol::Tcp, std::to_string(port)));
  // The receiver still re-binds after every 300 ms of silence, so on a loaded machine a frame can
  // fall into one of those moments and go unacknowledged: a few tries, bounded.
  bool delivered = false;
  for (int i = 0; i < 10 && !delivered; ++i) delivered = tx.send(cv::Mat(8, 8, CV_8UC1, cv::Scalar(2))).delivered;
  EXPECT_TRUE(delivered);
  auto f = rx.recv(5s);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->image.at<uchar>(0, 0), 2);
}

}  // namespace
}  // namespace netgear
