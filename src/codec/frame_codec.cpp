#include "codec/frame_codec.hpp"

#include "codec/raw.hpp"
#include "netgear/error.hpp"

namespace netgear::codec {

namespace {

// ZeroMQ calls this (from its I/O thread) when it no longer needs a borrowed frame buffer.
void release_mat(void* /*data*/, void* hint) { delete static_cast<cv::Mat*>(hint); }

// Keeps a received ZeroMQ message alive for as long as a cv::Mat over its bytes lives.
struct MessageOwner final : BufferOwner {
  explicit MessageOwner(zmq::message_t&& m) : msg(std::move(m)) {}
  zmq::message_t msg;
};

}  // namespace

FrameEncoder::FrameEncoder(const Options& o, bool lend_raw, net::BufferPool& pool, std::shared_ptr<spdlog::logger> log)
    : jpeg_(o.jpeg_compression),
      colorspace_(o.jpeg_compression_colorspace),
      quality_(o.jpeg_compression_quality),
      fastdct_(o.jpeg_compression_fastdct),
      fastupsample_(o.jpeg_compression_fastupsample),
      lend_raw_(lend_raw),
      pool_(pool),
      log_(std::move(log)),
      jpeg_encoder_(codec_threads(o.jpeg_compression_threads)) {}

EncodePlan FrameEncoder::plan(const cv::Mat& frame, PayloadFields f) {
  f.compression.reset();
  f.dtype.clear();
  f.shape.clear();

  // Which frames travel as JPEG: 8-bit 2-D frames whose channel count fits the colorspace.
  std::optional<Colorspace> cs;
  if (jpeg_ && frame.depth() == CV_8U && frame.dims == 2 && !frame.empty()) {
    if (colorspace_) {
      if (frame.channels() != channels(*colorspace_)) {
        throw FrameError("frame has " + std::to_string(frame.channels()) + " channel(s) but jpeg_compression is '" +
                         std::string(to_string(*colorspace_)) + "', which needs " +
                         std::to_string(channels(*colorspace_)));
      }
      cs = colorspace_;
    } else if (frame.channels() == 1) {
      cs = Colorspace::GRAY;
    } else if (frame.channels() == 3) {
      cs = Colorspace::BGR;
    } else if (frame.channels() == 4) {
      cs = Colorspace::BGRA;
    }
  }
  if (jpeg_ && !cs && !warned_raw_fallback_) {
    warned_raw_fallback_ = true;
    log_->warn("JPEG cannot carry this frame (depth {}, {} channel(s), {} dims): sending it raw", frame.depth(),
               frame.channels(), frame.dims);
  }

  if (cs) {
    JpegEncoder::check(frame, *cs);
    f.compression = wire::Compression{fastdct_, fastupsample_, *cs};
    return {cs};
  }
  describe(frame, f.dtype, f.shape);
  return {};
}

void FrameEncoder::fill(const cv::Mat& frame, const EncodePlan& plan, zmq::message_t& payload) {
  if (plan.jpeg) {
    jpeg_encoder_.encode_into(frame, *plan.jpeg, quality_, fastdct_, [&](std::size_t size) {
      payload = pool_.message(size);
      return std::span(static_cast<std::uint8_t*>(payload.data()), size);
    });
    return;
  }
  const std::size_t size = frame.total() * frame.elemSize();
  if (frame.isContinuous() && frame.u != nullptr && lend_raw_) {
    // ZeroMQ borrows the matrix's buffer, kept alive by a reference, instead of copying it.
    auto* keep = new cv::Mat(frame);
    payload = zmq::message_t(keep->data, size, release_mat, keep);
  } else {
    payload = pool_.message(size);
    cv::Mat contiguous(frame.dims, frame.size.p, frame.type(), payload.data());
    frame.copyTo(contiguous);
  }
}

FrameDecoder::FrameDecoder(const Options& o)
    : fastdct_(o.jpeg_compression_fastdct),
      fastupsample_(o.jpeg_compression_fastupsample),
      max_bytes_(o.max_frame_bytes),
      jpeg_decoder_(codec_threads(o.jpeg_compression_threads)) {}

std::size_t FrameDecoder::peek(const wire::Compression& compression, const zmq::message_t& payload) {
  return jpeg_decoder_.peek(static_cast<const std::uint8_t*>(payload.data()), payload.size(), compression.colorspace,
                            max_bytes_);
}

cv::Mat FrameDecoder::decode(const std::optional<wire::Compression>& compression, const std::string& dtype,
                             const std::vector<std::int64_t>& shape, zmq::message_t&& payload) {
  if (compression) {
    return jpeg_decoder_.decode(static_cast<const std::uint8_t*>(payload.data()), payload.size(),
                                compression->colorspace, compression->dct || fastdct_,
                                compression->ups || fastupsample_, max_bytes_);
  }
  const wire::RawLayout layout = wire::raw_layout(dtype, shape);
  // A frame with no elements is one no sender of ours can send (send() refuses empty frames).
  if (layout.bytes == 0) throw ProtocolError("the shape has no elements (an empty frame)");
  if (layout.bytes > max_bytes_) {
    throw ProtocolError("a raw frame of " + std::to_string(layout.bytes) + " bytes is larger than max_frame_bytes (" +
                        std::to_string(max_bytes_) + ")");
  }
  if (payload.size() != layout.bytes) {
    throw ProtocolError("payload has " + std::to_string(payload.size()) + " bytes, dtype '" + dtype +
                        "' and the shape need " + std::to_string(layout.bytes));
  }
  auto owner = std::make_unique<MessageOwner>(std::move(payload));
  void* data = owner->msg.data();
  return adopt(layout, data, std::move(owner));
}

}  // namespace netgear::codec
