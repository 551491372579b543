#include "source.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "cli_common.hpp"
#include "test_pattern.hpp"

namespace netgear::cli {

namespace fs = std::filesystem;

namespace {

double sane_fps(double fps) { return std::isfinite(fps) && fps > 0.5 && fps < 1000 ? fps : 30.0; }

void fit(cv::Mat& frame, const SourceSpec& spec) {
  if (spec.size_given && !frame.empty() && (frame.cols != spec.width || frame.rows != spec.height)) {
    cv::Mat resized;
    cv::resize(frame, resized, cv::Size(spec.width, spec.height), 0, 0, cv::INTER_AREA);
    frame = resized;
  }
}

class PatternSource final : public FrameSource {
 public:
  explicit PatternSource(const SourceSpec& s) : w_(s.width), h_(s.height) {}
  bool next(cv::Mat& out) override {
    pattern::draw_test_frame(out, w_, h_, index_, "frame " + std::to_string(index_));
    ++index_;
    return true;
  }
  double native_fps() const override { return 30.0; }
  std::string describe() const override {
    return "test pattern " + std::to_string(w_) + "x" + std::to_string(h_);
  }

 private:
  int w_, h_;
  std::uint64_t index_ = 0;
};

class VideoFileSource final : public FrameSource {
 public:
  explicit VideoFileSource(const SourceSpec& s) : spec_(s) {
    open();
    fps_ = sane_fps(cap_.get(cv::CAP_PROP_FPS));
  }
  bool next(cv::Mat& out) override {
    if (cap_.read(out) && !out.empty()) {
      fit(out, spec_);
      return true;
    }
    if (!spec_.loop) return false;
    // Re-open rather than seek: not every backend seeks reliably.
    open();
    if (!cap_.read(out) || out.empty()) return false;  // an empty file: nothing to loop
    fit(out, spec_);
    return true;
  }
  double native_fps() const override { return fps_; }
  std::string describe() const override {
    return "video file " + spec_.source + " (" + fixed(fps_, 2) + " fps" + (spec_.loop ? ", looped" : "") + ")";
  }

 private:
  void open() {
    cap_.release();
    if (!cap_.open(spec_.source)) {
      throw std::runtime_error("--source " + spec_.source + ": cannot open it as a video file");
    }
  }
  SourceSpec spec_;
  cv::VideoCapture cap_;
  double fps_ = 30;
};

class CameraSource final : public FrameSource {
 public:
  CameraSource(const SourceSpec& s, int index, std::string device) : spec_(s), name_(std::move(device)) {
    const bool ok = index >= 0 ? cap_.open(index, cv::CAP_V4L2) : cap_.open(name_, cv::CAP_V4L2);
    if (!ok || !cap_.isOpened()) {
      throw std::runtime_error("--source " + s.source + ": cannot open the camera " + name_ +
                               " (V4L2): is it connected, and is this user allowed to use it (group 'video')?");
    }
    if (s.size_given) {
      cap_.set(cv::CAP_PROP_FRAME_WIDTH, s.width);
      cap_.set(cv::CAP_PROP_FRAME_HEIGHT, s.height);
    }
    fps_ = cap_.get(cv::CAP_PROP_FPS);
  }
  bool next(cv::Mat& out) override { return cap_.read(out) && !out.empty(); }
  double native_fps() const override { return 0; }
  std::string describe() const override {
    std::string d = "camera " + name_;
    if (std::isfinite(fps_) && fps_ > 0) d += " (" + fixed(fps_, 1) + " fps)";
    return d;
  }

 private:
  SourceSpec spec_;
  std::string name_;
  cv::VideoCapture cap_;
  double fps_ = 0;
};

class FolderSource final : public FrameSource {
 public:
  explicit FolderSource(const SourceSpec& s) : spec_(s) {
    static const std::vector<std::string> exts = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff",
                                                  ".webp", ".ppm", ".pgm", ".pbm", ".pnm", ".jp2"};
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(s.source, ec)) {
      if (!e.is_regular_file()) continue;
      if (std::find(exts.begin(), exts.end(), lower(e.path().extension().string())) == exts.end()) continue;
      files_.push_back(e.path());
    }
    if (ec) throw std::runtime_error("--source " + s.source + ": cannot list the folder: " + ec.message());
    if (files_.empty()) {
      throw UsageError("--source " + s.source + ": the folder holds no images (.png, .jpg, .bmp, .tif, ...)");
    }
    std::sort(files_.begin(), files_.end(),
              [](const fs::path& a, const fs::path& b) { return a.filename().string() < b.filename().string(); });
  }
  bool next(cv::Mat& out) override {
    // Skip unreadable files, but give up after one pass without a single readable image.
    for (std::size_t tries = 0; tries < files_.size(); ++tries) {
      if (pos_ == files_.size()) {
        if (!spec_.loop) return false;
        pos_ = 0;
      }
      const fs::path& p = files_[pos_++];
      out = cv::imread(p.string(), cv::IMREAD_UNCHANGED);
      if (!out.empty()) {
        fit(out, spec_);
        return true;
      }
      warn("cannot read image " + p.string() + ": skipped");
    }
    return false;
  }
  double native_fps() const override { return 30.0; }
  std::string describe() const override {
    return "folder " + spec_.source + " (" + std::to_string(files_.size()) + " images" +
           (spec_.loop ? ", looped" : "") + ")";
  }

 private:
  SourceSpec spec_;
  std::vector<fs::path> files_;
  std::size_t pos_ = 0;
};

}  // namespace

std::unique_ptr<FrameSource> open_source(const SourceSpec& spec) {
  const std::string& s = spec.source;
  if (lower(s) == "pattern") return std::make_unique<PatternSource>(spec);
  if (lower(s).rfind("camera", 0) == 0) {
    const std::string rest = s.substr(6);
    int index = 0;
    if (!rest.empty()) {
      if (rest[0] != ':' || rest.size() < 2 ||
          !std::all_of(rest.begin() + 1, rest.end(), [](unsigned char c) { return std::isdigit(c) != 0; }) ||
          rest.size() > 6) {
        throw UsageError("--source " + s + ": expected camera:N with N a camera number, e.g. camera:0");
      }
      index = std::stoi(rest.substr(1));
    }
    return std::make_unique<CameraSource>(spec, index, "/dev/video" + std::to_string(index));
  }
  if (s.rfind("/dev/video", 0) == 0) return std::make_unique<CameraSource>(spec, -1, s);
  std::error_code ec;
  const auto st = fs::status(s, ec);
  if (fs::is_directory(st)) return std::make_unique<FolderSource>(spec);
  if (fs::exists(st)) return std::make_unique<VideoFileSource>(spec);
  throw UsageError("--source " + s +
                   ": no such file or folder (give 'pattern', a video file, a folder of images, camera:N or "
                   "/dev/videoN)");
}

void Pacer::wait() {
  if (fps_ <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(1.0 / fps_));
  if (n_ == 0) {
    start_ = now;
  } else {
    auto due = start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double>(static_cast<double>(n_) / fps_));
    if (now > due + period) {
      // Fell behind (slow receiver, slow source): start a new schedule, do not burst.
      start_ = now;
      n_ = 0;
    } else {
      sleep_until_or_stop(due);
    }
  }
  ++n_;
}

}  // namespace netgear::cli
