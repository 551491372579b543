// `netgear bench --codec`: NetGear's JPEG codec (src/codec/jpeg.hpp) with 1..N threads timed
// against bare TurboJPEG on the same frames, in the same run.
#pragma once

#include <vector>

#include "common.hpp"

namespace netgear::bench {

struct CodecOptions {
  std::vector<FrameSize> sizes;
  double hot_s = 1;     ///< seconds of back-to-back encodes, then of decodes, per coder and round
  int repeat = 1;       ///< rounds; every figure is the median over them
  int ring = 8;         ///< distinct test-pattern frames
  bool json_out = false;
};

/// For each size and thread setting (1, 2, the default codec_threads(0)): bare TurboJPEG and NetGear's
/// JpegEncoder/JpegDecoder, interleaved round after round, hot (back to back) and paced (one
/// encode + decode every 10 ms): wall and process-CPU ms per frame and NetGear/bare ratios.
/// Prints a table or JSON; returns the process exit code.
int run_codec(const CodecOptions& o);

}  // namespace netgear::bench
