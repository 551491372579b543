// The frame codec: the one place that turns a cv::Mat into the payload of a wire message and
// back, raw or JPEG, for both sides and both directions (a sender's frames; later a receiver's
// return frames, which a sender decodes). The payload is described by the same three fields in a
// frame header (compression, dtype, shape) and in a frame reply (compression, array_dtype,
// array_shape); the codec reads and writes them through PayloadFields.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>
#include <spdlog/logger.h>
#include <zmq.hpp>

#include "codec/jpeg.hpp"
#include "net/buffer_pool.hpp"
#include "netgear/options.hpp"
#include "wire/header.hpp"

namespace netgear::codec {

/// The header fields that describe a payload (references into a frame header or a reply).
struct PayloadFields {
  std::optional<wire::Compression>& compression;  ///< nullopt: raw
  std::string& dtype;                             ///< raw: numpy dtype; "" when compressed
  std::vector<std::int64_t>& shape;               ///< raw: shape; empty when compressed
};

/// What encode() makes of a frame: a JPEG in this pixel order, or (nullopt) the raw array.
struct EncodePlan {
  std::optional<Colorspace> jpeg;
};

/// Encodes frames with one side's JPEG settings. Not thread-safe: one per sending thread.
class FrameEncoder {
 public:
  /// `lend_raw`: a raw frame's buffer may be lent to ZeroMQ instead of copied (true when the
  /// caller waits until the peer has the whole message, as patterns 0/1 do; a PUB send and a
  /// pipelined one return while the bytes may still be leaving). Copies come from `pool`.
  FrameEncoder(const Options& options, bool lend_raw, net::BufferPool& pool, std::shared_ptr<spdlog::logger> log);

  /// JPEG when the settings and the frame allow it (8-bit 2-D frames whose channel count fits the
  /// colorspace; docs/jpeg.md), else raw. Writes the describing fields and the payload. Throws
  /// FrameError for a frame that cannot be sent as configured (empty, a colorspace that does not
  /// match its channels, a depth numpy has no name for).
  void encode(const cv::Mat& frame, PayloadFields fields, zmq::message_t& payload) {
    fill(frame, plan(frame, fields), payload);
  }
  /// encode() in two steps, so that a header can leave before the payload is made (and a frame
  /// that no peer can take now is never encoded): plan() decides JPEG or raw, writes the
  /// describing fields and throws whatever encode() would throw for the frame; fill() makes the
  /// payload of a planned frame (it throws only when libjpeg-turbo or memory fail).
  EncodePlan plan(const cv::Mat& frame, PayloadFields fields);
  void fill(const cv::Mat& frame, const EncodePlan& plan, zmq::message_t& payload);

 private:
  bool jpeg_;
  std::optional<Colorspace> colorspace_;
  int quality_;
  bool fastdct_, fastupsample_;
  bool lend_raw_;
  net::BufferPool& pool_;
  std::shared_ptr<spdlog::logger> log_;
  JpegEncoder jpeg_encoder_;
  bool warned_raw_fallback_ = false;
};

/// Decodes payloads with one side's JPEG settings. Not thread-safe: one per receiving thread.
class FrameDecoder {
 public:
  explicit FrameDecoder(const Options& options);

  /// The frame a payload holds: JPEG decoded into the pixel order its colorspace names; raw
  /// adopted without a copy (the matrix keeps the message). Throws ProtocolError for a payload
  /// that does not match its fields (size, dtype, shape, corrupt JPEG) and for a frame larger
  /// than Options::max_frame_bytes (a JPEG: before it is decoded).
  cv::Mat decode(const std::optional<wire::Compression>& compression, const std::string& dtype,
                 const std::vector<std::int64_t>& shape, zmq::message_t&& payload);
  /// A JPEG payload checked as decode() checks it before allocating, without decoding it: the
  /// bytes its frame will take. Throws ProtocolError like decode().
  std::size_t peek(const wire::Compression& compression, const zmq::message_t& payload);

 private:
  bool fastdct_, fastupsample_;
  std::size_t max_bytes_;  // Options::max_frame_bytes
  JpegDecoder jpeg_decoder_;
};

}  // namespace netgear::codec
