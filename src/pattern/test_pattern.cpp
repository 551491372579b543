// The built-in test pattern.
//
// The aim is frames that JPEG treats like camera video: smooth gradients (cheap to code), hard
// coloured edges (chroma ringing), fine texture (expensive high frequencies) and text, with parts
// that move so consecutive frames differ. Everything that does not move is drawn once per size
// into a per-thread background; a frame is then a copy plus a few cheap drawing calls, because the
// sender calls this for every frame at 1080p and must stay far below a millisecond or two.
#include "test_pattern.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <stdexcept>

#include <opencv2/imgproc.hpp>

namespace netgear::pattern {

namespace {

constexpr double kPi = 3.14159265358979323846;

// All geometry is written for a 640x480 frame. Positions stretch with the frame (x by width/640,
// y by height/480) so the picture fills any aspect ratio; sizes scale uniformly so circles stay
// round.
struct Layout {
  double sx, sy, s;
  Layout(int w, int h) : sx(w / 640.0), sy(h / 480.0), s(std::min(sx, sy)) {}
  int x(double v) const { return static_cast<int>(std::lround(v * sx)); }
  int y(double v) const { return static_cast<int>(std::lround(v * sy)); }
  cv::Point at(double vx, double vy) const { return {x(vx), y(vy)}; }
  int len(double v, int min_value = 1) const {
    return std::max(min_value, static_cast<int>(std::lround(v * s)));
  }
};

// Deterministic per-pixel noise (no RNG state, so the pattern is the same on every run and
// platform).
std::uint8_t hash_noise(int x, int y) {
  std::uint32_t v =
      static_cast<std::uint32_t>(x) * 73856093u ^ static_cast<std::uint32_t>(y) * 19349663u;
  v ^= v >> 13;
  v *= 0x5bd1e995u;
  v ^= v >> 15;
  return static_cast<std::uint8_t>(v & 0xFF);
}

void draw_gradient(cv::Mat& bg) {
  const int w = bg.cols, h = bg.rows;
  const double cx = 0.35 * w, cy = 0.4 * h;
  const double rmax = std::hypot(std::max(cx, w - cx), std::max(cy, h - cy));
  for (int y = 0; y < h; ++y) {
    auto* row = bg.ptr<cv::Vec3b>(y);
    const double fy = h > 1 ? static_cast<double>(y) / (h - 1) : 0.0;
    for (int x = 0; x < w; ++x) {
      const double fx = w > 1 ? static_cast<double>(x) / (w - 1) : 0.0;
      // A soft light spot (vignette) over a diagonal colour sweep: like a lit scene, not flat.
      const double light = 1.0 - 0.55 * std::hypot(x - cx, y - cy) / rmax;
      const double b = (70 + 150 * (1 - fy) + 30 * fx) * light;
      const double g = (50 + 120 * fx * (1 - 0.5 * fy) + 60 * fy) * light;
      const double r = (40 + 170 * fy * (0.5 + 0.5 * fx)) * light;
      row[x] = cv::Vec3b(cv::saturate_cast<std::uint8_t>(b), cv::saturate_cast<std::uint8_t>(g),
                         cv::saturate_cast<std::uint8_t>(r));
    }
  }
}

void draw_colour_bars(cv::Mat& bg, const Layout& L) {
  // 75% colour bars (as in broadcast test signals) with hard edges: strong chroma transitions
  // without the full-saturation extremes that no camera produces.
  static const cv::Scalar kBars[] = {{191, 191, 191}, {0, 191, 191}, {191, 191, 0}, {0, 191, 0},
                                     {191, 0, 191},   {0, 0, 191},   {191, 0, 0},   {16, 16, 16}};
  const int n = static_cast<int>(std::size(kBars));
  const cv::Point origin = L.at(16, 16);
  const int bar_w = L.len(28), bar_h = L.len(56);
  for (int i = 0; i < n; ++i) {
    cv::rectangle(bg, cv::Rect(origin.x + i * bar_w, origin.y, bar_w, bar_h), kBars[i], cv::FILLED);
  }
}

void draw_checker(cv::Mat& bg, const Layout& L) {
  // Fine checkerboard: high-frequency luma detail with sharp edges.
  const cv::Rect area(L.at(16, 300), cv::Size(L.len(120), L.len(120)));
  const int cell = L.len(6);
  const cv::Rect clip = area & cv::Rect(0, 0, bg.cols, bg.rows);
  for (int y = clip.y; y < clip.y + clip.height; ++y) {
    auto* row = bg.ptr<cv::Vec3b>(y);
    for (int x = clip.x; x < clip.x + clip.width; ++x) {
      const bool on = (((x - area.x) / cell) + ((y - area.y) / cell)) % 2 == 0;
      row[x] = on ? cv::Vec3b(235, 235, 235) : cv::Vec3b(20, 20, 20);
    }
  }
  cv::rectangle(bg, area, cv::Scalar(0, 0, 0), L.len(2));
}

void draw_zone_plate(cv::Mat& bg, const Layout& L) {
  // Circular grating whose frequency rises outwards: many spatial frequencies at once, up to a
  // quarter of the sampling rate at the corners (beyond that it would only alias into noise).
  const int side = L.len(150);
  const cv::Rect area(L.x(624) - side, L.y(290), side, side);
  const cv::Rect clip = area & cv::Rect(0, 0, bg.cols, bg.rows);
  const double cx = area.x + area.width / 2.0, cy = area.y + area.height / 2.0;
  const double r_max = std::hypot(area.width / 2.0, area.height / 2.0);
  const double k = kPi / (4 * r_max);  // local frequency 2*k*r rad/pixel
  for (int y = clip.y; y < clip.y + clip.height; ++y) {
    auto* row = bg.ptr<cv::Vec3b>(y);
    for (int x = clip.x; x < clip.x + clip.width; ++x) {
      const double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
      const auto v = cv::saturate_cast<std::uint8_t>(128 + 90 * std::cos(k * d2));
      row[x] = cv::Vec3b(v, v, cv::saturate_cast<std::uint8_t>(v + 20));
    }
  }
}

void draw_noise(cv::Mat& bg, const Layout& L) {
  // Grainy "foliage" texture: mostly-luma noise in 2x2 grains over a green-brown base, like
  // real-world detail (camera noise and texture is not independent per pixel and channel).
  const cv::Rect area(L.at(160, 330), cv::Size(L.len(140), L.len(90)));
  const cv::Rect clip = area & cv::Rect(0, 0, bg.cols, bg.rows);
  for (int y = clip.y; y < clip.y + clip.height; ++y) {
    auto* row = bg.ptr<cv::Vec3b>(y);
    for (int x = clip.x; x < clip.x + clip.width; ++x) {
      const int n = hash_noise(x / 2, y / 2) - 128;
      row[x] = cv::Vec3b(cv::saturate_cast<std::uint8_t>(40 + n / 4),
                         cv::saturate_cast<std::uint8_t>(110 + n / 4),
                         cv::saturate_cast<std::uint8_t>(80 + n / 4));
    }
  }
}

void draw_static_shapes(cv::Mat& bg, const Layout& L) {
  const int t = L.len(2);
  // Outlined and filled shapes with hard edges that stay put.
  const cv::Rect box(L.at(300, 24), cv::Size(L.len(150), L.len(90)));
  cv::rectangle(bg, box, cv::Scalar(30, 160, 240), cv::FILLED);
  cv::rectangle(bg, box, cv::Scalar(10, 10, 10), t);
  cv::circle(bg, L.at(540, 90), L.len(55), cv::Scalar(200, 60, 40), cv::FILLED);
  cv::circle(bg, L.at(540, 90), L.len(55), cv::Scalar(250, 250, 250), t);
  cv::circle(bg, L.at(400, 220), L.len(40), cv::Scalar(20, 20, 90), t);
  // Thin dark diagonal lines (aliasing and edge detail in luma, like wires or branches).
  for (int i = 0; i < 6; ++i) {
    const cv::Point from = L.at(320.0 + 22 * i, 300);
    cv::line(bg, from, from + cv::Point(L.len(100), L.len(140)),
             cv::Scalar(20 + 25 * i, 30 + 20 * i, 40 + 15 * i), 1);
  }
  // A horizon line across the frame.
  cv::line(bg, L.at(0, 270), L.at(640, 262), cv::Scalar(60, 60, 60), t);
}

cv::Mat make_background(int w, int h) {
  const Layout L(w, h);
  cv::Mat bg(h, w, CV_8UC3);
  draw_gradient(bg);
  draw_colour_bars(bg, L);
  draw_checker(bg, L);
  draw_zone_plate(bg, L);
  draw_noise(bg, L);
  draw_static_shapes(bg, L);
  return bg;
}

// One background per thread (and per size): no locking, and a sender that alternates sizes only
// pays the set-up again when the size changes.
const cv::Mat& background(int w, int h) {
  thread_local int cached_w = 0, cached_h = 0;
  thread_local cv::Mat cached;
  if (cached.empty() || cached_w != w || cached_h != h) {
    cached = make_background(w, h);
    cached_w = w;
    cached_h = h;
  }
  return cached;
}

void draw_moving(cv::Mat& out, std::uint64_t index, const Layout& L) {
  const int w = out.cols, h = out.rows;
  const int t = L.len(2);

  // Phases are taken modulo a period in integers first, so a huge index keeps full precision.
  const double a = 2 * kPi * static_cast<double>(index % 600) / 600.0;

  // A ball on a Lissajous path over the whole frame.
  const int r = L.len(38, 3);
  const cv::Point ball(static_cast<int>(w / 2.0 + (w / 2.0 - r - 2) * std::sin(2 * a)),
                       static_cast<int>(h / 2.0 + (h / 2.0 - r - 2) * std::sin(3 * a + 0.5)));
  cv::circle(out, ball, r, cv::Scalar(40, 200, 250), cv::FILLED);
  cv::circle(out, ball, r, cv::Scalar(0, 0, 0), t);
  cv::circle(out, ball - cv::Point(r / 3, r / 3), std::max(1, r / 4), cv::Scalar(220, 255, 255),
             cv::FILLED);

  // A spinning square sliding left and right.
  const double b = 2 * kPi * static_cast<double>(index % 240) / 240.0;
  const float side = static_cast<float>(L.len(70));
  const cv::RotatedRect square(
      cv::Point2f(static_cast<float>(w * (0.5 + 0.3 * std::sin(b))), static_cast<float>(h * 0.62)),
      cv::Size2f(side, side), static_cast<float>(index % 360));
  cv::Point2f corners_f[4];
  square.points(corners_f);
  cv::Point corners[4];
  for (int i = 0; i < 4; ++i)
    corners[i] = cv::Point(cvRound(corners_f[i].x), cvRound(corners_f[i].y));
  cv::fillConvexPoly(out, corners, 4, cv::Scalar(180, 40, 160));
  // The pointer overload of polylines avoids building vectors every frame.
  const cv::Point* poly = corners;
  const int npts = 4;
  cv::polylines(out, &poly, &npts, 1, true, cv::Scalar(255, 255, 255), t);

  // A scan bar that advances every frame: consecutive frames always differ, at any size.
  const auto step = static_cast<std::uint64_t>(std::max(1, w / 240));
  const int bar_x = static_cast<int>((index % static_cast<std::uint64_t>(w)) * step %
                                     static_cast<std::uint64_t>(w));
  cv::line(out, cv::Point(bar_x, 0), cv::Point(bar_x, h - 1), cv::Scalar(230, 230, 230), t);

  // The low 24 bits of the index as a row of black/white blocks (a visual timecode): distinct
  // indices give distinct frames, and a receiver can read the frame number back.
  const int cell = L.len(6);
  const int x0 = w - 24 * cell - L.len(8, 0), y0 = L.len(8, 0);
  cv::rectangle(out, cv::Rect(x0 - 1, y0 - 1, 24 * cell + 2, cell + 2), cv::Scalar(0, 0, 255), 1);
  for (int i = 0; i < 24; ++i) {
    const bool bit = ((index >> (23 - i)) & 1u) != 0;
    cv::rectangle(out, cv::Rect(x0 + i * cell, y0, cell, cell),
                  bit ? cv::Scalar(255, 255, 255) : cv::Scalar(0, 0, 0), cv::FILLED);
  }
}

void draw_caption(cv::Mat& out, const std::string& caption, const Layout& L) {
  if (caption.empty()) return;
  const int font = cv::FONT_HERSHEY_SIMPLEX;
  const double font_scale = std::max(0.3, 0.8 * L.s);
  const int thick = L.len(2);
  int baseline = 0;
  const cv::Size ts = cv::getTextSize(caption, font, font_scale, thick, &baseline);
  const int margin = L.len(8);
  const cv::Point org(margin, out.rows - margin - baseline);
  // A dark box behind the text keeps it legible over any background.
  cv::rectangle(out,
                cv::Rect(org.x - margin / 2, org.y - ts.height - margin / 2, ts.width + margin,
                         ts.height + baseline + margin),
                cv::Scalar(0, 0, 0), cv::FILLED);
  cv::putText(out, caption, org, font, font_scale, cv::Scalar(255, 255, 255), thick, cv::LINE_AA);
}

}  // namespace

void draw_test_frame(cv::Mat& out, int width, int height, std::uint64_t index,
                     const std::string& caption) {
  if (width <= 0 || height <= 0) {
    throw std::invalid_argument("test pattern: size must be positive, got " +
                                std::to_string(width) + "x" + std::to_string(height));
  }
  const cv::Mat& bg = background(width, height);
  // copyTo keeps `out`'s buffer when it already has this size and type.
  bg.copyTo(out);
  const Layout layout(width, height);
  draw_moving(out, index, layout);
  draw_caption(out, caption, layout);
}

cv::Mat make_test_frame(int width, int height, std::uint64_t index, const std::string& caption) {
  cv::Mat out;
  draw_test_frame(out, width, height, index, caption);
  return out;
}

}  // namespace netgear::pattern
