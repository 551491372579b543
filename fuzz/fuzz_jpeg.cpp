// libFuzzer target: whatever bytes a peer sends as a JPEG payload, the restart-marker reader and
// the decoder (on 1 and on 2 threads) either give a frame of the header's size or throw
// netgear::ProtocolError; nothing else (no crash, no other exception, no UB). And every part cut
// from a JPEG the reader accepts is itself a JPEG it reads, of the part's rows and intervals.
//   cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DNETGEAR_FUZZ=ON && cmake --build build-fuzz --target fuzz_jpeg
//   build-fuzz/fuzz/fuzz_jpeg -max_total_time=60 fuzz/corpus_jpeg
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "codec/jpeg.hpp"
#include "codec/jpeg_restart.hpp"
#include "netgear/error.hpp"

namespace restart = netgear::codec::restart;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> jpeg(data, size);
  if (const auto layout = restart::read_layout(jpeg, 64)) {
    if (layout->intervals.empty() || layout->intervals.front() != layout->scan_at || layout->eoi_at >= size) {
      __builtin_trap();
    }
    const int rows = restart::rows_per_interval(*layout);
    const std::size_t n = layout->intervals.size();
    if (rows > 0 && static_cast<long>(n - 1) * rows < layout->height) {
      std::vector<std::uint8_t> part;
      for (const auto& [first, last] : {std::pair<std::size_t, std::size_t>{0, n}, {n / 2, n}, {0, (n + 1) / 2}}) {
        if (first >= last) continue;
        restart::extract_part(jpeg, *layout, first, last, part);
        const auto again = restart::read_layout(part, 64);
        const int height = std::min(layout->height, static_cast<int>(last) * rows) - static_cast<int>(first) * rows;
        if (!again || again->height != height || again->width != layout->width || again->intervals.size() != last - first) {
          __builtin_trap();
        }
      }
    }
  }
  static netgear::codec::JpegDecoder one(1), two(2);
  for (auto* decoder : {&one, &two}) {
    try {
      // 16 MiB of pixels at most, as a receiver's max_frame_bytes would bound it.
      const cv::Mat m = decoder->decode(data, size, netgear::Colorspace::BGR, true, false, std::size_t{16} << 20);
      if (m.empty() || m.channels() != 3) __builtin_trap();
    } catch (const netgear::ProtocolError&) {
    }
  }
  return 0;
}
