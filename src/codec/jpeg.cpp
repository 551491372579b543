// JPEG codec over libjpeg-turbo's TurboJPEG (the tj* API of libjpeg-turbo 2.x).
//
// Wire format (docs/protocol.md, "Frame message"): baseline JFIF, 4:2:2 chroma for colour,
// single-channel for GRAY; the receiver decodes into the pixel order the sender named.
#include "codec/jpeg.hpp"

#include <climits>
#include <cstdint>
#include <string>
#include <utility>

#include <turbojpeg.h>

#include "codec/frame_memory.hpp"
#include "netgear/error.hpp"

namespace netgear::codec {

namespace {

// The most compressible baseline JPEG is one flat grey frame: each 8x8 block costs a DC code and
// an end-of-block code, 6 bits with the standard Huffman tables (85 pixels per byte; colour 4:2:0
// costs 8 bits per 64 pixels, 64 per byte) and at best 2 bits with optimised tables (256 per
// byte). Above this many pixels per byte the header lies: do not allocate for it. Small frames
// are never refused (progressive and arithmetic coding can go lower; no vidgear peer uses them
// for large frames: cv2.imencode and simplejpeg write baseline Huffman JPEG).
constexpr std::uint64_t kMaxPixelsPerByte = 300;
constexpr std::uint64_t kAlwaysPlausiblePixels = 4'000'000;

// Smallest possible JPEG is SOI + EOI; anything shorter cannot even hold the markers.
constexpr std::size_t kMinJpegSize = 4;

int pixel_format(Colorspace cs) {
  switch (cs) {
    case Colorspace::BGR: return TJPF_BGR;
    case Colorspace::RGB: return TJPF_RGB;
    case Colorspace::GRAY: return TJPF_GRAY;
    case Colorspace::BGRA: return TJPF_BGRA;
    case Colorspace::RGBA: return TJPF_RGBA;
    case Colorspace::BGRX: return TJPF_BGRX;
    case Colorspace::RGBX: return TJPF_RGBX;
    case Colorspace::XBGR: return TJPF_XBGR;
    case Colorspace::XRGB: return TJPF_XRGB;
    case Colorspace::ABGR: return TJPF_ABGR;
    case Colorspace::ARGB: return TJPF_ARGB;
    // TurboJPEG codes CMYK pixels as a YCCK JPEG and decodes CMYK and YCCK JPEGs back to CMYK
    // (not a YCbCr JPEG: that is a decoding error, the frame is dropped).
    case Colorspace::CMYK: return TJPF_CMYK;
  }
  return TJPF_UNKNOWN;
}

std::string depth_name(int depth) {
  switch (depth) {
    case CV_8U: return "8U";
    case CV_8S: return "8S";
    case CV_16U: return "16U";
    case CV_16S: return "16S";
    case CV_32S: return "32S";
    case CV_32F: return "32F";
    case CV_64F: return "64F";
    default: return "depth " + std::to_string(depth);
  }
}

std::string describe(const cv::Mat& m) {
  const std::string shape = m.dims == 2 ? std::to_string(m.cols) + "x" + std::to_string(m.rows)
                                        : std::to_string(m.dims) + "-D";
  return shape + " CV_" + depth_name(m.depth()) + "C" + std::to_string(m.channels());
}

// tjGetErrorStr2 returns a non-const char*; copy it, the handle reuses its buffer.
std::string tj_error(void* handle) {
  const char* msg = tjGetErrorStr2(static_cast<tjhandle>(handle));
  return msg != nullptr ? std::string(msg) : std::string("unknown libjpeg-turbo error");
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Encoder

JpegEncoder::JpegEncoder() : handle_(tjInitCompress()) {
  if (handle_ == nullptr)
    throw Error("JPEG: cannot create a TurboJPEG compressor: " + tj_error(nullptr));
}

JpegEncoder::~JpegEncoder() {
  if (buffer_ != nullptr) tjFree(buffer_);
  if (handle_ != nullptr) tjDestroy(static_cast<tjhandle>(handle_));
}

JpegEncoder::JpegEncoder(JpegEncoder&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)),
      buffer_(std::exchange(other.buffer_, nullptr)),
      capacity_(std::exchange(other.capacity_, 0)) {}

JpegEncoder& JpegEncoder::operator=(JpegEncoder&& other) noexcept {
  // Swapping hands our old resources to `other`, whose destructor releases them.
  std::swap(handle_, other.handle_);
  std::swap(buffer_, other.buffer_);
  std::swap(capacity_, other.capacity_);
  return *this;
}

void JpegEncoder::check(const cv::Mat& image, Colorspace cs) {
  const int want_channels = netgear::channels(cs);
  const int pf = pixel_format(cs);
  if (image.empty()) throw FrameError("JPEG: cannot encode an empty frame");
  if (image.dims != 2 || image.depth() != CV_8U || want_channels == 0 || pf == TJPF_UNKNOWN ||
      image.channels() != want_channels) {
    throw FrameError("JPEG: cannot encode a " + describe(image) + " frame as colorspace " +
                     std::string(netgear::to_string(cs)) + " (needs a 2-D CV_8UC" +
                     std::to_string(want_channels) + " frame)");
  }
  if (image.cols > kMaxJpegDimension || image.rows > kMaxJpegDimension) {
    throw FrameError("JPEG: a " + describe(image) + " frame is larger than " + std::to_string(kMaxJpegDimension) +
                     " pixels on a side, which receivers refuse; send it raw (jpeg_compression = false) "
                     "or scale it down");
  }
  // TurboJPEG takes the row pitch as int; a larger stride cannot be expressed.
  if (image.step[0] > static_cast<std::size_t>(INT_MAX)) {
    throw FrameError("JPEG: frame rows too large to encode (" + describe(image) + ")");
  }
}

std::span<const std::uint8_t> JpegEncoder::encode(const cv::Mat& image, Colorspace cs, int quality,
                                                  bool fastdct) {
  if (handle_ == nullptr) throw Error("JPEG: encode() on a moved-from encoder");
  check(image, cs);
  if (quality < 1 || quality > 100) {
    throw Error("JPEG: quality must be 1..100, got " + std::to_string(quality));
  }
  const int pf = pixel_format(cs);

  const int subsamp = cs == Colorspace::GRAY ? TJSAMP_GRAY : TJSAMP_422;
  // tjBufSize is the worst case for this size; with TJFLAG_NOREALLOC tjCompress2 assumes exactly
  // that much room, so the buffer must be at least this big. Grow only: same-size frames reuse it.
  const unsigned long need = tjBufSize(image.cols, image.rows, subsamp);
  if (need == static_cast<unsigned long>(-1) || need > static_cast<unsigned long>(INT_MAX)) {
    throw FrameError("JPEG: frame too large to encode (" + describe(image) + ")");
  }
  if (need > capacity_) {
    unsigned char* grown = tjAlloc(static_cast<int>(need));
    if (grown == nullptr)
      throw Error("JPEG: out of memory for a " + std::to_string(need) + " byte buffer");
    if (buffer_ != nullptr) tjFree(buffer_);
    buffer_ = grown;
    capacity_ = need;
  }

  unsigned char* out = buffer_;
  unsigned long size = capacity_;
  // TurboJPEG's own default when compressing is the fast DCT, so "not fast" has to be asked for
  // explicitly, or fastdct=false would change nothing.
  int flags = TJFLAG_NOREALLOC | (fastdct ? TJFLAG_FASTDCT : TJFLAG_ACCURATEDCT);
  // Straight from the Mat's memory with its own stride: a ROI needs no copy.
  if (tjCompress2(static_cast<tjhandle>(handle_), image.data, image.cols,
                  static_cast<int>(image.step[0]), image.rows, pf, &out, &size, subsamp, quality,
                  flags) != 0) {
    throw Error("JPEG: encoding failed: " + tj_error(handle_));
  }
  return {buffer_, static_cast<std::size_t>(size)};
}

// ---------------------------------------------------------------------------------------------
// Decoder

JpegDecoder::JpegDecoder() : handle_(tjInitDecompress()) {
  if (handle_ == nullptr)
    throw Error("JPEG: cannot create a TurboJPEG decompressor: " + tj_error(nullptr));
}

JpegDecoder::~JpegDecoder() {
  if (handle_ != nullptr) tjDestroy(static_cast<tjhandle>(handle_));
}

JpegDecoder::JpegDecoder(JpegDecoder&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)) {}

JpegDecoder& JpegDecoder::operator=(JpegDecoder&& other) noexcept {
  std::swap(handle_, other.handle_);
  return *this;
}

namespace {
struct JpegShape {
  int width = 0, height = 0, channels = 0;
};

// Everything decode() checks before it allocates: the peer controls the header.
JpegShape check_header(void* handle, const std::uint8_t* data, std::size_t size, Colorspace cs,
                              std::size_t max_bytes) {
  if (handle == nullptr) throw Error("JPEG: decode() on a moved-from decoder");
  const int ch = netgear::channels(cs);
  const int pf = pixel_format(cs);
  if (ch == 0 || pf == TJPF_UNKNOWN) throw ProtocolError("JPEG: unknown colorspace to decode into");
  if (data == nullptr || size < kMinJpegSize) {
    throw ProtocolError("JPEG: payload of " + std::to_string(size) + " bytes is too short");
  }
  if (size > static_cast<std::size_t>(ULONG_MAX)) throw ProtocolError("JPEG: payload too large");

  auto* tj = static_cast<tjhandle>(handle);
  int width = 0, height = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(tj, data, static_cast<unsigned long>(size), &width, &height, &subsamp,
                          &colorspace) != 0) {
    throw ProtocolError("JPEG: bad header: " + tj_error(handle));
  }
  // Checked before allocating: the dimensions come from the peer.
  if (width <= 0 || height <= 0 || width > kMaxJpegDimension || height > kMaxJpegDimension) {
    throw ProtocolError("JPEG: implausible image size " + std::to_string(width) + "x" +
                        std::to_string(height) + " (limit " + std::to_string(kMaxJpegDimension) + ")");
  }
  const std::uint64_t pixels = static_cast<std::uint64_t>(width) * static_cast<std::uint64_t>(height);
  if (pixels > kAlwaysPlausiblePixels && pixels > kMaxPixelsPerByte * size) {
    throw ProtocolError("JPEG: header claims " + std::to_string(width) + "x" + std::to_string(height) +
                        " but the payload has only " + std::to_string(size) +
                        " bytes, too few for that many pixels: not decoded");
  }

  if (pixels * static_cast<std::uint64_t>(ch) > max_bytes) {
    throw ProtocolError("JPEG: a " + std::to_string(width) + "x" + std::to_string(height) + " frame with " +
                        std::to_string(ch) + " channels is larger than max_frame_bytes (" +
                        std::to_string(max_bytes) + "): not decoded");
  }
  return {width, height, ch};
}

}  // namespace

std::size_t JpegDecoder::peek(const std::uint8_t* data, std::size_t size, Colorspace cs, std::size_t max_bytes) {
  const JpegShape s = check_header(handle_, data, size, cs, max_bytes);
  return static_cast<std::size_t>(s.width) * static_cast<std::size_t>(s.height) * static_cast<std::size_t>(s.channels);
}

cv::Mat JpegDecoder::decode(const std::uint8_t* data, std::size_t size, Colorspace cs, bool fastdct,
                            bool fastupsample, std::size_t max_bytes) {
  const JpegShape shape = check_header(handle_, data, size, cs, max_bytes);
  const int width = shape.width, height = shape.height, ch = shape.channels;
  const int pf = pixel_format(cs);
  auto* tj = static_cast<tjhandle>(handle_);
  cv::Mat out = recycled_mat(height, width, CV_8UC(ch));
  // libjpeg treats a truncated or damaged stream as a mere warning and pads the picture with
  // grey. TurboJPEG 2.1 still returns -1 for it, but only after decoding the whole frame;
  // STOPONWARNING makes it give up at the first problem, so a bad frame costs little to drop.
  int flags = TJFLAG_STOPONWARNING | (fastdct ? TJFLAG_FASTDCT : TJFLAG_ACCURATEDCT);
  if (fastupsample) flags |= TJFLAG_FASTUPSAMPLE;
  if (tjDecompress2(tj, data, static_cast<unsigned long>(size), out.data, width,
                    static_cast<int>(out.step[0]), height, pf, flags) != 0) {
    throw ProtocolError("JPEG: decoding failed: " + tj_error(handle_));
  }
  return out;
}

}  // namespace netgear::codec
