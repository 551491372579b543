#include "servers.hpp"

#include <cmath>
#include <filesystem>

#include "output.hpp"

namespace netgear::cli {

namespace fs = std::filesystem;

namespace {

bool is_folder_target(const std::string& target) {
  std::error_code ec;
  return !target.empty() && (target.back() == '/' || fs::is_directory(target, ec));
}

}  // namespace

nlohmann::json ServerSummary::to_json() const {
  return {{"port", port},
          {"frames", frames},
          {"bytes", bytes},
          {"fps", std::round(fps * 1000.0) / 1000.0},
          {"terminated", terminated}};
}

std::string file_safe(const std::string& peer) {
  std::string out = peer.empty() ? std::string("_") : peer;
  for (char& c : out) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) c = '_';
  }
  if (out == "." || out == "..") out = "_";
  return out;
}

std::string per_server_target(const std::string& target, const std::string& peer) {
  const std::string name = file_safe(peer);
  if (is_folder_target(target)) {
    std::string base = target;
    if (base.back() != '/') base += '/';
    return base + name + "/";
  }
  const fs::path p(target);
  return (p.parent_path() / (p.stem().string() + "_" + name + p.extension().string())).string();
}

std::string per_server_describe(const std::string& target) {
  // per_server_target() with a placeholder that file_safe() would have rewritten.
  std::string example = per_server_target(target, "PORT");
  example.replace(example.rfind("PORT"), 4, "<port>");
  return "one " + std::string(is_folder_target(target) ? "folder" : "video file") + " per server: " + example;
}

ServerRecorders::ServerRecorders(std::string target, std::string image_format, double fps)
    : target_(std::move(target)), image_format_(std::move(image_format)), fps_(fps) {}

ServerRecorders::~ServerRecorders() {
  try {
    close();
  } catch (...) {
  }
}

void ServerRecorders::write(const std::string& peer, const cv::Mat& frame, double fps_hint) {
  Recorder* r = nullptr;
  for (auto& e : entries_) {
    if (e.peer == peer) r = e.recorder.get();
  }
  if (!r) {
    entries_.push_back({peer, std::make_unique<Recorder>(per_server_target(target_, peer), image_format_, fps_)});
    r = entries_.back().recorder.get();
  }
  r->write(frame, fps_hint);
}

void ServerRecorders::close() {
  for (auto& e : entries_) e.recorder->close();
}

std::vector<std::string> ServerRecorders::report() const {
  std::vector<std::string> lines;
  for (const auto& e : entries_) {
    lines.push_back("recorded " + std::to_string(e.recorder->frames()) + " frames of server " + e.peer + " to " +
                    e.recorder->describe());
  }
  return lines;
}

void ServerCounts::on_frame(const std::string& peer, Clock::time_point now) {
  Count* c = nullptr;
  for (auto& x : counts_) {
    if (x.peer == peer) c = &x;
  }
  if (!c) {
    counts_.push_back({peer, 0, now, now});
    c = &counts_.back();
  }
  ++c->frames;
  c->last = now;
}

std::vector<ServerSummary> ServerCounts::summary(const std::vector<PeerStats>& peers) const {
  std::vector<ServerSummary> out;
  auto add = [&](const std::string& peer) -> ServerSummary& {
    for (auto& s : out) {
      if (s.port == peer) return s;
    }
    out.push_back({});
    out.back().port = peer;
    return out.back();
  };
  // The receiver's first-seen order, then any server only this side counted.
  for (const auto& p : peers) {
    ServerSummary& s = add(p.peer);
    s.bytes = p.bytes;
    s.terminated = p.terminated;
  }
  for (const auto& c : counts_) {
    ServerSummary& s = add(c.peer);
    s.frames = c.frames;
    const double dt = std::chrono::duration<double>(c.last - c.first).count();
    s.fps = c.frames >= 2 && dt > 0 ? static_cast<double>(c.frames - 1) / dt : 0.0;
  }
  return out;
}

std::string servers_status(const std::vector<PeerStats>& peers) {
  std::size_t ended = 0;
  for (const auto& p : peers) ended += p.terminated ? 1 : 0;
  return "servers " + std::to_string(peers.size()) + (ended ? " (" + std::to_string(ended) + " ended)" : "");
}

}  // namespace netgear::cli
