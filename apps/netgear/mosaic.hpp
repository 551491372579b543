// `netgear recv --multiserver-mode`: every server's stream in one window, as a labelled grid
// (mosaic). The composition is a pure function of the tiles (compose_mosaic), so that it can be
// tested without a window; Mosaic keeps the newest frame and the rate of each server.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

namespace netgear::cli {

/// One server's tile: its newest frame (any type displayable() takes; may be empty before the
/// first frame that can be shown), its label (the port), its current rate and whether it ended.
struct MosaicTile {
  std::string label;
  cv::Mat image;
  double fps = 0;
  bool ended = false;
};

/// The geometry and colours of a mosaic.
struct MosaicStyle {
  cv::Size tile{400, 300};   ///< the image area of each tile; frames are fit in, aspect kept (letterbox)
  int label_height = 28;     ///< the label bar above each image area
  int gap = 4;               ///< space between tiles and around the grid
  cv::Scalar background{24, 24, 24};      ///< BGR: the space between tiles and the letterbox
  cv::Scalar label_bar{64, 64, 64};       ///< BGR: a running server's label bar
  cv::Scalar ended_bar{0, 0, 150};        ///< BGR: a terminated server's label bar
};

/// Columns of the grid for `n` tiles: the smallest c with c * c >= n (1 for 0 or 1 tile).
int mosaic_columns(std::size_t n);
/// The whole mosaic's size for `n` tiles (n = 0: the size of one tile).
cv::Size mosaic_size(std::size_t n, const MosaicStyle& style = {});
/// Where tile `i` of `n` is (label bar + image area), its label bar, and its image area.
cv::Rect mosaic_tile_rect(std::size_t i, std::size_t n, const MosaicStyle& style = {});
cv::Rect mosaic_label_rect(std::size_t i, std::size_t n, const MosaicStyle& style = {});
cv::Rect mosaic_image_rect(std::size_t i, std::size_t n, const MosaicStyle& style = {});
/// The label text of a tile: "5566  29.8 fps", or "5566  ended".
std::string mosaic_label(const MosaicTile& tile);

/// Builds the mosaic (8-bit BGR, mosaic_size()): tiles in the given order, row by row; each frame
/// resized to fit its image area with its aspect ratio kept and centred (letterbox); a frame that
/// cannot be shown leaves its area blank; an ended tile's image is dimmed and its bar is red.
/// With no tile, one empty tile-sized image saying "waiting for servers".
cv::Mat compose_mosaic(const std::vector<MosaicTile>& tiles, const MosaicStyle& style = {});

/// The tiles of a running multi-server receiver: one per server, in the order they first sent a
/// frame, each with the newest frame and the rate over the last second.
class Mosaic {
 public:
  using Clock = std::chrono::steady_clock;
  /// A frame from server `peer` arrived at `now`.
  void on_frame(const std::string& peer, const cv::Mat& image, Clock::time_point now);
  /// Marks a server ended (true) or running again (false); adds its tile if it is new.
  void set_ended(const std::string& peer, bool ended);
  /// The tiles with their rates at `now`.
  std::vector<MosaicTile> tiles(Clock::time_point now);
  std::size_t size() const { return servers_.size(); }

 private:
  struct Server {
    MosaicTile tile;
    std::deque<Clock::time_point> recent;  ///< arrival times within the last second
  };
  Server& find(const std::string& peer);
  std::vector<Server> servers_;
};

}  // namespace netgear::cli
