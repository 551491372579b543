#include "codec/raw.hpp"

#include <cstring>

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

cv::Mat adopt(const wire::RawLayout& layout, void* data, std::unique_ptr<BufferOwner> owner) {
  const int type = CV_MAKETYPE(layout.depth, layout.channels);
  cv::Mat view(layout.dims, layout.sizes.data(), type, data);
  const bool aligned = reinterpret_cast<std::uintptr_t>(data) % layout.itemsize == 0;
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
