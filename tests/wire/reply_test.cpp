// The reply codec (wire/reply.hpp): encoding byte for byte as vidgear writes replies, Python type
// names, round trips, what Python peers send, malformed replies, mangled replies against the
// document-parser reference (reply_reference.hpp), and deep nesting from a peer.
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "netgear/error.hpp"
#include "reply_reference.hpp"
#include "wire/header.hpp"
#include "wire/json_scan.hpp"
#include "wire/reply.hpp"

namespace netgear::wire {
namespace {

using Kind = Reply::Kind;

Reply decode(std::initializer_list<std::string_view> parts) {
  return decode_reply(std::span<const std::string_view>(parts.begin(), parts.size()));
}

// Values compared through their text: NaN is not equal to itself.
std::string dump(const std::optional<nlohmann::json>& j) { return j ? j->dump() : "<none>"; }

struct ValueCase {
  const char* name;
  nlohmann::json data;
  const char* return_type;
  const char* data_text;  // as vidgear (json.dumps) writes the value
};

const std::vector<ValueCase>& value_cases() {
  static const std::vector<ValueCase> cases = {
      {"none", nullptr, "NoneType", "null"},
      {"str", "hello \"world\"\n", "str", R"("hello \"world\"\n")"},
      {"int", -42, "int", "-42"},
      {"uint", 18446744073709551615ull, "int", "18446744073709551615"},
      {"float", 0.1, "float", "0.1"},
      {"float_whole", 2.0, "float", "2.0"},
      {"nan", std::nan(""), "float", "NaN"},
      {"inf", -HUGE_VAL, "float", "-Infinity"},
      {"bool", true, "bool", "true"},
      {"list", {1, "two", 3.5, nullptr, false}, "list", R"([1, "two", 3.5, null, false])"},
      {"dict", {{"a", 1}, {"b", {{"c", {1, 2}}}}}, "dict", R"({"a": 1, "b": {"c": [1, 2]}})"},
  };
  return cases;
}

const std::vector<std::pair<std::optional<nlohmann::json>, std::string>>& port_cases() {
  static const std::vector<std::pair<std::optional<nlohmann::json>, std::string>> ports = {
      {std::nullopt, ""}, {nlohmann::json("5577"), R"("port": "5577", )"}, {nlohmann::json(5577), R"("port": 5577, )"}};
  return ports;
}

ReplyHeader raw_frame_header() {
  ReplyHeader h;
  h.return_type = "ndarray";
  h.array_dtype = "uint8";
  h.array_shape = {64, 64, 3};
  return h;
}

ReplyHeader jpeg_frame_header() {
  ReplyHeader h;
  h.return_type = "ndarray";
  h.compression = Compression{true, false, Colorspace::BGR};
  return h;
}

constexpr const char* kRawBody =
    R"("return_type": "ndarray", "compression": false, "array_dtype": "uint8", "array_shape": [64, 64, 3], "data": null})";
constexpr const char* kJpegBody =
    R"("return_type": "ndarray", "compression": {"dct": true, "ups": false, "colorspace": "BGR"}, "array_dtype": "", "array_shape": "", "data": null})";

// A stand-in JPEG: start of image, a few bytes, end of image.
const std::string kJpegBytes = "\xFF\xD8\x01\x02\x03\xFF\xD9";

// ---------------------------------------------------------------------------------------------
// Encoding

TEST(ReplyEncode, ValuesMatchVidgearBytes) {
  int checked = 0;
  for (const auto& c : value_cases()) {
    for (const auto& [port, port_text] : port_cases()) {
      ReplyHeader h;
      h.port = port;
      h.return_type = c.return_type;
      h.data = c.data;
      const std::string expected =
          "{" + port_text + R"("return_type": ")" + c.return_type + R"(", "data": )" + c.data_text + "}";
      EXPECT_EQ(encode_reply(h), expected) << c.name;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 33);
}

TEST(ReplyEncode, LiteralExamples) {
  // Spelled out once in full, so that the composed expectations above cannot hide a shared mistake.
  ReplyHeader h;
  EXPECT_EQ(encode_reply(h), R"({"return_type": "NoneType", "data": null})");
  h.port = "5577";
  h.return_type = "str";
  h.data = "hi";
  EXPECT_EQ(encode_reply(h), R"({"port": "5577", "return_type": "str", "data": "hi"})");
  h.port = 5577;
  h.return_type = "float";
  h.data = std::nan("");
  EXPECT_EQ(encode_reply(h), R"({"port": 5577, "return_type": "float", "data": NaN})");
}

TEST(ReplyEncode, RawFrameMatchesVidgearBytes) {
  for (const auto& [port, port_text] : port_cases()) {
    ReplyHeader h = raw_frame_header();
    h.port = port;
    EXPECT_EQ(encode_reply(h), "{" + port_text + kRawBody) << port_text;
  }
  EXPECT_EQ(encode_reply(raw_frame_header()),
            R"({"return_type": "ndarray", "compression": false, "array_dtype": "uint8", "array_shape": [64, 64, 3], "data": null})");
}

TEST(ReplyEncode, JpegFrameMatchesVidgearBytes) {
  for (const auto& [port, port_text] : port_cases()) {
    ReplyHeader h = jpeg_frame_header();
    h.port = port;
    EXPECT_EQ(encode_reply(h), "{" + port_text + kJpegBody) << port_text;
  }
  EXPECT_EQ(encode_reply(jpeg_frame_header()),
            R"({"return_type": "ndarray", "compression": {"dct": true, "ups": false, "colorspace": "BGR"}, "array_dtype": "", "array_shape": "", "data": null})");
}

TEST(ReplyEncode, CompressedFrameWritesEmptyDtypeAndShapeWhateverTheHeaderHolds) {
  ReplyHeader h = jpeg_frame_header();
  h.compression = Compression{false, true, Colorspace::GRAY};
  h.array_dtype = "uint8";  // vidgear writes "" for both when compressing
  h.array_shape = {64, 64};
  EXPECT_EQ(encode_reply(h),
            R"({"return_type": "ndarray", "compression": {"dct": false, "ups": true, "colorspace": "GRAY"}, "array_dtype": "", "array_shape": "", "data": null})");
}

TEST(ReplyEncode, FrameFieldsAreOnlyWrittenForNdarray) {
  ReplyHeader h = raw_frame_header();
  h.return_type = "list";
  h.data = {1};
  EXPECT_EQ(encode_reply(h), R"({"return_type": "list", "data": [1]})");
}

TEST(ReplyEncode, ReusesTheOutputString) {
  std::string out = "left over from before";
  encode_reply(out, ReplyHeader{});
  EXPECT_EQ(out, R"({"return_type": "NoneType", "data": null})");
}

TEST(ReplyEncode, InvalidUtf8IsAnError) {
  ReplyHeader h;
  h.return_type = "str";
  h.data = std::string("\xff");
  EXPECT_THROW(encode_reply(h), Error);
  h.data = nullptr;
  h.return_type = std::string("\xc3");
  EXPECT_THROW(encode_reply(h), Error);
  h = raw_frame_header();
  h.array_dtype = std::string("\xed\xa0\x80");
  EXPECT_THROW(encode_reply(h), Error);
}

// ---------------------------------------------------------------------------------------------
// Python type names

TEST(PythonType, EveryJsonKind) {
  EXPECT_EQ(python_type(nullptr), "NoneType");
  EXPECT_EQ(python_type(true), "bool");
  EXPECT_EQ(python_type(false), "bool");
  EXPECT_EQ(python_type(-3), "int");
  EXPECT_EQ(python_type(3u), "int");
  EXPECT_EQ(python_type(18446744073709551615ull), "int");
  EXPECT_EQ(python_type(1.5), "float");
  EXPECT_EQ(python_type(std::nan("")), "float");
  EXPECT_EQ(python_type("x"), "str");
  EXPECT_EQ(python_type(nlohmann::json::array()), "list");
  EXPECT_EQ(python_type(nlohmann::json::object()), "dict");
  EXPECT_EQ(python_type(nlohmann::json::binary({1, 2})), "bytes");
  EXPECT_EQ(python_type(nlohmann::json(nlohmann::json::value_t::discarded)), "");
  for (const auto& c : value_cases()) EXPECT_EQ(python_type(c.data), c.return_type) << c.name;
}

// ---------------------------------------------------------------------------------------------
// Round trips

TEST(ReplyRoundTrip, Values) {
  int checked = 0;
  for (const auto& c : value_cases()) {
    for (const auto& [port, port_text] : port_cases()) {
      ReplyHeader h;
      h.port = port;
      h.return_type = c.return_type;
      h.data = c.data;
      const std::string text = encode_reply(h);
      const Reply r = decode({text});
      ASSERT_EQ(r.kind, Kind::Data) << text;
      EXPECT_EQ(r.header.return_type, c.return_type) << text;
      EXPECT_EQ(r.header.data.dump(), c.data.dump()) << text;
      EXPECT_EQ(r.header.data.type(), c.data.type()) << text;
      EXPECT_EQ(dump(r.header.port), dump(port)) << text;
      EXPECT_FALSE(r.header.compression) << text;
      EXPECT_TRUE(r.payload.empty()) << text;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 33);
  // NaN comes back as a NaN (dump() writes null for it, so check it separately).
  ReplyHeader h;
  h.return_type = "float";
  h.data = std::nan("");
  const Reply r = decode({encode_reply(h)});
  ASSERT_TRUE(r.header.data.is_number_float());
  EXPECT_TRUE(std::isnan(r.header.data.get<double>()));
}

TEST(ReplyRoundTrip, RawFrame) {
  const std::string payload(64 * 64 * 3, '\x7f');
  for (const auto& [port, port_text] : port_cases()) {
    ReplyHeader h = raw_frame_header();
    h.port = port;
    const std::string text = encode_reply(h);
    const Reply r = decode({text, payload});
    ASSERT_EQ(r.kind, Kind::Frame) << text;
    EXPECT_EQ(r.header.return_type, "ndarray");
    EXPECT_FALSE(r.header.compression);
    EXPECT_EQ(r.header.array_dtype, "uint8");
    EXPECT_EQ(r.header.array_shape, (std::vector<std::int64_t>{64, 64, 3}));
    EXPECT_TRUE(r.header.data.is_null());
    EXPECT_EQ(dump(r.header.port), dump(port));
    EXPECT_EQ(r.payload.data(), payload.data());  // a view, not a copy
    EXPECT_EQ(r.payload.size(), payload.size());
  }
  // Other dtypes and shapes.
  ReplyHeader h = raw_frame_header();
  h.array_dtype = "<f4";
  h.array_shape = {2, 3};
  const Reply r = decode({encode_reply(h), std::string(24, '\0')});
  ASSERT_EQ(r.kind, Kind::Frame);
  EXPECT_EQ(r.header.array_dtype, "<f4");
  EXPECT_EQ(r.header.array_shape, (std::vector<std::int64_t>{2, 3}));
}

TEST(ReplyRoundTrip, JpegFrame) {
  for (const auto& [port, port_text] : port_cases()) {
    ReplyHeader h = jpeg_frame_header();
    h.port = port;
    const std::string text = encode_reply(h);
    const Reply r = decode({text, kJpegBytes});
    ASSERT_EQ(r.kind, Kind::Frame) << text;
    ASSERT_TRUE(r.header.compression);
    EXPECT_EQ(*r.header.compression, (Compression{true, false, Colorspace::BGR}));
    EXPECT_EQ(r.header.array_dtype, "");
    EXPECT_TRUE(r.header.array_shape.empty());
    EXPECT_EQ(dump(r.header.port), dump(port));
    EXPECT_EQ(r.payload, kJpegBytes);
  }
  ReplyHeader h = jpeg_frame_header();
  h.compression = Compression{false, true, Colorspace::RGBA};
  const Reply r = decode({encode_reply(h), kJpegBytes});
  ASSERT_TRUE(r.header.compression);
  EXPECT_EQ(*r.header.compression, *h.compression);
}

// ---------------------------------------------------------------------------------------------
// Text replies

TEST(ReplyDecode, TextReplies) {
  const std::string ack = ack_text("AB12CD34");
  const std::string texts[] = {ack,
                               std::string(kTerminationReply),
                               std::string(kTerminationReplyMultiServer),
                               "",
                               "   ",
                               "some other text",
                               R"("a JSON string")",
                               "[1, 2]",
                               "42",
                               "\xEF\xBB\xBF not an object",
                               "\xff\xfe not even UTF-8"};
  for (const auto& t : texts) {
    const Reply r = decode({t});
    ASSERT_EQ(r.kind, Kind::Text) << t;
    EXPECT_EQ(r.text.data(), t.data()) << t;  // the whole part, viewed
    EXPECT_EQ(r.text.size(), t.size()) << t;
  }
  EXPECT_TRUE(is_ack_text(decode({ack}).text));
  EXPECT_FALSE(is_ack_text(decode({std::string(kTerminationReply)}).text));
}

// ---------------------------------------------------------------------------------------------
// What Python peers write

TEST(ReplyDecode, PythonTupleAndEscapes) {
  Reply r = decode({R"({"return_type": "tuple", "data": [1, 2]})"});
  ASSERT_EQ(r.kind, Kind::Data);
  EXPECT_EQ(r.header.return_type, "tuple");
  EXPECT_EQ(r.header.data, nlohmann::json({1, 2}));

  // json.dumps escapes non-ASCII (ensure_ascii), with surrogate pairs above the BMP.
  r = decode({R"({"return_type": "str", "data": "caf\u00e9 \ud83d\ude00"})"});
  ASSERT_EQ(r.kind, Kind::Data);
  EXPECT_EQ(r.header.data, "caf\u00e9 \U0001F600");
  // A lone surrogate (json.dumps of a str holding one) is read, as json.loads does, as U+FFFD.
  r = decode({R"({"return_type": "str", "data": "a\ud800b", "\udc01": 1})"});
  ASSERT_EQ(r.kind, Kind::Data);
  EXPECT_EQ(r.header.data, "a\xef\xbf\xbd" "b");
  r = decode({R"({"port": "55\u0037\u0037", "return_type": "\u0073tr", "data": {"k\u00e9y": 1}})"});
  EXPECT_EQ(r.header.return_type, "str");
  EXPECT_EQ(dump(r.header.port), R"("5577")");
  EXPECT_EQ(r.header.data, (nlohmann::json{{"k\u00e9y", 1}}));
}

TEST(ReplyDecode, PythonNonFiniteTokens) {
  const Reply r = decode({R"({"return_type": "list", "data": [NaN, Infinity, -Infinity, "NaN"]})"});
  ASSERT_EQ(r.kind, Kind::Data);
  const auto& d = r.header.data;
  ASSERT_EQ(d.size(), 4u);
  EXPECT_TRUE(std::isnan(d[0].get<double>()));
  EXPECT_EQ(d[1].get<double>(), HUGE_VAL);
  EXPECT_EQ(d[2].get<double>(), -HUGE_VAL);
  EXPECT_EQ(d[3], "NaN");
  const Reply f = decode({R"({"return_type": "float", "data": NaN})"});
  EXPECT_TRUE(std::isnan(f.header.data.get<double>()));
}

TEST(ReplyDecode, KeyOrderSpacingAndExtraKeysDoNotMatter) {
  Reply r = decode({R"({"data":{"x":[1,2]},"extra":[{"deep":null}],"return_type":"dict","port":5577})"});
  ASSERT_EQ(r.kind, Kind::Data);
  EXPECT_EQ(r.header.return_type, "dict");
  EXPECT_EQ(r.header.data, (nlohmann::json{{"x", {1, 2}}}));
  EXPECT_EQ(dump(r.header.port), "5577");

  // Frame keys in another order, compact, with a BOM, white space and unknown keys (also in compression).
  const std::string payload(2 * 2 * 2, 'x');
  r = decode({"\xEF\xBB\xBF \n{\"array_shape\":[2,2],\"data\":null,\"v\":1,\"array_dtype\":\"<i2\",\"compression\":false,"
              "\"return_type\":\"ndarray\"} \r\n",
              payload});
  ASSERT_EQ(r.kind, Kind::Frame);
  EXPECT_EQ(r.header.array_dtype, "<i2");
  EXPECT_EQ(r.header.array_shape, (std::vector<std::int64_t>{2, 2}));
  r = decode({R"({"compression": {"colorspace": "RGB", "quality": 90}, "array_shape": "", "array_dtype": "", "data": null, "return_type": "ndarray"})",
              kJpegBytes});
  ASSERT_EQ(r.kind, Kind::Frame);
  EXPECT_EQ(*r.header.compression, (Compression{true, false, Colorspace::RGB}));  // dct/ups default

  // A key given twice: the last one counts, as in a parsed document.
  r = decode({R"({"return_type": "ndarray", "return_type": "int", "data": 1, "data": 2})"});
  EXPECT_EQ(r.header.return_type, "int");
  EXPECT_EQ(r.header.data, 2);
}

TEST(ReplyDecode, ReusedReplyIsResetEachTime) {
  const std::string payload(64 * 64 * 3, '\0');
  ReplyHeader fh = raw_frame_header();
  fh.port = 5577;
  const std::string frame_text = encode_reply(fh);
  const std::string_view frame_parts[] = {frame_text, payload};
  const std::string_view text_parts[] = {"Data received on device: ABCDEFGH !"};
  const std::string_view data_parts[] = {R"({"return_type": "int", "data": 7})"};
  Reply r;
  decode_reply(frame_parts, r);
  ASSERT_EQ(r.kind, Kind::Frame);
  decode_reply(text_parts, r);
  ASSERT_EQ(r.kind, Kind::Text);
  EXPECT_TRUE(r.payload.empty());
  EXPECT_FALSE(r.header.port);
  EXPECT_TRUE(r.header.array_shape.empty());
  EXPECT_EQ(r.header.return_type, "NoneType");
  decode_reply(frame_parts, r);
  decode_reply(data_parts, r);
  ASSERT_EQ(r.kind, Kind::Data);
  EXPECT_TRUE(r.text.empty());
  EXPECT_TRUE(r.payload.empty());
  EXPECT_FALSE(r.header.port);
  EXPECT_FALSE(r.header.compression);
  EXPECT_TRUE(r.header.array_dtype.empty());
  EXPECT_EQ(r.header.data, 7);
  // A failed decode leaves no stale frame behind either.
  decode_reply(frame_parts, r);
  const std::string_view bad[] = {R"({"data": 1})"};
  EXPECT_THROW(decode_reply(bad, r), ProtocolError);
  EXPECT_NE(r.kind, Kind::Frame);
  EXPECT_TRUE(r.payload.empty());
}

// ---------------------------------------------------------------------------------------------
// Malformed replies

TEST(ReplyDecode, MalformedRepliesAreProtocolErrors) {
  const std::string raw_payload(64 * 64 * 3, '\0');
  const std::string raw = encode_reply(raw_frame_header());
  const std::string jpeg = encode_reply(jpeg_frame_header());
  struct Case {
    std::vector<std::string> parts;
    const char* says;  // a piece of the message
  } cases[] = {
      {{}, "no parts"},
      {{"a", "b", "c"}, "3 parts"},
      {{R"({"return_type": "int", "data": 1})", "x", "y"}, "3 parts"},
      {{"{not json"}, "not JSON"},
      {{R"({"return_type": "int", "data": 1} trailing)"}, "not JSON"},
      {{R"({"return_type": "int", "data": 1e999})"}, "not JSON"},
      {{R"({"return_type": "int", "data": [1, 2})"}, "not JSON"},
      {{"{\"return_type\": \"str\", \"data\": \"\xff\"}"}, "not JSON"},
      {{R"({"return_type": "dict", "data": {NaN: true}})"}, "not JSON"},  // keys must be strings (found by fuzz_reply)
      {{R"({"data": null})"}, "no 'return_type'"},
      {{R"({"terminate_flag": true})"}, "no 'return_type'"},  // a frame header is not a reply
      {{R"({})"}, "no 'return_type'"},
      {{R"({"return_type": 5, "data": null})"}, "'return_type' is not a string"},
      {{R"({"return_type": null, "data": null})"}, "'return_type' is not a string"},
      {{R"({"return_type": "int"})"}, "no 'data'"},
      {{raw}, "without its second part"},
      {{jpeg}, "without its second part"},
      {{R"({"return_type": "int", "data": 1})", "extra"}, "not 'ndarray'"},
      {{"Data received on device: ABCDEFGH !", "extra"}, "not a JSON object"},
      {{"", raw_payload}, "not a JSON object"},
      {{R"({"return_type": "ndarray", "array_dtype": "uint8", "array_shape": [1], "data": null})", "x"},
       "no 'compression'"},
      {{R"({"return_type": "ndarray", "compression": false, "array_shape": [1], "data": null})", "x"},
       "no 'array_dtype'"},
      {{R"({"return_type": "ndarray", "compression": false, "array_dtype": "uint8", "data": null})", "x"},
       "no 'array_shape'"},
      {{R"({"return_type": "ndarray", "compression": false, "array_dtype": "uint8", "array_shape": [1]})", "x"},
       "no 'data'"},
      {{R"({"return_type": "ndarray", "compression": true, "array_dtype": "", "array_shape": "", "data": null})",
        kJpegBytes},
       "'compression' is true"},
      {{R"({"return_type": "ndarray", "compression": 1, "array_dtype": "", "array_shape": "", "data": null})",
        kJpegBytes},
       "neither false nor an object"},
      {{R"({"return_type": "ndarray", "compression": {"dct": true}, "array_dtype": "", "array_shape": "", "data": null})",
        kJpegBytes},
       "no 'colorspace'"},
      {{R"({"return_type": "ndarray", "compression": {"colorspace": "HSV"}, "array_dtype": "", "array_shape": "", "data": null})",
        kJpegBytes},
       "unknown colorspace 'HSV'"},
      {{jpeg, "\xFF\xD8\xFF"}, "JPEG payload of 3 bytes"},
      {{jpeg, ""}, "JPEG payload of 0 bytes"},
      {{R"({"return_type": "ndarray", "compression": false, "array_dtype": 8, "array_shape": [1], "data": null})", "x"},
       "'array_dtype' is not a string"},
      {{R"({"return_type": "ndarray", "compression": false, "array_dtype": "", "array_shape": [1], "data": null})", "x"},
       "unsupported dtype"},
      {{R"({"return_type": "ndarray", "compression": false, "array_dtype": "uint32", "array_shape": [1], "data": null})", "xxxx"},
       "unsupported dtype"},
      {{R"({"return_type": "ndarray", "compression": false, "array_dtype": "uint8", "array_shape": "", "data": null})", "x"},
       "'array_shape' is not a non-empty array"},
      {{R"({"return_type": "ndarray", "compression": false, "array_dtype": "uint8", "array_shape": [], "data": null})", ""},
       "'array_shape' is not a non-empty array"},
      {{R"({"return_type": "ndarray", "compression": false, "array_dtype": "uint8", "array_shape": [1.0], "data": null})", "x"},
       "'array_shape' holds a non-integer"},
      {{R"({"return_type": "ndarray", "compression": false, "array_dtype": "uint8", "array_shape": ["1"], "data": null})", "x"},
       "'array_shape' holds a non-integer"},
      {{R"({"return_type": "ndarray", "compression": false, "array_dtype": "uint8", "array_shape": [-1], "data": null})", ""},
       "negative dimension"},
      {{R"({"return_type": "ndarray", "compression": false, "array_dtype": "float64", "array_shape": [1099511627776, 1099511627776], "data": null})", ""},
       "too large"},
      {{raw, raw_payload.substr(1)}, "raw payload has 12287 bytes, expected 12288"},
      {{raw, raw_payload + "x"}, "raw payload has 12289 bytes, expected 12288"},
      {{raw, ""}, "raw payload has 0 bytes"},
  };
  for (const auto& c : cases) {
    const std::vector<std::string_view> parts(c.parts.begin(), c.parts.end());
    std::string label;
    for (const auto& p : c.parts) label += "[" + p.substr(0, 120) + "] ";
    try {
      (void)decode_reply(parts);
      ADD_FAILURE() << "accepted: " << label;
    } catch (const ProtocolError& e) {
      EXPECT_NE(std::string(e.what()).find(c.says), std::string::npos) << label << "\nmessage: " << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not a ProtocolError: " << e.what() << "\n" << label;
    }
    // The reference decoder rejects them with the same message.
    std::string reference_error;
    try {
      (void)reference::decode_reply_dom(parts);
    } catch (const ProtocolError& e) {
      reference_error = e.what();
    }
    try {
      (void)decode_reply(parts);
    } catch (const ProtocolError& e) {
      EXPECT_EQ(e.what(), reference_error) << label;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Mangled replies: the scanner and the document-parser reference agree on every one

struct Outcome {
  bool ok = false;
  std::string error;
  Reply r;
};

template <typename F>
Outcome outcome_of(F&& decoder) {
  Outcome o;
  try {
    o.r = decoder();
    o.ok = true;
  } catch (const ProtocolError& e) {
    o.error = e.what();
  }
  return o;  // any other exception escapes and fails the test
}

TEST(ReplyDecode, MangledRepliesOnlyEverReturnOrThrowProtocolError) {
  const std::string raw_payload(64 * 64 * 3, '\x10');
  ReplyHeader tiny = raw_frame_header();
  tiny.array_shape = {2, 3};
  ReplyHeader with_port = jpeg_frame_header();
  with_port.port = "5577";
  ReplyHeader raw_port = raw_frame_header();
  raw_port.port = 5577;
  std::vector<std::vector<std::string>> seeds = {
      {encode_reply(raw_frame_header()), raw_payload},
      {encode_reply(raw_port), raw_payload},
      {encode_reply(tiny), "abcdef"},
      {encode_reply(jpeg_frame_header()), kJpegBytes},
      {encode_reply(with_port), kJpegBytes},
      {R"({"return_type": "NoneType", "data": null})"},
      {R"({"port": 5577, "return_type": "dict", "data": {"a": [1, 2.5, "x\u00e9", null, true], "b": NaN}})"},
      {R"({"return_type": "tuple", "data": [1, -Infinity, Infinity, "\ud83d\ude00"]})"},
      {ack_text("AB12CD34")},
      {std::string(kTerminationReply)},
      {"\xEF\xBB\xBF{\"data\":\"\\\"q\\\" \\\\ \\/ \\b\\f\\n\\r\\t\",\"return_type\":\"str\",\"x\":[[],{}]}"},
  };
  for (const auto& v : value_cases()) {
    ReplyHeader h;
    h.return_type = v.return_type;
    h.data = v.data;
    seeds.push_back({encode_reply(h)});
  }
  static const std::string alphabet =
      std::string("{}[]:,\"\\ 0123456789-+.eEtrufalsnNIy/\x01\x7f\xC3\xA9\xED\xA0\xF4\x90\xEF\xBB\xBF") + '\0';
  std::mt19937 gen(20260417);
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(gen); };
  int by_kind[3] = {0, 0, 0}, rejected = 0;
  for (int i = 0; i < 40000; ++i) {
    std::vector<std::string> parts = seeds[pick(seeds.size())];
    const int edits = 1 + static_cast<int>(pick(3));
    for (int e = 0; e < edits; ++e) {
      std::string& t = parts[parts.size() > 1 && pick(4) == 0 ? 1 : 0];  // mostly part 1's text
      switch (pick(8)) {
        case 0:
          if (!t.empty()) t[pick(t.size())] = alphabet[pick(alphabet.size())];
          break;
        case 1: t.insert(t.empty() ? 0 : pick(t.size()), 1, alphabet[pick(alphabet.size())]); break;
        case 2:
          if (!t.empty()) t.erase(pick(t.size()), 1 + pick(3));
          break;
        case 3:
          if (!t.empty()) t.insert(pick(t.size()), t.substr(pick(t.size()), 1 + pick(8)));
          break;
        case 4: t.resize(t.empty() ? 0 : pick(t.size())); break;
        case 5:
          if (!t.empty()) t[pick(t.size())] ^= static_cast<char>(1u << pick(8));
          break;
        case 6:  // drop or add a part
          if (pick(2) == 0 && !parts.empty()) parts.pop_back();
          else parts.push_back(pick(2) == 0 ? kJpegBytes : std::string(pick(50), 'p'));
          e = edits;  // `t` may dangle now
          break;
        default:  // the part's text comes from another seed
          t = seeds[pick(seeds.size())][0];
          break;
      }
      if (parts.empty()) break;
    }
    const std::vector<std::string_view> views(parts.begin(), parts.end());
    const Outcome a = outcome_of([&] { return decode_reply(views); });
    const Outcome b = outcome_of([&] { return reference::decode_reply_dom(views); });
    std::string label;
    for (const auto& p : parts) label += "[" + p.substr(0, 200) + "] ";
    ASSERT_EQ(a.ok, b.ok) << label << "\nscanner: " << a.error << "\nreference: " << b.error;
    if (!a.ok) {
      ASSERT_EQ(a.error, b.error) << label;
      ++rejected;
      continue;
    }
    ASSERT_EQ(a.r.kind, b.r.kind) << label;
    ++by_kind[static_cast<int>(a.r.kind)];
    EXPECT_EQ(a.r.text.data(), b.r.text.data()) << label;
    EXPECT_EQ(a.r.text.size(), b.r.text.size()) << label;
    EXPECT_EQ(a.r.payload.data(), b.r.payload.data()) << label;
    EXPECT_EQ(a.r.payload.size(), b.r.payload.size()) << label;
    EXPECT_EQ(a.r.header.return_type, b.r.header.return_type) << label;
    EXPECT_EQ(a.r.header.data.dump(), b.r.header.data.dump()) << label;
    EXPECT_EQ(dump(a.r.header.port), dump(b.r.header.port)) << label;
    EXPECT_EQ(a.r.header.compression, b.r.header.compression) << label;
    EXPECT_EQ(a.r.header.array_dtype, b.r.header.array_dtype) << label;
    EXPECT_EQ(a.r.header.array_shape, b.r.header.array_shape) << label;
    if (a.r.kind == Kind::Frame && !a.r.header.compression) {
      EXPECT_EQ(a.r.payload.size(), raw_payload_size(a.r.header.array_dtype, a.r.header.array_shape)) << label;
    }
    if (HasFailure()) return;
  }
  std::printf("mangled: %d rejected, %d text, %d data, %d frame\n", rejected, by_kind[0], by_kind[1], by_kind[2]);
  // Every outcome must be well represented, or the test says little.
  EXPECT_GT(rejected, 5000);
  EXPECT_GT(by_kind[static_cast<int>(Kind::Text)], 1000);
  EXPECT_GT(by_kind[static_cast<int>(Kind::Data)], 2000);
  EXPECT_GT(by_kind[static_cast<int>(Kind::Frame)], 400);
}

// ---------------------------------------------------------------------------------------------
// Deep nesting

// Replies nest up to kMaxJsonDepth levels (more than Python's json module writes) anywhere: in the
// port, an ignored key, a frame's compression object, its data; deeper is refused.
TEST(ReplyDecode, NestingUpToTheLimitIsAcceptedAnywhere) {
  const std::size_t depth = netgear::wire::kMaxJsonDepth - 1;  // inside the reply's own object
  const std::string deep = std::string(depth, '[') + "NaN" + std::string(depth, ']');
  const std::string text = R"({"port": )" + deep + R"(, "return_type": "list", "extra": )" + deep +
                           R"(, "data": )" + deep + "}";
  const Reply r = decode({text});
  ASSERT_EQ(r.kind, Kind::Data);
  EXPECT_TRUE(r.header.data.is_array());
  ASSERT_TRUE(r.header.port);
  EXPECT_TRUE(r.header.port->is_array());

  // Ignored in a frame's compression object, and as a frame's data.
  const std::string frame = R"({"return_type": "ndarray", "compression": {"colorspace": "BGR", "x": )" + deep +
                            R"(}, "array_dtype": "", "array_shape": )" + deep + R"(, "data": )" + deep + "}";
  const Reply f = decode({frame, kJpegBytes});
  ASSERT_EQ(f.kind, Kind::Frame);
  EXPECT_TRUE(f.header.data.is_array());

  // The same nesting left open is an error, not a crash; so is a deep array_shape for a raw frame.
  EXPECT_THROW(decode({text.substr(0, text.size() / 3)}), ProtocolError);
  EXPECT_THROW(decode({std::string(depth, '{')}), ProtocolError);
  const std::string raw = R"({"return_type": "ndarray", "compression": false, "array_dtype": "uint8", "array_shape": )" +
                          deep + R"(, "data": null})";
  EXPECT_THROW(decode({raw, "x"}), ProtocolError);

  // One level more is refused wherever it is.
  const std::size_t too_deep = netgear::wire::kMaxJsonDepth + 1;
  const std::string deeper = std::string(too_deep, '[') + "0" + std::string(too_deep, ']');
  EXPECT_THROW(decode({R"({"return_type": "list", "data": )" + deeper + "}"}), ProtocolError);
  EXPECT_THROW(decode({R"({"return_type": "list", "data": 1, "extra": )" + deeper + "}"}), ProtocolError);
}

}  // namespace
}  // namespace netgear::wire
