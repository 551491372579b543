#include "mosaic.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "cli_common.hpp"
#include "output.hpp"

namespace netgear::cli {

namespace {

cv::Mat to_bgr8(const cv::Mat& frame) {
  const cv::Mat m = displayable(frame);
  return m.empty() ? m : to_bgr(m);
}

// Draws `text` left-aligned and vertically centred in `bar`, shrunk to fit its width.
void draw_text(cv::Mat& canvas, const cv::Rect& bar, const std::string& text, const cv::Scalar& colour) {
  const int font = cv::FONT_HERSHEY_SIMPLEX;
  double scale = 0.6;
  int base = 0;
  cv::Size size = cv::getTextSize(text, font, scale, 1, &base);
  const int room = bar.width - 12;
  if (size.width > room && size.width > 0) {
    scale *= static_cast<double>(room) / size.width;
    size = cv::getTextSize(text, font, scale, 1, &base);
  }
  const cv::Point at(bar.x + 6, bar.y + (bar.height + size.height) / 2);
  cv::putText(canvas, text, at, font, scale, colour, 1, cv::LINE_AA);
}

}  // namespace

int mosaic_columns(std::size_t n) {
  int c = 1;
  while (static_cast<std::size_t>(c) * static_cast<std::size_t>(c) < n) ++c;
  return c;
}

cv::Size mosaic_size(std::size_t n, const MosaicStyle& s) {
  const std::size_t count = std::max<std::size_t>(n, 1);
  const int cols = mosaic_columns(count);
  const int rows = static_cast<int>((count + static_cast<std::size_t>(cols) - 1) / static_cast<std::size_t>(cols));
  const int w = s.tile.width, h = s.tile.height + s.label_height;
  return {s.gap + cols * (w + s.gap), s.gap + rows * (h + s.gap)};
}

cv::Rect mosaic_tile_rect(std::size_t i, std::size_t n, const MosaicStyle& s) {
  const int cols = mosaic_columns(std::max<std::size_t>(n, 1));
  const int col = static_cast<int>(i % static_cast<std::size_t>(cols));
  const int row = static_cast<int>(i / static_cast<std::size_t>(cols));
  const int w = s.tile.width, h = s.tile.height + s.label_height;
  return {s.gap + col * (w + s.gap), s.gap + row * (h + s.gap), w, h};
}

cv::Rect mosaic_label_rect(std::size_t i, std::size_t n, const MosaicStyle& s) {
  const cv::Rect t = mosaic_tile_rect(i, n, s);
  return {t.x, t.y, t.width, s.label_height};
}

cv::Rect mosaic_image_rect(std::size_t i, std::size_t n, const MosaicStyle& s) {
  const cv::Rect t = mosaic_tile_rect(i, n, s);
  return {t.x, t.y + s.label_height, s.tile.width, s.tile.height};
}

std::string mosaic_label(const MosaicTile& tile) {
  return tile.label + (tile.ended ? "  ended" : "  " + fixed(tile.fps, 1) + " fps");
}

cv::Mat compose_mosaic(const std::vector<MosaicTile>& tiles, const MosaicStyle& s) {
  const std::size_t n = tiles.size();
  cv::Mat canvas(mosaic_size(n, s), CV_8UC3, s.background);
  if (n == 0) {
    draw_text(canvas, mosaic_image_rect(0, 1, s), "waiting for servers", cv::Scalar(200, 200, 200));
    return canvas;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const MosaicTile& t = tiles[i];
    const cv::Rect bar = mosaic_label_rect(i, n, s);
    cv::rectangle(canvas, bar, t.ended ? s.ended_bar : s.label_bar, cv::FILLED);
    draw_text(canvas, bar, mosaic_label(t), cv::Scalar(255, 255, 255));

    const cv::Rect area = mosaic_image_rect(i, n, s);
    const cv::Mat img = to_bgr8(t.image);
    if (img.empty() || img.cols <= 0 || img.rows <= 0) continue;
    // Fit inside the area with the aspect ratio kept; centre it (the rest stays background).
    const double k = std::min(static_cast<double>(area.width) / img.cols, static_cast<double>(area.height) / img.rows);
    const int w = std::clamp(static_cast<int>(std::lround(img.cols * k)), 1, area.width);
    const int h = std::clamp(static_cast<int>(std::lround(img.rows * k)), 1, area.height);
    const cv::Rect fit(area.x + (area.width - w) / 2, area.y + (area.height - h) / 2, w, h);
    cv::Mat dst = canvas(fit);
    cv::resize(img, dst, fit.size(), 0, 0, k < 1.0 ? cv::INTER_AREA : cv::INTER_LINEAR);
    if (t.ended) dst.convertTo(dst, -1, 0.4, 0);
  }
  return canvas;
}

// --- Mosaic -----------------------------------------------------------------------------------

Mosaic::Server& Mosaic::find(const std::string& peer) {
  for (auto& s : servers_) {
    if (s.tile.label == peer) return s;
  }
  servers_.push_back({});
  servers_.back().tile.label = peer;
  return servers_.back();
}

void Mosaic::on_frame(const std::string& peer, const cv::Mat& image, Clock::time_point now) {
  Server& s = find(peer);
  s.tile.image = image;
  s.tile.ended = false;
  s.recent.push_back(now);
}

void Mosaic::set_ended(const std::string& peer, bool ended) { find(peer).tile.ended = ended; }

std::vector<MosaicTile> Mosaic::tiles(Clock::time_point now) {
  std::vector<MosaicTile> out;
  out.reserve(servers_.size());
  for (auto& s : servers_) {
    while (!s.recent.empty() && now - s.recent.front() > std::chrono::seconds(1)) s.recent.pop_front();
    s.tile.fps = 0;
    if (s.recent.size() >= 2) {
      const double dt = std::chrono::duration<double>(now - s.recent.front()).count();
      if (dt > 0) s.tile.fps = static_cast<double>(s.recent.size() - 1) / dt;
    }
    out.push_back(s.tile);
  }
  return out;
}

}  // namespace netgear::cli
