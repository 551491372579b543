// The reply path end to end: a NetGear sender against a plain ZeroMQ peer (PAIR for pattern 0,
// REP for pattern 1) that answers each frame with hand-written bytes (src/wire/reply.hpp). Every
// reply goes through wire::decode_reply and ends up in SendResult (return_data, peer) or in
// stats().malformed_replies. Then the receiver side: a plain PAIR/REQ peer sending hand-made frame
// messages, checked in Frame::id and Frame::peer.
#include <cstring>
#include <exception>
#include <string>
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

constexpr const char* kAck = "Data received on device: ABCD1234 !";

std::vector<zmq::message_t> recv_parts(zmq::socket_t& s, std::chrono::milliseconds timeout = 10s) {
  s.set(zmq::sockopt::rcvtimeo, static_cast<int>(timeout.count()));
  std::vector<zmq::message_t> parts;
  (void)zmq::recv_multipart(s, std::back_inserter(parts));
  return parts;
}

void send_parts(zmq::socket_t& s, const std::vector<std::string>& parts) {
  for (std::size_t i = 0; i < parts.size(); ++i) {
    s.send(zmq::buffer(parts[i]), i + 1 < parts.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
}

std::string bytes_of(const cv::Mat& m) {
  return std::string(reinterpret_cast<const char*>(m.data), m.total() * m.elemSize());
}

std::string pattern_name(const testing::TestParamInfo<Pattern>& info) {
  return info.param == Pattern::Pair ? "Pair" : "ReqRep";
}

// --- NetGear sender <- plain replier ------------------------------------------------------------

class SenderReplies : public testing::TestWithParam<Pattern> {
 protected:
  SenderReplies()
      : port_(std::to_string(test::free_tcp_port())),
        ctx_(1),
        peer_(ctx_, GetParam() == Pattern::Pair ? zmq::socket_type::pair : zmq::socket_type::rep) {
    peer_.set(zmq::sockopt::linger, 0);
    peer_.bind("tcp://127.0.0.1:" + port_);
    Config c = test::config(false, GetParam(), Protocol::Tcp, port_);
    // Every exchange is driven by the peer below: no time-out is expected, so make it generous.
    c.options.request_timeout = 5000ms;
    tx_.emplace(c);
  }
  ~SenderReplies() override {
    // Close the sender first; on pattern 1 it waits (bounded) for an answer to its termination.
    std::thread closer([&] { tx_->close(); });
    if (GetParam() == Pattern::ReqRep) {
      try {
        auto term = recv_parts(peer_, 2s);
        if (term.size() == 1) send_parts(peer_, {"Termination signal successfully received at Client's end!"});
      } catch (const zmq::error_t&) {
        // A failed test left the REP socket out of step; close() is bounded without the answer.
      }
    }
    closer.join();
  }

  /// One frame from the sender, answered with `reply`; returns what send() reported.
  SendResult exchange(const std::vector<std::string>& reply) {
    SendResult result;
    std::exception_ptr error;
    const cv::Mat frame = test::random_mat(12, 16, CV_8UC3, static_cast<unsigned>(++sent_));
    std::thread t([&] {
      try {
        result = tx_->send(frame, {{"n", sent_}});
      } catch (...) {
        error = std::current_exception();
      }
    });
    auto parts = recv_parts(peer_);
    EXPECT_EQ(parts.size(), 2u) << "the sender's frame did not arrive";
    if (parts.size() == 2) {
      EXPECT_NE(parts[0].to_string().find(R"("message": {"n": )" + std::to_string(sent_) + "}"), std::string::npos)
          << parts[0].to_string();
      send_parts(peer_, reply);
    }
    t.join();
    if (error) std::rethrow_exception(error);
    return result;
  }

  /// A plain acknowledgement exchange, which must work.
  void expect_plain_ack_works(const std::string& context) {
    const SendResult r = exchange({kAck});
    EXPECT_TRUE(r.delivered) << context;
    EXPECT_TRUE(r.return_data.empty()) << context;
    EXPECT_TRUE(r.peer.empty()) << context;
  }

  std::string port_;
  zmq::context_t ctx_;
  zmq::socket_t peer_;
  std::optional<NetGear> tx_;
  int sent_ = 0;
};

TEST_P(SenderReplies, PlainTextAckIsDeliveredWithNoReturnData) {
  const SendResult r = exchange({kAck});
  EXPECT_TRUE(r.delivered);
  EXPECT_TRUE(r.return_data.empty());
  EXPECT_FALSE(r.return_data.has_frame());
  EXPECT_TRUE(r.return_data.value.is_null());
  EXPECT_TRUE(r.peer.empty());
  // Other text (a termination answer, an ack from a different device) is a reply too.
  const SendResult r2 = exchange({"Data received on device: ZZZZ9999 !"});
  EXPECT_TRUE(r2.delivered);
  EXPECT_TRUE(r2.return_data.empty());
  const auto s = tx_->stats();
  EXPECT_EQ(s.frames, 2u);
  EXPECT_EQ(s.frames_lost, 0u);
  EXPECT_EQ(s.malformed_replies, 0u);
}

TEST_P(SenderReplies, DictReturnDataIsTheValue) {
  const SendResult r = exchange({R"({"return_type": "dict", "data": {"boxes": [1, 2]}})"});
  EXPECT_TRUE(r.delivered);
  EXPECT_EQ(r.return_data.value, json::parse(R"({"boxes": [1, 2]})"));
  EXPECT_FALSE(r.return_data.has_frame());
  EXPECT_TRUE(r.peer.empty());
  // Other Python types, and "no data".
  EXPECT_EQ(exchange({R"({"return_type": "list", "data": [1, "a", null]})"}).return_data.value,
            json::parse(R"([1, "a", null])"));
  EXPECT_EQ(exchange({R"({"return_type": "float", "data": 2.5})"}).return_data.value, 2.5);
  EXPECT_TRUE(exchange({R"({"return_type": "NoneType", "data": null})"}).return_data.empty());
  EXPECT_EQ(tx_->stats().malformed_replies, 0u);
}

TEST_P(SenderReplies, PortNamesThePeer) {
  SendResult r = exchange({R"({"port": "5577", "return_type": "str", "data": "x"})"});
  EXPECT_TRUE(r.delivered);
  EXPECT_EQ(r.peer, "5577");
  EXPECT_EQ(r.return_data.value, "x");
  r = exchange({R"({"port": 5577, "return_type": "str", "data": "y"})"});
  EXPECT_EQ(r.peer, "5577");
  EXPECT_EQ(r.return_data.value, "y");
  // The peer of one reply does not stick to the next one.
  expect_plain_ack_works("after a reply with a port");
  EXPECT_EQ(tx_->stats().malformed_replies, 0u);
}

TEST_P(SenderReplies, RawNdarrayReplyIsTheFrameBitExact) {
  const cv::Mat m = test::random_mat(48, 64, CV_8UC3, 42);
  ASSERT_EQ(m.total() * m.elemSize(), 9216u);
  SendResult r = exchange({R"({"return_type": "ndarray", "compression": false, "array_dtype": "uint8", "array_shape": [48, 64, 3], "data": null})",
                           bytes_of(m)});
  EXPECT_TRUE(r.delivered);
  ASSERT_TRUE(r.return_data.has_frame());
  EXPECT_EQ(r.return_data.frame.type(), CV_8UC3);
  EXPECT_TRUE(test::same_mat(r.return_data.frame, m));
  EXPECT_TRUE(r.return_data.value.is_null());

  const cv::Mat m16 = test::random_mat(10, 20, CV_16UC1, 7);
  r = exchange({R"({"return_type": "ndarray", "compression": false, "array_dtype": "uint16", "array_shape": [10, 20], "data": null})",
                bytes_of(m16)});
  ASSERT_TRUE(r.return_data.has_frame());
  EXPECT_EQ(r.return_data.frame.type(), CV_16UC1);
  EXPECT_TRUE(test::same_mat(r.return_data.frame, m16));
  // The frame outlives the next exchange (it owns its bytes).
  const cv::Mat kept = r.return_data.frame;
  expect_plain_ack_works("after a frame reply");
  EXPECT_TRUE(test::same_mat(kept, m16));
  EXPECT_EQ(tx_->stats().malformed_replies, 0u);
}

TEST_P(SenderReplies, JpegNdarrayReplyIsDecoded) {
  codec::JpegEncoder encoder;
  const cv::Mat bgr(48, 64, CV_8UC3, cv::Scalar(10, 200, 30));
  const auto jpeg = encoder.encode(bgr, Colorspace::BGR, 90, true);
  const std::string jpeg_bytes(reinterpret_cast<const char*>(jpeg.data()), jpeg.size());
  SendResult r = exchange({R"({"return_type": "ndarray", "compression": {"dct": true, "ups": false, "colorspace": "BGR"}, "array_dtype": "", "array_shape": "", "data": null})",
                           jpeg_bytes});
  EXPECT_TRUE(r.delivered);
  ASSERT_TRUE(r.return_data.has_frame());
  EXPECT_EQ(r.return_data.frame.type(), CV_8UC3);
  EXPECT_EQ(r.return_data.frame.rows, 48);
  EXPECT_EQ(r.return_data.frame.cols, 64);
  EXPECT_LE(cv::norm(r.return_data.frame, bgr, cv::NORM_INF), 8.0);  // a flat colour survives JPEG

  const cv::Mat gray(20, 30, CV_8UC1, cv::Scalar(123));
  const auto gjpeg = encoder.encode(gray, Colorspace::GRAY, 90, true);
  r = exchange({R"({"return_type": "ndarray", "compression": {"dct": true, "ups": false, "colorspace": "GRAY"}, "array_dtype": "", "array_shape": "", "data": null})",
                std::string(reinterpret_cast<const char*>(gjpeg.data()), gjpeg.size())});
  ASSERT_TRUE(r.return_data.has_frame());
  EXPECT_EQ(r.return_data.frame.type(), CV_8UC1);
  EXPECT_EQ(r.return_data.frame.size(), cv::Size(30, 20));
  EXPECT_LE(cv::norm(r.return_data.frame, gray, cv::NORM_INF), 4.0);
  EXPECT_EQ(tx_->stats().malformed_replies, 0u);
}

TEST_P(SenderReplies, MalformedRepliesAreCountedAndTheStreamGoesOn) {
  const std::string raw_head =
      R"({"return_type": "ndarray", "compression": false, "array_dtype": "uint8", "array_shape": [48, 64, 3], "data": null})";
  const std::string jpeg_head =
      R"({"return_type": "ndarray", "compression": {"dct": true, "ups": false, "colorspace": "BGR"}, "array_dtype": "", "array_shape": "", "data": null})";
  const std::vector<std::pair<std::string, std::vector<std::string>>> bad = {
      {"return_type not a string", {R"({"return_type": 5})"}},
      {"not JSON", {"{not json"}},
      {"ndarray without part 2", {raw_head}},
      {"raw part 2 of the wrong size", {raw_head, std::string(9215, 'x')}},
      {"three parts", {kAck, "x", "y"}},
      {"two parts, part 1 not an ndarray reply", {R"({"return_type": "str", "data": "x"})", "payload"}},
      {"JSON object without return_type", {R"({"data": 1})"}},
      {"JPEG payload shorter than 4 bytes", {jpeg_head, "ab"}},
      {"JPEG payload that is no JPEG", {jpeg_head, "this is certainly not a JPEG"}},
      {"unknown colorspace", {R"({"return_type": "ndarray", "compression": {"dct": true, "ups": false, "colorspace": "HSV"}, "array_dtype": "", "array_shape": "", "data": null})", "abcdefgh"}},
  };
  std::uint64_t expected = 0;
  for (const auto& [what, reply] : bad) {
    SendResult r;
    try {
      r = exchange(reply);
    } catch (const std::exception& e) {
      ADD_FAILURE() << what << ": send() threw " << e.what();
      continue;
    }
    ++expected;
    EXPECT_TRUE(r.delivered) << what;
    EXPECT_TRUE(r.return_data.empty()) << what;
    EXPECT_EQ(tx_->stats().malformed_replies, expected) << what;
    expect_plain_ack_works("after " + what);
    EXPECT_EQ(tx_->stats().malformed_replies, expected) << "a good reply was counted after " << what;
  }
  // And a data reply after all that.
  EXPECT_EQ(exchange({R"({"return_type": "int", "data": 3})"}).return_data.value, 3);
  const auto s = tx_->stats();
  EXPECT_EQ(s.malformed_replies, bad.size());
  EXPECT_EQ(s.frames_lost, 0u);
  EXPECT_EQ(s.frames, 2 * bad.size() + 1);
}

INSTANTIATE_TEST_SUITE_P(Patterns, SenderReplies, testing::Values(Pattern::Pair, Pattern::ReqRep), pattern_name);

// --- plain sender -> NetGear receiver: Frame::id and Frame::peer --------------------------------

class ReceiverFrames : public testing::TestWithParam<Pattern> {};

std::string frame_header(const std::string& port_key, const std::string& message, Pattern p) {
  return "{" + port_key + R"("terminate_flag": false, "compression": false, "message": )" + message +
         R"(, "pattern": ")" + std::string(to_string(p)) + R"(", "dtype": "uint8", "shape": [2, 3]})";
}

TEST_P(ReceiverFrames, IdsCountFromOneAndPortNamesThePeer) {
  const Pattern p = GetParam();
  const std::string port = std::to_string(test::free_tcp_port());
  NetGear rx(test::config(true, p, Protocol::Tcp, port));
  zmq::context_t ctx(1);
  zmq::socket_t peer(ctx, p == Pattern::Pair ? zmq::socket_type::pair : zmq::socket_type::req);
  peer.set(zmq::sockopt::linger, 0);
  peer.connect("tcp://127.0.0.1:" + port);

  const std::vector<std::pair<std::string, std::string>> sends = {
      {R"("port": "5577", )", "5577"},
      {R"("port": 5566, )", "5566"},
      {"", ""},
  };
  const std::string payload = "abcdef";
  std::uint64_t id = 0;
  for (const auto& [port_key, expected_peer] : sends) {
    ++id;
    send_parts(peer, {frame_header(port_key, std::to_string(id), p), payload});
    auto ack = recv_parts(peer);
    ASSERT_EQ(ack.size(), 1u) << "frame " << id << " was not acknowledged";
    EXPECT_EQ(ack[0].to_string(), "Data received on device: " + rx.device_id() + " !");
    auto f = rx.recv(10s);
    ASSERT_TRUE(f) << "frame " << id << " did not arrive";
    EXPECT_EQ(f->id, id);
    EXPECT_EQ(f->peer, expected_peer) << "frame " << id;
    EXPECT_EQ(f->message, id);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(f->image.data), 6), payload);
  }
  EXPECT_EQ(rx.stats().frames, 3u);
  EXPECT_EQ(rx.stats().dropped_malformed, 0u);
}

// A dropped (malformed) message takes no id: ids count the frames handed out.
TEST_P(ReceiverFrames, MalformedMessagesTakeNoId) {
  const Pattern p = GetParam();
  const std::string port = std::to_string(test::free_tcp_port());
  NetGear rx(test::config(true, p, Protocol::Tcp, port));
  zmq::context_t ctx(1);
  zmq::socket_t peer(ctx, p == Pattern::Pair ? zmq::socket_type::pair : zmq::socket_type::req);
  peer.set(zmq::sockopt::linger, 0);
  peer.connect("tcp://127.0.0.1:" + port);
  send_parts(peer, {frame_header("", "1", p), "abcdef"});
  ASSERT_EQ(recv_parts(peer).size(), 1u);
  send_parts(peer, {frame_header("", "2", p), "abc"});  // payload too short: dropped
  ASSERT_EQ(recv_parts(peer).size(), 1u);
  send_parts(peer, {frame_header("", "3", p), "abcdef"});
  ASSERT_EQ(recv_parts(peer).size(), 1u);
  auto a = rx.recv(10s);
  auto b = rx.recv(10s);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->id, 1u);
  EXPECT_EQ(a->message, 1);
  EXPECT_EQ(b->id, 2u);
  EXPECT_EQ(b->message, 3);
  EXPECT_EQ(rx.stats().dropped_malformed, 1u);
}

INSTANTIATE_TEST_SUITE_P(Patterns, ReceiverFrames, testing::Values(Pattern::Pair, Pattern::ReqRep), pattern_name);

}  // namespace
}  // namespace netgear
