// Raw (uncompressed) frames: cv::Mat <-> numpy dtype + shape + C-contiguous bytes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

namespace netgear::codec {

/// dtype and shape that describe a matrix on the wire.
struct RawLayout {
  std::string dtype;
  std::vector<std::int64_t> shape;
};

/// Describes `m`: 2-D single-channel -> [rows, cols]; c channels -> [rows, cols, c]; n-D matrices
/// give their sizes (then channels). Throws netgear::FrameError for an empty matrix or a depth
/// numpy has no name for.
RawLayout describe(const cv::Mat& m);
/// The same into existing buffers (the sender reuses them for every frame).
void describe(const cv::Mat& m, std::string& dtype, std::vector<std::int64_t>& shape);

/// Something that keeps a buffer alive; a matrix made by adopt() deletes it with its last reference.
struct BufferOwner {
  virtual ~BufferOwner() = default;
};

/// A matrix of the given dtype and shape over `data` (which must hold exactly the bytes the layout
/// needs and be aligned to the element size), owning `owner`: no copy. When `data` is not
/// suitably aligned the bytes are copied into a fresh matrix instead and `owner` is released.
/// Throws netgear::ProtocolError for an unsupported dtype or a shape OpenCV cannot represent.
cv::Mat adopt(const std::string& dtype, const std::vector<std::int64_t>& shape, void* data,
              std::unique_ptr<BufferOwner> owner);

}  // namespace netgear::codec
