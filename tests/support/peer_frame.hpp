// The frame the test peer and the process tests send as frame number i: every pixel a function of
// its position and i, so that the receiving side can check each frame byte for byte.
#pragma once

#include <cstdint>

#include <opencv2/core/mat.hpp>

namespace netgear::test {

inline cv::Mat peer_frame(std::int64_t i, int width = 64, int height = 48) {
  cv::Mat m(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    auto* row = m.ptr<uchar>(y);
    for (int x = 0; x < width * 3; ++x) row[x] = static_cast<uchar>((x + 7 * y + 13 * i) & 0xff);
  }
  return m;
}

}  // namespace netgear::test
