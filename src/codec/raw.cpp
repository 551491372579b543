#include "codec/raw.hpp"

#include <bit>
#include <cstring>

#include <opencv2/core.hpp>

#include "netgear/error.hpp"
#include "wire/dtype.hpp"

namespace netgear::codec {

namespace {

// '<' payloads are adopted as they are and '>' ones swapped: right on a little-endian machine only.
static_assert(std::endian::native == std::endian::little, "raw payloads assume a little-endian machine");

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

// Reverses the bytes of each `itemsize`-byte element of data[0..bytes) (2, 4 or 8; any alignment).
template <typename U>
void swap_elements(std::uint8_t* p, std::size_t bytes) {
  for (std::size_t i = 0; i + sizeof(U) <= bytes; i += sizeof(U)) {
    U v;
    std::memcpy(&v, p + i, sizeof v);
    if constexpr (sizeof(U) == 2) v = __builtin_bswap16(v);
    else if constexpr (sizeof(U) == 4) v = __builtin_bswap32(v);
    else v = __builtin_bswap64(v);
    std::memcpy(p + i, &v, sizeof v);
  }
}

void to_native_order(void* data, std::size_t itemsize, std::size_t bytes) {
  auto* p = static_cast<std::uint8_t*>(data);
  switch (itemsize) {
    case 2: swap_elements<std::uint16_t>(p, bytes); break;
    case 4: swap_elements<std::uint32_t>(p, bytes); break;
    case 8: swap_elements<std::uint64_t>(p, bytes); break;
    default: break;  // one byte: nothing to swap
  }
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
  if (layout.swap) to_native_order(data, layout.itemsize, layout.bytes);
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
