// Memory for decoded frames that is used again instead of given back to the system.
//
// A decoded 640x480 frame is 0.9 MB. Allocated fresh for every frame, glibc hands such a block
// back to the kernel when it is freed (the receiving thread's arena is trimmed) and the next
// frame's decoder writes into pages the kernel must fault in and zero again: 225 page faults per
// frame, a fifth of the receiver's CPU time in a 640x480 JPEG stream on a virtual machine
// (docs/benchmarks.md, session 6). Matrices made by recycled_mat() return their buffer to a small
// pool when their last reference goes, whichever thread drops it, and the next frame of the same
// size takes it, already mapped. The application sees an ordinary cv::Mat.
#pragma once

#include <cstddef>

#include <opencv2/core/mat.hpp>

namespace netgear::codec {

/// A continuous rows x cols matrix of `type` whose buffer comes from, and goes back to, the pool
/// (contents undefined).
cv::Mat recycled_mat(int rows, int cols, int type);

/// Buffers the pool holds now and bytes in them (tests).
struct PoolState {
  std::size_t buffers = 0;
  std::size_t bytes = 0;
  std::size_t allocations = 0;  ///< buffers allocated so far (a reused one is not counted)
};
PoolState frame_pool_state();

}  // namespace netgear::codec
