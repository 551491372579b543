#include "output.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/highgui.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "cli_common.hpp"

namespace netgear::cli {

namespace fs = std::filesystem;

namespace {

struct VideoFormat {
  const char* ext;
  char fourcc[5];
};

constexpr VideoFormat kVideoFormats[] = {
    {".avi", "MJPG"}, {".mp4", "mp4v"}, {".m4v", "mp4v"}, {".mov", "mp4v"}, {".mkv", "MJPG"},
};

}  // namespace

cv::Mat to_bgr(const cv::Mat& m) {
  cv::Mat out;
  switch (m.channels()) {
    case 1: cv::cvtColor(m, out, cv::COLOR_GRAY2BGR); return out;
    case 4: cv::cvtColor(m, out, cv::COLOR_BGRA2BGR); return out;
    default: return m;
  }
}

cv::Mat displayable(const cv::Mat& frame) {
  if (frame.empty() || frame.dims > 2) return {};
  cv::Mat m = frame;
  if (m.channels() == 2) {
    cv::extractChannel(m, m, 0);
  } else if (m.channels() > 4) {
    cv::Mat three(m.size(), CV_MAKETYPE(m.depth(), 3));
    const int from_to[] = {0, 0, 1, 1, 2, 2};
    cv::mixChannels(&m, 1, &three, 1, from_to, 3);
    m = three;
  }
  if (m.depth() == CV_8U) return m;
  cv::Mat out;
  if (m.depth() == CV_8S) {
    m.convertTo(out, CV_8U, 1.0, 128.0);
  } else if (m.depth() == CV_16U) {
    m.convertTo(out, CV_8U, 1.0 / 256.0);
  } else {
    cv::Mat flat = m.reshape(1);
    double lo = 0, hi = 0;
    cv::minMaxLoc(flat, &lo, &hi);
    const double scale = hi > lo ? 255.0 / (hi - lo) : 0.0;
    m.convertTo(out, CV_8U, scale, -lo * scale);
  }
  return out;
}

// --- Recorder --------------------------------------------------------------------------------

VideoSize video_size_for(cv::Size frame) {
  constexpr int kMinWidth = 8, kMinHeight = 2;
  if (frame.width < kMinWidth || frame.height < kMinHeight) {
    return {{}, "a " + std::to_string(frame.width) + "x" + std::to_string(frame.height) +
                    " frame is too small for the video writer (at least " + std::to_string(kMinWidth) + "x" +
                    std::to_string(kMinHeight) + "; OpenCV's FFMPEG writer corrupts memory below that)"};
  }
  return {{frame.width + frame.width % 2, frame.height + frame.height % 2}, {}};
}

cv::Mat pad_to_video(const cv::Mat& frame, cv::Size size) {
  if (frame.size() == size) return frame;
  cv::Mat out;
  cv::copyMakeBorder(frame, out, 0, size.height - frame.rows, 0, size.width - frame.cols, cv::BORDER_REPLICATE);
  return out;
}

Recorder::Recorder(const std::string& target, const std::string& image_format, double fps)
    : target_(target), fps_(fps) {
  if (target.empty()) throw UsageError("--record '': give a video file (.avi, .mp4) or a folder ending in '/'");
  std::error_code ec;
  folder_ = target.back() == '/' || fs::is_directory(target, ec);
  if (folder_) {
    const std::string f = lower(image_format);
    if (f != "png" && f != "jpg" && f != "jpeg") {
      throw UsageError("--record-format " + image_format + ": expected png or jpg");
    }
    image_ext_ = f == "png" ? ".png" : ".jpg";
    fs::create_directories(target, ec);
    if (ec || !fs::is_directory(target)) {
      throw UsageError("--record " + target + ": cannot create the folder: " + ec.message());
    }
    return;
  }
  const std::string ext = lower(fs::path(target).extension().string());
  for (const auto& f : kVideoFormats) {
    if (ext == f.ext) {
      fourcc_ = cv::VideoWriter::fourcc(f.fourcc[0], f.fourcc[1], f.fourcc[2], f.fourcc[3]);
      fourcc_name_ = f.fourcc;
    }
  }
  if (!fourcc_) {
    throw UsageError("--record " + target + ": unknown video file extension '" + ext +
                     "' (use .avi for MJPG, .mp4 for mp4v, .mkv, .mov, or a folder ending in '/')");
  }
  const fs::path parent = fs::path(target).parent_path();
  if (!parent.empty() && !fs::is_directory(parent, ec)) {
    throw UsageError("--record " + target + ": the folder " + parent.string() + " does not exist");
  }
}

Recorder::~Recorder() {
  try {
    close();
  } catch (...) {
  }
}

void Recorder::write(const cv::Mat& frame, double fps_hint) {
  cv::Mat img = displayable(frame);
  if (img.empty()) {
    if (!warned_skip_) warn("--record: a frame with " + std::to_string(frame.dims) + " dimensions cannot be recorded: skipped");
    warned_skip_ = true;
    return;
  }
  if (folder_) {
    char name[32];
    std::snprintf(name, sizeof name, "frame_%06llu", static_cast<unsigned long long>(frames_));
    const std::string path = (fs::path(target_) / (std::string(name) + image_ext_)).string();
    if (image_ext_ == ".jpg" && img.channels() == 4) img = to_bgr(img);
    if (!cv::imwrite(path, img)) throw std::runtime_error("--record: cannot write " + path);
    ++frames_;
    return;
  }
  img = to_bgr(img);
  if (!writer_.isOpened()) {
    // The first frame's size becomes the video's: a peer chooses it.
    const VideoSize video = video_size_for(img.size());
    if (!video.problem.empty()) {
      if (!warned_small_) warn("--record: " + video.problem + ": skipped until a larger frame comes (warned once)");
      warned_small_ = true;
      return;
    }
    video_size_ = video.size;
    double fps = fps_ > 0 ? fps_ : (fps_hint > 0 ? fps_hint : 30.0);
    fps_ = fps;
    size_ = img.size();
    if (!writer_.open(target_, fourcc_, fps, video_size_, true) || !writer_.isOpened()) {
      throw std::runtime_error("--record " + target_ + ": cannot create the video file (" + fourcc_name_ + ", " +
                               std::to_string(video_size_.width) + "x" + std::to_string(video_size_.height) + ")");
    }
    if (video_size_ != size_) {
      warn("--record: " + std::to_string(size_.width) + "x" + std::to_string(size_.height) +
           " frames are recorded as " + std::to_string(video_size_.width) + "x" + std::to_string(video_size_.height) +
           " (the video needs even sizes; the last column/row is repeated)");
    }
  }
  if (img.size() != size_) {
    if (!warned_resize_) {
      warn("--record: frame size changed to " + std::to_string(img.cols) + "x" + std::to_string(img.rows) +
           "; resizing to the video's " + std::to_string(size_.width) + "x" + std::to_string(size_.height));
    }
    warned_resize_ = true;
    cv::Mat r;
    cv::resize(img, r, size_);
    img = r;
  }
  writer_.write(pad_to_video(img, video_size_));
  ++frames_;
}

void Recorder::close() {
  if (writer_.isOpened()) writer_.release();
}

std::string Recorder::describe() const {
  if (folder_) return "folder " + target_ + " (" + image_ext_.substr(1) + " images)";
  return "video " + target_ + " (" + fourcc_name_ + ")";
}

// --- Viewer ----------------------------------------------------------------------------------

Viewer::Viewer(bool enabled, std::string title) : enabled_(enabled), title_(std::move(title)) {}

Viewer::~Viewer() {
  if (opened_) {
    try {
      cv::destroyWindow(title_);
      cv::waitKey(1);
    } catch (...) {
    }
  }
}

bool Viewer::show(const cv::Mat& frame) {
  if (!enabled_) return true;
  const cv::Mat img = displayable(frame);
  if (img.empty()) return poll();
  try {
    if (!opened_) {
      cv::namedWindow(title_, cv::WINDOW_AUTOSIZE);
      opened_ = true;
    }
    cv::imshow(title_, img);
  } catch (const cv::Exception& e) {
    warn("cannot show frames (" + one_line(e.what()) + "): going on without a window");
    enabled_ = false;
    return true;
  }
  return handle_events();
}

bool Viewer::poll() {
  if (!enabled_ || !opened_) return true;
  return handle_events();
}

bool Viewer::handle_events() {
  try {
    const int key = cv::waitKey(1);
    if (key == 'q' || key == 'Q' || key == 27) return false;
    if (cv::getWindowProperty(title_, cv::WND_PROP_VISIBLE) < 1) return false;
  } catch (const cv::Exception& e) {
    warn("window: " + one_line(e.what()));
    enabled_ = false;
  }
  return true;
}

}  // namespace netgear::cli
