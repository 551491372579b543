// Bidirectional mode end to end (patterns 0 and 1, tcp and ipc): the receiver's return data
// (set_return_data, sticky; answer, exact pairing) reaching the sender's SendResult::return_data;
// the reply bytes as a plain ZeroMQ peer sees them (docs/protocol.md, section 3); misuse; and Lazy
// Pirate across processes with return data on.
#include <signal.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "netgear/netgear.hpp"
#include "support/peer_frame.hpp"
#include "support/test_support.hpp"

namespace netgear {
namespace {

using namespace std::chrono_literals;
using test::Child;

struct Endpoint {
  Pattern pattern;
  Protocol protocol;
};

std::string name_of(const testing::TestParamInfo<Endpoint>& i) {
  return std::string(i.param.pattern == Pattern::Pair ? "Pair" : "ReqRep") +
         (i.param.protocol == Protocol::Tcp ? "Tcp" : "Ipc");
}

const auto kEndpoints = testing::Values(Endpoint{Pattern::Pair, Protocol::Tcp}, Endpoint{Pattern::Pair, Protocol::Ipc},
                                        Endpoint{Pattern::ReqRep, Protocol::Tcp},
                                        Endpoint{Pattern::ReqRep, Protocol::Ipc});

// Same JSON, and the same kind of number at every level (nlohmann's == takes 2 and 2.0 as equal).
bool same_json(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) {
    if (a.is_number_float() != b.is_number_float()) return false;
    if (a.is_number_float()) {
      const double x = a.get<double>(), y = b.get<double>();
      return (std::isnan(x) && std::isnan(y)) || std::memcmp(&x, &y, sizeof x) == 0;
    }
    return a == b;
  }
  if (a.type() != b.type()) return false;
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!same_json(a[i], b[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    if (a.size() != b.size()) return false;
    for (auto it = a.begin(); it != a.end(); ++it) {
      if (!b.contains(it.key()) || !same_json(it.value(), b[it.key()])) return false;
    }
    return true;
  }
  return a == b;
}

cv::Mat small_frame(int i = 0) { return cv::Mat(4, 4, CV_8UC1, cv::Scalar(i & 0xff)); }

// A smooth image (no edges) that JPEG keeps close; rows and cols up to 64.
cv::Mat gradient(int rows, int cols, int type) {
  cv::Mat m(rows, cols, type);
  const int ch = m.channels();
  for (int y = 0; y < rows; ++y) {
    auto* row = m.ptr<uchar>(y);
    for (int x = 0; x < cols; ++x) {
      for (int c = 0; c < ch; ++c) row[x * ch + c] = static_cast<uchar>(20 + x + 2 * y + 25 * c);
    }
  }
  return m;
}

// A bidirectional receiver and sender on one endpoint of the parameter.
class Bidirectional : public testing::TestWithParam<Endpoint> {
 protected:
  Config cfg(bool rx) {
    Config c = test::config(rx, GetParam().pattern, GetParam().protocol, port_, ipc_);
    c.options.bidirectional_mode = true;
    return c;
  }
  void start(const std::function<void(Options&)>& rx_opts = {}, const std::function<void(Options&)>& tx_opts = {}) {
    Config r = cfg(true), t = cfg(false);
    if (rx_opts) rx_opts(r.options);
    if (tx_opts) tx_opts(t.options);
    rx_.emplace(r);
    tx_.emplace(t);
  }
  void TearDown() override {
    if (tx_) tx_->close();  // first: on pattern 1 it waits for the receiver's termination answer
    if (rx_) rx_->close();
  }
  // Sends one frame and hands back what came with its reply (the frame must be delivered).
  ReturnData round_trip(const cv::Mat& frame = small_frame(), const json& message = nullptr) {
    SendResult r = tx_->send(frame, message);
    EXPECT_TRUE(r.delivered);
    // Keep the receiver's queue short.
    EXPECT_TRUE(rx_->recv(5s).has_value());
    return r.return_data;
  }
  std::string port_ = std::to_string(test::free_tcp_port());
  std::string ipc_ = test::unique_ipc_prefix();
  std::optional<NetGear> rx_, tx_;
};

// --- 1. JSON return data -------------------------------------------------------------------------

TEST_P(Bidirectional, EveryJsonKindComesBackAsSet) {
  start();
  const json values[] = {
      true,
      false,
      0,
      42,
      -42,
      std::numeric_limits<std::int64_t>::min(),
      std::numeric_limits<std::int64_t>::max(),
      std::uint64_t{9223372036854775808u},  // INT64_MAX + 1
      std::numeric_limits<std::uint64_t>::max(),
      2.5,
      0.1,
      -1e300,
      5e-324,
      2.0,  // a float with no fraction stays a float
      HUGE_VAL,
      -HUGE_VAL,
      "",
      "plain",
      "caf\u00e9 \u6f22\u5b57 \U0001F600 \"quoted\\\" \n\t",
      json::array(),
      json::array({1, "two", nullptr, json::array({3.5, false})}),
      json::object(),
      json{{"zoom", 2}, {"nested", {{"k", {1.5, false, nullptr}}, {"s", "\u00fc"}}}, {"neg", -1}},
      nullptr,
  };
  for (const json& v : values) {
    rx_->set_return_data(v);
    ReturnData back = round_trip();
    EXPECT_FALSE(back.has_frame()) << v.dump();
    EXPECT_TRUE(same_json(back.value, v)) << "set " << v.dump() << ", got " << back.value.dump();
    EXPECT_EQ(back.empty(), v.is_null()) << v.dump();
  }
  // The unsigned values keep every bit (not rounded through a double).
  rx_->set_return_data(std::numeric_limits<std::uint64_t>::max());
  ReturnData back = round_trip();
  ASSERT_TRUE(back.value.is_number_unsigned());
  EXPECT_EQ(back.value.get<std::uint64_t>(), std::numeric_limits<std::uint64_t>::max());
  rx_->set_return_data(std::uint64_t{9223372036854775809u});
  back = round_trip();
  ASSERT_TRUE(back.value.is_number_unsigned());
  EXPECT_EQ(back.value.get<std::uint64_t>(), 9223372036854775809u);
  // NaN, alone and inside a container.
  rx_->set_return_data(std::nan(""));
  back = round_trip();
  ASSERT_TRUE(back.value.is_number_float()) << back.value.dump();
  EXPECT_TRUE(std::isnan(back.value.get<double>()));
  rx_->set_return_data(json{{"v", std::nan("")}, {"l", {std::nan(""), 1}}});
  back = round_trip();
  ASSERT_TRUE(back.value.is_object()) << back.value.dump();
  EXPECT_TRUE(std::isnan(back.value["v"].get<double>()));
  EXPECT_TRUE(std::isnan(back.value["l"][0].get<double>()));
  EXPECT_EQ(back.value["l"][1], 1);
  EXPECT_EQ(tx_->stats().malformed_replies, 0u);
}

// --- 2. Sticky semantics, frame by frame ---------------------------------------------------------

TEST_P(Bidirectional, StickyValueRidesWithEveryLaterReplyUntilReplaced) {
  start();
  constexpr int kFrames = 20;
  // Values the application sets after it has received frame n.
  const std::map<int, json> set_after = {
      {2, "a"}, {3, 7}, {8, json{{"k", 1}}}, {12, nullptr}, {15, json::array({1, 2})}, {16, "b"}};
  std::atomic<int> handled{-1};
  std::atomic<int> out_of_order{0};
  std::thread app([&] {
    for (int n = 0; n < kFrames; ++n) {
      auto f = rx_->recv(10s);
      if (!f) return;
      if (f->message.value("i", -1) != n) ++out_of_order;
      if (auto it = set_after.find(n); it != set_after.end()) rx_->set_return_data(it->second);
      handled = n;
    }
  });
  json held = nullptr;  // what the receiver holds when frame n arrives
  for (int n = 0; n < kFrames; ++n) {
    SendResult r = tx_->send(small_frame(n), {{"i", n}});
    EXPECT_TRUE(r.delivered) << n;
    EXPECT_TRUE(same_json(r.return_data.value, held)) << "frame " << n << ": expected " << held.dump() << ", got "
                                                      << r.return_data.value.dump();
    EXPECT_EQ(r.return_data.empty(), held.is_null()) << "frame " << n;
    // Lockstep: the next frame leaves once the application has handled this one.
    ASSERT_TRUE(test::wait_until([&] { return handled.load() == n; }, 10s)) << "frame " << n << " not received";
    if (auto it = set_after.find(n); it != set_after.end()) held = it->second;
  }
  app.join();
  EXPECT_EQ(out_of_order, 0);
}

// --- 3. Frames as return data --------------------------------------------------------------------

TEST_P(Bidirectional, RawFramesComeBackBitExact) {
  start([](Options& o) { o.jpeg_compression = false; });
  const cv::Mat frames[] = {
      test::random_mat(6, 5, CV_8UC1, 1),
      test::random_mat(6, 5, CV_8UC3, 2),
      test::random_mat(7, 3, CV_8SC1, 3),
      test::random_mat(7, 3, CV_16UC1, 4),
      test::random_mat(7, 3, CV_16SC1, 5),
      test::random_mat(7, 3, CV_32SC1, 6),
      test::random_mat(7, 3, CV_32FC1, 7),
      test::random_mat(7, 3, CV_64FC1, 8),
      test::random_mat(4, 6, CV_16UC(5), 9),    // H x W x 5
      test::random_mat({3, 4, 5}, CV_32SC2, 10),  // 3-D with 2 channels: shape [3, 4, 5, 2]
      test::random_mat(1, 1, CV_64FC4, 11),
  };
  int n = 0;
  for (const cv::Mat& m : frames) {
    rx_->set_return_data(m);
    ReturnData back = round_trip();
    ASSERT_TRUE(back.has_frame()) << n;
    EXPECT_TRUE(back.value.is_null()) << n;
    EXPECT_EQ(back.frame.type(), m.type()) << n;
    EXPECT_TRUE(test::same_mat(back.frame, m)) << "frame " << n;
    ++n;
  }
  // A non-contiguous view comes back as its contents.
  cv::Mat big = test::random_mat(30, 40, CV_16SC3, 12);
  cv::Mat roi = big(cv::Rect(3, 5, 17, 11));
  ASSERT_FALSE(roi.isContinuous());
  rx_->set_return_data(roi);
  EXPECT_TRUE(test::same_mat(round_trip().frame, roi.clone()));
}

TEST_P(Bidirectional, ReturnFrameIsEncodedWhenSetAndSticks) {
  start([](Options& o) { o.jpeg_compression = false; });
  cv::Mat m = test::random_mat(8, 8, CV_8UC3, 21);
  const cv::Mat original = m.clone();
  rx_->set_return_data(m);
  m.setTo(cv::Scalar(0, 0, 0));  // the application reuses its matrix: replies keep the old bytes
  for (int i = 0; i < 3; ++i) {
    ReturnData back = round_trip();
    EXPECT_TRUE(test::same_mat(back.frame, original)) << "reply " << i;
  }
  rx_->set_return_data("text");  // a JSON value replaces the frame
  ReturnData back = round_trip();
  EXPECT_FALSE(back.has_frame());
  EXPECT_EQ(back.value, "text");
}

TEST_P(Bidirectional, JpegFramesComeBackCloseWithTheirShapeAndType) {
  start();  // the receiver compresses its return frames (its own JPEG settings)
  struct Case {
    cv::Mat image;
    int type;
  };
  const Case cases[] = {{gradient(48, 64, CV_8UC3), CV_8UC3}, {gradient(40, 56, CV_8UC1), CV_8UC1}};
  for (const auto& c : cases) {
    rx_->set_return_data(c.image);
    ReturnData back = round_trip();
    ASSERT_TRUE(back.has_frame());
    EXPECT_EQ(back.frame.dims, 2);
    EXPECT_EQ(back.frame.type(), c.type);
    EXPECT_EQ(back.frame.rows, c.image.rows);
    EXPECT_EQ(back.frame.cols, c.image.cols);
    ASSERT_EQ(back.frame.size(), c.image.size());
    ASSERT_EQ(back.frame.type(), c.image.type());
    cv::Mat diff;
    cv::absdiff(back.frame, c.image, diff);
    const cv::Scalar mean = cv::mean(diff);
    for (int ch = 0; ch < c.image.channels(); ++ch) EXPECT_LT(mean[ch], 3.0) << "channel " << ch;
    EXPECT_GT(cv::PSNR(back.frame, c.image), 35.0);
  }
  // A frame JPEG cannot carry travels raw, exactly, even with JPEG on.
  cv::Mat deep = test::random_mat(5, 6, CV_16UC3, 31);
  rx_->set_return_data(deep);
  EXPECT_TRUE(test::same_mat(round_trip().frame, deep));
}

// --- 4. Exact pairing ----------------------------------------------------------------------------

TEST_P(Bidirectional, ExactPairingAnswersEachOfAThousandFramesWithItsOwnValue) {
  start(
      [](Options& o) {
        o.jpeg_compression = false;
        o.return_pairing = ReturnPairing::Exact;
        o.request_timeout = 5s;
        o.answer_timeout = 2s;
      },
      [](Options& o) {
        o.jpeg_compression = false;
        o.request_timeout = 5s;
      });
  constexpr int kFrames = 1000;
  std::atomic<int> refused{0};
  std::thread app([&] {
    for (int n = 0; n < kFrames; ++n) {
      auto f = rx_->recv(10s);
      if (!f) return;
      if (!rx_->answer(f->id, json{{"i", f->message["i"]}})) ++refused;
    }
  });
  const cv::Mat m = test::random_mat(24, 32, CV_8UC1, 41);
  int wrong = 0;
  for (int i = 0; i < kFrames; ++i) {
    SendResult r = tx_->send(m, {{"i", i}});
    if (!r.delivered || r.return_data.value != json{{"i", i}}) {
      if (++wrong <= 5) ADD_FAILURE() << "frame " << i << ": delivered " << r.delivered << ", got " << r.return_data.value.dump();
    }
  }
  app.join();
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(refused, 0);
  EXPECT_EQ(rx_->stats().answers_late, 0u);
  EXPECT_EQ(rx_->stats().frames, static_cast<std::uint64_t>(kFrames));
}

TEST_P(Bidirectional, ExactPairingAnswersWithFrames) {
  start(
      [](Options& o) {
        o.jpeg_compression = false;
        o.return_pairing = ReturnPairing::Exact;
        o.request_timeout = 5s;
        o.answer_timeout = 2s;
      },
      [](Options& o) { o.request_timeout = 5s; });
  constexpr int kFrames = 100;
  std::thread app([&] {
    for (int n = 0; n < kFrames; ++n) {
      auto f = rx_->recv(10s);
      if (!f) return;
      const int i = f->message.value("i", -1);
      rx_->answer(f->id, cv::Mat(3, 5, CV_16UC1, cv::Scalar(1000 + i)));
    }
  });
  int wrong = 0;
  for (int i = 0; i < kFrames; ++i) {
    SendResult r = tx_->send(small_frame(i), {{"i", i}});
    const cv::Mat expect(3, 5, CV_16UC1, cv::Scalar(1000 + i));
    if (!r.delivered || !test::same_mat(r.return_data.frame, expect)) {
      if (++wrong <= 5) ADD_FAILURE() << "frame " << i << " did not come back with its own answer frame";
    }
  }
  app.join();
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(rx_->stats().answers_late, 0u);
}

TEST_P(Bidirectional, ExactPairingWithoutAnswersFallsBackToTheStickyValueAndCountsLateAnswers) {
  start(
      [](Options& o) {
        o.return_pairing = ReturnPairing::Exact;
        o.answer_timeout = 30ms;
      },
      [](Options& o) { o.request_timeout = 1s; });
  rx_->set_return_data("sticky");
  constexpr int kFrames = 12;
  std::vector<std::uint64_t> ids;
  for (int i = 0; i < kFrames; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    SendResult r = tx_->send(small_frame(i), {{"i", i}});
    const auto took = std::chrono::steady_clock::now() - t0;
    ASSERT_TRUE(r.delivered) << i;
    EXPECT_EQ(r.return_data.value, "sticky") << i;
    EXPECT_GE(took, 30ms) << "the reply to frame " << i << " did not wait for an answer";
    auto f = rx_->recv(5s);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->message.value("i", -1), i);
    ids.push_back(f->id);
  }
  EXPECT_EQ(rx_->stats().answers_late, static_cast<std::uint64_t>(kFrames));
  EXPECT_EQ(tx_->stats().frames_lost, 0u);
  // Every reply has left: answers now are refused.
  EXPECT_FALSE(rx_->answer(ids.back(), json("late")));
  EXPECT_FALSE(rx_->answer(ids.front(), json("late")));
  EXPECT_FALSE(rx_->answer(0, json("never handed out")));
  // The stream goes on.
  SendResult r = tx_->send(small_frame(), {{"i", kFrames}});
  ASSERT_TRUE(r.delivered);
  EXPECT_EQ(r.return_data.value, "sticky");
  EXPECT_EQ(rx_->stats().answers_late, static_cast<std::uint64_t>(kFrames + 1));
}

INSTANTIATE_TEST_SUITE_P(Patterns01, Bidirectional, kEndpoints, name_of);

// --- 5. Reply bytes, read by a plain ZeroMQ peer -------------------------------------------------

std::vector<zmq::message_t> recv_parts(zmq::socket_t& s, std::chrono::milliseconds timeout = 10s) {
  s.set(zmq::sockopt::rcvtimeo, static_cast<int>(timeout.count()));
  std::vector<zmq::message_t> parts;
  (void)zmq::recv_multipart(s, std::back_inserter(parts));
  return parts;
}

class ReplyBytes : public testing::TestWithParam<Endpoint> {
 protected:
  // A receiver and a plain peer (PAIR for pattern 0, REQ for pattern 1) connected to it.
  void start(bool bidirectional, bool jpeg = false) {
    Config c = test::config(true, GetParam().pattern, GetParam().protocol, port_, ipc_);
    c.options.bidirectional_mode = bidirectional;
    c.options.jpeg_compression = jpeg;
    rx_.emplace(c);
    peer_.emplace(ctx_, GetParam().pattern == Pattern::Pair ? zmq::socket_type::pair : zmq::socket_type::req);
    peer_->set(zmq::sockopt::linger, 0);
    peer_->connect(rx_->endpoint());
  }
  void TearDown() override {
    if (rx_) rx_->close();
  }
  // Sends hand-made frame message number n and returns the reply's parts (then receives the frame
  // unless take_frame is false).
  std::vector<std::string> exchange(int n, bool take_frame = true) {
    const std::string header = R"({"terminate_flag": false, "compression": false, "message": {"n": )" +
                               std::to_string(n) + R"(}, "pattern": ")" +
                               std::to_string(static_cast<int>(GetParam().pattern)) +
                               R"(", "dtype": "uint8", "shape": [2, 3]})";
    peer_->send(zmq::buffer(header), zmq::send_flags::sndmore);
    peer_->send(zmq::str_buffer("abcdef"));
    std::vector<std::string> out;
    for (auto& p : recv_parts(*peer_)) out.push_back(p.to_string());
    if (!take_frame) return out;
    auto f = rx_->recv(5s);
    EXPECT_TRUE(f.has_value()) << "frame " << n;
    if (f) {
      EXPECT_EQ(f->message.value("n", -1), n);
    }
    return out;
  }
  std::vector<std::string> one(const std::string& part) { return {part}; }

  std::string port_ = std::to_string(test::free_tcp_port());
  std::string ipc_ = test::unique_ipc_prefix();
  std::optional<NetGear> rx_;
  zmq::context_t ctx_{1};
  std::optional<zmq::socket_t> peer_;
};

TEST_P(ReplyBytes, JsonRepliesAreExactlyVidgearsText) {
  start(true);
  int n = 0;
  EXPECT_EQ(exchange(n++), one(R"({"return_type": "NoneType", "data": null})"));
  EXPECT_EQ(exchange(n++), one(R"({"return_type": "NoneType", "data": null})"));  // nothing set yet
  const std::pair<json, std::string> cases[] = {
      {json{{"a", 1}}, R"({"return_type": "dict", "data": {"a": 1}})"},
      {"x", R"({"return_type": "str", "data": "x"})"},
      {2.5, R"({"return_type": "float", "data": 2.5})"},
      {7, R"({"return_type": "int", "data": 7})"},
      {-7, R"({"return_type": "int", "data": -7})"},
      {true, R"({"return_type": "bool", "data": true})"},
      {json::array({1, 2}), R"({"return_type": "list", "data": [1, 2]})"},
      {json{{"b", {1, "c"}}, {"d", nullptr}}, R"({"return_type": "dict", "data": {"b": [1, "c"], "d": null}})"},
      {std::nan(""), R"({"return_type": "float", "data": NaN})"},
      {nullptr, R"({"return_type": "NoneType", "data": null})"},
  };
  for (const auto& [value, text] : cases) {
    rx_->set_return_data(value);
    EXPECT_EQ(exchange(n++), one(text)) << value.dump();
    EXPECT_EQ(exchange(n++), one(text)) << value.dump() << " (sticky)";
  }
  EXPECT_EQ(rx_->stats().dropped_malformed, 0u);
}

TEST_P(ReplyBytes, RawFrameReplyIsHeaderAndBytes) {
  start(true);
  cv::Mat m = (cv::Mat_<uchar>(2, 2) << 1, 2, 3, 250);
  rx_->set_return_data(m);
  const std::vector<std::string> expect = {
      R"({"return_type": "ndarray", "compression": false, "array_dtype": "uint8", "array_shape": [2, 2], "data": null})",
      std::string("\x01\x02\x03\xfa", 4)};
  EXPECT_EQ(exchange(0), expect);
  EXPECT_EQ(exchange(1), expect);  // sticky
  cv::Mat f(1, 3, CV_32FC2, cv::Scalar(1.5f, -2.0f));
  rx_->set_return_data(f);
  auto parts = exchange(2);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0],
            R"({"return_type": "ndarray", "compression": false, "array_dtype": "float32", "array_shape": [1, 3, 2], "data": null})");
  EXPECT_EQ(parts[1], std::string(reinterpret_cast<const char*>(f.data), 24));
  rx_->set_return_data(json("back to text"));
  EXPECT_EQ(exchange(3), one(R"({"return_type": "str", "data": "back to text"})"));
}

TEST_P(ReplyBytes, JpegFrameReplyUsesTheReceiversSettings) {
  start(true, /*jpeg=*/true);
  rx_->set_return_data(gradient(16, 16, CV_8UC1));
  auto parts = exchange(0);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0],
            R"({"return_type": "ndarray", "compression": {"dct": true, "ups": false, "colorspace": "GRAY"}, "array_dtype": "", "array_shape": "", "data": null})");
  ASSERT_GT(parts[1].size(), 4u);
  EXPECT_EQ(parts[1].substr(0, 2), "\xff\xd8");
  EXPECT_EQ(parts[1].substr(parts[1].size() - 2), "\xff\xd9");
}

TEST_P(ReplyBytes, WithoutBidirectionalModeTheReplyStaysTheTextAck) {
  start(false);
  const std::string ack = "Data received on device: " + rx_->device_id() + " !";
  for (int n = 0; n < 3; ++n) EXPECT_EQ(exchange(n), one(ack)) << n;
}

TEST_P(ReplyBytes, ValueTheApplicationThreadSetsAfterAFrameRidesWithTheNextReply) {
  start(true);
  std::atomic<bool> set{false};
  std::thread app([&] {
    auto f = rx_->recv(5s);  // the application takes frame 0, then answers through the sticky value
    if (f) rx_->set_return_data(json{{"after", f->message.value("n", -1)}});
    set = true;
  });
  EXPECT_EQ(exchange(0, /*take_frame=*/false), one(R"({"return_type": "NoneType", "data": null})"));
  ASSERT_TRUE(test::wait_until([&] { return set.load(); }, 5s));
  app.join();
  EXPECT_EQ(exchange(1), one(R"({"return_type": "dict", "data": {"after": 0}})"));
}

INSTANTIATE_TEST_SUITE_P(Patterns01, ReplyBytes, kEndpoints, name_of);

// --- 6. Misuse -----------------------------------------------------------------------------------

class Misuse : public testing::Test {
 protected:
  Config cfg(bool rx, bool bidirectional, Pattern p = Pattern::Pair) {
    Config c = test::config(rx, p, Protocol::Tcp, port_);
    c.options.bidirectional_mode = bidirectional;
    return c;
  }
  std::string port_ = std::to_string(test::free_tcp_port());
};

TEST_F(Misuse, SetReturnDataOnASenderOrWithoutBidirectionalModeIsAModeError) {
  {
    NetGear tx(cfg(false, true));
    EXPECT_THROW(tx.set_return_data(json(1)), ModeError);
    EXPECT_THROW(tx.set_return_data(small_frame()), ModeError);
    EXPECT_THROW(tx.answer(1, json(1)), ModeError);
  }
  NetGear rx(cfg(true, false));
  EXPECT_THROW(rx.set_return_data(json(1)), ModeError);
  EXPECT_THROW(rx.set_return_data(small_frame()), ModeError);
  EXPECT_THROW(rx.answer(1, json(1)), ModeError);
  EXPECT_FALSE(rx.end_of_stream());  // still a working receiver
}

TEST_F(Misuse, AnswerWithoutExactPairingIsAModeError) {
  NetGear rx(cfg(true, true));  // sticky
  EXPECT_THROW(rx.answer(1, json("x")), ModeError);
  EXPECT_THROW(rx.answer(1, small_frame()), ModeError);
  EXPECT_NO_THROW(rx.set_return_data(json("x")));
}

TEST_F(Misuse, InvalidUtf8ReturnDataIsAFrameErrorAndKeepsTheOldValue) {
  NetGear rx(cfg(true, true));
  NetGear tx(cfg(false, true));
  rx.set_return_data(json("kept"));
  EXPECT_THROW(rx.set_return_data(std::string("\xff")), FrameError);
  EXPECT_THROW(rx.set_return_data(json{{"k", std::string("ok\xc3")}}), FrameError);
  SendResult res = tx.send(small_frame());
  ASSERT_TRUE(res.delivered);
  EXPECT_EQ(res.return_data.value, "kept") << "a refused value replaced the sticky one";
  tx.close();
}

// Fails with the library of 7c3d847: see the report (an empty frame silently clears the value).
TEST_F(Misuse, EmptyFrameReturnDataIsAFrameErrorAndKeepsTheOldValue) {
  NetGear rx(cfg(true, true));
  NetGear tx(cfg(false, true));
  rx.set_return_data(json("kept"));
  EXPECT_THROW(rx.set_return_data(cv::Mat()), FrameError);
  SendResult res = tx.send(small_frame());
  ASSERT_TRUE(res.delivered);
  EXPECT_EQ(res.return_data.value, "kept") << "a refused value replaced the sticky one";
  tx.close();
}

class MisuseExact : public Misuse {
 protected:
  MisuseExact() {
    Config r = cfg(true, true);
    r.options.return_pairing = ReturnPairing::Exact;
    r.options.answer_timeout = 30ms;
    rx_.emplace(r);
    tx_.emplace(cfg(false, true));
    rx_->set_return_data(json("kept"));
  }
  ~MisuseExact() override {
    tx_->close();
    rx_->close();
  }
  std::optional<NetGear> rx_, tx_;
};

TEST_F(MisuseExact, AnswerWithInvalidUtf8IsAFrameErrorAndTheReplyCarriesTheStickyValue) {
  EXPECT_THROW(rx_->answer(1, json(std::string("\xfe"))), FrameError);
  SendResult res = tx_->send(small_frame());
  ASSERT_TRUE(res.delivered);
  EXPECT_EQ(res.return_data.value, "kept");
  EXPECT_EQ(rx_->stats().answers_late, 1u);
}

// Fails with the library of 7c3d847: see the report (an empty frame is taken as the answer null).
TEST_F(MisuseExact, AnswerWithEmptyFrameIsAFrameErrorAndTheReplyCarriesTheStickyValue) {
  EXPECT_THROW(rx_->answer(1, cv::Mat()), FrameError);
  SendResult res = tx_->send(small_frame());
  ASSERT_TRUE(res.delivered);
  EXPECT_EQ(res.return_data.value, "kept") << "the refused answer was sent";
  EXPECT_EQ(rx_->stats().answers_late, 1u);
}

// Fails with the library of 7c3d847: see the report (answers to ids not handed out yet are kept,
// and 64 of them block every later answer).
TEST_F(Misuse, AnswersToFramesNeverHandedOutAreRefusedAndDoNotBlockRealAnswers) {
  Config r = cfg(true, true);
  r.options.return_pairing = ReturnPairing::Exact;
  r.options.request_timeout = 5s;
  r.options.answer_timeout = 2s;
  NetGear rx(r);
  Config t = cfg(false, true);
  t.options.request_timeout = 5s;
  NetGear tx(t);
  int accepted = 0;
  for (int k = 0; k < 64; ++k) accepted += rx.answer(1'000'000 + k, json(k));
  EXPECT_EQ(accepted, 0) << "answers to frames that were never received were accepted";
  std::atomic<bool> answered{false};
  std::thread app([&] {
    if (auto f = rx.recv(10s)) answered = rx.answer(f->id, json("real"));
  });
  SendResult res = tx.send(small_frame());
  app.join();
  EXPECT_TRUE(answered) << "the answer to a received frame was refused";
  EXPECT_EQ(res.return_data.value, "real");
  tx.close();
}

TEST_F(Misuse, BadReturnPairingOptionsNameTheOption) {
  try {
    (void)parse_options(json{{"return_pairing", "bogus"}});
    ADD_FAILURE() << "no OptionError";
  } catch (const OptionError& e) {
    EXPECT_EQ(e.option(), "return_pairing");
    EXPECT_NE(std::string(e.what()).find("bogus"), std::string::npos) << e.what();
  }
  try {
    (void)parse_options(std::map<std::string, std::string>{{"return_pairing", "bogus"}});
    ADD_FAILURE() << "no OptionError";
  } catch (const OptionError& e) {
    EXPECT_EQ(e.option(), "return_pairing");
  }
  // The accepted spellings.
  EXPECT_EQ(parse_options(json{{"return_pairing", "exact"}}).return_pairing, ReturnPairing::Exact);
  EXPECT_EQ(parse_options(json{{"return_pairing", 0}}).return_pairing, ReturnPairing::Sticky);
  try {
    (void)parse_options(json{{"answer_timeout", 0.001}});
    ADD_FAILURE() << "no OptionError";
  } catch (const OptionError& e) {
    EXPECT_EQ(e.option(), "answer_timeout");
  }
  for (bool rx : {true, false}) {
    Config c = cfg(rx, false);
    c.options.return_pairing = ReturnPairing::Exact;
    try {
      NetGear ng(c);
      ADD_FAILURE() << "exact pairing without bidirectional_mode accepted (receive_mode " << rx << ")";
    } catch (const OptionError& e) {
      EXPECT_EQ(e.option(), "return_pairing");
      EXPECT_NE(std::string(e.what()).find("bidirectional_mode"), std::string::npos) << e.what();
    }
  }
}

TEST_F(Misuse, BidirectionalModeOnPubSubIsAnOptionErrorNamingBoth) {
  for (bool rx : {true, false}) {
    try {
      NetGear ng(cfg(rx, true, Pattern::PubSub));
      ADD_FAILURE() << "bidirectional_mode on pattern 2 accepted (receive_mode " << rx << ")";
    } catch (const OptionError& e) {
      EXPECT_EQ(e.option(), "bidirectional_mode");
      EXPECT_NE(std::string(e.what()).find("pattern"), std::string::npos) << e.what();
    }
  }
}

// --- 7. Lazy Pirate across processes ------------------------------------------------------------

std::vector<std::string> peer_args(const std::string& role, const Config& c, std::vector<std::string> extra = {}) {
  std::vector<std::string> a = {test::peer_path(), role, "--pattern", std::to_string(static_cast<int>(c.pattern)),
                                "--protocol", c.protocol == Protocol::Tcp ? "tcp" : "ipc", "--address", c.address,
                                "--port", c.port.text(), "--timeout-ms", std::to_string(c.options.request_timeout.count()),
                                "--retries", std::to_string(c.options.max_retries), "--bidirectional", "1"};
  a.insert(a.end(), extra.begin(), extra.end());
  return a;
}

class BidirectionalLazyPirate : public testing::TestWithParam<Pattern> {
 protected:
  Config cfg(bool rx) {
    Config c = test::config(rx, GetParam(), Protocol::Tcp, port_);
    c.options.bidirectional_mode = true;
    c.options.request_timeout = 300ms;
    c.options.max_retries = 0;  // for ever
    return c;
  }
  std::string port_ = std::to_string(test::free_tcp_port());
};

TEST_P(BidirectionalLazyPirate, ReceiverKilledAndRestartedTheStreamResumesWithTheNewReturnValue) {
  NetGear tx(cfg(false));
  std::mutex mu;
  std::vector<json> replies;  // return value of each delivered frame, in order
  std::atomic<int> lost{0};
  std::atomic<bool> stop{false};
  std::string error;
  std::thread sender([&] {
    for (int i = 0; !stop; ++i) {
      try {
        SendResult r = tx.send(test::peer_frame(i), {{"i", i}});
        if (!r.delivered) {
          ++lost;
          continue;
        }
        std::lock_guard lk(mu);
        replies.push_back(r.return_data.value);
      } catch (const std::exception& e) {
        std::lock_guard lk(mu);
        error = e.what();
        return;
      }
    }
  });
  auto count = [&](int gen) {
    std::lock_guard lk(mu);
    int n = 0;
    for (const auto& v : replies) n += v.is_object() && v.value("gen", 0) == gen;
    return n;
  };
  {
    Child rx1(peer_args("recv", cfg(true), {"--return", R"({"gen": 1})"}));
    EXPECT_TRUE(test::wait_until([&] { return count(1) >= 10; }, 15s)) << "no replies from the first receiver";
    rx1.signal(SIGKILL);
    test::ExitStatus st = rx1.wait(5s);
    EXPECT_EQ(st.signal, SIGKILL);
  }
  // With no receiver, the frame in flight times out (the socket is re-created) or, on PAIR, the
  // dropped connection is noticed: wait for that before the new receiver starts.
  EXPECT_TRUE(test::wait_until([&] { const Stats s = tx.stats(); return s.frames_lost + s.frames_resent >= 1; }, 10s))
      << "the sender did not notice the dead receiver";
  Child rx2(peer_args("recv", cfg(true), {"--return", R"({"gen": 2})"}));
  EXPECT_TRUE(test::wait_until([&] { return count(2) >= 10; }, 15s)) << "the stream did not resume after the restart";
  stop = true;
  sender.join();
  EXPECT_EQ(error, "");

  // Order: every reply from the first receiver, then (perhaps a null or two from the moment
  // between the new receiver's bind and its set_return_data) every reply from the second.
  std::lock_guard lk(mu);
  std::size_t i = 0;
  while (i < replies.size() && replies[i] == json{{"gen", 1}}) ++i;
  const std::size_t first_gen1_end = i;
  while (i < replies.size() && replies[i].is_null()) ++i;
  EXPECT_LE(i - first_gen1_end, 2u) << "null replies after the restart";
  const std::size_t gen2_begin = i;
  while (i < replies.size() && replies[i] == json{{"gen", 2}}) ++i;
  EXPECT_EQ(i, replies.size()) << "reply " << i << " out of order: " << (i < replies.size() ? replies[i].dump() : "");
  EXPECT_GE(first_gen1_end, 10u);
  EXPECT_GE(replies.size() - gen2_begin, 10u);
  const Stats s = tx.stats();
  EXPECT_EQ(s.malformed_replies, 0u);
  if (GetParam() == Pattern::ReqRep) {
    EXPECT_GE(s.reconnects, 1u) << "REQ must re-create its socket after a lost reply";
  }

  // The sender ends the stream; the new receiver sees it.
  tx.close();
  test::ExitStatus st = rx2.wait(10s);
  EXPECT_TRUE(st.ok()) << st.err;
  EXPECT_NE(st.out.find("END terminated by the sender"), std::string::npos) << st.out;
}

TEST_P(BidirectionalLazyPirate, ChildSenderPrintsTheReturnedValueOnEachAck) {
  Config rc = cfg(true);
  rc.options.request_timeout = 2s;
  NetGear rx(rc);
  rx.set_return_data(json{{"r", 5}});
  Config tc = cfg(false);
  tc.options.request_timeout = 2s;
  tc.options.max_retries = 3;
  Child tx(peer_args("send", tc, {"--frames", "10"}));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(rx.recv(10s).has_value()) << i;
  test::ExitStatus st = tx.wait(10s);
  ASSERT_TRUE(st.ok()) << st.err;
  std::string expect;
  for (int i = 0; i < 10; ++i) expect += "ACK " + std::to_string(i) + " {\"r\":5}\n";
  expect += "DONE\n";
  EXPECT_EQ(st.out, expect);
}

INSTANTIATE_TEST_SUITE_P(Synchronous, BidirectionalLazyPirate, testing::Values(Pattern::Pair, Pattern::ReqRep),
                         [](const testing::TestParamInfo<Pattern>& i) {
                           return std::string(i.param == Pattern::Pair ? "Pair" : "ReqRep");
                         });

}  // namespace
}  // namespace netgear
