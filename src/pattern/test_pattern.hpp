// The built-in test pattern: natural-looking BGR frames (gradients, edges, shapes, text) that move
// with the frame index, so that JPEG sizes and timings are realistic.
#pragma once

#include <cstdint>
#include <string>

#include <opencv2/core/mat.hpp>

namespace netgear::pattern {

/// Draws frame number `index` of the test pattern into `out` (re-allocated only when the size
/// changes), CV_8UC3, BGR. `caption` is drawn as a text line (e.g. the frame counter).
void draw_test_frame(cv::Mat& out, int width, int height, std::uint64_t index,
                     const std::string& caption = {});

/// Convenience: a new frame.
cv::Mat make_test_frame(int width, int height, std::uint64_t index, const std::string& caption = {});

}  // namespace netgear::pattern
