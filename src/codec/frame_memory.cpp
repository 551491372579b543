#include "codec/frame_memory.hpp"

#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

#include <opencv2/core.hpp>

namespace netgear::codec {

namespace {

// A stream's frames are all one size, and an application holds a few at a time: a handful of
// buffers is enough, and the pool never keeps more than kMaxIdleBytes (it must not pin the memory
// of frames an application let go of long ago: 8K video is 100 MB a frame).
constexpr std::size_t kKeep = 4;
constexpr std::size_t kMaxIdleBytes = std::size_t{64} << 20;
constexpr std::size_t kAlign = 64;  // as cv::fastMalloc

class Recycler final : public cv::MatAllocator {
 public:
  cv::UMatData* allocate(int dims, const int* sizes, int type, void* data, size_t* step, cv::AccessFlag,
                         cv::UMatUsageFlags) const override {
    // Continuous layout, the last dimension fastest (what cv::Mat::create asks for).
    std::size_t total = CV_ELEM_SIZE(type);
    for (int i = dims - 1; i >= 0; --i) {
      if (step) {
        if (data && step[i] != cv::Mat::AUTO_STEP) {
          total = step[i];
        } else {
          step[i] = total;
        }
      }
      total *= static_cast<std::size_t>(sizes[i]);
    }
    auto* u = new cv::UMatData(this);
    u->size = total;
    if (data) {
      u->data = u->origdata = static_cast<uchar*>(data);
      u->flags |= cv::UMatData::USER_ALLOCATED;
    } else {
      u->data = u->origdata = static_cast<uchar*>(take(total));
    }
    return u;
  }
  bool allocate(cv::UMatData* u, cv::AccessFlag, cv::UMatUsageFlags) const override { return u != nullptr; }
  void deallocate(cv::UMatData* u) const override {
    if (!u) return;
    if (!(u->flags & cv::UMatData::USER_ALLOCATED)) give_back(u->origdata, u->size);
    delete u;
  }

  PoolState state() const {
    std::lock_guard lk(mu_);
    PoolState s;
    s.buffers = idle_.size();
    for (const auto& b : idle_) s.bytes += b.size;
    s.allocations = allocations_;
    return s;
  }

 private:
  struct Block {
    std::size_t size;
    void* data;
  };
  static std::size_t rounded(std::size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

  void* take(std::size_t size) const {
    const std::size_t want = rounded(size);
    {
      std::lock_guard lk(mu_);
      for (auto it = idle_.rbegin(); it != idle_.rend(); ++it) {
        if (it->size == want) {
          void* p = it->data;
          idle_.erase(std::next(it).base());
          return p;
        }
      }
      ++allocations_;
    }
    void* p = std::aligned_alloc(kAlign, want);
    if (!p) throw std::bad_alloc();
    return p;
  }

  void give_back(void* data, std::size_t size) const {
    const std::size_t have = rounded(size);
    {
      std::lock_guard lk(mu_);
      if (have <= kMaxIdleBytes) {
        // Room for it: drop the oldest buffers until it fits within the count and the bytes.
        std::size_t bytes = have;
        for (const auto& b : idle_) bytes += b.size;
        while (!idle_.empty() && (idle_.size() >= kKeep || bytes > kMaxIdleBytes)) {
          bytes -= idle_.front().size;
          std::free(idle_.front().data);
          idle_.erase(idle_.begin());
        }
        idle_.push_back({have, data});
        return;
      }
    }
    std::free(data);
  }

  mutable std::mutex mu_;
  mutable std::vector<Block> idle_;  // oldest first; guarded by mu_
  mutable std::size_t allocations_ = 0;
};

Recycler& recycler() {
  // Lives for the program (never destroyed): matrices may outlive every NetGear, and a static
  // destructor could run while another thread still frees one.
  static Recycler* r = new Recycler;
  return *r;
}

}  // namespace

cv::Mat recycled_mat(int rows, int cols, int type) {
  cv::Mat m;
  m.allocator = &recycler();
  m.create(rows, cols, type);
  return m;
}

PoolState frame_pool_state() { return recycler().state(); }

}  // namespace netgear::codec
