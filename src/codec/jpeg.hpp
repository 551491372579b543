// JPEG encoding and decoding through libjpeg-turbo's TurboJPEG API.
//
// One encoder lives in a sender's thread and one decoder in a receiver's thread for their whole
// life: no codec set-up per frame. Wire format: docs/protocol.md ("Frame message").
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include <opencv2/core/mat.hpp>

#include "codec/jpeg_restart.hpp"
#include "netgear/options.hpp"

namespace netgear::codec {

/// Largest width or height of a JPEG frame, on both sides: the decoder refuses larger headers
/// (they are peer-controlled: a few bytes could otherwise make it allocate gigabytes), so the
/// encoder refuses such frames too instead of sending what no receiver of ours would accept.
/// 16384 covers every real camera and video frame.
inline constexpr int kMaxJpegDimension = 16384;

/// Smallest number of pixels a thread of the codec gets: smaller frames are coded by one thread,
/// where a hand-off and a strip's own set-up would cost more than they save (640x480 is coded in
/// 2 strips at most, 480x360 whole).
inline constexpr long kMinPixelsPerThread = 131072;

/// How a codec uses threads.
struct CodecThreads {
  int count = 1;           ///< threads that code one frame
  /// Split a frame only when the stream leaves time between frames (IdleGate); false: whenever
  /// it is large enough.
  bool when_idle = false;
};

/// The threads a codec uses for Options::jpeg_compression_threads: 0 = the machine's cores, at
/// most 4, used when the stream leaves time; N = N threads for every large enough frame.
CodecThreads codec_threads(int option);

/// Whether a codec that splits frames only "when idle" splits the next one: when its thread has
/// been idle since the last frame ended at least as long as that frame took. A stream that leaves
/// the cores time between frames (a camera's rate, a paced stream) gets each frame coded sooner;
/// a codec coding back to back (a stream at full speed, the other stages keeping the other cores
/// busy) codes whole, where strips would cost CPU and buy no frames/s (docs/jpeg.md, "Threads").
class IdleGate {
 public:
  using Clock = std::chrono::steady_clock;
  bool open(Clock::time_point now) const { return now - ended_ >= took_; }
  void coded(Clock::time_point start, Clock::time_point end) {
    took_ = end - start;
    ended_ = end;
  }

 private:
  Clock::time_point ended_{};  // the clock's epoch: the first frame is split
  Clock::duration took_{};
};

/// Whether a codec splits each frame: never with one thread, always with an explicit count, and
/// with `when_idle` as IdleGate says, timing each frame for it (and only then).
class SplitRule {
 public:
  explicit SplitRule(CodecThreads t = {})
      : threads_(t.count > 1 ? t.count : 1), when_idle_(t.when_idle && threads_ > 1) {}
  int threads() const { return threads_; }
  /// Runs code(split) and returns what it returns; `split` says whether to split this frame.
  template <class Code>
  decltype(auto) operator()(Code&& code) {
    if (!when_idle_) return code(threads_ > 1);
    const auto start = IdleGate::Clock::now();
    decltype(auto) result = code(gate_.open(start));
    gate_.coded(start, IdleGate::Clock::now());
    return result;
  }

 private:
  int threads_ = 1;
  bool when_idle_ = false;
  IdleGate gate_;
};

/// Encodes 8-bit frames to baseline JFIF JPEG: 4:2:2 chroma for colour, single-channel for GRAY.
/// With threads > 1 a large frame is encoded as horizontal strips at once, joined at restart
/// markers (docs/jpeg.md, "Threads"). Not thread-safe; one per thread.
class JpegEncoder {
 public:
  /// `threads` code a frame of at least 2 x kMinPixelsPerThread pixels in strips; with
  /// `when_idle`, only when IdleGate lets it.
  explicit JpegEncoder(int threads = 1, bool when_idle = false);
  explicit JpegEncoder(CodecThreads t) : JpegEncoder(t.count, t.when_idle) {}
  ~JpegEncoder();
  JpegEncoder(JpegEncoder&&) noexcept;
  JpegEncoder& operator=(JpegEncoder&&) noexcept;
  JpegEncoder(const JpegEncoder&) = delete;
  JpegEncoder& operator=(const JpegEncoder&) = delete;

  /// Encodes `image` (CV_8U, 2-D, any row stride, channels == channels(cs)) whose pixels are in
  /// order `cs`. quality 1..100. Returns a view of an internal buffer that stays valid until the
  /// next encode() on this encoder; the buffer is reused, so steady state allocates nothing.
  /// Throws netgear::FrameError for a frame that does not fit (depth, channels, empty) and
  /// netgear::Error when libjpeg-turbo fails.
  std::span<const std::uint8_t> encode(const cv::Mat& image, Colorspace cs, int quality,
                                       bool fastdct);
  /// Memory of exactly `size` bytes for encode_into() to write a JPEG into.
  using Room = std::function<std::span<std::uint8_t>(std::size_t size)>;
  /// As encode(), but writes the JPEG into the memory that `room` gives for its size (called once,
  /// e.g. for a message's buffer) and returns the size: a frame coded in strips is joined straight
  /// into it, without the copy that encode()'s own buffer would add.
  std::size_t encode_into(const cv::Mat& image, Colorspace cs, int quality, bool fastdct, const Room& room);
  /// Throws the FrameError encode() would throw for `image` as `cs`, without encoding (a sender
  /// checks a frame before its header leaves).
  static void check(const cv::Mat& image, Colorspace cs);

 private:
  struct Strips;  // the threads, compressors and buffers of strip encoding, made when first used
  // Codes `image` in strips (true: strips_->joint says how they join) or whole (false: the JPEG
  // is in buffer_, `whole_size` bytes).
  bool code(const cv::Mat& image, Colorspace cs, int quality, bool fastdct, bool split, std::size_t& whole_size);
  bool encode_strips(const cv::Mat& image, int pf, int subsamp, int quality, int flags, int strip_rows);

  void* handle_ = nullptr;           // tjhandle
  std::uint8_t* buffer_ = nullptr;   // tjAlloc'd, grown with tjBufSize, reused
  std::size_t capacity_ = 0;
  SplitRule split_;
  std::unique_ptr<Strips> strips_;
};

/// Decodes JPEG payloads. With threads > 1, a large JPEG whose restart intervals are whole rows
/// of MCUs (as JpegEncoder writes them with threads) is decoded in parts at once, with the same
/// result. Not thread-safe; one per thread.
class JpegDecoder {
 public:
  /// `threads` decode a JPEG with seams in parts; with `when_idle`, only when IdleGate lets it.
  explicit JpegDecoder(int threads = 1, bool when_idle = false);
  explicit JpegDecoder(CodecThreads t) : JpegDecoder(t.count, t.when_idle) {}
  ~JpegDecoder();
  JpegDecoder(JpegDecoder&&) noexcept;
  JpegDecoder& operator=(JpegDecoder&&) noexcept;
  JpegDecoder(const JpegDecoder&) = delete;
  JpegDecoder& operator=(const JpegDecoder&) = delete;

  /// Decodes into a new CV_8U matrix with channels(cs) channels in pixel order `cs` (GRAY: a 2-D
  /// single-channel matrix). Throws netgear::ProtocolError for data that is not a complete, valid
  /// JPEG (corrupt, truncated, absurd dimensions, or more than `max_bytes` decoded, checked
  /// before allocating); the caller drops such a frame.
  cv::Mat decode(const std::uint8_t* data, std::size_t size, Colorspace cs, bool fastdct,
                 bool fastupsample, std::size_t max_bytes = SIZE_MAX);
  /// The checks decode() makes before it allocates (the header, the dimensions, the size in
  /// `cs`), without decoding: the bytes the decoded frame will take. Throws like decode().
  std::size_t peek(const std::uint8_t* data, std::size_t size, Colorspace cs, std::size_t max_bytes = SIZE_MAX);
  /// How many parts the last successful decode() decoded at once (1: whole).
  int last_parts() const { return last_parts_; }

 private:
  struct Parts;  // the threads, decompressors and buffers of decoding in parts, made when first used
  bool decode_parts(const std::uint8_t* data, std::size_t size, cv::Mat& out, int pf, int flags);
  cv::Mat decode_now(const std::uint8_t* data, std::size_t size, Colorspace cs, bool fastdct, bool fastupsample,
                     std::size_t max_bytes, bool split);

  void* handle_ = nullptr;  // tjhandle
  SplitRule split_;
  restart::Layout layout_;  // the last split JPEG's, its vector reused
  int last_parts_ = 0;
  std::unique_ptr<Parts> parts_;
};

}  // namespace netgear::codec
