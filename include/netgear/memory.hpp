// NetGear C++ — the process's allocator and large received frames.
//
// A received frame lives in the memory ZeroMQ allocated for its message (raw frames are handed out
// without a copy), and glibc's malloc gives the memory of blocks that large back to the kernel
// when they are freed, now and then or after every frame, depending on the order in which an
// application, NetGear's queue and ZeroMQ free them. Every page of the next frame then has to be
// faulted in and zeroed again: raw 1920x1080 PUB/SUB (6.2 MB a frame) ran at 100-270 frames/s
// instead of 690-980 in such runs, on a machine where page faults are dear (docs/benchmarks.md,
// session 12). An application that receives large frames calls tune_allocator_for_frames() once,
// at the start of main(); the `netgear` tool does.
#pragma once

#include "netgear/export.hpp"

namespace netgear {

/// What tune_allocator_for_frames() did.
enum class AllocatorTuning {
  applied,               ///< glibc now keeps the memory of freed frames for the next ones
  left_to_environment,   ///< the environment sets glibc's malloc thresholds itself: left as it says
  unsupported,           ///< not glibc's malloc (another C library, or a sanitizer's allocator)
};

/// Process-wide, glibc only: keeps the memory of freed frames up to 32 MiB each (a raw 3840x2160
/// BGR frame is 24.9 MB) in the process for the next ones, instead of mapping each anew and
/// giving it back to the kernel when it is freed. It sets malloc's M_MMAP_THRESHOLD to 32 MiB and
/// M_TRIM_THRESHOLD to 128 MiB: blocks up to 32 MiB come from malloc's heaps, and a heap gives
/// memory back to the kernel only when more than 128 MiB of it is free at its end. The cost is
/// memory: what the process once used for frames stays with it (it is reused, not leaked).
///
/// Call it once, early in main(), before other threads allocate; it changes malloc for the whole
/// process, which is why NetGear does not do it by itself. It does nothing when the environment
/// already sets one of these thresholds (GLIBC_TUNABLES glibc.malloc.mmap_threshold,
/// trim_threshold, top_pad or mmap_max, or the MALLOC_*_ variables of the same names), or when
/// NETGEAR_ALLOCATOR_TUNING=0 (for measuring without it).
NETGEAR_EXPORT AllocatorTuning tune_allocator_for_frames();

/// "applied", "left to the environment" or "unsupported".
NETGEAR_EXPORT const char* to_string(AllocatorTuning tuning);

}  // namespace netgear
