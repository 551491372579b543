// Tests of JPEG coding with threads: strips joined at restart markers (src/codec/jpeg_restart.*),
// the decoder's parts, and the fork-join the codec runs them on (src/codec/fork_join.*).
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <turbojpeg.h>

#include "codec/fork_join.hpp"
#include "codec/jpeg.hpp"
#include "codec/jpeg_restart.hpp"
#include "netgear/error.hpp"
#include "netgear/options.hpp"
#include "test_pattern.hpp"

namespace {

using netgear::Colorspace;
using netgear::ProtocolError;
using netgear::codec::ForkJoin;
using netgear::codec::JpegDecoder;
using netgear::codec::JpegEncoder;
using netgear::pattern::make_test_frame;
namespace restart = netgear::codec::restart;

using Bytes = std::vector<std::uint8_t>;

Bytes encode(const cv::Mat& m, Colorspace cs, int threads) {
  JpegEncoder enc(threads);
  auto span = enc.encode(m, cs, 90, true);
  return Bytes(span.begin(), span.end());
}

// `parts`, when given: how many parts the decoder decoded at once.
cv::Mat decode(const Bytes& b, Colorspace cs, int threads, bool fastupsample = false, int* parts = nullptr) {
  JpegDecoder dec(threads);
  cv::Mat m = dec.decode(b.data(), b.size(), cs, true, fastupsample);
  if (parts != nullptr) *parts = dec.last_parts();
  return m;
}

int parts_of(const Bytes& b, int threads) {
  int parts = 0;
  decode(b, Colorspace::BGR, threads, false, &parts);
  return parts;
}

bool identical(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

// TurboJPEG reads TJ_RESTART at each compression ("N": a restart marker every N MCU rows, "NB":
// every N MCUs): JPEGs with restart markers that NetGear did not write.
class TjRestart {
 public:
  explicit TjRestart(const char* value) { setenv("TJ_RESTART", value, 1); }
  ~TjRestart() { unsetenv("TJ_RESTART"); }
  TjRestart(const TjRestart&) = delete;
  TjRestart& operator=(const TjRestart&) = delete;
};

Bytes tj_encode(const cv::Mat& m, int subsamp) {
  tjhandle tj = tjInitCompress();
  unsigned char* out = nullptr;
  unsigned long size = 0;
  EXPECT_EQ(tjCompress2(tj, m.data, m.cols, static_cast<int>(m.step[0]), m.rows, TJPF_BGR, &out, &size, subsamp, 90,
                        TJFLAG_FASTDCT),
            0);
  Bytes b(out, out + size);
  tjFree(out);
  tjDestroy(tj);
  return b;
}

struct Shape {
  int width, height;
};

// ---------------------------------------------------------------------------------------------
// Encoding in strips

class Strips : public ::testing::TestWithParam<std::tuple<Shape, int>> {};

TEST_P(Strips, DecodeToThePixelsOfAWholeEncode) {
  const auto [shape, threads] = GetParam();
  const cv::Mat frame = make_test_frame(shape.width, shape.height, 7);
  const Bytes whole = encode(frame, Colorspace::BGR, 1);
  const Bytes strips = encode(frame, Colorspace::BGR, threads);
  // Each strip's coefficients are the whole image's: decoded, not a pixel differs.
  EXPECT_TRUE(identical(decode(strips, Colorspace::BGR, 1), decode(whole, Colorspace::BGR, 1)));
  // Another decoder (OpenCV's, through libjpeg's own API, as vidgear's cv2 path) reads it too.
  EXPECT_TRUE(identical(cv::imdecode(strips, cv::IMREAD_COLOR), cv::imdecode(whole, cv::IMREAD_COLOR)));

  const auto layout = restart::read_layout(strips, 1000);
  ASSERT_TRUE(layout.has_value());
  EXPECT_EQ(layout->width, shape.width);
  EXPECT_EQ(layout->height, shape.height);
  const long pixels = static_cast<long>(shape.width) * shape.height;
  const long expect_strips = std::min<long>(threads, pixels / netgear::codec::kMinPixelsPerThread);
  if (expect_strips >= 2) {
    EXPECT_GT(layout->restart_interval, 0);
    EXPECT_EQ(static_cast<long>(layout->intervals.size()), expect_strips);
    EXPECT_GT(restart::rows_per_interval(*layout), 0);
  } else {
    EXPECT_EQ(layout->restart_interval, 0);
    EXPECT_EQ(strips, whole);  // small frames are encoded whole: the same bytes
  }
}

TEST_P(Strips, DecodeInPartsToThePixelsOfAWholeDecode) {
  const auto [shape, threads] = GetParam();
  const cv::Mat frame = make_test_frame(shape.width, shape.height, 3);
  const Bytes jpeg = encode(frame, Colorspace::BGR, threads);
  const cv::Mat whole = decode(jpeg, Colorspace::BGR, 1);
  const long pixels = static_cast<long>(shape.width) * shape.height;
  const auto intervals = restart::read_layout(jpeg, 1000)->intervals.size();
  for (int decode_threads : {2, 3, 4}) {
    const int expect_parts =
        pixels >= 2 * netgear::codec::kMinPixelsPerThread && intervals > 1
            ? static_cast<int>(std::min<std::size_t>(intervals, static_cast<std::size_t>(decode_threads)))
            : 1;
    EXPECT_EQ(parts_of(jpeg, decode_threads), expect_parts) << decode_threads << " threads";
    EXPECT_TRUE(identical(decode(jpeg, Colorspace::BGR, decode_threads), whole)) << decode_threads << " threads";
    EXPECT_TRUE(identical(decode(jpeg, Colorspace::BGR, decode_threads, true), decode(jpeg, Colorspace::BGR, 1, true)))
        << decode_threads << " threads, fast upsampling";
  }
}

INSTANTIATE_TEST_SUITE_P(Jpeg, Strips,
                         ::testing::Combine(::testing::Values(Shape{640, 480}, Shape{1920, 1080},
                                                              Shape{641, 479},  // partial MCUs right and below
                                                              Shape{1000, 131}, Shape{320, 240}),
                                            ::testing::Values(2, 3, 4)));

TEST(JpegStrips, EveryPixelOrderAndGray) {
  const cv::Mat bgr = make_test_frame(800, 600, 5);
  cv::Mat gray, bgra;
  cv::extractChannel(bgr, gray, 1);
  cv::Mat alpha(bgr.size(), CV_8UC1, cv::Scalar(255));
  cv::merge(std::vector<cv::Mat>{bgr, alpha}, bgra);
  for (const auto& [m, cs] : {std::pair{gray, Colorspace::GRAY}, std::pair{bgra, Colorspace::BGRA},
                              std::pair{bgra, Colorspace::XRGB}, std::pair{bgra, Colorspace::CMYK}}) {
    const Bytes whole = encode(m, cs, 1), strips = encode(m, cs, 2);
    ASSERT_NE(strips, whole) << netgear::to_string(cs);
    const cv::Mat expected = decode(whole, cs, 1);
    EXPECT_TRUE(identical(decode(strips, cs, 1), expected)) << netgear::to_string(cs);
    int parts = 0;
    EXPECT_TRUE(identical(decode(strips, cs, 2, false, &parts), expected)) << netgear::to_string(cs);
    EXPECT_EQ(parts, 2) << netgear::to_string(cs);
  }
}

TEST(JpegStrips, AnEncoderAlternatesSizesAndKeepsNoStaleStrip) {
  JpegEncoder enc(4);
  JpegDecoder dec(1);
  for (const Shape s : {Shape{1920, 1080}, Shape{640, 480}, Shape{160, 120}, Shape{1280, 720}, Shape{640, 480}}) {
    const cv::Mat frame = make_test_frame(s.width, s.height, 11);
    const auto span = enc.encode(frame, Colorspace::BGR, 90, true);
    const Bytes got(span.begin(), span.end());
    EXPECT_TRUE(identical(dec.decode(got.data(), got.size(), Colorspace::BGR, true, false),
                          decode(encode(frame, Colorspace::BGR, 1), Colorspace::BGR, 1)))
        << s.width << "x" << s.height;
  }
}

TEST(JpegStrips, EncodeIntoWritesEncodesBytesIntoTheCallersMemoryOfTheExactSize) {
  // Whole (1 thread, a small frame) and in strips (a 640x480 frame on 2 threads): encode_into()
  // asks once for exactly the JPEG's size and writes encode()'s bytes there.
  for (const auto& [s, threads] : {std::pair{Shape{640, 480}, 2}, std::pair{Shape{640, 480}, 1},
                                   std::pair{Shape{320, 240}, 2}, std::pair{Shape{1920, 1080}, 3}}) {
    const cv::Mat frame = make_test_frame(s.width, s.height, 5);
    JpegEncoder enc(threads);
    const auto span = enc.encode(frame, Colorspace::BGR, 90, true);
    const Bytes expected(span.begin(), span.end());
    Bytes got;
    int calls = 0;
    const std::size_t size = enc.encode_into(frame, Colorspace::BGR, 90, true, [&](std::size_t n) {
      ++calls;
      got.assign(n, 0xAA);
      return std::span<std::uint8_t>(got);
    });
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(size, expected.size());
    EXPECT_EQ(got, expected) << s.width << "x" << s.height << " on " << threads;
    const auto layout = restart::read_layout(got, 100);
    ASSERT_TRUE(layout.has_value());
    const std::size_t strips = s.width >= 640 ? static_cast<std::size_t>(threads) : 1;  // 320x240: whole
    EXPECT_EQ(layout->intervals.size(), strips) << s.width << "x" << s.height << " on " << threads;
  }
}

TEST(JpegStrips, ARoiIsEncodedFromItsOwnRows) {
  const cv::Mat big = make_test_frame(1280, 960, 2);
  const cv::Mat roi = big(cv::Rect(100, 200, 640, 480));
  EXPECT_TRUE(identical(decode(encode(roi, Colorspace::BGR, 2), Colorspace::BGR, 1),
                        decode(encode(roi.clone(), Colorspace::BGR, 1), Colorspace::BGR, 1)));
}

TEST(JpegStrips, StripsThatCarryRestartMarkersOfTheirOwnAreEncodedWhole) {
  // With TJ_RESTART set each strip has a DRI of its own, which a seam cannot renumber: the encoder
  // falls back to one whole encode (with TurboJPEG's markers), still a valid JPEG.
  const TjRestart env("2");
  const cv::Mat frame = make_test_frame(640, 480, 1);
  const Bytes jpeg = encode(frame, Colorspace::BGR, 2);
  const auto layout = restart::read_layout(jpeg, 1000);
  ASSERT_TRUE(layout.has_value());
  EXPECT_EQ(layout->restart_interval, 2 * 40);        // TurboJPEG's own: 2 MCU rows of 40 MCUs
  EXPECT_EQ(layout->intervals.size(), 480u / 16);     // not 2 strips
  EXPECT_TRUE(identical(decode(jpeg, Colorspace::BGR, 1), decode(jpeg, Colorspace::BGR, 2)));
}

// ---------------------------------------------------------------------------------------------
// Decoding in parts: JPEGs NetGear did not write

TEST(JpegParts, ForeignRowRestartsAreDecodedInPartsWithRenumberedMarkers) {
  const cv::Mat frame = make_test_frame(640, 480, 9);
  Bytes jpeg;
  {
    const TjRestart env("1");  // a marker after every MCU row: 60 intervals, RST0..RST7 over and over
    jpeg = tj_encode(frame, TJSAMP_422);
  }
  const auto layout = restart::read_layout(jpeg, 1000);
  ASSERT_TRUE(layout.has_value());
  EXPECT_EQ(layout->intervals.size(), 60u);
  EXPECT_EQ(restart::rows_per_interval(*layout), 8);
  const cv::Mat whole = decode(jpeg, Colorspace::BGR, 1);
  for (int threads : {2, 3, 4, 7}) {
    EXPECT_TRUE(identical(decode(jpeg, Colorspace::BGR, threads), whole)) << threads;
    EXPECT_EQ(parts_of(jpeg, threads), threads);
  }

  // One part by hand: intervals 9..20 are rows 72..167, their first marker now RST0.
  Bytes part;
  restart::extract_part(jpeg, *layout, 9, 21, part);
  const cv::Mat rows = decode(part, Colorspace::BGR, 1);
  ASSERT_EQ(rows.rows, 12 * 8);
  EXPECT_TRUE(identical(rows, whole.rowRange(72, 168)));
}

TEST(JpegParts, VerticallySubsampledOrUnalignedRestartsAreDecodedWhole) {
  const cv::Mat frame = make_test_frame(640, 480, 4);
  for (const auto& [env_value, subsamp] : {std::pair{"1", TJSAMP_420}, std::pair{"7B", TJSAMP_422}}) {
    Bytes jpeg;
    {
      const TjRestart env(env_value);
      jpeg = tj_encode(frame, subsamp);
    }
    const auto layout = restart::read_layout(jpeg, 1000);
    ASSERT_TRUE(layout.has_value()) << env_value;
    EXPECT_GT(layout->restart_interval, 0) << env_value;
    EXPECT_EQ(restart::rows_per_interval(*layout), 0) << env_value;  // 4:2:0 chroma, or 7 MCUs
    EXPECT_EQ(parts_of(jpeg, 2), 1) << env_value;
    EXPECT_TRUE(identical(decode(jpeg, Colorspace::BGR, 2), decode(jpeg, Colorspace::BGR, 1))) << env_value;
  }
}

TEST(JpegParts, AVidgearJpegHasNoSeamsAndDecodesWhole) {
  const cv::Mat frame = make_test_frame(640, 480, 2);
  const Bytes jpeg = tj_encode(frame, TJSAMP_422);  // what simplejpeg writes: no DRI
  const auto layout = restart::read_layout(jpeg, 1000);
  ASSERT_TRUE(layout.has_value());
  EXPECT_EQ(layout->restart_interval, 0);
  EXPECT_EQ(layout->intervals.size(), 1u);
  EXPECT_TRUE(identical(decode(jpeg, Colorspace::BGR, 4), decode(jpeg, Colorspace::BGR, 1)));
  EXPECT_EQ(parts_of(jpeg, 4), 1);
}

// ---------------------------------------------------------------------------------------------
// A hostile peer's JPEG with seams: a clear ProtocolError, never a crash or a wrong frame size

class JpegSeamsCorrupt : public ::testing::Test {
 protected:
  void SetUp() override {
    jpeg_ = encode(make_test_frame(1280, 720, 6), Colorspace::BGR, 4);
    layout_ = *restart::read_layout(jpeg_, 1000);
    ASSERT_EQ(layout_.intervals.size(), 4u);
  }
  // Decodes with 1 and 4 threads: each either throws ProtocolError or gives a 1280x720 frame.
  void expect_dropped_or_whole(const Bytes& bad, bool must_throw) {
    for (int threads : {1, 4}) {
      try {
        const cv::Mat m = decode(bad, Colorspace::BGR, threads);
        EXPECT_FALSE(must_throw) << threads << " threads";
        EXPECT_EQ(m.size(), cv::Size(1280, 720));
      } catch (const ProtocolError&) {
      }
    }
  }
  Bytes jpeg_;
  restart::Layout layout_;
};

TEST_F(JpegSeamsCorrupt, AMarkerOutOfOrder) {
  Bytes bad = jpeg_;
  bad[layout_.intervals[2] - 1] = 0xD5;  // RST1 -> RST5
  EXPECT_FALSE(restart::read_layout(bad, 1000).has_value());
  expect_dropped_or_whole(bad, true);  // libjpeg's "found marker 0xd5 instead of RST1", a warning made an error
}

TEST_F(JpegSeamsCorrupt, AMissingSeam) {
  Bytes bad = jpeg_;
  bad.erase(bad.begin() + static_cast<long>(layout_.intervals[1]) - 2, bad.begin() + static_cast<long>(layout_.intervals[1]));
  expect_dropped_or_whole(bad, true);
}

TEST_F(JpegSeamsCorrupt, TruncatedInAPart) {
  Bytes bad(jpeg_.begin(), jpeg_.begin() + static_cast<long>(layout_.intervals[3]) + 100);
  expect_dropped_or_whole(bad, true);
}

TEST_F(JpegSeamsCorrupt, ARestartIntervalThatDoesNotMatchTheSeams) {
  Bytes bad = jpeg_;
  const std::size_t dri = layout_.sos_at - 6;  // the encoder writes DRI right before SOS
  ASSERT_EQ(bad[dri + 1], 0xDD);
  bad[dri + 5] = static_cast<std::uint8_t>(bad[dri + 5] + 80);  // two MCU rows more per interval
  expect_dropped_or_whole(bad, false);
}

TEST_F(JpegSeamsCorrupt, GarbageInsideAPartIsDroppedOrDecodedToSize) {
  Bytes bad = jpeg_;
  for (std::size_t i = layout_.intervals[2] + 50; i < layout_.intervals[2] + 400; i += 7) bad[i] ^= 0x5A;
  expect_dropped_or_whole(bad, false);
}

TEST(JpegLayout, RefusesWhatItDoesNotSplit) {
  const Bytes good = tj_encode(make_test_frame(64, 48, 1), TJSAMP_422);
  EXPECT_TRUE(restart::read_layout(good, 1).has_value());
  EXPECT_FALSE(restart::read_layout(Bytes{}, 10).has_value());
  EXPECT_FALSE(restart::read_layout(Bytes(good.begin(), good.end() - 2), 10).has_value());  // no EOI
  EXPECT_FALSE(restart::read_layout(Bytes(good.begin(), good.begin() + 100), 10).has_value());
  Bytes progressive = good;
  for (std::size_t i = 2; i + 1 < progressive.size(); ++i) {
    if (progressive[i] == 0xFF && progressive[i + 1] == 0xC0) {
      progressive[i + 1] = 0xC2;
      break;
    }
  }
  EXPECT_FALSE(restart::read_layout(progressive, 10).has_value());
  Bytes length_past_end = good;
  length_past_end[4] = 0xFF;  // APP0's length
  EXPECT_FALSE(restart::read_layout(length_past_end, 10).has_value());
}

TEST(JpegLayout, TooManyIntervalsIsNotSplit) {
  Bytes jpeg;
  {
    const TjRestart env("1B");  // a marker after every MCU: 2,400 intervals
    jpeg = tj_encode(make_test_frame(640, 480, 1), TJSAMP_422);
  }
  EXPECT_FALSE(restart::read_layout(jpeg, 61).has_value());
  EXPECT_EQ(parts_of(jpeg, 2), 1);
  EXPECT_TRUE(identical(decode(jpeg, Colorspace::BGR, 2), decode(jpeg, Colorspace::BGR, 1)));
}

bool same_layout(const restart::Layout& a, const restart::Layout& b) {
  return std::tie(a.width, a.height, a.mcu_height, a.mcus_per_row, a.restart_interval, a.vertical_subsampling,
                  a.sof_height_at, a.sos_at, a.scan_at, a.eoi_at, a.intervals) ==
         std::tie(b.width, b.height, b.mcu_height, b.mcus_per_row, b.restart_interval, b.vertical_subsampling,
                  b.sof_height_at, b.sos_at, b.scan_at, b.eoi_at, b.intervals);
}

TEST(JpegLayout, AReusedLayoutReadsAsAFreshOneAndKeepsItsMemory) {
  Bytes many;
  {
    const TjRestart env("1B");
    many = tj_encode(make_test_frame(640, 480, 1), TJSAMP_422);
  }
  const Bytes none = tj_encode(make_test_frame(320, 240, 2), TJSAMP_420);
  restart::Layout reused;
  ASSERT_TRUE(restart::read_layout(many, 5000, reused));
  EXPECT_TRUE(same_layout(reused, *restart::read_layout(many, 5000)));
  EXPECT_EQ(reused.intervals.size(), 2400u);  // 40 x 60 MCUs of 16 x 8
  const std::size_t* memory = reused.intervals.data();
  ASSERT_TRUE(restart::read_layout(none, 2000, reused));
  EXPECT_TRUE(same_layout(reused, *restart::read_layout(none, 2000)));  // nothing left of the first
  EXPECT_EQ(reused.intervals.data(), memory);
  EXPECT_FALSE(restart::read_layout(Bytes(none.begin(), none.end() - 2), 10, reused));
}

// ---------------------------------------------------------------------------------------------
// ForkJoin

TEST(ForkJoin, RunsEveryPieceOnceOnItsThreads) {
  ForkJoin workers(3);
  EXPECT_EQ(workers.threads(), 3);
  for (int pieces : {0, 1, 2, 3, 7, 64}) {
    std::vector<std::atomic<int>> runs(static_cast<std::size_t>(pieces));
    workers.run(pieces, [&](int i) { runs[static_cast<std::size_t>(i)].fetch_add(1); });
    for (int i = 0; i < pieces; ++i) EXPECT_EQ(runs[static_cast<std::size_t>(i)].load(), 1) << i << " of " << pieces;
  }
}

TEST(ForkJoin, ManyShortJobsInARowRunEachPieceOnceAndOnlyTheirOwn) {
  // Helpers that wake late must take no piece of a later job: each job counts into its own
  // slots, and every slot of every job ends at exactly 1.
  ForkJoin workers(3);
  constexpr int kJobs = 3000;
  std::vector<std::array<std::atomic<int>, 6>> runs(kJobs);
  for (int j = 0; j < kJobs; ++j) {
    const int pieces = 2 + j % 5;
    workers.run(pieces, [&runs, j](int i) { runs[static_cast<std::size_t>(j)][static_cast<std::size_t>(i)].fetch_add(1); });
  }
  for (int j = 0; j < kJobs; ++j) {
    const int pieces = 2 + j % 5;
    for (int i = 0; i < 6; ++i) {
      ASSERT_EQ(runs[static_cast<std::size_t>(j)][static_cast<std::size_t>(i)].load(), i < pieces ? 1 : 0)
          << "job " << j << " piece " << i;
    }
  }
}

TEST(ForkJoin, TwoPiecesRunAtOnce) {
  // Each piece waits until the other has started: only two threads at once get both through.
  ForkJoin workers(2);
  std::atomic<int> started{0};
  std::atomic<bool> both{true};
  workers.run(2, [&](int) {
    started.fetch_add(1);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (started.load() < 2) {
      if (std::chrono::steady_clock::now() > deadline) {
        both = false;
        return;
      }
      std::this_thread::yield();
    }
  });
  EXPECT_TRUE(both.load());
}

TEST(ForkJoin, RethrowsAPiecesExceptionOnceEveryStartedPieceReturnedAndWorksOn) {
  ForkJoin workers(2);
  std::atomic<int> active{0};
  EXPECT_THROW(workers.run(64,
                           [&](int i) {
                             active.fetch_add(1);
                             const bool fail = i == 1;
                             std::atomic<int> work{0};  // a little work while the piece is active
                             for (int k = 0; k < 20000; ++k) work.fetch_add(k, std::memory_order_relaxed);
                             active.fetch_sub(1);
                             if (fail) throw std::runtime_error("piece 1");
                           }),
               std::runtime_error);
  EXPECT_EQ(active.load(), 0);  // no piece still running after run() returned
  std::atomic<int> sum{0};
  workers.run(5, [&](int i) { sum.fetch_add(i); });
  EXPECT_EQ(sum.load(), 10);
  EXPECT_THROW(workers.run(ForkJoin::kMaxPieces + 1, [](int) {}), std::invalid_argument);
}

TEST(ForkJoin, OneThreadRunsAllInTheCaller) {
  ForkJoin workers(1);
  const auto caller = std::this_thread::get_id();
  int count = 0;
  workers.run(5, [&](int) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    ++count;
  });
  EXPECT_EQ(count, 5);
}

TEST(JpegThreads, AutoIsTheCoresAtMostFourWhenIdleAndAnExplicitCountIsForEveryFrame) {
  using netgear::codec::codec_threads;
  EXPECT_EQ(codec_threads(1).count, 1);
  EXPECT_EQ(codec_threads(7).count, 7);
  EXPECT_FALSE(codec_threads(2).when_idle);
  const auto automatic = codec_threads(0);
  EXPECT_TRUE(automatic.when_idle);
  EXPECT_EQ(automatic.count, static_cast<int>(std::min(std::max(std::thread::hardware_concurrency(), 1U), 4U)));
}

TEST(IdleGate, OpensWhenIdleSinceTheLastFrameAtLeastAsLongAsItTook) {
  using netgear::codec::IdleGate;
  using std::chrono::microseconds;
  IdleGate gate;
  const IdleGate::Clock::time_point t0 = IdleGate::Clock::now();
  EXPECT_TRUE(gate.open(t0));  // the first frame
  gate.coded(t0, t0 + microseconds(800));
  EXPECT_FALSE(gate.open(t0 + microseconds(800)));    // back to back
  EXPECT_FALSE(gate.open(t0 + microseconds(1599)));   // idle 799 us after 800 us of work
  EXPECT_TRUE(gate.open(t0 + microseconds(1600)));    // idle as long as it took
  EXPECT_TRUE(gate.open(t0 + microseconds(10800)));   // paced
  gate.coded(t0 + microseconds(10800), t0 + microseconds(11300));  // a split frame: 500 us
  EXPECT_FALSE(gate.open(t0 + microseconds(11700)));
  EXPECT_TRUE(gate.open(t0 + microseconds(11800)));
}

TEST(SplitRule, OneThreadNeverSplitsACountAlwaysAndWhenIdleAsTheGateSays) {
  using netgear::codec::SplitRule;
  SplitRule one({1, true}), three({3, false}), idle({2, true});
  EXPECT_EQ(one.threads(), 1);
  EXPECT_EQ(three.threads(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(one([](bool split) { return split; }));
    EXPECT_TRUE(three([](bool split) { return split; }));
  }
  // What the code returns comes back, a move-only value too.
  const auto kept = three([](bool) { return std::make_unique<int>(7); });
  EXPECT_EQ(*kept, 7);
  // The first frame is split; a frame that took 100 ms and the next asked for at once is not.
  EXPECT_TRUE(idle([](bool split) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the frame's work, not a wait for anything
    return split;
  }));
  EXPECT_FALSE(idle([](bool split) { return split; }));
}

TEST(JpegThreads, WhenIdleTheFirstFrameIsSplitAndTheCodecGivesTheSamePixels) {
  // The first frame passes the gate (nothing coded before); later ones depend on the timing, so
  // only their pixels are checked.
  const cv::Mat frame = make_test_frame(640, 480, 4);
  JpegEncoder enc(2, true);
  JpegDecoder dec(2, true);
  const auto first = enc.encode(frame, Colorspace::BGR, 90, true);
  const Bytes jpeg(first.begin(), first.end());
  EXPECT_EQ(restart::read_layout(jpeg, 100)->intervals.size(), 2u);
  const cv::Mat expected = decode(encode(frame, Colorspace::BGR, 1), Colorspace::BGR, 1);
  EXPECT_TRUE(identical(dec.decode(jpeg.data(), jpeg.size(), Colorspace::BGR, true, false), expected));
  EXPECT_EQ(dec.last_parts(), 2);
  for (int i = 0; i < 20; ++i) {
    const auto span = enc.encode(frame, Colorspace::BGR, 90, true);
    const Bytes again(span.begin(), span.end());
    EXPECT_TRUE(identical(dec.decode(again.data(), again.size(), Colorspace::BGR, true, false), expected)) << i;
  }
}

}  // namespace
