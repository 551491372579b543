// Tests of the TurboJPEG codec (src/codec/jpeg.*) and the built-in test pattern
// (src/pattern/test_pattern.*).
#include "codec/jpeg.hpp"

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <turbojpeg.h>

#include "netgear/error.hpp"
#include "netgear/options.hpp"
#include "test_pattern.hpp"

namespace {

using netgear::Colorspace;
using netgear::FrameError;
using netgear::ProtocolError;
using netgear::codec::JpegDecoder;
using netgear::codec::JpegEncoder;
using netgear::pattern::draw_test_frame;
using netgear::pattern::make_test_frame;

using Bytes = std::vector<std::uint8_t>;

Bytes encode(JpegEncoder& enc, const cv::Mat& m, Colorspace cs, int quality = 90,
             bool fastdct = true) {
  auto span = enc.encode(m, cs, quality, fastdct);
  return Bytes(span.begin(), span.end());
}

Bytes encode(const cv::Mat& m, Colorspace cs, int quality = 90, bool fastdct = true) {
  JpegEncoder enc;
  return encode(enc, m, cs, quality, fastdct);
}

cv::Mat decode(const Bytes& b, Colorspace cs, bool fastdct = true, bool fastupsample = false) {
  JpegDecoder dec;
  return dec.decode(b.data(), b.size(), cs, fastdct, fastupsample);
}

struct Header {
  int width = 0, height = 0, subsamp = -1, colorspace = -1;
};

// Reads the header with TurboJPEG itself, independently of the code under test.
Header read_header(const Bytes& b) {
  Header h;
  tjhandle tj = tjInitDecompress();
  EXPECT_NE(tj, nullptr);
  EXPECT_EQ(
      tjDecompressHeader3(tj, b.data(), b.size(), &h.width, &h.height, &h.subsamp, &h.colorspace),
      0);
  tjDestroy(tj);
  return h;
}

// The marker codes of the segments before the entropy-coded data (FFD8 ... FFDA).
std::vector<int> header_markers(const Bytes& b) {
  std::vector<int> out;
  std::size_t i = 2;
  while (i + 4 <= b.size() && b[i] == 0xFF) {
    const int marker = b[i + 1];
    out.push_back(marker);
    if (marker == 0xDA) break;
    const std::size_t len = (static_cast<std::size_t>(b[i + 2]) << 8) | b[i + 3];
    i += 2 + len;
  }
  return out;
}

// Byte offsets of the colour components within a pixel of each layout.
int red_offset(Colorspace cs) {
  switch (cs) {
    case Colorspace::BGR:
    case Colorspace::BGRA:
    case Colorspace::BGRX: return 2;
    case Colorspace::RGB:
    case Colorspace::RGBA:
    case Colorspace::RGBX: return 0;
    case Colorspace::XBGR:
    case Colorspace::ABGR: return 3;
    case Colorspace::XRGB:
    case Colorspace::ARGB: return 1;
    case Colorspace::GRAY:
    case Colorspace::CMYK: return 0;
  }
  return 0;
}

int green_offset(Colorspace cs) {
  switch (cs) {
    case Colorspace::XBGR:
    case Colorspace::ABGR:
    case Colorspace::XRGB:
    case Colorspace::ARGB: return 2;
    case Colorspace::GRAY: return 0;
    default: return 1;
  }
}

int blue_offset(Colorspace cs) {
  switch (cs) {
    case Colorspace::BGR:
    case Colorspace::BGRA:
    case Colorspace::BGRX: return 0;
    case Colorspace::RGB:
    case Colorspace::RGBA:
    case Colorspace::RGBX: return 2;
    case Colorspace::XBGR:
    case Colorspace::ABGR: return 1;
    case Colorspace::XRGB:
    case Colorspace::ARGB: return 3;
    case Colorspace::GRAY:
    case Colorspace::CMYK: return 0;
  }
  return 0;
}

// Offset of the alpha/padding byte, or -1 for 3-channel layouts.
int extra_offset(Colorspace cs) {
  if (netgear::channels(cs) != 4) return -1;
  return red_offset(cs) == 0 || blue_offset(cs) == 0 ? 3 : 0;
}

// A 64x64 image in pixel order `cs`: pure red left half, mid-grey right half, alpha opaque.
cv::Mat red_image(Colorspace cs) {
  const int ch = netgear::channels(cs);
  cv::Mat m(64, 64, CV_8UC(ch), cv::Scalar::all(0));
  for (int y = 0; y < m.rows; ++y) {
    auto* p = m.ptr<std::uint8_t>(y);
    for (int x = 0; x < m.cols; ++x, p += ch) {
      if (x < 32) {
        p[red_offset(cs)] = 255;
      } else {
        for (int c = 0; c < ch; ++c) p[c] = 128;
      }
      if (extra_offset(cs) >= 0) p[extra_offset(cs)] = 255;
    }
  }
  return m;
}

// Asserts that pixel (y, x) of `m` (in order `cs`) is close to pure red.
void expect_red(const cv::Mat& m, Colorspace cs, int y, int x) {
  const auto* p = m.ptr<std::uint8_t>(y) + x * m.channels();
  EXPECT_GT(p[red_offset(cs)], 220) << "red component, cs " << netgear::to_string(cs);
  EXPECT_LT(p[green_offset(cs)], 35) << "green component, cs " << netgear::to_string(cs);
  EXPECT_LT(p[blue_offset(cs)], 35) << "blue component, cs " << netgear::to_string(cs);
}

// ---------------------------------------------------------------------------------------------
// Round trips

TEST(Jpeg, BgrRoundTripKeepsQuality) {
  const cv::Mat frame = make_test_frame(640, 480, 7, "frame 7");
  for (bool fastdct : {true, false}) {
    const Bytes jpeg = encode(frame, Colorspace::BGR, 90, fastdct);
    const cv::Mat back = decode(jpeg, Colorspace::BGR, fastdct);
    ASSERT_EQ(back.rows, 480);
    ASSERT_EQ(back.cols, 640);
    ASSERT_EQ(back.type(), CV_8UC3);
    ASSERT_EQ(back.dims, 2);
    const double psnr = cv::PSNR(frame, back);
    EXPECT_GE(psnr, 35.0) << "fastdct " << fastdct;
    // Far smaller than raw: the payload is really compressed.
    EXPECT_LT(jpeg.size(), frame.total() * frame.elemSize() / 4);
  }
}

TEST(Jpeg, GrayRoundTripIsTwoDimensional) {
  cv::Mat gray;
  cv::cvtColor(make_test_frame(640, 480, 3, "gray"), gray, cv::COLOR_BGR2GRAY);
  const Bytes jpeg = encode(gray, Colorspace::GRAY);
  const cv::Mat back = decode(jpeg, Colorspace::GRAY);
  ASSERT_EQ(back.dims, 2);
  ASSERT_EQ(back.type(), CV_8UC1);
  ASSERT_EQ(back.size(), gray.size());
  EXPECT_GE(cv::PSNR(gray, back), 35.0);
}

TEST(Jpeg, FastUpsampleDecodes) {
  const cv::Mat frame = make_test_frame(320, 240, 1);
  const Bytes jpeg = encode(frame, Colorspace::BGR);
  const cv::Mat slow = decode(jpeg, Colorspace::BGR, true, false);
  const cv::Mat fast = decode(jpeg, Colorspace::BGR, true, true);
  EXPECT_GE(cv::PSNR(frame, fast), 30.0);
  // The flag reaches libjpeg-turbo: the two upsampling methods give different pixels.
  EXPECT_GT(cv::norm(slow, fast, cv::NORM_INF), 0.0);
}

TEST(Jpeg, GrayJpegDecodesIntoColour) {
  cv::Mat gray(48, 64, CV_8UC1, cv::Scalar(100));
  const cv::Mat bgr = decode(encode(gray, Colorspace::GRAY), Colorspace::BGR);
  ASSERT_EQ(bgr.type(), CV_8UC3);
  const cv::Vec3b p = bgr.at<cv::Vec3b>(10, 10);
  EXPECT_NEAR(p[0], 100, 2);
  EXPECT_EQ(p[0], p[1]);
  EXPECT_EQ(p[1], p[2]);
}

// ---------------------------------------------------------------------------------------------
// Channel order

TEST(Jpeg, BgrRedStaysRed) {
  cv::Mat m(64, 64, CV_8UC3, cv::Scalar(128, 128, 128));
  m(cv::Rect(0, 0, 32, 64)).setTo(cv::Scalar(0, 0, 255));  // BGR red
  const cv::Mat back = decode(encode(m, Colorspace::BGR), Colorspace::BGR);
  const cv::Vec3b p = back.at<cv::Vec3b>(32, 8);
  EXPECT_LT(p[0], 35);
  EXPECT_LT(p[1], 35);
  EXPECT_GT(p[2], 220);
}

TEST(Jpeg, RgbRedStaysRedInRgbOrder) {
  cv::Mat m(64, 64, CV_8UC3, cv::Scalar(128, 128, 128));
  m(cv::Rect(0, 0, 32, 64)).setTo(cv::Scalar(255, 0, 0));  // RGB red: first byte
  const Bytes jpeg = encode(m, Colorspace::RGB);
  const cv::Mat rgb = decode(jpeg, Colorspace::RGB);
  const cv::Vec3b p = rgb.at<cv::Vec3b>(32, 8);
  EXPECT_GT(p[0], 220);
  EXPECT_LT(p[1], 35);
  EXPECT_LT(p[2], 35);
  // The encoder really read it as red (not blue): decoding as BGR puts red last.
  const cv::Vec3b q = decode(jpeg, Colorspace::BGR).at<cv::Vec3b>(32, 8);
  EXPECT_LT(q[0], 35);
  EXPECT_GT(q[2], 220);
}

TEST(Jpeg, BgraRoundTrip) {
  const cv::Mat m = red_image(Colorspace::BGRA);
  const cv::Mat back = decode(encode(m, Colorspace::BGRA), Colorspace::BGRA);
  ASSERT_EQ(back.type(), CV_8UC4);
  ASSERT_EQ(back.size(), m.size());
  expect_red(back, Colorspace::BGRA, 32, 8);
  const cv::Vec4b grey = back.at<cv::Vec4b>(32, 56);
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(grey[c], 128, 4);
  EXPECT_EQ(grey[3], 255);  // alpha is not coded; the decoder fills it opaque
}

// CMYK (vidgear's jpeg_compression="CMYK"): four channels in, a 4-component (YCCK) JPEG, the same
// four channels out; a colour JPEG cannot be decoded as CMYK, nor a CMYK one as BGR.
TEST(Jpeg, CmykRoundTripKeepsFourChannels) {
  cv::Mat m(48, 64, CV_8UC4, cv::Scalar(0, 255, 128, 40));
  m(cv::Rect(0, 0, 32, 48)).setTo(cv::Scalar(200, 10, 60, 0));
  const Bytes jpeg = encode(m, Colorspace::CMYK, 95);
  const Header h = read_header(jpeg);
  EXPECT_EQ(h.width, 64);
  EXPECT_EQ(h.height, 48);
  EXPECT_EQ(h.colorspace, TJCS_YCCK);
  const cv::Mat back = decode(jpeg, Colorspace::CMYK);
  ASSERT_EQ(back.type(), CV_8UC4);
  ASSERT_EQ(back.size(), m.size());
  for (const cv::Point at : {cv::Point(8, 24), cv::Point(56, 24)}) {
    const cv::Vec4b want = m.at<cv::Vec4b>(at), got = back.at<cv::Vec4b>(at);
    for (int c = 0; c < 4; ++c) EXPECT_NEAR(got[c], want[c], 4) << at << " channel " << c;
  }
  EXPECT_THROW(decode(jpeg, Colorspace::BGR), ProtocolError);
  EXPECT_THROW(decode(encode(red_image(Colorspace::BGR), Colorspace::BGR), Colorspace::CMYK), ProtocolError);
  EXPECT_THROW(encode(red_image(Colorspace::BGR), Colorspace::CMYK), FrameError);  // 3 channels
}

// Every colorspace maps to the right TurboJPEG pixel format: red written in that layout comes
// back red in that layout, and also red when decoded as plain BGR.
class JpegColorspace : public ::testing::TestWithParam<Colorspace> {};

TEST_P(JpegColorspace, RedSurvivesInItsOwnLayout) {
  const Colorspace cs = GetParam();
  const cv::Mat m = red_image(cs);
  const Bytes jpeg = encode(m, cs);
  const cv::Mat same = decode(jpeg, cs);
  ASSERT_EQ(same.channels(), netgear::channels(cs));
  expect_red(same, cs, 32, 8);
  expect_red(decode(jpeg, Colorspace::BGR), Colorspace::BGR, 32, 8);
}

INSTANTIATE_TEST_SUITE_P(AllColour, JpegColorspace,
                         ::testing::Values(Colorspace::BGR, Colorspace::RGB, Colorspace::BGRA,
                                           Colorspace::RGBA, Colorspace::BGRX, Colorspace::RGBX,
                                           Colorspace::XBGR, Colorspace::XRGB, Colorspace::ABGR,
                                           Colorspace::ARGB),
                         [](const auto& info) {
                           return std::string(netgear::to_string(info.param));
                         });

// ---------------------------------------------------------------------------------------------
// Output format and parameters

TEST(Jpeg, LowerQualityIsSmaller) {
  const cv::Mat frame = make_test_frame(640, 480, 11);
  const Bytes q30 = encode(frame, Colorspace::BGR, 30);
  const Bytes q95 = encode(frame, Colorspace::BGR, 95);
  EXPECT_LT(q30.size() * 2, q95.size());
}

TEST(Jpeg, FastDctFlagReachesTheEncoder) {
  // TurboJPEG compresses with the fast DCT unless told otherwise, so fastdct=false must ask for
  // the accurate one explicitly; the two give different coefficients, hence different bytes.
  const cv::Mat frame = make_test_frame(320, 240, 6);
  const Bytes fast = encode(frame, Colorspace::BGR, 90, true);
  const Bytes accurate = encode(frame, Colorspace::BGR, 90, false);
  EXPECT_NE(fast, accurate);
  EXPECT_EQ(encode(frame, Colorspace::BGR, 90, true), fast);  // and each is deterministic
}

TEST(Jpeg, RoiEncodesLikeItsClone) {
  const cv::Mat frame = make_test_frame(640, 480, 5, "roi");
  const cv::Mat roi = frame(cv::Rect(13, 17, 301, 203));
  ASSERT_FALSE(roi.isContinuous());
  JpegEncoder enc;
  const Bytes from_roi = encode(enc, roi, Colorspace::BGR);
  const Bytes from_clone = encode(enc, roi.clone(), Colorspace::BGR);
  EXPECT_EQ(from_roi, from_clone);
  const Header h = read_header(from_roi);
  EXPECT_EQ(h.width, 301);
  EXPECT_EQ(h.height, 203);

  cv::Mat gray;
  cv::cvtColor(frame, gray, cv::COLOR_BGR2GRAY);
  const cv::Mat groi = gray(cv::Rect(3, 5, 100, 77));
  ASSERT_FALSE(groi.isContinuous());
  EXPECT_EQ(encode(enc, groi, Colorspace::GRAY), encode(enc, groi.clone(), Colorspace::GRAY));
}

TEST(Jpeg, ColourOutputIsBaselineJfif422) {
  const Bytes jpeg = encode(make_test_frame(640, 480, 2), Colorspace::BGR);
  ASSERT_GT(jpeg.size(), 4u);
  EXPECT_EQ(jpeg[0], 0xFF);
  EXPECT_EQ(jpeg[1], 0xD8);
  EXPECT_EQ(jpeg[jpeg.size() - 2], 0xFF);
  EXPECT_EQ(jpeg[jpeg.size() - 1], 0xD9);
  const std::vector<int> markers = header_markers(jpeg);
  ASSERT_FALSE(markers.empty());
  EXPECT_EQ(markers.front(), 0xE0) << "APP0 (JFIF) first";
  EXPECT_EQ(std::string(jpeg.begin() + 6, jpeg.begin() + 10), "JFIF");
  EXPECT_NE(std::find(markers.begin(), markers.end(), 0xC0), markers.end()) << "baseline SOF0";
  EXPECT_EQ(std::find(markers.begin(), markers.end(), 0xC2), markers.end()) << "not progressive";
  const Header h = read_header(jpeg);
  EXPECT_EQ(h.width, 640);
  EXPECT_EQ(h.height, 480);
  EXPECT_EQ(h.subsamp, TJSAMP_422);
  EXPECT_EQ(h.colorspace, TJCS_YCbCr);
}

TEST(Jpeg, GrayOutputIsSingleChannel) {
  cv::Mat gray(48, 64, CV_8UC1, cv::Scalar(77));
  const Bytes jpeg = encode(gray, Colorspace::GRAY);
  EXPECT_EQ(jpeg[0], 0xFF);
  EXPECT_EQ(jpeg[1], 0xD8);
  EXPECT_EQ(jpeg[jpeg.size() - 1], 0xD9);
  const Header h = read_header(jpeg);
  EXPECT_EQ(h.subsamp, TJSAMP_GRAY);
  EXPECT_EQ(h.colorspace, TJCS_GRAY);
}

// ---------------------------------------------------------------------------------------------
// Frames JPEG cannot carry

TEST(Jpeg, BadFramesThrowFrameError) {
  JpegEncoder enc;
  EXPECT_THROW(enc.encode(cv::Mat(48, 64, CV_16UC3, cv::Scalar::all(1)), Colorspace::BGR, 90, true),
               FrameError);
  EXPECT_THROW(
      enc.encode(cv::Mat(48, 64, CV_32FC1, cv::Scalar::all(1)), Colorspace::GRAY, 90, true),
      FrameError);
  EXPECT_THROW(enc.encode(cv::Mat(48, 64, CV_8UC2, cv::Scalar::all(1)), Colorspace::BGR, 90, true),
               FrameError);
  EXPECT_THROW(enc.encode(cv::Mat(48, 64, CV_8UC2, cv::Scalar::all(1)), Colorspace::GRAY, 90, true),
               FrameError);
  EXPECT_THROW(enc.encode(cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(1)), Colorspace::GRAY, 90, true),
               FrameError);
  EXPECT_THROW(enc.encode(cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(1)), Colorspace::BGRA, 90, true),
               FrameError);
  EXPECT_THROW(enc.encode(cv::Mat(48, 64, CV_8UC4, cv::Scalar::all(1)), Colorspace::RGB, 90, true),
               FrameError);
  EXPECT_THROW(enc.encode(cv::Mat(48, 64, CV_8UC1, cv::Scalar::all(1)), Colorspace::BGR, 90, true),
               FrameError);
  EXPECT_THROW(enc.encode(cv::Mat(), Colorspace::BGR, 90, true), FrameError);
  const int dims3[] = {4, 5, 6};
  EXPECT_THROW(
      enc.encode(cv::Mat(3, dims3, CV_8UC1, cv::Scalar::all(1)), Colorspace::GRAY, 90, true),
      FrameError);
  // The encoder stays usable after refusing frames.
  EXPECT_NO_THROW(
      enc.encode(cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(1)), Colorspace::BGR, 90, true));
}

TEST(Jpeg, FrameErrorSaysWhatAndWhy) {
  JpegEncoder enc;
  try {
    enc.encode(cv::Mat(48, 64, CV_16UC3, cv::Scalar::all(1)), Colorspace::RGBA, 90, true);
    FAIL() << "no exception";
  } catch (const FrameError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("16U"), std::string::npos) << what;
    EXPECT_NE(what.find("C3"), std::string::npos) << what;
    EXPECT_NE(what.find("RGBA"), std::string::npos) << what;
  }
}

TEST(Jpeg, QualityOutOfRangeThrows) {
  JpegEncoder enc;
  const cv::Mat m(48, 64, CV_8UC3, cv::Scalar::all(1));
  EXPECT_THROW(enc.encode(m, Colorspace::BGR, 0, true), netgear::Error);
  EXPECT_THROW(enc.encode(m, Colorspace::BGR, 101, true), netgear::Error);
  EXPECT_NO_THROW(enc.encode(m, Colorspace::BGR, 1, true));
  EXPECT_NO_THROW(enc.encode(m, Colorspace::BGR, 100, true));
}

// ---------------------------------------------------------------------------------------------
// Data that is not a valid JPEG

class JpegCorrupt : public ::testing::Test {
 protected:
  void SetUp() override {
    good_ = encode(make_test_frame(320, 240, 9, "corrupt"), Colorspace::BGR);
  }

  void expect_protocol_error(const Bytes& b, const char* what) {
    JpegDecoder dec;
    try {
      dec.decode(b.data(), b.size(), Colorspace::BGR, true, false);
      ADD_FAILURE() << what << ": decoded without error";
    } catch (const ProtocolError& e) {
      EXPECT_GT(std::string(e.what()).size(), 10u) << what;
    }
  }

  Bytes good_;
};

TEST_F(JpegCorrupt, GoodPayloadDecodes) {
  JpegDecoder dec;
  EXPECT_NO_THROW(dec.decode(good_.data(), good_.size(), Colorspace::BGR, true, false));
}

TEST_F(JpegCorrupt, RandomBytes) {
  std::mt19937 rng(1234);
  for (int i = 0; i < 20; ++i) {
    Bytes junk(1 + rng() % 4000);
    for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
    expect_protocol_error(junk, "random bytes");
  }
  // Random bytes behind a valid SOI marker get past the first check.
  Bytes junk(2000);
  for (auto& b : junk) b = static_cast<std::uint8_t>(rng());
  junk[0] = 0xFF;
  junk[1] = 0xD8;
  expect_protocol_error(junk, "SOI + random bytes");
}

TEST_F(JpegCorrupt, Truncated) {
  expect_protocol_error(Bytes(good_.begin(), good_.begin() + static_cast<long>(good_.size() / 2)),
                        "first half");
  // Only the final EOI missing: libjpeg-turbo would pad silently without STOPONWARNING.
  expect_protocol_error(Bytes(good_.begin(), good_.end() - 2), "no EOI");
  // Header only.
  expect_protocol_error(Bytes(good_.begin(), good_.begin() + 700), "header only");
}

TEST_F(JpegCorrupt, ScrambledMiddle) {
  // Overwriting a run of entropy-coded bytes. JPEG's Huffman coding often resynchronises by
  // itself, so some damage cannot be detected at all: the frame then decodes (with visible
  // garbage) at its full size. The rest (bad Huffman code, stray marker, data running out or left
  // over) are warnings that TJFLAG_STOPONWARNING turns into errors. Either way: no crash, no other
  // exception type, never a frame of the wrong shape.
  std::mt19937 rng(42);
  int thrown = 0;
  const int trials = 40;
  JpegDecoder dec;
  for (int trial = 0; trial < trials; ++trial) {
    Bytes bad = good_;
    const std::size_t start = bad.size() / 3 + rng() % (bad.size() / 3);
    for (std::size_t i = start; i < start + 64 && i < bad.size() - 2; ++i) {
      bad[i] = static_cast<std::uint8_t>(rng());
    }
    try {
      const cv::Mat m = dec.decode(bad.data(), bad.size(), Colorspace::BGR, true, false);
      EXPECT_EQ(m.size(), cv::Size(320, 240));
      EXPECT_EQ(m.type(), CV_8UC3);
    } catch (const ProtocolError&) {
      ++thrown;
    }
  }
  // Most damage is caught (with libjpeg-turbo 2.1.5 and these seeds: 34 of 40).
  EXPECT_GE(thrown, trials / 2) << thrown << " of " << trials << " detected";
  RecordProperty("scrambled_detected", thrown);
}

TEST_F(JpegCorrupt, TooShort) {
  JpegDecoder dec;
  const std::uint8_t soi_eoi[] = {0xFF, 0xD8, 0xFF, 0xD9};
  EXPECT_THROW(dec.decode(good_.data(), 0, Colorspace::BGR, true, false), ProtocolError);
  EXPECT_THROW(dec.decode(nullptr, 0, Colorspace::BGR, true, false), ProtocolError);
  EXPECT_THROW(dec.decode(good_.data(), 3, Colorspace::BGR, true, false), ProtocolError);
  EXPECT_THROW(dec.decode(soi_eoi, sizeof soi_eoi, Colorspace::BGR, true, false), ProtocolError);
}

// Patches the SOF0 frame size of a valid JPEG.
Bytes with_size(Bytes b, int width, int height) {
  std::size_t i = 2;
  while (i + 9 < b.size() && b[i] == 0xFF) {
    if (b[i + 1] == 0xC0) {
      b[i + 5] = static_cast<std::uint8_t>(height >> 8);
      b[i + 6] = static_cast<std::uint8_t>(height & 0xFF);
      b[i + 7] = static_cast<std::uint8_t>(width >> 8);
      b[i + 8] = static_cast<std::uint8_t>(width & 0xFF);
      return b;
    }
    i += 2 + ((static_cast<std::size_t>(b[i + 2]) << 8) | b[i + 3]);
  }
  ADD_FAILURE() << "no SOF0 found";
  return b;
}

TEST_F(JpegCorrupt, AbsurdHeader) {
  // Sizes the decoder must refuse before allocating anything.
  expect_protocol_error(with_size(good_, 60000, 60000), "60000x60000");
  expect_protocol_error(with_size(good_, 16385, 240), "16385 wide");
  expect_protocol_error(with_size(good_, 320, 16385), "16385 high");
  expect_protocol_error(with_size(good_, 0, 240), "zero width");
  expect_protocol_error(with_size(good_, 320, 0), "zero height");
  // Plausible but wrong: the entropy data runs out before the image is complete.
  expect_protocol_error(with_size(good_, 320, 480), "taller than the data");
}

TEST_F(JpegCorrupt, HugeSizeFromFewBytesIsRefusedBeforeAllocating) {
  // 16000 x 16000 (768 MB decoded) claimed by a payload of a few kilobytes.
  ASSERT_LT(good_.size(), 200'000u);
  JpegDecoder dec;
  try {
    dec.decode(good_.data(), good_.size(), Colorspace::BGR, true, false);  // the real size is fine
    const Bytes huge = with_size(good_, 16000, 16000);
    dec.decode(huge.data(), huge.size(), Colorspace::BGR, true, false);
    ADD_FAILURE() << "decoded a 16000x16000 header from " << huge.size() << " bytes";
  } catch (const ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("16000x16000"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("too few"), std::string::npos) << e.what();
  }
}

TEST(Jpeg, LargeUniformFrameIsNotMistakenForALie) {
  // The most compressible real frame: one colour, 4096 x 4096 (16.7 Mpx in a few hundred KB).
  const cv::Mat flat(4096, 4096, CV_8UC3, cv::Scalar(90, 90, 90));
  const Bytes b = encode(flat, Colorspace::BGR);
  JpegDecoder dec;
  const cv::Mat out = dec.decode(b.data(), b.size(), Colorspace::BGR, true, false);
  EXPECT_EQ(out.size(), flat.size());
  EXPECT_LT(cv::norm(out, flat, cv::NORM_INF), 4.0);
}

TEST_F(JpegCorrupt, DecoderRecovers) {
  JpegDecoder dec;
  const Bytes half(good_.begin(), good_.begin() + static_cast<long>(good_.size() / 2));
  EXPECT_THROW(dec.decode(half.data(), half.size(), Colorspace::BGR, true, false), ProtocolError);
  const cv::Mat ok = dec.decode(good_.data(), good_.size(), Colorspace::BGR, true, false);
  EXPECT_EQ(ok.size(), cv::Size(320, 240));
}

// ---------------------------------------------------------------------------------------------
// Buffer reuse and lifetime

TEST(Jpeg, SteadyStateReusesTheBuffer) {
  JpegEncoder enc;
  const cv::Mat a = make_test_frame(640, 480, 1);
  const cv::Mat b = make_test_frame(640, 480, 2);
  const std::uint8_t* first = enc.encode(a, Colorspace::BGR, 90, true).data();
  EXPECT_EQ(enc.encode(b, Colorspace::BGR, 90, true).data(), first);
  EXPECT_EQ(enc.encode(a, Colorspace::BGR, 50, false).data(), first);
  // A smaller frame fits the same buffer.
  EXPECT_EQ(enc.encode(make_test_frame(320, 240, 1), Colorspace::BGR, 90, true).data(), first);
  // A larger one grows it once, then that buffer is reused.
  const cv::Mat big = make_test_frame(1280, 720, 1);
  const std::uint8_t* grown = enc.encode(big, Colorspace::BGR, 90, true).data();
  EXPECT_EQ(enc.encode(big, Colorspace::BGR, 90, true).data(), grown);
}

TEST(Jpeg, MovedCodecsWork) {
  const cv::Mat frame = make_test_frame(160, 120, 4);
  JpegEncoder a;
  const Bytes expected = encode(a, frame, Colorspace::BGR);
  JpegEncoder b(std::move(a));
  EXPECT_EQ(encode(b, frame, Colorspace::BGR), expected);
  JpegEncoder c;
  c = std::move(b);
  EXPECT_EQ(encode(c, frame, Colorspace::BGR), expected);

  JpegDecoder d;
  JpegDecoder e(std::move(d));
  JpegDecoder f;
  f = std::move(e);
  EXPECT_EQ(f.decode(expected.data(), expected.size(), Colorspace::BGR, true, false).size(),
            frame.size());
  // a, b, d, e are moved-from and are destroyed here without harm.
}

// ---------------------------------------------------------------------------------------------
// Test pattern

TEST(TestPattern, SizeAndType) {
  for (const cv::Size size : {cv::Size(64, 48), cv::Size(640, 480), cv::Size(1920, 1080),
                              cv::Size(97, 301), cv::Size(1000, 50)}) {
    const cv::Mat m = make_test_frame(size.width, size.height, 3, "caption");
    EXPECT_EQ(m.size(), size);
    EXPECT_EQ(m.type(), CV_8UC3);
    EXPECT_EQ(m.dims, 2);
  }
  EXPECT_THROW(make_test_frame(0, 48, 0), std::invalid_argument);
}

TEST(TestPattern, Deterministic) {
  const cv::Mat a = make_test_frame(640, 480, 123, "frame 123");
  make_test_frame(320, 240, 5);  // another size in between must not disturb anything
  const cv::Mat b = make_test_frame(640, 480, 123, "frame 123");
  EXPECT_EQ(cv::norm(a, b, cv::NORM_INF), 0.0);
  // Another thread (with its own background cache) draws the same picture.
  cv::Mat c;
  std::thread([&] { c = make_test_frame(640, 480, 123, "frame 123"); }).join();
  EXPECT_EQ(cv::norm(a, c, cv::NORM_INF), 0.0);
}

TEST(TestPattern, ConsecutiveFramesDiffer) {
  for (const cv::Size size : {cv::Size(64, 48), cv::Size(640, 480)}) {
    cv::Mat prev = make_test_frame(size.width, size.height, 0);
    for (std::uint64_t i = 1; i < 300; ++i) {
      const cv::Mat cur = make_test_frame(size.width, size.height, i);
      ASSERT_GT(cv::norm(prev, cur, cv::NORM_INF), 0.0) << size << " index " << i;
      prev = cur;
    }
  }
  // Far-apart and huge indices differ too.
  EXPECT_GT(cv::norm(make_test_frame(640, 480, 10), make_test_frame(640, 480, 610), cv::NORM_INF),
            0.0);
  EXPECT_GT(cv::norm(make_test_frame(640, 480, UINT64_MAX),
                     make_test_frame(640, 480, UINT64_MAX - 1), cv::NORM_INF),
            0.0);
}

TEST(TestPattern, CaptionChangesPixels) {
  const cv::Mat plain = make_test_frame(640, 480, 8);
  const cv::Mat a = make_test_frame(640, 480, 8, "frame 8");
  const cv::Mat b = make_test_frame(640, 480, 8, "frame 9");
  EXPECT_GT(cv::norm(plain, a, cv::NORM_L1), 1000.0);
  EXPECT_GT(cv::norm(a, b, cv::NORM_L1), 100.0);
}

TEST(TestPattern, ReusesOutput) {
  cv::Mat out;
  draw_test_frame(out, 640, 480, 1);
  const std::uint8_t* data = out.data;
  draw_test_frame(out, 640, 480, 2, "x");
  EXPECT_EQ(out.data, data);
  EXPECT_EQ(cv::norm(out, make_test_frame(640, 480, 2, "x"), cv::NORM_INF), 0.0);
  draw_test_frame(out, 320, 240, 2);
  EXPECT_EQ(out.size(), cv::Size(320, 240));
}

TEST(TestPattern, LooksNatural) {
  // Not flat and not noise: many distinct colours, and JPEG at q90 lands in a camera-like range
  // (well below raw, well above a flat image).
  const cv::Mat m = make_test_frame(640, 480, 0, "frame 0");
  cv::Scalar mean, stddev;
  cv::meanStdDev(m, mean, stddev);
  for (int c = 0; c < 3; ++c) EXPECT_GT(stddev[c], 20.0);
  const std::size_t size = encode(m, Colorspace::BGR).size();
  EXPECT_GT(size, 20000u);
  EXPECT_LT(size, 200000u);
}

}  // namespace
