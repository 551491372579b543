// JPEG codec over libjpeg-turbo's TurboJPEG (the tj* API of libjpeg-turbo 2.x).
//
// Wire format (docs/protocol.md, "Frame message"): baseline JFIF, 4:2:2 chroma for colour,
// single-channel for GRAY; the receiver decodes into the pixel order the sender named.
#include "codec/jpeg.hpp"

#include <algorithm>
#include <climits>
#include <cstring>
#include <cstdint>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <turbojpeg.h>

#include "codec/fork_join.hpp"
#include "codec/frame_memory.hpp"
#include "codec/jpeg_restart.hpp"
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

// Grows a tjAlloc'd output buffer to `need` bytes (never shrinks: same-size frames reuse it).
void reserve_tj(std::uint8_t*& buffer, std::size_t& capacity, unsigned long need) {
  if (need <= capacity) return;
  unsigned char* grown = tjAlloc(static_cast<int>(need));
  if (grown == nullptr) throw Error("JPEG: out of memory for a " + std::to_string(need) + " byte buffer");
  if (buffer != nullptr) tjFree(buffer);
  buffer = grown;
  capacity = need;
}

// Rows per strip when `threads` encode a width x height frame at once, or 0 to encode it whole.
// Strips are whole MCU rows; one restart interval (a strip) holds at most 65535 MCUs.
int strip_rows(int width, int height, int subsamp, int threads) {
  const long pixels = static_cast<long>(width) * height;
  const int mcu_h = tjMCUHeight[subsamp], mcu_w = tjMCUWidth[subsamp];
  const int mcu_rows = (height + mcu_h - 1) / mcu_h;
  const long strips = std::min<long>({threads, pixels / kMinPixelsPerThread, mcu_rows});
  if (strips < 2) return 0;
  const int mcus_per_row = (width + mcu_w - 1) / mcu_w;
  const int rows = std::min(static_cast<int>((mcu_rows + strips - 1) / strips), 0xFFFF / mcus_per_row);
  return rows * mcu_h;
}

}  // namespace

CodecThreads codec_threads(int option) {
  if (option > 0) return {option, false};
  return {static_cast<int>(std::clamp(std::thread::hardware_concurrency(), 1U, 4U)), true};
}

// ---------------------------------------------------------------------------------------------
// Encoder

struct JpegEncoder::Strips {
  struct Strip {
    tjhandle handle = nullptr;
    std::uint8_t* buffer = nullptr;
    std::size_t capacity = 0, size = 0;
  };
  explicit Strips(int threads) : workers(threads) {}
  ~Strips() {
    for (Strip& s : strips) {
      if (s.buffer != nullptr) tjFree(s.buffer);
      if (s.handle != nullptr) tjDestroy(s.handle);
    }
  }
  Strips(const Strips&) = delete;
  Strips& operator=(const Strips&) = delete;
  ForkJoin workers;
  std::vector<Strip> strips;
  std::vector<std::span<const std::uint8_t>> pieces;
  restart::Joint joint;
  std::vector<std::uint8_t> joined;  // encode()'s result; encode_into() writes to the caller's memory
};

JpegEncoder::JpegEncoder(int threads, bool when_idle)
    : handle_(tjInitCompress()), split_(CodecThreads{threads, when_idle}) {
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
      capacity_(std::exchange(other.capacity_, 0)),
      split_(other.split_),
      strips_(std::move(other.strips_)) {}

JpegEncoder& JpegEncoder::operator=(JpegEncoder&& other) noexcept {
  // Swapping hands our old resources to `other`, whose destructor releases them.
  std::swap(handle_, other.handle_);
  std::swap(buffer_, other.buffer_);
  std::swap(capacity_, other.capacity_);
  std::swap(split_, other.split_);
  std::swap(strips_, other.strips_);
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
  std::size_t size = 0;
  if (!split_([&](bool split) { return code(image, cs, quality, fastdct, split, size); })) return {buffer_, size};
  Strips& s = *strips_;
  s.joined.resize(s.joint.size);
  restart::write_splice(s.pieces, s.joint, s.joined);
  return s.joined;
}

std::size_t JpegEncoder::encode_into(const cv::Mat& image, Colorspace cs, int quality, bool fastdct,
                                     const Room& room) {
  std::size_t size = 0;
  if (!split_([&](bool split) { return code(image, cs, quality, fastdct, split, size); })) {
    std::memcpy(room(size).data(), buffer_, size);
    return size;
  }
  restart::write_splice(strips_->pieces, strips_->joint, room(strips_->joint.size));
  return strips_->joint.size;
}

bool JpegEncoder::code(const cv::Mat& image, Colorspace cs, int quality, bool fastdct, bool split,
                       std::size_t& whole_size) {
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
  // TurboJPEG's own default when compressing is the fast DCT, so "not fast" has to be asked for
  // explicitly, or fastdct=false would change nothing.
  const int flags = TJFLAG_NOREALLOC | (fastdct ? TJFLAG_FASTDCT : TJFLAG_ACCURATEDCT);
  if (const int rows = split ? strip_rows(image.cols, image.rows, subsamp, split_.threads()) : 0; rows > 0) {
    if (encode_strips(image, pf, subsamp, quality, flags, rows)) return true;
  }
  reserve_tj(buffer_, capacity_, need);

  unsigned char* out = buffer_;
  unsigned long size = capacity_;
  // Straight from the Mat's memory with its own stride: a ROI needs no copy.
  if (tjCompress2(static_cast<tjhandle>(handle_), image.data, image.cols,
                  static_cast<int>(image.step[0]), image.rows, pf, &out, &size, subsamp, quality,
                  flags) != 0) {
    throw Error("JPEG: encoding failed: " + tj_error(handle_));
  }
  whole_size = size;
  return false;
}

// false when the strips do not splice (only if TurboJPEG wrote something unexpected, e.g. with
// its TJ_RESTART or TJ_OPTIMIZE environment variables set): the image is then encoded whole.
bool JpegEncoder::encode_strips(const cv::Mat& image, int pf, int subsamp, int quality, int flags, int rows) {
  if (!strips_) strips_ = std::make_unique<Strips>(split_.threads());
  Strips& s = *strips_;
  const int count = (image.rows + rows - 1) / rows;
  while (static_cast<int>(s.strips.size()) < count) {
    tjhandle h = tjInitCompress();
    if (h == nullptr) throw Error("JPEG: cannot create a TurboJPEG compressor: " + tj_error(nullptr));
    s.strips.push_back({h, nullptr, 0, 0});
  }
  s.workers.run(count, [&](int k) {
    Strips::Strip& strip = s.strips[static_cast<std::size_t>(k)];
    const int top = k * rows, height = std::min(rows, image.rows - top);
    reserve_tj(strip.buffer, strip.capacity, tjBufSize(image.cols, height, subsamp));
    unsigned char* out = strip.buffer;
    unsigned long size = strip.capacity;
    if (tjCompress2(strip.handle, image.ptr(top), image.cols, static_cast<int>(image.step[0]), height, pf, &out,
                    &size, subsamp, quality, flags) != 0) {
      throw Error("JPEG: encoding failed: " + tj_error(strip.handle));
    }
    strip.size = size;
  });
  s.pieces.clear();
  for (int k = 0; k < count; ++k) {
    const Strips::Strip& strip = s.strips[static_cast<std::size_t>(k)];
    s.pieces.emplace_back(strip.buffer, strip.size);
  }
  return restart::plan_splice(s.pieces, s.joint);
}

// ---------------------------------------------------------------------------------------------
// Decoder

struct JpegDecoder::Parts {
  explicit Parts(int threads) : workers(threads) {
    for (int k = 0; k < threads; ++k) {
      handles.push_back(tjInitDecompress());
      if (handles.back() == nullptr) throw Error("JPEG: cannot create a TurboJPEG decompressor: " + tj_error(nullptr));
    }
    buffers.resize(static_cast<std::size_t>(threads));
  }
  ~Parts() {
    for (tjhandle h : handles) {
      if (h != nullptr) tjDestroy(h);
    }
  }
  Parts(const Parts&) = delete;
  Parts& operator=(const Parts&) = delete;
  ForkJoin workers;
  std::vector<tjhandle> handles;                   // one per part
  std::vector<std::vector<std::uint8_t>> buffers;  // one per part: its JPEG
};

JpegDecoder::JpegDecoder(int threads, bool when_idle)
    : handle_(tjInitDecompress()), split_(CodecThreads{threads, when_idle}) {
  if (handle_ == nullptr)
    throw Error("JPEG: cannot create a TurboJPEG decompressor: " + tj_error(nullptr));
}

JpegDecoder::~JpegDecoder() {
  if (handle_ != nullptr) tjDestroy(static_cast<tjhandle>(handle_));
}

JpegDecoder::JpegDecoder(JpegDecoder&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)),
      split_(other.split_),
      layout_(std::move(other.layout_)),
      parts_(std::move(other.parts_)) {}

JpegDecoder& JpegDecoder::operator=(JpegDecoder&& other) noexcept {
  std::swap(handle_, other.handle_);
  std::swap(split_, other.split_);
  std::swap(layout_, other.layout_);
  std::swap(parts_, other.parts_);
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
  return split_([&](bool split) { return decode_now(data, size, cs, fastdct, fastupsample, max_bytes, split); });
}

cv::Mat JpegDecoder::decode_now(const std::uint8_t* data, std::size_t size, Colorspace cs, bool fastdct,
                                bool fastupsample, std::size_t max_bytes, bool split) {
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
  if (split && static_cast<long>(width) * height >= 2 * kMinPixelsPerThread &&
      decode_parts(data, size, out, pf, flags)) {
    return out;
  }
  last_parts_ = 0;
  if (tjDecompress2(tj, data, static_cast<unsigned long>(size), out.data, width,
                    static_cast<int>(out.step[0]), height, pf, flags) != 0) {
    throw ProtocolError("JPEG: decoding failed: " + tj_error(handle_));
  }
  last_parts_ = 1;
  return out;
}

// false (nothing written) when the JPEG has no restart intervals of whole MCU rows to split at,
// such as every JPEG of a vidgear sender: decode() then decodes it whole.
bool JpegDecoder::decode_parts(const std::uint8_t* data, std::size_t size, cv::Mat& out, int pf, int flags) {
  const std::span<const std::uint8_t> jpeg(data, size);
  // At most one interval per 8 rows is of use; a JPEG with more is decoded whole.
  if (!restart::read_layout(jpeg, static_cast<std::size_t>(out.rows) / 8 + 1, layout_) || layout_.width != out.cols ||
      layout_.height != out.rows) {
    return false;
  }
  const int rows = restart::rows_per_interval(layout_);
  const std::size_t intervals = layout_.intervals.size();
  if (rows == 0 || intervals < 2 || intervals != static_cast<std::size_t>((out.rows + rows - 1) / rows)) return false;

  if (!parts_) parts_ = std::make_unique<Parts>(split_.threads());
  last_parts_ = 0;
  Parts& p = *parts_;
  const int count = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(split_.threads()), intervals));
  p.workers.run(count, [&](int k) {
    const std::size_t first = intervals * static_cast<std::size_t>(k) / static_cast<std::size_t>(count);
    const std::size_t last = intervals * static_cast<std::size_t>(k + 1) / static_cast<std::size_t>(count);
    std::vector<std::uint8_t>& part = p.buffers[static_cast<std::size_t>(k)];
    restart::extract_part(jpeg, layout_, first, last, part);
    const int top = static_cast<int>(first) * rows;
    const int height = std::min(out.rows, static_cast<int>(last) * rows) - top;
    tjhandle h = p.handles[static_cast<std::size_t>(k)];
    if (tjDecompress2(h, part.data(), static_cast<unsigned long>(part.size()), out.ptr(top), out.cols,
                      static_cast<int>(out.step[0]), height, pf, flags) != 0) {
      throw ProtocolError("JPEG: decoding failed: " + tj_error(h));
    }
  });
  last_parts_ = count;
  return true;
}

}  // namespace netgear::codec
