// `netgear bench --soak`: a long run at full rate that watches the memory and the file
// descriptors of a sender and a receiver (docs/benchmarks.md, "Soak").
#pragma once

namespace netgear::bench {

struct SoakOptions {
  double minutes = 10;   ///< how long both streams run
  double warmup_s = 30;  ///< the start figures are taken this long after the streams start
  bool json_out = false;
};

/// Streams 640x480 JPEG test-pattern frames over tcp as fast as it can on patterns 0 and 2 at the
/// same time (two sender/receiver pairs of child processes), samples every child's resident set
/// and open descriptors, and prints them at the end of the warm-up and at the end with the growth
/// (target: under 2 MB of RSS). Returns the process exit code (0: every stream ran to the end).
int run_soak(const SoakOptions& o);

}  // namespace netgear::bench
