// Raw (uncompressed) frames: cv::Mat <-> numpy dtype + shape + C-contiguous bytes. The layout
// rules are wire::raw_layout's; this is the OpenCV side of them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "wire/dtype.hpp"

namespace netgear::codec {

/// The dtype and shape that describe `m` on the wire, into existing buffers (reused per frame):
/// 2-D single-channel -> [rows, cols]; c channels -> [rows, cols, c]; n-D matrices give their
/// sizes (then channels). Throws netgear::FrameError for an empty matrix or a depth numpy has no
/// name for.
void describe(const cv::Mat& m, std::string& dtype, std::vector<std::int64_t>& shape);

/// Something that keeps a buffer alive; a matrix made by adopt() deletes it with its last reference.
struct BufferOwner {
  virtual ~BufferOwner() = default;
};

/// A matrix of `layout` over `data` (which must hold exactly layout.bytes), owning `owner`: no
/// copy. A big-endian layout (`swap`) has its elements byte-swapped to native order in place
/// first. When `data` is not aligned to the element size the bytes are copied into a fresh matrix
/// instead and `owner` is released.
cv::Mat adopt(const wire::RawLayout& layout, void* data, std::unique_ptr<BufferOwner> owner);

}  // namespace netgear::codec
