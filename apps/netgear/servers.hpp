// `netgear recv --multiserver-mode`: what the receiver keeps per server (a server is named by its
// port): its counts for the summary and --stats-json, and one recording per server.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core/mat.hpp>

#include "netgear/netgear.hpp"

namespace netgear::cli {

class Recorder;

/// One server in the summary ("servers" in --stats-json).
struct ServerSummary {
  std::string port;              ///< the server's name: its port as text
  std::uint64_t frames = 0;      ///< frames of it handed out by recv()
  std::uint64_t bytes = 0;       ///< header + payload bytes received from it (NetGear::peers())
  double fps = 0;                ///< its frames over the time between its first and its last frame
  bool terminated = false;       ///< it ended its stream
  nlohmann::json to_json() const;
};

/// A port made fit for a file name: every character other than A-Z a-z 0-9 . _ - becomes '_'.
std::string file_safe(const std::string& peer);

/// The recording target of one server: a video file gets the port before its extension
/// ("out.avi" -> "out_5566.avi"), a folder ("frames/", or one that exists) a subfolder per port
/// ("frames/5566/").
std::string per_server_target(const std::string& target, const std::string& peer);

/// "video out_<port>.avi (MJPG) per server" style text for the start line.
std::string per_server_describe(const std::string& target);

/// One Recorder per server, created on its first frame at per_server_target().
class ServerRecorders {
 public:
  ServerRecorders(std::string target, std::string image_format, double fps);
  ~ServerRecorders();
  void write(const std::string& peer, const cv::Mat& frame, double fps_hint);
  void close();
  /// "recorded N frames to ..." for each server, in first-seen order.
  std::vector<std::string> report() const;

 private:
  struct Entry {
    std::string peer;
    std::unique_ptr<Recorder> recorder;
  };
  std::string target_, image_format_;
  double fps_;
  std::vector<Entry> entries_;
};

/// Frames per server as recv() hands them out, in first-seen order.
class ServerCounts {
 public:
  using Clock = std::chrono::steady_clock;
  void on_frame(const std::string& peer, Clock::time_point now);
  /// The summary, with bytes and terminated from `peers` (NetGear::peers()); a server the
  /// receiver heard from but none of whose frames was handed out is listed with 0 frames.
  std::vector<ServerSummary> summary(const std::vector<PeerStats>& peers) const;

 private:
  struct Count {
    std::string peer;
    std::uint64_t frames = 0;
    Clock::time_point first{}, last{};
  };
  std::vector<Count> counts_;
};

/// The status line's part for servers: "servers 3" or "servers 3 (1 ended)".
std::string servers_status(const std::vector<PeerStats>& peers);

}  // namespace netgear::cli
