// JPEG encoding and decoding through libjpeg-turbo's TurboJPEG API.
//
// One encoder lives in a sender's thread and one decoder in a receiver's thread for their whole
// life: no codec set-up per frame. Wire format: docs/protocol.md ("Frame message").
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include <opencv2/core/mat.hpp>

#include "netgear/options.hpp"

namespace netgear::codec {

/// Largest width or height of a JPEG frame, on both sides: the decoder refuses larger headers
/// (they are peer-controlled: a few bytes could otherwise make it allocate gigabytes), so the
/// encoder refuses such frames too instead of sending what no receiver of ours would accept.
/// 16384 covers every real camera and video frame.
inline constexpr int kMaxJpegDimension = 16384;

/// Encodes 8-bit frames to baseline JFIF JPEG: 4:2:2 chroma for colour, single-channel for GRAY.
/// Not thread-safe; one per thread.
class JpegEncoder {
 public:
  JpegEncoder();
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
  /// Throws the FrameError encode() would throw for `image` as `cs`, without encoding (a sender
  /// checks a frame before its header leaves).
  static void check(const cv::Mat& image, Colorspace cs);

 private:
  void* handle_ = nullptr;           // tjhandle
  std::uint8_t* buffer_ = nullptr;   // tjAlloc'd, grown with tjBufSize, reused
  std::size_t capacity_ = 0;
};

/// Decodes JPEG payloads. Not thread-safe; one per thread.
class JpegDecoder {
 public:
  JpegDecoder();
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

 private:
  void* handle_ = nullptr;  // tjhandle
};

}  // namespace netgear::codec
