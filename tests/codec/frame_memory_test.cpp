// codec::recycled_mat: a released frame's buffer is used again for the next frame of its size,
// whichever thread releases it; the pool stays small; matrices behave as ordinary ones.
#include <thread>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>

#include "codec/frame_memory.hpp"

namespace netgear::codec {
namespace {

TEST(FrameMemory, AReleasedBufferServesTheNextFrameOfItsSize) {
  const void* first = nullptr;
  {
    cv::Mat m = recycled_mat(480, 640, CV_8UC3);
    ASSERT_TRUE(m.isContinuous());
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(m.data) % 64, 0u);
    first = m.data;
  }
  const std::size_t allocations = frame_pool_state().allocations;
  for (int i = 0; i < 100; ++i) {
    cv::Mat m = recycled_mat(480, 640, CV_8UC3);
    EXPECT_EQ(static_cast<const void*>(m.data), first);
  }
  EXPECT_EQ(frame_pool_state().allocations, allocations) << "steady state allocated";
}

TEST(FrameMemory, AFrameReleasedByAnotherThreadComesBackToo) {
  cv::Mat m = recycled_mat(120, 160, CV_8UC1);
  const void* data = m.data;
  std::thread([m = std::move(m)]() mutable { m.release(); }).join();
  cv::Mat again = recycled_mat(120, 160, CV_8UC1);
  EXPECT_EQ(static_cast<const void*>(again.data), data);
}

TEST(FrameMemory, CopiesShareAndTheLastOneGivesTheBufferBack) {
  cv::Mat a = recycled_mat(10, 10, CV_8UC3);
  a.setTo(cv::Scalar(1, 2, 3));
  cv::Mat b = a;  // a second reference
  a.release();
  EXPECT_EQ(b.at<cv::Vec3b>(9, 9), cv::Vec3b(1, 2, 3)) << "the buffer went back while still referenced";
  cv::Mat c = recycled_mat(10, 10, CV_8UC3);
  EXPECT_NE(c.data, b.data);
}

TEST(FrameMemory, ThePoolKeepsAFewBuffersAndBoundedBytes) {
  std::vector<cv::Mat> held;
  for (int i = 0; i < 20; ++i) held.push_back(recycled_mat(480, 640, CV_8UC3));
  held.clear();
  const PoolState s = frame_pool_state();
  EXPECT_LE(s.buffers, 4u);
  EXPECT_LE(s.bytes, std::size_t{64} << 20);
  {
    cv::Mat huge = recycled_mat(8192, 8192, CV_8UC4);  // 256 MiB: not kept
  }
  EXPECT_LE(frame_pool_state().bytes, std::size_t{64} << 20);
}

TEST(FrameMemory, OpenCvOperationsOnARecycledMatWork) {
  cv::Mat m = recycled_mat(4, 4, CV_8UC1);
  m.setTo(7);
  m.create(8, 8, CV_16UC1);  // a new size through the same allocator
  m.setTo(1000);
  EXPECT_EQ(m.at<std::uint16_t>(7, 7), 1000);
  cv::Mat sum;
  cv::add(m, m, sum);
  EXPECT_EQ(sum.at<std::uint16_t>(0, 0), 2000);
}

}  // namespace
}  // namespace netgear::codec
