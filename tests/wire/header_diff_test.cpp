// The header scanner (wire::decode_header) against the reference decoder built on nlohmann's
// document parser (header_reference.hpp): on valid headers of every kind and on tens of thousands
// of mangled ones, both must accept the same texts with the same result and reject the same texts.
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "header_reference.hpp"
#include "wire/header.hpp"
#include "wire/json_scan.hpp"

namespace {

using netgear::ProtocolError;
using netgear::wire::FrameHeader;

struct Outcome {
  bool ok = false;
  std::string error;  // ProtocolError text when !ok
  FrameHeader h;
};

Outcome by_scanner(const std::string& text, FrameHeader& reused) {
  Outcome o;
  try {
    netgear::wire::decode_header(text, reused);
    o.ok = true;
    o.h = reused;
  } catch (const ProtocolError& e) {
    o.error = e.what();
  }
  return o;
}

Outcome by_reference(const std::string& text) {
  Outcome o;
  try {
    o.h = netgear::wire::reference::decode_header_dom(text);
    o.ok = true;
  } catch (const ProtocolError& e) {
    o.error = e.what();
  }
  return o;
}

// Values compared through their text: NaN is not equal to itself.
std::string dump(const std::optional<nlohmann::json>& j) { return j ? j->dump() : "<none>"; }

void expect_same(const std::string& text, FrameHeader& reused) {
  const Outcome a = by_scanner(text, reused);
  const Outcome b = by_reference(text);
  ASSERT_EQ(a.ok, b.ok) << "text: " << text << "\nscanner: " << a.error << "\nreference: " << b.error;
  if (!a.ok) {
    EXPECT_EQ(a.error, b.error) << "text: " << text;
    return;
  }
  EXPECT_EQ(a.h.terminate, b.h.terminate) << text;
  EXPECT_EQ(dump(a.h.port), dump(b.h.port)) << text;
  if (a.h.terminate) return;  // the reference stops reading there
  EXPECT_EQ(a.h.compression, b.h.compression) << text;
  EXPECT_EQ(a.h.message.dump(), b.h.message.dump()) << text;
  EXPECT_EQ(a.h.pattern, b.h.pattern) << text;
  EXPECT_EQ(a.h.dtype, b.h.dtype) << text;
  EXPECT_EQ(a.h.shape, b.h.shape) << text;
}

const std::vector<std::string>& seeds() {
  static const std::vector<std::string> s = {
      R"({"terminate_flag": false, "compression": false, "message": null, "pattern": "0", "dtype": "uint8", "shape": [480, 640, 3]})",
      R"({"terminate_flag": false, "compression": {"dct": true, "ups": false, "colorspace": "BGR"}, "message": {"i": 7, "t": 1.5e-3}, "pattern": "1", "dtype": "", "shape": ""})",
      R"({"port": "5577", "terminate_flag": false, "compression": false, "message": [1, "two", 3.0, NaN, -Infinity, Infinity, true, null], "pattern": "2", "dtype": "<f4", "shape": [2, 3]})",
      R"({"terminate_flag": true})",
      R"({"terminate_flag": true, "port": 5577})",
      R"({"shape":[1],"dtype":"\u003ci2","pattern":0,"message":"caf\u00e9 \ud83d\ude00 \"q\" \\ \/ \b\f\n\r\t","compression":false,"terminate_flag":false})",
      "\xEF\xBB\xBF{\"terminate_flag\": false, \"compression\": {\"colorspace\": \"GRAY\", \"x\": [[], {}]}, \"message\": \"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\", \"pattern\": \"0\", \"dtype\": \"\", \"shape\": \"\"}",
      R"({"terminate_flag": false, "compression": false, "message": {"a": {"b": {"c": [[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]}}}, "pattern": "0", "dtype": "uint16", "shape": [-0, 18446744073709551615, 9223372036854775807, -9223372036854775808]})",
      R"({"terminate_flag": false, "terminate_flag": true, "compression": false, "compression": {"colorspace": "RGB", "dct": 1, "ups": true}, "message": 0, "dtype": 5, "shape": [1.0]})",
      std::string("{\"terminate_flag\": true}\0 trailing bytes after a NUL are ignored", 64),
      " \t\r\n{ \"terminate_flag\" : false , \"compression\" : false , \"message\" : -0.0e+0 , \"pattern\" : [\"x\"] , \"dtype\" : \"float64\" , \"shape\" : [ 1 , 2 ] } \n",
  };
  return s;
}

TEST(HeaderScanner, AgreesWithTheDocumentParserOnValidHeaders) {
  FrameHeader reused;
  for (const auto& text : seeds()) expect_same(text, reused);
}

TEST(HeaderScanner, AgreesWithTheDocumentParserOnMangledHeaders) {
  // Deterministic mutations: flip, insert, delete, duplicate and truncate, biased to JSON syntax.
  static const std::string alphabet =
      std::string("{}[]:,\"\\ 0123456789-+.eEtrufalsnNIy/\x01\x7f\xC3\xA9\xED\xA0\xF4\x90") + '\0';
  std::mt19937 gen(20261126);
  auto pick = [&](std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(gen); };
  FrameHeader reused;
  int accepted = 0, rejected = 0;
  for (int i = 0; i < 40000; ++i) {
    std::string t = seeds()[pick(seeds().size())];
    const int edits = 1 + static_cast<int>(pick(3));
    for (int e = 0; e < edits && !t.empty(); ++e) {
      const std::size_t at = pick(t.size());
      switch (pick(5)) {
        case 0: t[at] = alphabet[pick(alphabet.size())]; break;
        case 1: t.insert(at, 1, alphabet[pick(alphabet.size())]); break;
        case 2: t.erase(at, 1 + pick(3)); break;
        case 3: t.insert(at, t.substr(pick(t.size()), 1 + pick(8))); break;
        case 4: t.resize(at); break;
      }
    }
    expect_same(t, reused);
    if (HasFailure()) return;
    (by_reference(t).ok ? accepted : rejected)++;
  }
  // Both outcomes must be well represented, or the test says little.
  EXPECT_GT(accepted, 1000);
  EXPECT_GT(rejected, 1000);
}

// Nesting is accepted up to kMaxJsonDepth (more than Python's json module can write) and refused
// beyond: a parsed document of deeply nested text would take some 64 bytes per byte of it.
TEST(HeaderScanner, NestingIsAcceptedUpToTheLimitAndRefusedBeyond) {
  using netgear::wire::kMaxJsonDepth;
  auto header = [](std::size_t depth) {
    const std::string deep = std::string(depth, '[') + "NaN" + std::string(depth, ']');
    return R"({"terminate_flag": false, "compression": false, "message": )" + deep + R"(, "pattern": )" + deep +
           R"(, "x": )" + deep + R"(, "dtype": "uint8", "shape": [1]})";
  };
  FrameHeader h;
  netgear::wire::decode_header(header(kMaxJsonDepth), h);
  EXPECT_TRUE(h.message.is_array());
  EXPECT_EQ(h.pattern, "");
  EXPECT_EQ(h.shape, (std::vector<std::int64_t>{1}));
  for (const std::size_t depth : {kMaxJsonDepth + 1, std::size_t{1'000'000}}) {
    try {
      netgear::wire::decode_header(header(depth));
      ADD_FAILURE() << "accepted nesting " << depth << " deep";
    } catch (const ProtocolError& e) {
      EXPECT_NE(std::string(e.what()).find("nested deeper than 1000"), std::string::npos) << e.what();
    }
  }
  // Objects count as well as arrays; nesting left open is an error, not a crash.
  EXPECT_THROW(netgear::wire::decode_header(R"({"message": )" + std::string(kMaxJsonDepth + 1, '{')), ProtocolError);
  EXPECT_THROW(netgear::wire::decode_header(header(kMaxJsonDepth).substr(0, 600)), ProtocolError);
}

TEST(HeaderScanner, IntegerTexts) {
  using netgear::wire::is_integer_text;
  EXPECT_TRUE(is_integer_text("0"));
  EXPECT_TRUE(is_integer_text("-12"));
  EXPECT_FALSE(is_integer_text("1.0"));
  EXPECT_FALSE(is_integer_text("1e3"));
  EXPECT_FALSE(is_integer_text("-Infinity"));
  EXPECT_FALSE(is_integer_text("NaN"));
  EXPECT_FALSE(is_integer_text("-"));
  EXPECT_FALSE(is_integer_text(""));
}

}  // namespace
