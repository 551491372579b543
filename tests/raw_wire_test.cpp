// What travels on the wire, read and written by plain ZeroMQ sockets: NetGear's side must match
// docs/protocol.md byte for byte, and a hand-made peer (a stand-in for Python vidgear) must work.
#include <turbojpeg.h>

#include <algorithm>
#include <cstring>

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

std::vector<zmq::message_t> recv_parts(zmq::socket_t& s, std::chrono::milliseconds timeout = 10s) {
  s.set(zmq::sockopt::rcvtimeo, static_cast<int>(timeout.count()));
  std::vector<zmq::message_t> parts;
  (void)zmq::recv_multipart(s, std::back_inserter(parts));
  return parts;
}

struct PlainPeer {
  zmq::context_t ctx{1};
  zmq::socket_t sock;
  PlainPeer(zmq::socket_type type, const std::string& endpoint, bool bind) : sock(ctx, type) {
    sock.set(zmq::sockopt::linger, 0);
    if (type == zmq::socket_type::sub) sock.set(zmq::sockopt::subscribe, "");
    if (bind) sock.bind(endpoint);
    else sock.connect(endpoint);
  }
};

// --- NetGear sender -> plain socket -------------------------------------------------------------

// With jpeg_compression_threads a 640x480 frame is encoded as 2 strips at once, joined at a
// restart marker: still one baseline JPEG, which a plain TurboJPEG decoder (simplejpeg's, vidgear's)
// reads to exactly the pixels of a whole encode of the frame.
TEST(SenderOnTheWire, JpegInStripsIsOneJpegThatAPlainDecoderReads) {
  const std::string port = std::to_string(test::free_tcp_port());
  PlainPeer peer(zmq::socket_type::rep, "tcp://127.0.0.1:" + port, true);
  Config c = config(false, Pattern::ReqRep, Protocol::Tcp, port);
  c.options.jpeg_compression_threads = 2;
  NetGear tx(c);
  const cv::Mat m = test::random_mat(480, 640, CV_8UC3, 5);
  std::thread t([&] { EXPECT_TRUE(tx.send(m).delivered); });
  auto parts = recv_parts(peer.sock);
  ASSERT_EQ(parts.size(), 2u);
  peer.sock.send(zmq::str_buffer("Data received on device: ABCD1234 !"));
  t.join();

  const auto* p = static_cast<const unsigned char*>(parts[1].data());
  const std::vector<unsigned char> jpeg(p, p + parts[1].size());
  const auto has = [&](std::initializer_list<unsigned char> marker) {
    return std::search(jpeg.begin(), jpeg.end(), marker.begin(), marker.end()) != jpeg.end();
  };
  EXPECT_TRUE(has({0xFF, 0xDD, 0x00, 0x04, 0x04, 0xB0}));  // DRI: 30 MCU rows x 40 MCUs = 1200
  EXPECT_TRUE(has({0xFF, 0xD0}));                          // the seam
  EXPECT_FALSE(has({0xFF, 0xD1}));                         // and only one

  tjhandle h = tjInitDecompress();
  cv::Mat got(480, 640, CV_8UC3), expected(480, 640, CV_8UC3);
  EXPECT_EQ(tjDecompress2(h, jpeg.data(), jpeg.size(), got.data, 640, 0, 480, TJPF_BGR, TJFLAG_FASTDCT), 0);
  tjhandle e = tjInitCompress();
  unsigned char* whole = nullptr;
  unsigned long whole_size = 0;
  ASSERT_EQ(tjCompress2(e, m.data, 640, 0, 480, TJPF_BGR, &whole, &whole_size, TJSAMP_422, 90, TJFLAG_FASTDCT), 0);
  EXPECT_EQ(tjDecompress2(h, whole, whole_size, expected.data, 640, 0, 480, TJPF_BGR, TJFLAG_FASTDCT), 0);
  tjFree(whole);
  tjDestroy(e);
  tjDestroy(h);
  EXPECT_EQ(cv::norm(got, expected, cv::NORM_INF), 0);

  std::thread closer([&] { tx.close(); });
  parts = recv_parts(peer.sock);
  peer.sock.send(zmq::str_buffer("Termination signal successfully received at Client's end!"));
  closer.join();
}

TEST(SenderOnTheWire, PairRawHeaderAndPayloadBytes) {
  const std::string port = std::to_string(test::free_tcp_port());
  PlainPeer peer(zmq::socket_type::pair, "tcp://127.0.0.1:" + port, true);
  Config c = config(false, Pattern::Pair, Protocol::Tcp, port);
  c.options.jpeg_compression = false;
  NetGear tx(c);
  cv::Mat m = test::random_mat(480, 640, CV_8UC3, 11);
  std::thread t([&] { EXPECT_TRUE(tx.send(m, {{"camera_id", "1"}}).delivered); });
  auto parts = recv_parts(peer.sock);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].to_string(),
            R"({"terminate_flag": false, "compression": false, "message": {"camera_id": "1"}, "pattern": "0", "dtype": "uint8", "shape": [480, 640, 3]})");
  ASSERT_EQ(parts[1].size(), 921600u);
  EXPECT_EQ(std::memcmp(parts[1].data(), m.data, 921600), 0);
  peer.sock.send(zmq::str_buffer("Data received on device: ABCD1234 !"));
  t.join();

  // close(): the termination message, one part; PAIR expects no answer.
  tx.close();
  parts = recv_parts(peer.sock);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].to_string(), R"({"terminate_flag": true})");
}

TEST(SenderOnTheWire, ReqJpegHeaderIsBaseline422Jfif) {
  const std::string port = std::to_string(test::free_tcp_port());
  PlainPeer peer(zmq::socket_type::rep, "tcp://127.0.0.1:" + port, true);
  NetGear tx(config(false, Pattern::ReqRep, Protocol::Tcp, port));
  cv::Mat m(120, 160, CV_8UC3, cv::Scalar(10, 200, 30));
  std::thread t([&] { EXPECT_TRUE(tx.send(m).delivered); });
  auto parts = recv_parts(peer.sock);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].to_string(),
            R"({"terminate_flag": false, "compression": {"dct": true, "ups": false, "colorspace": "BGR"}, "message": null, "pattern": "1", "dtype": "", "shape": ""})");
  const auto* p = static_cast<const unsigned char*>(parts[1].data());
  const std::size_t n = parts[1].size();
  ASSERT_GT(n, 4u);
  EXPECT_EQ(p[0], 0xFF);
  EXPECT_EQ(p[1], 0xD8);
  EXPECT_EQ(p[n - 2], 0xFF);
  EXPECT_EQ(p[n - 1], 0xD9);
  tjhandle h = tjInitDecompress();
  int w = 0, hgt = 0, sub = -1, cs = -1;
  ASSERT_EQ(tjDecompressHeader3(h, p, n, &w, &hgt, &sub, &cs), 0);
  tjDestroy(h);
  EXPECT_EQ(w, 160);
  EXPECT_EQ(hgt, 120);
  EXPECT_EQ(sub, TJSAMP_422);
  peer.sock.send(zmq::str_buffer("Data received on device: ABCD1234 !"));
  t.join();

  std::thread closer([&] { tx.close(); });
  parts = recv_parts(peer.sock);
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].to_string(), R"({"terminate_flag": true})");
  peer.sock.send(zmq::str_buffer("Termination signal successfully received at Client's end!"));
  closer.join();
}

TEST(SenderOnTheWire, PubPublishesToPlainSub) {
  const std::string port = std::to_string(test::free_tcp_port());
  PlainPeer peer(zmq::socket_type::sub, "tcp://127.0.0.1:" + port, true);
  Config c = config(false, Pattern::PubSub, Protocol::Tcp, port);
  c.options.jpeg_compression_colorspace = Colorspace::GRAY;
  NetGear tx(c);
  cv::Mat m(40, 60, CV_8UC1, cv::Scalar(77));
  std::vector<zmq::message_t> parts;
  // The subscription needs a moment to reach the publisher: publish until a frame is seen.
  ASSERT_TRUE(test::wait_until([&] {
    tx.send(m, "g");
    peer.sock.set(zmq::sockopt::rcvtimeo, 20);
    parts.clear();
    (void)zmq::recv_multipart(peer.sock, std::back_inserter(parts));
    return parts.size() == 2;
  }, 10s));
  EXPECT_EQ(parts[0].to_string(),
            R"({"terminate_flag": false, "compression": {"dct": true, "ups": false, "colorspace": "GRAY"}, "message": "g", "pattern": "2", "dtype": "", "shape": ""})");
  tx.close();
  bool saw_termination = false;
  for (int i = 0; i < 20 && !saw_termination; ++i) {
    auto p = recv_parts(peer.sock, 2s);
    if (p.empty()) break;
    saw_termination = p.size() == 1 && p[0].to_string() == R"({"terminate_flag": true})";
  }
  EXPECT_TRUE(saw_termination);
}

// A subscriber that is not reading when the publisher closes has full pipes: the termination
// message must wait for room rather than be dropped like a frame (it used to be sent three times,
// 5 ms apart, and was lost whenever the subscriber stalled for longer than that), and the
// publisher must not hang up before the subscriber has read it (on ipc ZeroMQ drops what a
// back-pressured reader has not read when the writer hangs up).
TEST(SenderOnTheWire, PubTerminationReachesAStalledSubscriber) {
  const std::string prefix = test::unique_ipc_prefix();
  Config c = config(false, Pattern::PubSub, Protocol::Ipc, "1", prefix);
  c.options.jpeg_compression = false;
  c.options.request_timeout = 10s;  // the termination may wait request_timeout / 5 = 2 s for room
  zmq::context_t ctx{1};
  zmq::socket_t sub(ctx, zmq::socket_type::sub);
  sub.set(zmq::sockopt::linger, 0);
  sub.set(zmq::sockopt::rcvhwm, 1);
  sub.set(zmq::sockopt::subscribe, "");
  sub.bind("ipc://" + prefix + ":1");
  NetGear tx(c);
  cv::Mat m = test::random_mat(48, 64, CV_8UC3, 5);
  ASSERT_TRUE(test::wait_until([&] {
    tx.send(m, "first");
    return recv_parts(sub, 20ms).size() == 2;
  }, 10s));
  // Nobody reads while the sender fills the pipes and the kernel's buffers for 150 ms (a burst
  // alone would not: PUB takes a pipe's "room again" news only every millisecond or so), and
  // then closes.
  std::atomic<bool> closing{false};
  std::thread sender([&] {
    const auto end = std::chrono::steady_clock::now() + 150ms;
    for (int i = 0; std::chrono::steady_clock::now() < end; ++i) tx.send(m, i);
    closing = true;
    tx.close();
  });
  ASSERT_TRUE(test::wait_until([&] { return closing.load(); }, 10s));
  std::this_thread::sleep_for(200ms);  // the subscriber's stall (far below the 2 s the sender waits)
  bool saw_termination = false;
  int frames = 0;
  while (!saw_termination) {
    auto p = recv_parts(sub, 3s);
    if (p.empty()) break;
    saw_termination = p.size() == 1 && p[0].to_string() == R"({"terminate_flag": true})";
    frames += p.size() == 2;
  }
  sub.close();  // as a receiver does on the termination: the sender's close() stops waiting
  sender.join();
  EXPECT_TRUE(saw_termination) << "after " << frames << " frames";
}

// --- plain socket -> NetGear receiver -----------------------------------------------------------

class PlainSender : public testing::Test {
 protected:
  PlainSender()
      : port_(std::to_string(test::free_tcp_port())),
        rx_(config(true, Pattern::ReqRep, Protocol::Tcp, port_)),
        peer_(zmq::socket_type::req, "tcp://127.0.0.1:" + port_, false) {}

  // Sends the parts as a Python peer would and returns the reply text.
  std::string send_parts(const std::vector<std::string>& parts) {
    for (std::size_t i = 0; i < parts.size(); ++i) {
      peer_.sock.send(zmq::buffer(parts[i]), i + 1 < parts.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
    auto reply = recv_parts(peer_.sock);
    return reply.size() == 1 ? reply[0].to_string() : "<no reply>";
  }
  std::string good_header(const std::string& message = "null") {
    return R"({"terminate_flag": false, "compression": false, "message": )" + message +
           R"(, "pattern": "1", "dtype": "uint8", "shape": [2, 3]})";
  }
  std::string port_;
  NetGear rx_;
  PlainPeer peer_;
};

TEST_F(PlainSender, AcknowledgesWithDeviceIdAndDecodesPythonJson) {
  const std::string payload = "abcdef";
  EXPECT_EQ(send_parts({good_header(R"({"v": NaN, "t": "caf\u00e9", "l": [Infinity, -Infinity]})"), payload}),
            "Data received on device: " + rx_.device_id() + " !");
  auto f = rx_.recv(5s);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->image.rows, 2);
  EXPECT_EQ(f->image.cols, 3);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(f->image.data), 6), payload);
  EXPECT_TRUE(std::isnan(f->message["v"].get<double>()));
  EXPECT_EQ(f->message["t"], "caf\u00e9");
  EXPECT_EQ(f->message["l"][1].get<double>(), -HUGE_VAL);
}

// json.dumps("a\ud800b") as a Python peer sends it (ensure_ascii writes the lone surrogate as its
// escape); json.loads accepts it. The whole frame was dropped as "not JSON"; it now arrives with
// the surrogate decoded to U+FFFD.
TEST_F(PlainSender, LoneSurrogateInAMessageDoesNotLoseTheFrame) {
  EXPECT_EQ(send_parts({good_header(R"({"s": "a\ud800b", "k": ["\udc00"]})"), "abcdef"}),
            "Data received on device: " + rx_.device_id() + " !");
  auto f = rx_.recv(5s);
  ASSERT_TRUE(f) << "the frame was lost";
  EXPECT_EQ(f->message["s"], "a\xef\xbf\xbd" "b");
  EXPECT_EQ(f->message["k"][0], "\xef\xbf\xbd");
  EXPECT_EQ(rx_.stats().dropped_malformed, 0u);
}

TEST_F(PlainSender, NumpyDtypeSpellings) {
  std::vector<float> values{1.5f, -2.25f, 3.0f, 0.0f};
  std::string bytes(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(float));
  send_parts({R"({"terminate_flag": false, "compression": false, "message": null, "pattern": "1", "dtype": "<f4", "shape": [2, 2]})", bytes});
  auto f = rx_.recv(5s);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->image.type(), CV_32FC1);
  EXPECT_EQ(f->image.at<float>(0, 1), -2.25f);
  send_parts({R"({"terminate_flag": false, "compression": false, "message": null, "pattern": "1", "dtype": "bool", "shape": [1, 4]})",
              std::string("\x01\x00\x01\x01", 4)});
  f = rx_.recv(5s);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->image.type(), CV_8UC1);
  EXPECT_EQ(f->image.at<uchar>(0, 1), 0);
}

// numpy arrays in big-endian order (str(dtype) '>u2', '>f4', ...) were dropped; vidgear's
// receiver rebuilds them with np.frombuffer. They arrive here as the same values in native order.
// bool in every spelling arrives as CV_8U 0/1.
TEST_F(PlainSender, BigEndianAndBoolDtypesArriveAsNativeValues) {
  auto header = [](const std::string& dtype, const std::string& shape) {
    return R"({"terminate_flag": false, "compression": false, "message": null, "pattern": "1", "dtype": ")" + dtype +
           R"(", "shape": )" + shape + "}";
  };
  auto big_endian = [](auto value) {
    std::string b(sizeof value, '\0');
    std::memcpy(b.data(), &value, sizeof value);
    std::reverse(b.begin(), b.end());  // this machine is little-endian (docs/protocol.md)
    return b;
  };
  send_parts({header(">u2", "[1, 3]"), big_endian(std::uint16_t{1}) + big_endian(std::uint16_t{258}) +
                                           big_endian(std::uint16_t{65535})});
  auto f = rx_.recv(5s);
  ASSERT_TRUE(f) << ">u2 dropped";
  ASSERT_EQ(f->image.type(), CV_16UC1);
  EXPECT_EQ(f->image.at<std::uint16_t>(0, 0), 1);
  EXPECT_EQ(f->image.at<std::uint16_t>(0, 1), 258);
  EXPECT_EQ(f->image.at<std::uint16_t>(0, 2), 65535);

  send_parts({header(">i2", "[2]"), big_endian(std::int16_t{-2}) + big_endian(std::int16_t{300})});
  f = rx_.recv(5s);
  ASSERT_TRUE(f) << ">i2 dropped";
  ASSERT_EQ(f->image.type(), CV_16SC1);
  EXPECT_EQ(f->image.at<std::int16_t>(0, 0), -2);
  EXPECT_EQ(f->image.at<std::int16_t>(0, 1), 300);

  send_parts({header(">i4", "[1]"), big_endian(std::int32_t{-70000})});
  f = rx_.recv(5s);
  ASSERT_TRUE(f) << ">i4 dropped";
  ASSERT_EQ(f->image.type(), CV_32SC1);
  EXPECT_EQ(f->image.at<std::int32_t>(0, 0), -70000);

  // An HxWxC image: the channel axis too.
  send_parts({header(">f4", "[1, 2, 2]"), big_endian(1.5f) + big_endian(-2.25f) + big_endian(3.0f) + big_endian(1e-30f)});
  f = rx_.recv(5s);
  ASSERT_TRUE(f) << ">f4 dropped";
  ASSERT_EQ(f->image.type(), CV_32FC2);
  EXPECT_EQ(f->image.at<cv::Vec2f>(0, 0), cv::Vec2f(1.5f, -2.25f));
  EXPECT_EQ(f->image.at<cv::Vec2f>(0, 1), cv::Vec2f(3.0f, 1e-30f));

  send_parts({header(">f8", "[1, 1]"), big_endian(-0.1)});
  f = rx_.recv(5s);
  ASSERT_TRUE(f) << ">f8 dropped";
  ASSERT_EQ(f->image.type(), CV_64FC1);
  EXPECT_EQ(f->image.at<double>(0, 0), -0.1);

  for (const std::string bool_name : {"bool", "|b1", "?"}) {
    send_parts({header(bool_name, "[1, 3]"), std::string("\x01\x00\x01", 3)});
    f = rx_.recv(5s);
    ASSERT_TRUE(f) << bool_name << " dropped";
    ASSERT_EQ(f->image.type(), CV_8UC1);
    EXPECT_EQ(f->image.at<uchar>(0, 0), 1);
    EXPECT_EQ(f->image.at<uchar>(0, 1), 0);
  }
  EXPECT_EQ(rx_.stats().dropped_malformed, 0u);

  // What OpenCV cannot hold without loss is dropped, and the stream goes on.
  const std::vector<std::pair<std::string, std::size_t>> refused = {
      {"uint32", 4}, {">u4", 4}, {"int64", 8}, {"<i8", 8}, {"uint64", 8}, {"complex64", 8}, {"complex128", 16},
      {"float128", 16}, {"<M8", 8}, {"object", 8}};
  for (const auto& [dtype, itemsize] : refused) {
    EXPECT_EQ(send_parts({header(dtype, "[2]"), std::string(2 * itemsize, '\x01')}),
              "Data received on device: " + rx_.device_id() + " !");
  }
  send_parts({good_header("7"), "abcdef"});
  f = rx_.recv(5s);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->message, 7);
  // Read after a later frame came through: a raw frame is answered before it is decoded, so a
  // refusal found while decoding is counted after its answer left.
  EXPECT_EQ(rx_.stats().dropped_malformed, refused.size());
}

TEST_F(PlainSender, MalformedMessagesAreDroppedAndTheStreamGoesOn) {
  const std::string ok = "abcdef";
  // A tiny valid JPEG to corrupt.
  std::vector<unsigned char> jpeg;
  {
    tjhandle h = tjInitCompress();
    cv::Mat m(16, 16, CV_8UC3, cv::Scalar(1, 2, 3));
    unsigned char* buf = nullptr;
    unsigned long size = 0;
    ASSERT_EQ(tjCompress2(h, m.data, 16, 0, 16, TJPF_BGR, &buf, &size, TJSAMP_422, 90, 0), 0);
    jpeg.assign(buf, buf + size);
    tjFree(buf);
    tjDestroy(h);
  }
  const std::string jpeg_header =
      R"({"terminate_flag": false, "compression": {"dct": true, "ups": false, "colorspace": "BGR"}, "message": null, "pattern": "1", "dtype": "", "shape": ""})";
  std::string scrambled(jpeg.begin(), jpeg.end());
  for (std::size_t i = scrambled.size() / 3; i < scrambled.size() - 2; ++i) scrambled[i] = static_cast<char>(0xFF);
  const std::vector<std::vector<std::string>> bad = {
      {"this is not json", ok},
      {R"({"compression": false, "message": null, "dtype": "uint8", "shape": [2, 3]})", ok},  // no terminate_flag
      {R"({"terminate_flag": false, "message": null, "dtype": "uint8", "shape": [2, 3]})", ok},  // no compression
      {good_header()},                                  // one part, not a termination
      {good_header(), ok, "extra part"},                 // three parts
      {good_header(), "abc"},                            // payload too short for uint8 [2, 3]
      {good_header(), ok + ok},                          // payload too long
      {R"({"terminate_flag": false, "compression": false, "message": null, "pattern": "1", "dtype": "complex128", "shape": [2, 3]})", ok},
      {R"({"terminate_flag": false, "compression": false, "message": null, "pattern": "1", "dtype": ">u8", "shape": [1]})", "12345678"},
      {jpeg_header, "not a jpeg at all"},
      {jpeg_header, std::string(jpeg.begin(), jpeg.begin() + static_cast<long>(jpeg.size() / 2))},  // truncated
      {jpeg_header, scrambled},
  };
  int n = 0;
  for (const auto& parts : bad) {
    // Every message is answered, so a REQ peer stays in step.
    EXPECT_EQ(send_parts(parts), "Data received on device: " + rx_.device_id() + " !") << n;
    ++n;
    send_parts({good_header(std::to_string(n)), ok});
    auto f = rx_.recv(5s);
    ASSERT_TRUE(f) << "no good frame after bad message " << n;
    EXPECT_EQ(f->message, n) << "bad message " << n << " was not dropped";
  }
  EXPECT_EQ(rx_.stats().dropped_malformed, bad.size());
  EXPECT_FALSE(rx_.end_of_stream());
}

TEST_F(PlainSender, TerminationHandshake) {
  EXPECT_EQ(send_parts({R"({"terminate_flag": true})"}), "Termination signal successfully received at Client's end!");
  EXPECT_FALSE(rx_.recv(5s).has_value());
  EXPECT_TRUE(rx_.end_of_stream());
  EXPECT_EQ(rx_.end_reason(), EndReason::Terminated);
}

// A CMYK JPEG as simplejpeg writes it for vidgear's jpeg_compression="CMYK" (TurboJPEG from
// CMYK pixels, 4:2:2): vidgear's receiver decodes it to HxWx4 CMYK. Ours dropped it ("unknown
// colorspace 'CMYK'"); it now arrives as CV_8UC4 in C, M, Y, K order.
TEST_F(PlainSender, CmykJpegFromAPythonPeerArrivesWithFourChannels) {
  cv::Mat cmyk(32, 48, CV_8UC4, cv::Scalar(10, 200, 40, 90));
  std::string jpeg;
  {
    tjhandle h = tjInitCompress();
    unsigned char* buf = nullptr;
    unsigned long size = 0;
    ASSERT_EQ(tjCompress2(h, cmyk.data, cmyk.cols, 0, cmyk.rows, TJPF_CMYK, &buf, &size, TJSAMP_422, 95, 0), 0);
    jpeg.assign(reinterpret_cast<const char*>(buf), size);
    tjFree(buf);
    tjDestroy(h);
  }
  EXPECT_EQ(send_parts({R"({"terminate_flag": false, "compression": {"dct": false, "ups": false, "colorspace": "CMYK"}, "message": 1, "pattern": "1", "dtype": "", "shape": ""})", jpeg}),
            "Data received on device: " + rx_.device_id() + " !");
  auto f = rx_.recv(5s);
  ASSERT_TRUE(f) << "the CMYK frame was dropped";
  EXPECT_EQ(f->message, 1);
  ASSERT_EQ(f->image.type(), CV_8UC4);
  ASSERT_EQ(f->image.size(), cmyk.size());
  const cv::Vec4b px = f->image.at<cv::Vec4b>(16, 24);
  EXPECT_NEAR(px[0], 10, 4);
  EXPECT_NEAR(px[1], 200, 4);
  EXPECT_NEAR(px[2], 40, 4);
  EXPECT_NEAR(px[3], 90, 4);
  EXPECT_EQ(rx_.stats().dropped_malformed, 0u);
}

// jpeg_compression = "CMYK" on our sender: 4-channel frames go out as CMYK JPEGs labelled "CMYK"
// (TurboJPEG writes them as YCCK, as simplejpeg does), and our receiver gives back 4 channels.
TEST(SenderOnTheWire, CmykJpegCompressionSendsACmykJpeg) {
  const std::string port = std::to_string(test::free_tcp_port());
  PlainPeer peer(zmq::socket_type::rep, "tcp://127.0.0.1:" + port, true);
  Config c = config(false, Pattern::ReqRep, Protocol::Tcp, port);
  apply_option_text(c.options, "jpeg_compression", "CMYK");
  NetGear tx(c);
  cv::Mat m(40, 64, CV_8UC4, cv::Scalar(250, 5, 128, 30));
  std::thread t([&] { EXPECT_TRUE(tx.send(m).delivered); });
  auto parts = recv_parts(peer.sock);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].to_string(),
            R"({"terminate_flag": false, "compression": {"dct": true, "ups": false, "colorspace": "CMYK"}, "message": null, "pattern": "1", "dtype": "", "shape": ""})");
  tjhandle h = tjInitDecompress();
  const auto* p = static_cast<const unsigned char*>(parts[1].data());
  int w = 0, hgt = 0, sub = -1, cs = -1;
  EXPECT_EQ(tjDecompressHeader3(h, p, parts[1].size(), &w, &hgt, &sub, &cs), 0);
  EXPECT_EQ(w, 64);
  EXPECT_EQ(hgt, 40);
  EXPECT_TRUE(cs == TJCS_YCCK || cs == TJCS_CMYK) << cs;
  cv::Mat back(40, 64, CV_8UC4);
  EXPECT_EQ(tjDecompress2(h, p, parts[1].size(), back.data, 64, 0, 40, TJPF_CMYK, 0), 0);
  tjDestroy(h);
  const cv::Vec4b px = back.at<cv::Vec4b>(20, 32);
  EXPECT_NEAR(px[0], 250, 4);
  EXPECT_NEAR(px[1], 5, 4);
  EXPECT_NEAR(px[2], 128, 4);
  EXPECT_NEAR(px[3], 30, 4);
  peer.sock.send(zmq::str_buffer("Data received on device: ABCD1234 !"));
  t.join();
  // A 3-channel frame does not fit the colorspace: refused at send(), as for the other names.
  EXPECT_THROW(tx.send(cv::Mat(8, 8, CV_8UC3, cv::Scalar::all(1))), FrameError);
}

TEST(PlainPairSender, PairAcksAndTerminatesWithoutAnswer) {
  const std::string port = std::to_string(test::free_tcp_port());
  NetGear rx(config(true, Pattern::Pair, Protocol::Tcp, port));
  PlainPeer peer(zmq::socket_type::pair, "tcp://127.0.0.1:" + port, false);
  peer.sock.send(zmq::str_buffer(R"({"terminate_flag": false, "compression": false, "message": 5, "pattern": "0", "dtype": "int16", "shape": [1, 2]})"),
                 zmq::send_flags::sndmore);
  peer.sock.send(zmq::str_buffer("\x01\x00\xff\xff"));
  auto reply = recv_parts(peer.sock);
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(reply[0].to_string(), "Data received on device: " + rx.device_id() + " !");
  auto f = rx.recv(5s);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->image.at<short>(0, 0), 1);
  EXPECT_EQ(f->image.at<short>(0, 1), -1);
  peer.sock.send(zmq::str_buffer(R"({"terminate_flag": true})"));
  EXPECT_FALSE(rx.recv(5s).has_value());
  EXPECT_EQ(rx.end_reason(), EndReason::Terminated);
  EXPECT_TRUE(recv_parts(peer.sock, 200ms).empty());  // PAIR: no answer to termination
}

}  // namespace
}  // namespace netgear
