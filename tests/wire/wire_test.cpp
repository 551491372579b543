// The pure wire functions: header encoding byte for byte, decoding and its errors, JSON with
// Python's non-finite tokens, dtypes, payload sizes, acknowledgements.
#include <cmath>
#include <cstring>
#include <functional>
#include <iterator>
#include <random>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "netgear/error.hpp"
#include "wire/dtype.hpp"
#include "wire/header.hpp"
#include "json_reference.hpp"
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

TEST(JsonText, NonFiniteTokensAreNotObjectKeys) {
  // Python's json.loads rejects these too: keys must be strings.
  for (const char* text : {"{NaN: 1}", R"({"a": {Infinity: true}})", R"([{"k": 1, -Infinity: 2}])"}) {
    EXPECT_THROW(parse_json(text), ProtocolError) << text;
  }
  EXPECT_TRUE(std::isnan(parse_json(R"({"NaN": NaN})")["NaN"].get<double>()));
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

// Python's json.dumps writes a lone surrogate (a str holding "\ud800") as the escape itself, and
// json.loads reads it back. It is not Unicode: it decodes here to U+FFFD, the replacement
// character, in a message, a reply and the header scanner alike; a pair still makes one character.
TEST(JsonText, LoneSurrogatesDecodeToTheReplacementCharacter) {
  const std::string fffd = "\xef\xbf\xbd";
  EXPECT_EQ(parse_json(R"("a\ud800b")"), "a" + fffd + "b");
  EXPECT_EQ(parse_json(R"("\udc00")"), fffd);                        // a low one alone
  EXPECT_EQ(parse_json(R"("\ud800\u0041")"), fffd + "A");            // high, then no low
  EXPECT_EQ(parse_json(R"("\ud800\ud83d\ude00")"), fffd + "\U0001F600");  // high, then a pair
  EXPECT_EQ(parse_json(R"("\ud83d\ude00\udfff")"), "\U0001F600" + fffd);
  EXPECT_EQ(parse_json(R"({"k\uDBFF": ["x\\ud800"]})"), (nlohmann::json{{"k" + fffd, {"x\\ud800"}}}));  // escaped backslash: text
  EXPECT_EQ(parse_json(R"("\ud800")").get<std::string>().size(), 3u);

  const FrameHeader h = decode_header(
      R"({"terminate_flag": false, "compression": false, "message": {"t": "a\ud800b", "\udfff": 1}, "pattern": "1", "dtype": "uint8", "shape": [1, 1]})");
  EXPECT_EQ(h.message["t"], "a" + fffd + "b");
  EXPECT_EQ(h.message[fffd], 1);
  // The scanner reads strings itself (here the colorspace): the same rule.
  EXPECT_THROW(decode_header(R"({"terminate_flag": false, "compression": {"dct": true, "ups": false, "colorspace": "BGR\ud800"}, "message": null, "pattern": "1", "dtype": "", "shape": ""})"),
               ProtocolError);  // decodes, but is no colorspace
  const FrameHeader p = decode_header(R"({"terminate_flag": false, "compression": false, "message": null, "pattern": "1\udc00", "dtype": "uint8", "shape": [1]})");
  EXPECT_EQ(p.pattern, "1" + fffd);
  // Still refused: a \u escape that is not four hex digits.
  EXPECT_THROW(parse_json(R"("\ud80")"), ProtocolError);
  EXPECT_THROW(parse_json(R"("\ud800\u12")"), ProtocolError);
}

TEST(JsonText, EveryJsonKindRoundTrips) {
  const nlohmann::json values[] = {nullptr, true, false, 0, -42, 1ull << 63, 3.25, -1e-300, "", "text",
                                   nlohmann::json::array(), nlohmann::json::object(),
                                   {{"nested", {{"deep", {1, {2, {3}}}}}}}};
  for (const auto& v : values) EXPECT_EQ(parse_json(to_json_text(v)), v) << v.dump();
}

TEST(JsonText, InvalidUtf8IsAClearError) {
  EXPECT_THROW(to_json_text(nlohmann::json(std::string("\xff\xfe"))), Error);
  EXPECT_THROW(to_json_text(nlohmann::json{{std::string("k\xed\xa0\x80"), 1}}), Error);  // a surrogate, in a key
}

// The writer against the reference that has nlohmann's dump() write every scalar: the same text
// for thousands of random values (strings of random bytes, all number kinds, nesting), and an
// error for the same ones.
TEST(JsonText, WriterAgreesWithNlohmannDump) {
  std::mt19937_64 gen(42);
  auto pick = [&](std::uint64_t n) { return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(gen); };
  const std::string pieces[] = {"a", "\"", "\\", "\n", "\t", "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xe6\xbc\xa2",
                                "\xf0\x9f\x98\x80", "\xff", "\xc3", "\xed\xa0\x80", "\xf4\x90\x80\x80", "/", " "};
  auto random_string = [&] {
    std::string s;
    for (std::uint64_t n = pick(6); n > 0; --n) s += pieces[pick(std::size(pieces))];
    return s;
  };
  std::function<nlohmann::json(int)> random_value = [&](int depth) -> nlohmann::json {
    switch (pick(depth > 3 ? 7 : 9)) {
      case 0: return nullptr;
      case 1: return pick(2) == 1;
      case 2: return static_cast<std::int64_t>(gen());
      case 3: return gen();
      case 4: {
        std::uint64_t bits = gen();
        double d;
        std::memcpy(&d, &bits, sizeof d);
        return d;
      }
      case 5: {
        const double nice[] = {0.0, -0.0, 1.0, 0.1, 1.5e-3, 1e100, -2.5e-308, 5e-324, 123456789.125, 1e21, 1e-7};
        return nice[pick(std::size(nice))];
      }
      case 6: return random_string();
      case 7: {
        nlohmann::json a = nlohmann::json::array();
        for (std::uint64_t n = pick(4); n > 0; --n) a.push_back(random_value(depth + 1));
        return a;
      }
      default: {
        nlohmann::json o = nlohmann::json::object();
        for (std::uint64_t n = pick(4); n > 0; --n) o[random_string()] = random_value(depth + 1);
        return o;
      }
    }
  };
  int written = 0, refused = 0;
  for (int i = 0; i < 20000; ++i) {
    const nlohmann::json v = random_value(0);
    std::string mine, theirs;
    bool mine_ok = true, theirs_ok = true;
    try {
      append_json(mine, v);
    } catch (const Error&) {
      mine_ok = false;
    }
    try {
      reference::append_json_dump(theirs, v);
    } catch (const Error&) {
      theirs_ok = false;
    }
    ASSERT_EQ(mine_ok, theirs_ok) << i;
    if (mine_ok) {
      ASSERT_EQ(mine, theirs) << i;
      ++written;
    } else {
      ++refused;
    }
  }
  EXPECT_GT(written, 5000);
  EXPECT_GT(refused, 1000);
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
  for (const auto& c : cases) EXPECT_FALSE(parse_dtype(c.text)->swap) << c.text;
  // Big-endian (numpy's str() of a '>' dtype): the same depth, bytes to be swapped.
  const Case big[] = {{">u2", CV_16U, 2}, {">i2", CV_16S, 2}, {">i4", CV_32S, 4}, {">f2", CV_16F, 2},
                      {">f4", CV_32F, 4}, {">f8", CV_64F, 8}};
  for (const auto& c : big) {
    auto t = parse_dtype(c.text);
    ASSERT_TRUE(t) << c.text;
    EXPECT_EQ(t->depth, c.depth) << c.text;
    EXPECT_EQ(t->itemsize, c.size) << c.text;
    EXPECT_TRUE(t->swap) << c.text;
  }
  for (const char* one : {">u1", ">i1", ">b1", "|b1", "?"}) {
    ASSERT_TRUE(parse_dtype(one)) << one;
    EXPECT_FALSE(parse_dtype(one)->swap) << one;
  }
  // No OpenCV depth holds these without loss.
  for (const char* bad : {"uint32", "<u4", ">u4", "int64", "<i8", ">i8", "uint64", "<u8", "complex64", "<c8",
                          "complex128", "float128", "<f16", "<M8", "object", "|O", "", "x", "<z4", ">f3"}) {
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
  try {  // the message (the receiver's log line) names the dtype
    (void)raw_payload_size("uint64", {1});
    ADD_FAILURE() << "uint64 accepted";
  } catch (const ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("'uint64'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(raw_payload_size(">f8", {2, 3}), 48u);
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
