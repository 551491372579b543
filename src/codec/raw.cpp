#include "codec/raw.hpp"

#include <array>
#include <cstring>
#include <limits>

#include <opencv2/core.hpp>

#include "netgear/error.hpp"
#include "wire/dtype.hpp"

namespace netgear::codec {

namespace {

// Lets a cv::Mat own a buffer it did not allocate: the matrix's UMatData keeps the BufferOwner,
// and the last release of the matrix (or any copy of its header) deletes it. This is how a
// received ZeroMQ message becomes a cv::Mat without copying its bytes.
class OwnerAllocator final : public cv::MatAllocator {
 public:
  cv::UMatData* allocate(int, const int*, int, void*, size_t*, cv::AccessFlag,
                         cv::UMatUsageFlags) const override {
    return nullptr;  // never asked to allocate: adopt() builds the UMatData itself
  }
  bool allocate(cv::UMatData*, cv::AccessFlag, cv::UMatUsageFlags) const override { return false; }
  void deallocate(cv::UMatData* u) const override {
    if (!u) return;
    delete static_cast<BufferOwner*>(u->userdata);
    delete u;
  }
};

OwnerAllocator& owner_allocator() {
  static OwnerAllocator a;  // lives for the program; matrices may outlive any NetGear
  return a;
}

}  // namespace

void describe(const cv::Mat& m, std::string& dtype, std::vector<std::int64_t>& shape) {
  if (m.empty()) throw FrameError("cannot send an empty frame");
  auto name = wire::dtype_name(m.depth());
  if (name.empty()) throw FrameError("frame depth " + std::to_string(m.depth()) + " has no numpy dtype");
  dtype.assign(name.data(), name.size());
  shape.clear();
  for (int i = 0; i < m.dims; ++i) shape.push_back(m.size[i]);
  if (m.channels() > 1) shape.push_back(m.channels());
}

RawLayout describe(const cv::Mat& m) {
  RawLayout out;
  describe(m, out.dtype, out.shape);
  return out;
}

cv::Mat adopt(const std::string& dtype, const std::vector<std::int64_t>& shape, void* data,
              std::unique_ptr<BufferOwner> owner) {
  auto t = wire::parse_dtype(dtype);
  if (!t) throw ProtocolError("unsupported dtype '" + dtype + "'");
  if (shape.empty()) throw ProtocolError("empty shape");
  // At most 32 OpenCV dimensions, plus numpy's channel axis: no heap for the sizes.
  if (shape.size() > 33) throw ProtocolError("shape has too many dimensions");
  std::array<int, 34> sizes{};
  std::size_t n = 0;
  int channels = 1;
  for (auto d : shape) {
    if (d < 0 || d > std::numeric_limits<int>::max()) throw ProtocolError("shape dimension out of range");
    sizes[n++] = static_cast<int>(d);
  }
  // numpy's last axis becomes OpenCV's channels for rank >= 3 (an HxWxC image), when it fits.
  if (n >= 3 && sizes[n - 1] >= 1 && sizes[n - 1] <= CV_CN_MAX) channels = sizes[--n];
  if (n == 1) {  // a 1-D array is one row
    sizes[1] = sizes[0];
    sizes[0] = 1;
    n = 2;
  }
  if (n > 32) throw ProtocolError("shape has too many dimensions");
  const int type = CV_MAKETYPE(t->depth, channels);

  cv::Mat view(static_cast<int>(n), sizes.data(), type, data);
  const bool aligned = reinterpret_cast<std::uintptr_t>(data) % t->itemsize == 0;
  if (!aligned || view.total() == 0) return view.clone();

  auto* u = new cv::UMatData(&owner_allocator());
  u->data = u->origdata = static_cast<uchar*>(data);
  u->size = view.total() * view.elemSize();
  u->refcount = 1;
  u->userdata = owner.release();
  u->flags = cv::UMatData::USER_ALLOCATED;
  view.allocator = &owner_allocator();
  view.u = u;
  return view;
}

}  // namespace netgear::codec
