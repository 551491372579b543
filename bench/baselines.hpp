// Bare TurboJPEG baseline of `netgear bench`: encode and decode of the very frames the senders
// send, with NetGear's settings (4:2:2, quality 90, fast DCT), into pre-allocated buffers.
#pragma once

#include <chrono>
#include <span>
#include <vector>

#include <turbojpeg.h>

#include "common.hpp"

namespace netgear::bench {

/// One TurboJPEG compressor and decompressor with their buffers allocated once, as NetGear keeps
/// them for a connection's life; NetGear's settings: 4:2:2, quality 90, fast DCT, BGR.
class BareJpeg {
 public:
  explicit BareJpeg(FrameSize size);
  ~BareJpeg();
  BareJpeg(const BareJpeg&) = delete;
  BareJpeg& operator=(const BareJpeg&) = delete;

  /// The JPEG of `f`, valid until the next encode(). Throws on a TurboJPEG error.
  std::span<const unsigned char> encode(const cv::Mat& f);
  /// Decodes into a buffer of its own. Throws on a TurboJPEG error.
  void decode(std::span<const unsigned char> jpeg);

 private:
  FrameSize size_;
  tjhandle enc_;
  tjhandle dec_;
  std::vector<unsigned char> jpeg_;
  std::vector<unsigned char> pixels_;
};

struct JpegBaseline {
  FrameSize size;
  std::size_t samples = 0;  // encodes (and decodes) timed
  double jpeg_bytes = 0;    // mean compressed size over the ring
  double encode_ms = 0;     // mean
  double encode_p50_ms = 0;
  double decode_ms = 0;  // mean
  double decode_p50_ms = 0;
  /// Encoder and decoder on two cores at once: 1 / max(encode, decode).
  double pipeline_fps() const;
  /// One core doing both: 1 / (encode + decode).
  double serial_fps() const;
  /// Measured, not computed: an encoding thread and a decoding thread running at the same time
  /// (as NetGear's sender and receiver do), min of their rates. Equals pipeline_fps() on an idle
  /// machine with two free cores; lower when other work competes for the CPUs.
  double concurrent_fps = 0;
  /// Encode then decode one frame every 1/paced_fps s, as a paced stream does (caches and branch
  /// predictors cold, CPUs idle in between): p50s, 0 when not measured.
  double paced_fps = 0;
  double paced_encode_p50_ms = 0;
  double paced_decode_p50_ms = 0;
};

/// Times tjCompress2 / tjDecompress2 over `ring` for about `budget` each, one after the other,
/// then both at once on two threads for another `budget`. Throws on a TurboJPEG error.
JpegBaseline measure_jpeg(FrameSize size, const std::vector<cv::Mat>& ring, std::chrono::milliseconds budget);

/// Several measurements of the same frames (one per round of a case) -> one: the median of each
/// figure, so that the bound sees the machine as the rounds of the case did.
JpegBaseline median_of(const std::vector<JpegBaseline>& rounds);

/// Adds the paced measurement to `b`: `frames` encode + decode pairs, one every 1/fps s.
void measure_jpeg_paced(JpegBaseline& b, const std::vector<cv::Mat>& ring, double fps, int frames);

}  // namespace netgear::bench
