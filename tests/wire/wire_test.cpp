// The pure wire functions: header encoding byte for byte, decoding and its errors, JSON with
// Python's non-finite tokens, dtypes, payload sizes, acknowledgements.
#include <cmath>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "netgear/error.hpp"
#include "wire/dtype.hpp"
#include "wire/header.hpp"
#include "wire/json_text.hpp"

namespace netgear::wire {
namespace {

TEST(FrameHeader, RawHeaderMatchesVidgearBytes) {
  FrameHeader h;
  h.message = {{"camera_id", "1"}};
  h.pattern = "0";
  h.dtype = "uint8";
  h.shape = {480, 640, 3};
  EXPECT_EQ(encode_frame_header(h),
            R"({"terminate_flag": false, "compression": false, "message": {"camera_id": "1"}, "pattern": "0", "dtype": "uint8", "shape": [480, 640, 3]})");
}

TEST(FrameHeader, JpegHeaderMatchesVidgearBytes) {
  FrameHeader h;
  h.compression = Compression{true, false, Colorspace::BGR};
  h.pattern = "1";
  EXPECT_EQ(encode_frame_header(h),
            R"({"terminate_flag": false, "compression": {"dct": true, "ups": false, "colorspace": "BGR"}, "message": null, "pattern": "1", "dtype": "", "shape": ""})");
}

TEST(FrameHeader, MultiServerPortComesFirst) {
  FrameHeader h;
  h.port = "5577";
  h.message = "hello";
  h.pattern = "1";
  h.dtype = "uint8";
  h.shape = {480, 640, 3};
  EXPECT_EQ(encode_frame_header(h),
            R"({"port": "5577", "terminate_flag": false, "compression": false, "message": "hello", "pattern": "1", "dtype": "uint8", "shape": [480, 640, 3]})");
}

TEST(FrameHeader, TerminationMessages) {
  EXPECT_EQ(encode_termination(), R"({"terminate_flag": true})");
  EXPECT_EQ(encode_termination(nlohmann::json(5577)), R"({"terminate_flag": true, "port": 5577})");
  auto h = decode_header(R"({"terminate_flag": true})");
  EXPECT_TRUE(h.terminate);
  EXPECT_FALSE(h.port.has_value());
}

TEST(FrameHeader, RoundTrip) {
  FrameHeader h;
  h.message = {{"a", {1, 2.5, "x", nullptr, true}}};
  h.pattern = "2";
  h.dtype = "float32";
  h.shape = {2, 3};
  FrameHeader d = decode_header(encode_frame_header(h));
  EXPECT_FALSE(d.terminate);
  EXPECT_FALSE(d.compression);
  EXPECT_EQ(d.message, h.message);
  EXPECT_EQ(d.pattern, "2");
  EXPECT_EQ(d.dtype, "float32");
  EXPECT_EQ(d.shape, h.shape);

  h.compression = Compression{false, true, Colorspace::RGBA};
  d = decode_header(encode_frame_header(h));
  ASSERT_TRUE(d.compression);
  EXPECT_EQ(*d.compression, *h.compression);
}

TEST(FrameHeader, DecodesPythonSpacingAndOrder) {
  // Key order does not matter; compact spacing is fine too.
  auto d = decode_header(R"({"shape":[2,2],"dtype":"<i2","pattern":"0","message":null,"compression":false,"terminate_flag":false})");
  EXPECT_EQ(d.dtype, "<i2");
  EXPECT_EQ(d.shape, (std::vector<std::int64_t>{2, 2}));
}

TEST(FrameHeader, MalformedHeadersAreProtocolErrors) {
  const char* bad[] = {
      "not json",
      "[1, 2]",
      R"({"compression": false})",                                     // no terminate_flag
      R"({"terminate_flag": "no"})",                                   // wrong type
      R"({"terminate_flag": false, "message": null, "pattern": "0", "dtype": "uint8", "shape": [1]})",  // no compression
      R"({"terminate_flag": false, "compression": false, "pattern": "0", "dtype": "uint8", "shape": [1]})",  // no message
      R"({"terminate_flag": false, "compression": false, "message": 1, "pattern": "0", "shape": [1]})",  // no dtype
      R"({"terminate_flag": false, "compression": false, "message": 1, "pattern": "0", "dtype": "uint8", "shape": "x"})",
      R"({"terminate_flag": false, "compression": false, "message": 1, "pattern": "0", "dtype": "uint8", "shape": [1.5]})",
      R"({"terminate_flag": false, "compression": {"dct": true}, "message": 1, "pattern": "0", "dtype": "", "shape": ""})",
      R"({"terminate_flag": false, "compression": {"colorspace": "HSV"}, "message": 1, "pattern": "0", "dtype": "", "shape": ""})",
      R"({"terminate_flag": false, "compression": true, "message": 1, "pattern": "0", "dtype": "", "shape": ""})",
  };
  for (const char* text : bad) {
    EXPECT_THROW(decode_header(text), ProtocolError) << text;
  }
}

TEST(JsonText, AcceptsPythonNonFiniteTokens) {
  auto v = parse_json(R"({"a": NaN, "b": [Infinity, -Infinity, 1.5], "s": "NaN Infinity"})");
  EXPECT_TRUE(std::isnan(v["a"].get<double>()));
  EXPECT_EQ(v["b"][0].get<double>(), HUGE_VAL);
  EXPECT_EQ(v["b"][1].get<double>(), -HUGE_VAL);
  EXPECT_EQ(v["b"][2].get<double>(), 1.5);
  EXPECT_EQ(v["s"], "NaN Infinity");  // tokens inside strings stay text
}

TEST(JsonText, WritesPythonStyle) {
  nlohmann::json v = {{"x", std::nan("")}, {"y", {HUGE_VAL, -HUGE_VAL}}, {"z", "\u00e9\u6f22"}};
  std::string text = to_json_text(v);
  EXPECT_EQ(text, "{\"x\": NaN, \"y\": [Infinity, -Infinity], \"z\": \"\u00e9\u6f22\"}");
  auto back = parse_json(text);
  EXPECT_TRUE(std::isnan(back["x"].get<double>()));
  EXPECT_EQ(back["z"], "\u00e9\u6f22");
}

TEST(JsonText, EscapedUnicodeFromPython) {
  // Python's json.dumps escapes non-ASCII as \uXXXX (with surrogate pairs).
  auto v = parse_json(R"({"t": "caf\u00e9 \ud83d\ude00", "q": "a\"NaN"})");
  EXPECT_EQ(v["t"], "caf\u00e9 \U0001F600");
  EXPECT_EQ(v["q"], "a\"NaN");
}

TEST(JsonText, EveryJsonKindRoundTrips) {
  const nlohmann::json values[] = {nullptr, true, false, 0, -42, 1ull << 63, 3.25, -1e-300, "", "text",
                                   nlohmann::json::array(), nlohmann::json::object(),
                                   {{"nested", {{"deep", {1, {2, {3}}}}}}}};
  for (const auto& v : values) EXPECT_EQ(parse_json(to_json_text(v)), v) << v.dump();
}

TEST(JsonText, InvalidUtf8IsAClearError) {
  EXPECT_THROW(to_json_text(nlohmann::json(std::string("\xff\xfe"))), Error);
}

TEST(DType, NamesAndProtocolCodes) {
  struct Case {
    const char* text;
    int depth;
    std::size_t size;
  } cases[] = {{"uint8", CV_8U, 1},   {"|u1", CV_8U, 1},   {"int8", CV_8S, 1},    {"|i1", CV_8S, 1},
               {"uint16", CV_16U, 2}, {"<u2", CV_16U, 2},  {"int16", CV_16S, 2},  {"<i2", CV_16S, 2},
               {"int32", CV_32S, 4},  {"<i4", CV_32S, 4},  {"float32", CV_32F, 4}, {"<f4", CV_32F, 4},
               {"float64", CV_64F, 8}, {"<f8", CV_64F, 8}, {"=f8", CV_64F, 8},   {"bool", CV_8U, 1},
               {"float16", CV_16F, 2}};
  for (const auto& c : cases) {
    auto t = parse_dtype(c.text);
    ASSERT_TRUE(t) << c.text;
    EXPECT_EQ(t->depth, c.depth) << c.text;
    EXPECT_EQ(t->itemsize, c.size) << c.text;
  }
  for (const char* bad : {">f4", ">i2", "uint32", "int64", "<i8", "complex64", "", "x", "<z4"}) {
    EXPECT_FALSE(parse_dtype(bad)) << bad;
  }
  EXPECT_EQ(dtype_name(CV_8U), "uint8");
  EXPECT_EQ(dtype_name(CV_64F), "float64");
}

TEST(Payload, SizeFromDtypeAndShape) {
  EXPECT_EQ(raw_payload_size("uint8", {480, 640, 3}), 921600u);
  EXPECT_EQ(raw_payload_size("<f8", {2, 3}), 48u);
  EXPECT_EQ(raw_payload_size("int16", {0, 5}), 0u);
  EXPECT_THROW(raw_payload_size("uint32", {1}), ProtocolError);
  EXPECT_THROW(raw_payload_size("uint8", {-1, 2}), ProtocolError);
  EXPECT_THROW(raw_payload_size("float64", {1ll << 40, 1ll << 40}), ProtocolError);
}

TEST(Ack, TextAndDeviceId) {
  auto id = make_device_id();
  ASSERT_EQ(id.size(), 8u);
  for (char ch : id) EXPECT_TRUE((ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')) << id;
  EXPECT_NE(make_device_id(), make_device_id());  // 36^8 values; a collision would be news
  EXPECT_EQ(ack_text("AB12CD34"), "Data received on device: AB12CD34 !");
  EXPECT_TRUE(is_ack_text(ack_text(id)));
  EXPECT_FALSE(is_ack_text(R"({"return_type": "NoneType", "data": null})"));
}

}  // namespace
}  // namespace netgear::wire
