// `netgear send`.
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "cli_common.hpp"
#include "commands.hpp"

namespace netgear::cli {

using Clock = std::chrono::steady_clock;

namespace {

// The SSH tunnel in friendlier words than the vidgear-named flags (which work too; these win).
struct SshFlags {
  std::string server, keyfile, password_env, known_hosts;
  bool accept_new = false;
};

void add_ssh_flags(CLI::App& sub, SshFlags& f) {
  const char* group = "SSH tunnel (docs/ssh-tunnel.md)";
  sub.add_option("--ssh-tunnel", f.server,
                 "reach the receiver through this SSH server; --address/--port are then the receiver's as the SSH "
                 "host sees it (e.g. 127.0.0.1). USER defaults to you, PORT to 22, IPv6 in brackets")
      ->type_name("[USER@]HOST[:PORT]")
      ->group(group);
  sub.add_option("--ssh-keyfile", f.keyfile, "private key to log in with. Default: the password, else the ssh-agent")
      ->type_name("FILE")
      ->group(group);
  sub.add_option("--ssh-password-env", f.password_env,
                 "read the password (with --ssh-keyfile: the key's passphrase) from this environment variable; "
                 "not given on the command line, where ps would show it")
      ->type_name("VAR")
      ->group(group);
  sub.add_option("--ssh-known-hosts", f.known_hosts, "known_hosts file to check the server's key against. Default "
                                                      "~/.ssh/known_hosts")
      ->type_name("FILE")
      ->group(group);
  sub.add_flag("--ssh-accept-new", f.accept_new,
               "accept and remember a host key that is not known yet (never a changed one); check the fingerprint")
      ->group(group);
}

void apply_ssh_flags(const SshFlags& f, Config& c) {
  if (f.server.empty()) {
    if (!f.keyfile.empty() || !f.password_env.empty() || !f.known_hosts.empty() || f.accept_new) {
      throw UsageError("--ssh-keyfile, --ssh-password-env, --ssh-known-hosts and --ssh-accept-new need --ssh-tunnel "
                       "[USER@]HOST[:PORT]");
    }
    return;
  }
  Options::SshTunnel t = c.options.ssh_tunnel.value_or(Options::SshTunnel{});
  t.server = f.server;
  if (!f.keyfile.empty()) t.keyfile = f.keyfile;
  if (!f.known_hosts.empty()) t.known_hosts = f.known_hosts;
  if (f.accept_new) t.accept_new = true;
  if (!f.password_env.empty()) {
    const char* value = std::getenv(f.password_env.c_str());
    if (!value || !*value) {
      throw UsageError("--ssh-password-env " + f.password_env + ": the environment variable " + f.password_env +
                       " is not set (or empty)");
    }
    t.password = value;
  }
  c.options.ssh_tunnel = t;
  validate(c.options);  // a malformed --ssh-tunnel is a usage error naming ssh_tunnel_mode
}

struct SendArgs {
  NetgearFlags net;
  SshFlags ssh;
  SourceSpec source;
  double fps = 0;
  std::uint64_t frames = 0;
  std::string stats_json;
  CLI::Option* fps_opt = nullptr;
  CLI::Option* width_opt = nullptr;
  CLI::Option* height_opt = nullptr;
};

std::string pace_text(double fps) { return fps > 0 ? fixed(fps, 2) + " fps" : "as fast as possible"; }

int run_send(SendArgs& a) {
  Config cfg = build_config(a.net, false);
  apply_ssh_flags(a.ssh, cfg);
  a.source.size_given = a.width_opt->count() > 0 || a.height_opt->count() > 0;
  auto source = open_source(a.source);
  const double fps = a.fps_opt->count() > 0 ? a.fps : source->native_fps();

  NetGear ng(cfg);
  StatusLine status;
  const std::string where = cfg.options.ssh_tunnel
                                ? (cfg.address.empty() ? std::string("localhost") : cfg.address) + ":" +
                                      (cfg.port.empty() ? std::string("5555") : cfg.port.text()) + " through ssh " +
                                      cfg.options.ssh_tunnel->server + " (local " + ng.endpoint() + ")"
                                : ng.endpoint();
  status.line("netgear send: " + source->describe() + " -> " + where + " (pattern " +
              std::string(to_string(cfg.pattern)) + ", " + pace_text(fps) +
              (a.frames ? ", " + std::to_string(a.frames) + " frames" : std::string()) + ")");
  SendOutcome o = send_loop(ng, *source, fps, a.frames, 0, nullptr, &status);
  ng.close();  // sends the termination message
  status.finish();
  if (o.end_reason == "signal") {
    status.line(std::string("stopping: ") + (stop_signal() == SIGINT ? "SIGINT" : "SIGTERM") + " received");
  }
  print_line(send_summary_line(o, ng.stats()));
  // Multi-client mode: what each client took (NetGear::peers()).
  const bool per_client = cfg.options.topology == Topology::MultiClient;
  json clients = json::array();
  if (per_client) {
    for (const PeerStats& p : ng.peers()) {
      print_line("  client " + p.peer + ": " + std::to_string(p.frames) + " frames, " + std::to_string(p.frames_lost) +
                 " lost, " + fixed(static_cast<double>(p.bytes) / 1e6, 2) + " MB");
      clients.push_back({{"port", p.peer}, {"frames", p.frames}, {"frames_lost", p.frames_lost}, {"bytes", p.bytes}});
    }
  }
  int code = kExitOk;
  if (!o.error.empty()) {
    std::fprintf(stderr, "netgear: error: %s\n", o.error.c_str());
    code = kExitFailure;
  }
  if (!a.stats_json.empty()) {
    try {
      json j = send_summary_json(o, ng.stats());
      if (per_client) j["clients"] = clients;
      write_text_file(a.stats_json, j.dump(2) + "\n");
    } catch (const std::exception& e) {
      std::fprintf(stderr, "netgear: error: --stats-json: %s\n", one_line(e.what()).c_str());
      code = kExitFailure;
    }
  }
  std::fflush(stderr);
  return code;
}

}  // namespace

SendOutcome send_loop(NetGear& ng, FrameSource& source, double fps, std::uint64_t frames, double seconds,
                      const std::atomic<bool>* stop, StatusLine* status) {
  SendOutcome o;
  Pacer pacer(fps);
  cv::Mat frame;
  const auto start = Clock::now();
  const auto end_at = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  // Live rate over the last second.
  auto tick_t = start;
  if (status) status->defer(start);
  std::uint64_t tick_frames = 0, tick_bytes = 0;
  try {
    for (;;) {
      if (stop_requested()) {
        o.end_reason = "signal";
        break;
      }
      if (stop && stop->load()) {
        o.end_reason = "stopped";
        break;
      }
      if (frames > 0 && o.attempted >= frames) {
        o.end_reason = "frames";
        break;
      }
      if (seconds > 0 && Clock::now() >= end_at) {
        o.end_reason = "seconds";
        break;
      }
      if (!source.next(frame)) {
        o.end_reason = "end_of_source";
        break;
      }
      pacer.wait();
      if (stop_requested()) {
        o.end_reason = "signal";
        break;
      }
      json message = {{"frame", o.attempted}};
      if (fps > 0) message["fps"] = fps;
      message["t_send"] = wall_seconds();  // last: right before send()
      SendResult r = ng.send(frame, message);
      ++o.attempted;
      if (!r.return_data.empty()) {
        ++o.returned;
        o.last_return = std::move(r.return_data);
      }

      const auto now = Clock::now();
      if (status && status->due(now)) {
        const Stats st = ng.stats();
        const double dt = std::chrono::duration<double>(now - tick_t).count();
        const double rate = dt > 0 ? static_cast<double>(o.attempted - tick_frames) / dt : 0.0;
        const double mbps = dt > 0 ? static_cast<double>(st.bytes - tick_bytes) * 8.0 / 1e6 / dt : 0.0;
        tick_t = now;
        tick_frames = o.attempted;
        tick_bytes = st.bytes;
        status->show("send: " + std::to_string(o.attempted) + " frames | " + fixed(rate, 1) + " fps | " +
                         fixed(mbps, 2) + " Mbit/s | lost " + std::to_string(st.frames_lost) + " | resent " +
                         std::to_string(st.frames_resent) + " | reconnects " + std::to_string(st.reconnects) +
                         (o.returned ? " | returned " + std::to_string(o.returned) + ", last " +
                                           return_text(o.last_return)
                                     : std::string()),
                     now);
      }
    }
  } catch (const std::exception& e) {
    o.end_reason = "failed";
    o.error = one_line(e.what());
  }
  o.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return o;
}

std::string send_summary_line(const SendOutcome& o, const Stats& st, const char* prefix) {
  const double fps = o.seconds > 0 ? static_cast<double>(o.attempted) / o.seconds : 0.0;
  const double mbps = o.seconds > 0 ? static_cast<double>(st.bytes) * 8.0 / 1e6 / o.seconds : 0.0;
  return std::string(prefix) + ": " + std::to_string(st.frames) + " frames sent, " + std::to_string(st.frames_lost) +
         " lost, " + (st.frames_dropped ? std::to_string(st.frames_dropped) + " dropped (subscriber behind), " : std::string()) + std::to_string(st.frames_resent) + " resent, " + std::to_string(st.reconnects) + " reconnects, " + fixed(fps, 1) + " fps, " + fixed(mbps, 2) +
         " Mbit/s, " + fixed(o.seconds, 2) + " s, " +
         (o.returned ? std::to_string(o.returned) + " returned (last " + return_text(o.last_return) + "), "
                     : std::string()) +
         "end: " + o.end_reason;
}

std::string return_text(const ReturnData& d) {
  if (d.has_frame()) {
    const cv::Mat& m = d.frame;
    if (m.dims == 2) return "frame " + std::to_string(m.cols) + "x" + std::to_string(m.rows);
    std::string shape;
    for (int i = 0; i < m.dims; ++i) shape += (i ? "x" : "") + std::to_string(m.size[i]);
    return "frame shape " + shape;
  }
  std::string text = d.value.dump(-1, ' ', false, json::error_handler_t::replace);
  constexpr std::size_t kMax = 40;
  if (text.size() > kMax) {
    std::size_t cut = kMax - 3;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
    text = text.substr(0, cut) + "...";
  }
  return text;
}

json return_json(const ReturnData& d) {
  if (d.has_frame()) {
    const cv::Mat& m = d.frame;
    json shape = json::array();
    if (m.dims == 2) {
      shape = {m.cols, m.rows, m.channels()};
    } else {
      for (int i = 0; i < m.dims; ++i) shape.push_back(m.size[i]);
    }
    return {{"frame", shape}};
  }
  return d.value;
}

json send_summary_json(const SendOutcome& o, const Stats& st) {
  auto round3 = [](double v) { return std::round(v * 1000.0) / 1000.0; };
  const double fps = o.seconds > 0 ? static_cast<double>(o.attempted) / o.seconds : 0.0;
  const double mbps = o.seconds > 0 ? static_cast<double>(st.bytes) * 8.0 / 1e6 / o.seconds : 0.0;
  json j;
  j["frames"] = st.frames;
  j["attempted"] = o.attempted;
  j["frames_lost"] = st.frames_lost;
  j["frames_dropped"] = st.frames_dropped;
  j["frames_resent"] = st.frames_resent;
  j["reconnects"] = st.reconnects;
  j["malformed_replies"] = st.malformed_replies;
  j["fps"] = round3(fps);
  j["mbps"] = round3(mbps);
  j["seconds"] = round3(o.seconds);
  j["end_reason"] = o.end_reason;
  j["returned"] = o.returned;
  j["last_return"] = o.returned ? return_json(o.last_return) : json(nullptr);
  if (!o.error.empty()) j["error"] = o.error;
  return j;
}

void register_send(CLI::App& root, Action& action) {
  auto args = std::make_shared<SendArgs>();
  CLI::App* sub = root.add_subcommand(
      "send", "send frames to a receiver (the sender connects to the receiver's --address and --port)");
  sub->add_option("--source", args->source.source,
                  "where frames come from: 'pattern' (built-in moving test pattern), a video file, a folder of "
                  "images (sorted by name), camera:N or /dev/videoN (V4L2). Default pattern")
      ->type_name("SOURCE")
      ->group("Source");
  args->width_opt = sub->add_option("--width", args->source.width,
                                    "frame width in pixels: the pattern's size (default 640); files and folders are "
                                    "resized, cameras asked for it, when given")
                        ->type_name("PIXELS")
                        ->check(CLI::Range(16, 16384))
                        ->group("Source");
  args->height_opt = sub->add_option("--height", args->source.height, "frame height in pixels (default 480), as --width")
                         ->type_name("PIXELS")
                         ->check(CLI::Range(16, 16384))
                         ->group("Source");
  args->fps_opt = sub->add_option("--fps", args->fps,
                                  "frames per second to send at; 0 = as fast as possible. Default: the source's own "
                                  "rate (pattern and folders 30, files their recorded rate, cameras their own pace)")
                      ->type_name("FPS")
                      ->check(CLI::Range(0.0, 10000.0))
                      ->group("Source");
  sub->add_option("--frames", args->frames, "stop after N frames (0 = no limit). Default 0")
      ->type_name("N")
      ->group("Source");
  sub->add_flag("--loop", args->source.loop, "replay a video file or folder from the start when it ends")
      ->group("Source");
  sub->add_option("--stats-json", args->stats_json,
                  "write the final summary as a JSON object to this file, with the receiver's return data "
                  "(\"returned\", \"last_return\"; docs/cli.md)")
      ->type_name("FILE")
      ->group("Output");
  add_netgear_flags(*sub, args->net, Role::Sender);
  add_ssh_flags(*sub, args->ssh);
  sub->footer(exit_codes_help());
  sub->callback([args, &action] { action = [args] { return run_send(*args); }; });
}

}  // namespace netgear::cli
