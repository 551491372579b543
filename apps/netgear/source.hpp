// `netgear send`: where frames come from (test pattern, video file, camera, folder of images) and
// how they are paced.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <opencv2/core/mat.hpp>

namespace netgear::cli {

struct SourceSpec {
  std::string source = "pattern";  ///< "pattern", a video file, a folder, "camera:N" or /dev/videoN
  int width = 640;
  int height = 480;
  bool size_given = false;  ///< --width/--height were given: files/folders are resized, cameras asked
  bool loop = false;        ///< replay a file or folder from the start at its end
};

class FrameSource {
 public:
  virtual ~FrameSource() = default;
  /// The next frame into `out`; false at the end of the source.
  virtual bool next(cv::Mat& out) = 0;
  /// The rate the source plays at when --fps is not given; 0: as fast as it delivers (cameras pace
  /// themselves).
  virtual double native_fps() const = 0;
  /// For messages, e.g. "test pattern 640x480", "video file clip.avi (25 fps)".
  virtual std::string describe() const = 0;
};

/// Opens the source. Throws UsageError when `spec.source` names nothing usable (no such file,
/// empty folder), std::runtime_error when it exists but cannot be opened.
std::unique_ptr<FrameSource> open_source(const SourceSpec& spec);

/// Paces a loop at `fps` frames per second (0: no pacing). Keeps an absolute schedule; when the
/// loop falls behind by more than a frame it starts a new schedule instead of bursting.
class Pacer {
 public:
  explicit Pacer(double fps) : fps_(fps) {}
  /// Waits for the next slot (returns early when a stop is requested).
  void wait();

 private:
  double fps_;
  std::uint64_t n_ = 0;
  std::chrono::steady_clock::time_point start_{};
};

}  // namespace netgear::cli
