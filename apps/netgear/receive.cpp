#include "receive.hpp"

#include <algorithm>
#include <cmath>
#include <csignal>
#include <memory>

#include <opencv2/imgproc.hpp>

#include "cli_common.hpp"
#include "mosaic.hpp"
#include "output.hpp"
#include "servers.hpp"

namespace netgear::cli {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kLatencyCap = 200'000;

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  // Nearest rank.
  std::size_t k = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
  k = std::clamp<std::size_t>(k, 1, v.size()) - 1;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

std::string reason_of(EndReason r) {
  switch (r) {
    case EndReason::Terminated: return "terminated";
    case EndReason::RetriesExhausted: return "retries_exhausted";
    case EndReason::SubscriberTimeout: return "subscriber_timeout";
    case EndReason::Closed: return "closed";
    case EndReason::Failed: return "failed";
    case EndReason::None: break;
  }
  return "running";
}

std::string latency_text(const std::optional<double>& p50, const std::optional<double>& p99) {
  if (!p50) return "latency n/a";
  return "latency p50 " + fixed(*p50, 1) + " ms p99 " + fixed(*p99, 1) + " ms";
}

}  // namespace

void add_receive_flags(CLI::App& app, ReceiveFlags& f, bool recv_limits) {
  const char* group = "Output";
  if (recv_limits) {
    app.add_option("--frames", f.frames, "stop after N frames (0 = no limit). Default 0")
        ->type_name("N")
        ->group(group);
    app.add_option("--timeout", f.timeout,
                   "give up when no frame arrives for this many seconds (exit 3 if none ever came). "
                   "Default: wait for ever")
        ->type_name("SECONDS")
        ->check(CLI::NonNegativeNumber)
        ->group(group);
  }
  app.add_flag("--show,!--no-show", f.show,
               "show the frames in a window (q or Esc closes it and stops). Default: show when a display "
               "is available (DISPLAY or WAYLAND_DISPLAY set)")
      ->group(group);
  app.add_option("--record", f.record,
                 "record the frames: a video file (.avi = MJPG, .mp4 = mp4v; size of the first frame) or a "
                 "folder ending in '/' (numbered images frame_000000.png, ...); in multi-server mode one per "
                 "server: x.avi -> x_<port>.avi, DIR/ -> DIR/<port>/")
      ->type_name("FILE|DIR/")
      ->group(group);
  app.add_option("--record-format", f.record_format, "image format when recording to a folder: png or jpg. Default png")
      ->type_name("png|jpg")
      ->check(CLI::IsMember({"png", "jpg", "jpeg"}, CLI::ignore_case).description(""))
      ->group(group);
  app.add_option("--record-fps", f.record_fps,
                 "frame rate written into a recorded video file. Default: the sender's rate when its messages "
                 "say it (netgear send does), else 30")
      ->type_name("FPS")
      ->check(CLI::NonNegativeNumber)
      ->group(group);
  app.add_option("--stats-json", f.stats_json, "write the final summary as a JSON object to this file (docs/cli.md)")
      ->type_name("FILE")
      ->group(group);
}

void add_reply_flags(CLI::App& app, ReplyFlags& f) {
  const char* group = "Bidirectional mode";
  f.reply_opt = app.add_option("--reply", f.reply,
                               "bidirectional mode: hand this JSON value back to the sender with every "
                               "acknowledgement, e.g. --reply '{\"ok\": true}' (sticky return data; patterns 0/1)")
                    ->type_name("JSON")
                    ->group(group);
  app.add_flag("--reply-frame", f.reply_frame,
               "bidirectional mode with exact pairing: answer each frame with a thumbnail of it (1/8 of each "
               "side, at least 16 px), sent back with that frame's own acknowledgement (patterns 0/1). With "
               "--reply too, a reply whose answer is late carries the --reply value")
      ->group(group);
}

json apply_reply_flags(const ReplyFlags& f, Config& cfg) {
  json value = nullptr;
  if (f.reply_opt && f.reply_opt->count() > 0) {
    try {
      value = json::parse(f.reply);
    } catch (const json::exception& e) {
      std::string shown = f.reply.find_first_of(" \t'") == std::string::npos ? f.reply : "'" + f.reply + "'";
      throw UsageError("--reply " + shown + ": not valid JSON (" + e.what() + "); e.g. --reply '{\"ok\": true}'");
    }
  }
  if (f.any()) cfg.options.bidirectional_mode = true;
  if (f.reply_frame) cfg.options.return_pairing = ReturnPairing::Exact;
  return value;
}

std::unique_ptr<NetGear> open_replying_receiver(const ReplyFlags& f, const Config& cfg, const json& reply) {
  std::unique_ptr<NetGear> ng;
  try {
    ng = std::make_unique<NetGear>(cfg);
  } catch (const OptionError& e) {
    if (!f.any()) throw;
    throw UsageError(std::string(f.reply_frame ? "--reply-frame" : "--reply") + ": " + e.what());
  }
  if (!reply.is_null()) ng->set_return_data(reply);
  return ng;
}

std::optional<cv::Mat> thumbnail(const cv::Mat& image) {
  if (image.empty() || image.dims != 2) return std::nullopt;
  const cv::Size size(std::max(16, image.cols / 8), std::max(16, image.rows / 8));
  cv::Mat out;
  try {
    cv::resize(image, out, size, 0, 0, cv::INTER_AREA);
  } catch (const cv::Exception&) {
    return std::nullopt;  // a type resize does not take
  }
  return out;
}

FrameHook make_reply_hook(const ReplyFlags& f, NetGear& ng) {
  if (!f.reply_frame) return {};
  return [&ng](const Frame& frame) {
    if (auto t = thumbnail(frame.image)) {
      (void)ng.answer(frame.id, *t);  // false: too late, the reply left with the sticky value
    } else {
      (void)ng.answer(frame.id, json(nullptr));
    }
  };
}

// --- statistics ------------------------------------------------------------------------------

void ReceiveStats::on_frame(const Frame& f, Clock::time_point now, double wall_now) {
  if (frames_ == 0) first_ = now;
  last_ = now;
  ++frames_;
  if (f.image.dims >= 2) {
    height_ = f.image.size[0];
    width_ = f.image.size[1];
  }
  if (!f.message.is_object()) return;
  const auto& m = f.message;
  if (auto it = m.find("frame"); it != m.end() && it->is_number_integer() && it->get<long long>() >= 0) {
    const auto counter = it->get<std::uint64_t>();
    // Each server counts its own frames (f.peer is empty outside the multi modes).
    auto last = last_counter_.find(f.peer);
    if (count_gaps_ && last != last_counter_.end() && counter > last->second) lost_ += counter - last->second - 1;
    // A counter that went back: the sender restarted; count from here.
    last_counter_[f.peer] = counter;
  }
  if (auto it = m.find("t_send"); it != m.end() && it->is_number()) {
    const double ms = (wall_now - it->get<double>()) * 1000.0;
    if (std::isfinite(ms)) {
      ++latency_count_;
      if (latencies_.size() < kLatencyCap) {
        latencies_.push_back(ms);
      } else {
        std::uniform_int_distribution<std::uint64_t> pick(0, latency_count_ - 1);
        const auto j = pick(rng_);
        if (j < kLatencyCap) latencies_[static_cast<std::size_t>(j)] = ms;
      }
      recent_.emplace_back(now, ms);
    }
  }
}

std::string ReceiveStats::status(Clock::time_point now, const Stats& ng) {
  ticks_.push_back({now, frames_, ng.bytes});
  while (ticks_.size() > 2 && now - ticks_[1].t >= 1s) ticks_.pop_front();
  while (!recent_.empty() && now - recent_.front().first > 1s) recent_.pop_front();
  double fps = 0, mbps = 0;
  if (ticks_.size() >= 2) {
    const auto& a = ticks_.front();
    const double dt = seconds_between(a.t, now);
    if (dt > 0) {
      fps = static_cast<double>(frames_ - a.frames) / dt;
      mbps = static_cast<double>(ng.bytes - a.bytes) * 8.0 / 1e6 / dt;
    }
  } else if (frames_ > 1) {
    // The first status line: the rate since the first frame (else it would say 0 fps).
    const double dt = seconds_between(first_, now);
    if (dt > 0) {
      fps = static_cast<double>(frames_ - 1) / dt;
      mbps = static_cast<double>(ng.bytes) * 8.0 / 1e6 * (static_cast<double>(frames_ - 1) /
                                                           static_cast<double>(frames_)) / dt;
    }
  }
  std::optional<double> p50, p99;
  if (!recent_.empty()) {
    std::vector<double> v;
    v.reserve(recent_.size());
    for (const auto& r : recent_) v.push_back(r.second);
    p50 = percentile(v, 0.50);
    p99 = percentile(v, 0.99);
  }
  return "recv: " + std::to_string(frames_) + " frames | " + fixed(fps, 1) + " fps | " + fixed(mbps, 2) +
         " Mbit/s | " + latency_text(p50, p99) + " | lost " + std::to_string(lost_) + " | reconnects " +
         std::to_string(ng.reconnects) + " | malformed " + std::to_string(ng.dropped_malformed);
}

ReceiveSummary ReceiveStats::summary(const Stats& ng, const std::string& end_reason) const {
  ReceiveSummary s;
  s.frames = frames_;
  s.seconds = frames_ ? seconds_between(first_, last_) : 0.0;
  if (frames_ >= 2 && s.seconds > 0) {
    // Rates over the intervals between the first and the last frame.
    s.fps = static_cast<double>(frames_ - 1) / s.seconds;
    const double bytes_per_frame = ng.frames ? static_cast<double>(ng.bytes) / static_cast<double>(ng.frames) : 0.0;
    s.mbps = bytes_per_frame * s.fps * 8.0 / 1e6;
  }
  if (!latencies_.empty()) {
    s.latency_p50_ms = percentile(latencies_, 0.50);
    s.latency_p99_ms = percentile(latencies_, 0.99);
  }
  s.frames_lost = lost_;
  s.reconnects = ng.reconnects;
  s.dropped_malformed = ng.dropped_malformed;
  s.answers_late = ng.answers_late;
  s.end_reason = end_reason;
  s.width = width_;
  s.height = height_;
  return s;
}

nlohmann::json ReceiveSummary::to_json() const {
  auto round3 = [](double v) { return std::round(v * 1000.0) / 1000.0; };
  nlohmann::json j;
  j["frames"] = frames;
  j["fps"] = round3(fps);
  j["mbps"] = round3(mbps);
  j["latency_p50_ms"] = latency_p50_ms ? nlohmann::json(round3(*latency_p50_ms)) : nlohmann::json(nullptr);
  j["latency_p99_ms"] = latency_p99_ms ? nlohmann::json(round3(*latency_p99_ms)) : nlohmann::json(nullptr);
  j["frames_lost"] = frames_lost;
  j["reconnects"] = reconnects;
  j["dropped_malformed"] = dropped_malformed;
  j["answers_late"] = answers_late;
  j["seconds"] = round3(seconds);
  j["end_reason"] = end_reason;
  j["width"] = width;
  j["height"] = height;
  if (multi_server) {
    j["servers"] = nlohmann::json::array();
    for (const auto& srv : servers) j["servers"].push_back(srv.to_json());
  }
  return j;
}

std::string ReceiveSummary::to_line() const {
  return "summary: " + std::to_string(frames) + " frames in " + fixed(seconds, 2) + " s, " + fixed(fps, 1) +
         " fps, " + fixed(mbps, 2) + " Mbit/s, " + latency_text(latency_p50_ms, latency_p99_ms) + ", " +
         std::to_string(frames_lost) + " lost, " + std::to_string(reconnects) + " reconnects, " +
         std::to_string(dropped_malformed) + " malformed, " +
         (answers_late ? std::to_string(answers_late) + " answers late, " : std::string()) +
         (multi_server ? std::to_string(servers.size()) + (servers.size() == 1 ? " server, " : " servers, ")
                       : std::string()) + std::to_string(width) +
         "x" + std::to_string(height) +
         ", end: " + end_reason;
}

// --- the loop --------------------------------------------------------------------------------

std::unique_ptr<Recorder> make_recorder(const ReceiveFlags& flags) {
  if (flags.record.empty()) return nullptr;
  return std::make_unique<Recorder>(flags.record, flags.record_format, flags.record_fps);
}

ReceiveOutcome receive_loop(NetGear& ng, const ReceiveFlags& flags, Recorder* recorder,
                            const std::string& window_title, const StopCheck& extra,
                            const FrameHook& on_frame) {
  bool show = flags.show > 0 || (flags.show == 0 && display_available());
  if (flags.show > 0 && !display_available()) {
    warn("--show: no display (DISPLAY and WAYLAND_DISPLAY are not set): going on without a window");
    show = false;
  }
  Viewer viewer(show, window_title);
  StatusLine status;
  // A multi-client receiver on pattern 1 gets every n-th frame of the sender's count by design:
  // the gaps are the other clients' frames, not losses.
  const bool dealt = ng.config().options.topology == Topology::MultiClient && ng.config().pattern == Pattern::ReqRep;
  ReceiveStats stats(/*count_gaps=*/!dealt);
  ReceiveOutcome out;
  std::string reason;

  // Multi-server mode: a mosaic of every server instead of the frame itself, one recording per
  // server (the Recorder made from --record only checked the target), counts per server.
  const bool multi = ng.config().options.topology == Topology::MultiServer;
  std::optional<Mosaic> mosaic;
  if (multi && show) mosaic.emplace();
  std::optional<ServerRecorders> per_server;
  if (multi && recorder) per_server.emplace(flags.record, flags.record_format, flags.record_fps);
  ServerCounts server_counts;
  Clock::time_point mosaic_shown{};
  // Redraws the mosaic at most 30 times a second, or at once with `force` (with the servers'
  // ended marks); false when the window was closed.
  auto refresh_mosaic = [&](Clock::time_point now, bool force) {
    if (!mosaic || mosaic->size() == 0 || !viewer.enabled()) return viewer.poll();
    if (!force && now - mosaic_shown < 33ms) return viewer.poll();
    mosaic_shown = now;
    for (const auto& p : ng.peers()) mosaic->set_ended(p.peer, p.terminated);
    return viewer.show(compose_mosaic(mosaic->tiles(now)));
  };
  auto status_text = [&](Clock::time_point now) {
    std::string text = stats.status(now, ng.stats());
    if (multi) text += " | " + servers_status(ng.peers());
    return text;
  };

  const auto start = Clock::now();
  auto last_frame = start;
  const auto timeout = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(flags.timeout));
  if (status.tty()) status.show("recv: waiting for the first frame on " + ng.endpoint() + " ...", start);

  try {
    for (;;) {
      if (stop_requested()) {
        reason = "signal";
        break;
      }
      if (extra) {
        if (auto r = extra()) {
          reason = *r;
          break;
        }
      }
      std::optional<Frame> f = ng.recv(100ms);
      const auto now = Clock::now();
      if (!f) {
        if (ng.end_of_stream()) {
          reason = reason_of(ng.end_reason());
          break;
        }
        if (flags.timeout > 0 && now - last_frame >= timeout) {
          reason = "timeout";
          out.no_frame_timeout = stats.frames() == 0;
          break;
        }
        if (!(mosaic ? refresh_mosaic(now, false) : viewer.poll())) {
          reason = "window_closed";
          break;
        }
        if (stats.frames() > 0 && status.due(now)) status.show(status_text(now), now);
        continue;
      }
      last_frame = now;
      stats.on_frame(*f, now, wall_seconds());
      if (multi) server_counts.on_frame(f->peer, now);
      if (on_frame) on_frame(*f);  // first: an exact-pairing reply waits for it
      if (stats.frames() == 1) {
        const cv::Mat& m = f->image;
        std::string shape;
        if (m.dims == 2) {
          shape = std::to_string(m.cols) + "x" + std::to_string(m.rows);
        } else {
          for (int d = 0; d < m.dims; ++d) shape += (d ? "x" : "") + std::to_string(m.size[d]);
          shape = "shape " + shape;
        }
        status.line("first frame" + (multi ? " (server " + f->peer + ")" : std::string()) + ": " + shape + ", " +
                    std::to_string(m.channels()) + " channel(s), " + cv::typeToString(m.type()));
        if (status.tty()) {
          status.show(status_text(now), now);
        } else {
          status.defer(now);  // the first plain line once there is a rate to show
        }
      }
      if (recorder) {
        double fps_hint = 0;
        if (f->message.is_object()) {
          auto it = f->message.find("fps");
          if (it != f->message.end() && it->is_number()) fps_hint = it->get<double>();
        }
        if (per_server) {
          per_server->write(f->peer, f->image, fps_hint);
        } else {
          recorder->write(f->image, fps_hint);
        }
      }
      bool joined = false;  // a new server: its tile is shown at once
      if (mosaic) {
        const std::size_t tiles = mosaic->size();
        mosaic->on_frame(f->peer, f->image, now);
        joined = mosaic->size() != tiles;
      }
      if (!(mosaic ? refresh_mosaic(now, joined) : viewer.show(f->image))) {
        reason = "window_closed";
        break;
      }
      if (flags.frames > 0 && stats.frames() >= flags.frames) {
        reason = "frames";
        break;
      }
      if (status.due(now)) status.show(status_text(now), now);
    }
  } catch (const std::exception& e) {
    // recv() rethrew what stopped the receiving thread, or the recording failed: report it with
    // the summary of what came before.
    out.error = one_line(e.what());
    reason = "failed";
  }
  if (per_server) per_server->close();
  if (recorder) recorder->close();
  status.finish();
  if (reason == "signal") {
    const int sig = stop_signal();
    status.line(std::string("stopping: ") + (sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "signal") +
                " received");
  }
  out.summary = stats.summary(ng.stats(), reason);
  if (multi) {
    out.summary.multi_server = true;
    out.summary.servers = server_counts.summary(ng.peers());
    for (const auto& srv : out.summary.servers) {
      status.line("server " + srv.port + ": " + std::to_string(srv.frames) + " frames, " + fixed(srv.fps, 1) +
                  " fps" + (srv.terminated ? ", terminated" : ""));
    }
  }
  if (per_server) {
    for (const auto& line : per_server->report()) status.line(line);
  } else if (recorder) {
    status.line("recorded " + std::to_string(recorder->frames()) + " frames to " + recorder->describe());
  }
  return out;
}

int finish_receive(const ReceiveOutcome& o, const ReceiveFlags& flags, const std::string& endpoint) {
  print_line(o.summary.to_line());
  int code = kExitOk;
  if (!o.error.empty()) {
    std::fprintf(stderr, "netgear: error: %s\n", o.error.c_str());
    code = kExitFailure;
  } else if (o.summary.end_reason == "signal") {
    code = kExitOk;
  } else if (o.summary.frames == 0) {
    if (o.no_frame_timeout) {
      std::fprintf(stderr,
                   "netgear: error: no frame arrived on %s within %s s: is a sender running, connecting to this "
                   "machine's address with the same --port, --protocol and --pattern?\n",
                   endpoint.c_str(), fixed(flags.timeout, 1).c_str());
    } else {
      std::fprintf(stderr, "netgear: error: the stream ended (%s) before any frame arrived on %s\n",
                   o.summary.end_reason.c_str(), endpoint.c_str());
    }
    code = kExitNoFrames;
  }
  if (!flags.stats_json.empty()) {
    try {
      write_text_file(flags.stats_json, o.summary.to_json().dump(2) + "\n");
    } catch (const std::exception& e) {
      std::fprintf(stderr, "netgear: error: --stats-json: %s\n", one_line(e.what()).c_str());
      if (code == kExitOk) code = kExitFailure;
    }
  }
  std::fflush(stderr);
  return code;
}

}  // namespace netgear::cli
