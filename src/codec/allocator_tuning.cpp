// tune_allocator_for_frames(): glibc's malloc thresholds for a process that receives large frames
// (include/netgear/memory.hpp).
#include "netgear/memory.hpp"

#include <cstdlib>
#include <string_view>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace netgear {

namespace {

#if defined(__GLIBC__)
// The largest threshold glibc accepts for M_MMAP_THRESHOLD on 64-bit systems (half its heap size).
constexpr int kMmapThreshold = 32 << 20;
constexpr int kTrimThreshold = 128 << 20;

// The environment's own settings of the thresholds this function would change, or its word to
// leave them alone.
bool environment_sets_thresholds() {
  if (const char* off = std::getenv("NETGEAR_ALLOCATOR_TUNING"); off != nullptr && std::string_view(off) == "0") {
    return true;
  }
  for (const char* name : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_"}) {
    if (std::getenv(name) != nullptr) return true;
  }
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables == nullptr) return false;
  const std::string_view t(tunables);
  for (std::string_view key : {"glibc.malloc.mmap_threshold", "glibc.malloc.trim_threshold", "glibc.malloc.top_pad",
                               "glibc.malloc.mmap_max"}) {
    if (t.find(key) != std::string_view::npos) return true;
  }
  return false;
}
#endif

}  // namespace

AllocatorTuning tune_allocator_for_frames() {
#if defined(__GLIBC__)
  if (environment_sets_thresholds()) return AllocatorTuning::left_to_environment;
  // mallopt() returns 1 on success; a sanitizer's replacement returns 0 and changes nothing.
  if (::mallopt(M_MMAP_THRESHOLD, kMmapThreshold) != 1) return AllocatorTuning::unsupported;
  if (::mallopt(M_TRIM_THRESHOLD, kTrimThreshold) != 1) return AllocatorTuning::unsupported;
  return AllocatorTuning::applied;
#else
  return AllocatorTuning::unsupported;
#endif
}

const char* to_string(AllocatorTuning tuning) {
  switch (tuning) {
    case AllocatorTuning::applied:
      return "applied";
    case AllocatorTuning::left_to_environment:
      return "left to the environment";
    case AllocatorTuning::unsupported:
      break;
  }
  return "unsupported";
}

}  // namespace netgear
