// `netgear recv` / `demo`: where received frames go (a window, a video file, a folder of images).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <opencv2/core/mat.hpp>
#include <opencv2/videoio.hpp>

namespace netgear::cli {

/// The size of video file (cv::VideoWriter, FFMPEG backend) to make for frames of `frame`, or a
/// `problem` (why it cannot be made safely). OpenCV 4.6's FFMPEG writer writes past its picture
/// buffer for frames narrower than 8 pixels (heap corruption, then an abort: one 4x4 frame from a
/// peer crashed the recorder), and mp4/mkv refuse frames 1 pixel tall; measured under valgrind
/// with .avi/.mkv MJPG and .mp4 mp4v, every width >= 8 and height >= 2 tried is clean. Its 4:2:0
/// video drops an odd last column or row, so `size` is `frame` rounded up to even sizes: pad the
/// frames to it (pad_to_video()). Call it before opening a writer with a peer-chosen size.
struct VideoSize {
  cv::Size size;        ///< the video's size (even), when problem is empty
  std::string problem;  ///< empty, or why such frames cannot be recorded
};
VideoSize video_size_for(cv::Size frame);
/// `frame` padded on the right and bottom, by repeating its last column and row, to `size`.
cv::Mat pad_to_video(const cv::Mat& frame, cv::Size size);

/// Records frames to a video file (cv::VideoWriter; .avi MJPG, .mp4 mp4v, ...) or to a folder of
/// numbered images. The video file is created on the first frame whose size the writer can take
/// (video_size_for(); smaller frames before it are skipped with a warning), with that size rounded
/// up to even (padded); later frames of another size are resized to the first one's.
class Recorder {
 public:
  /// `target`: a file name with a known video extension, or a folder (ends in '/' or exists).
  /// `image_format`: "png" or "jpg" for folders. `fps`: the video's rate; <= 0: the rate the
  /// sender reports in its messages ("fps"), else 30. Throws UsageError for a bad target.
  Recorder(const std::string& target, const std::string& image_format, double fps);
  ~Recorder();
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  /// Writes one frame. `fps_hint`: the sender's rate from the message, 0 if unknown.
  void write(const cv::Mat& frame, double fps_hint);
  /// Finishes the file (the video is playable afterwards). Idempotent.
  void close();
  std::uint64_t frames() const { return frames_; }
  std::string describe() const;

 private:
  std::string target_;
  bool folder_ = false;
  std::string image_ext_;
  double fps_ = 0;
  int fourcc_ = 0;
  std::string fourcc_name_;
  cv::VideoWriter writer_;
  cv::Size size_;        // the first frame's size
  cv::Size video_size_;  // the video's: size_ rounded up to even
  std::uint64_t frames_ = 0;
  bool warned_resize_ = false;
  bool warned_skip_ = false;
  bool warned_small_ = false;
};

/// A highgui window showing the frames. Does nothing when disabled.
class Viewer {
 public:
  Viewer(bool enabled, std::string title);
  ~Viewer();
  bool enabled() const { return enabled_; }
  /// Shows a frame; false when the user closed the window or pressed q / Esc.
  bool show(const cv::Mat& frame);
  /// Keeps the window responsive while no frame comes; false as show().
  bool poll();

 private:
  bool handle_events();
  bool enabled_;
  bool opened_ = false;
  std::string title_;
};

/// A frame made fit for a window or an 8-bit image/video: 8-bit, 1, 3 or 4 channels, 2-D.
/// Empty when the frame cannot be shown (more than 2 dimensions).
cv::Mat displayable(const cv::Mat& frame);

/// A displayable() frame as 3-channel BGR: gray spread to three channels, 4 channels taken as BGRA
/// (what a 4-channel frame is to OpenCV; the wire does not say a raw frame's colorspace).
cv::Mat to_bgr(const cv::Mat& m);

}  // namespace netgear::cli
