#include "secure.hpp"

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>
#include <vector>

#include <zmq.h>

#include "common.hpp"
#include "netgear/keys.hpp"
#include "process.hpp"

namespace netgear::bench {

namespace {

using json = nlohmann::json;
using namespace std::chrono_literals;

void say(const std::string& text) { std::cerr << "[bench] " << text << std::endl; }

bool starts_with(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

struct Run {
  bool ok = false;
  std::string error;
  json result;
  double fps() const { return ok ? result.value("fps", 0.0) : 0.0; }
};

// One receiver/sender pair of child processes: the receiver prints "ready TOKEN", the sender is
// started with tx(TOKEN), the receiver's "result {...}" line is the outcome.
Run run_once(const std::string& exe, const std::vector<std::string>& rx_args,
             const std::function<std::vector<std::string>(const std::string&)>& tx_args, std::chrono::milliseconds window) {
  Run out;
  Child rx, tx;
  try {
    rx = Child::spawn(exe, rx_args);
    const auto ready = rx.read_line(Clock::now() + 15s);
    if (!ready || !starts_with(*ready, "ready ")) {
      out.error = "receiver did not start";
    } else {
      tx = Child::spawn(exe, tx_args(ready->substr(6)));
      const auto deadline = Clock::now() + window + 10s;
      while (Clock::now() < deadline) {
        const auto line = rx.read_line(std::min(deadline, Clock::now() + 250ms));
        if (line && starts_with(*line, "result ")) {
          out.result = json::parse(line->substr(7));
          out.ok = out.result.value("frames", std::uint64_t{0}) > 0 && out.result.value("complete", false);
          if (!out.ok) out.error = "incomplete measuring window";
          break;
        }
        if (!line && rx.wait_until(Clock::now())) {
          out.error = "receiver ended without a result";
          break;
        }
      }
      if (!out.ok && out.error.empty()) out.error = "no result within the deadline";
    }
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  if (tx.valid()) {
    tx.signal(SIGTERM);
    if (!tx.wait_until(Clock::now() + 5s)) tx.kill_now();
  }
  if (rx.valid() && !rx.wait_until(Clock::now() + 5s)) rx.kill_now();
  return out;
}

Run run_pair(const SecureSettings& s, const std::string& exe, const std::vector<std::string>& rx,
             const std::function<std::vector<std::string>(const std::string&)>& tx) {
  Run out;
  for (int attempt = 1; attempt <= s.attempts; ++attempt) {
    out = run_once(exe, rx, tx, s.warmup + s.duration);
    if (out.ok) break;
    say("  attempt " + std::to_string(attempt) + " failed: " + out.error);
  }
  return out;
}

std::vector<std::string> timing(const SecureSettings& s) {
  return {"--ring", std::to_string(s.ring), "--warmup-ms", std::to_string(s.warmup.count()), "--duration-ms",
          std::to_string(s.duration.count()), "--timeout", std::to_string(s.timeout_s)};
}

Run run_netgear(const SecureSettings& s, const std::string& exe, FrameSize size, bool jpeg, const std::string& cert_dir) {
  std::vector<std::string> common = {"--pattern", "0", "--transport", "tcp", "--width", std::to_string(size.width),
                                     "--height", std::to_string(size.height)};
  const auto t = timing(s);
  common.insert(common.end(), t.begin(), t.end());
  if (jpeg) common.push_back("--jpeg");
  if (!cert_dir.empty()) {
    common.insert(common.end(), {"--secure-mode", "1", "--cert-dir", cert_dir});
  }
  std::vector<std::string> rx = {kPeerCommand, "--role", "recv", "--port", "0"};
  rx.insert(rx.end(), common.begin(), common.end());
  return run_pair(s, exe, rx, [&](const std::string& port) {
    std::vector<std::string> tx = {kPeerCommand, "--role", "send", "--port", port};
    tx.insert(tx.end(), common.begin(), common.end());
    return tx;
  });
}

struct Keys {
  std::string server_public, server_secret, client_public, client_secret;
};

Run run_zmq(const SecureSettings& s, const std::string& exe, std::size_t bytes, const std::optional<Keys>& curve) {
  std::vector<std::string> common = {"--mode", "pingpong", "--transport", "tcp", "--size", std::to_string(bytes)};
  const auto t = timing(s);
  common.insert(common.end(), t.begin(), t.end());
  std::vector<std::string> rx = {kZmqCommand, "--role", "recv", "--endpoint", "unused"};
  rx.insert(rx.end(), common.begin(), common.end());
  if (curve) rx.insert(rx.end(), {"--curve-secret", curve->server_secret});
  return run_pair(s, exe, rx, [&](const std::string& endpoint) {
    std::vector<std::string> tx = {kZmqCommand, "--role", "send", "--endpoint", endpoint};
    tx.insert(tx.end(), common.begin(), common.end());
    if (curve) {
      tx.insert(tx.end(), {"--curve-server", curve->server_public, "--curve-public", curve->client_public,
                           "--curve-secret", curve->client_secret});
    }
    return tx;
  });
}

// The median of the runs that worked (the result object of the median run, its fps the median).
Run median(std::vector<Run> runs) {
  std::vector<Run> ok;
  for (auto& r : runs)
    if (r.ok) ok.push_back(r);
  if (ok.empty()) return runs.empty() ? Run{} : runs.back();
  std::sort(ok.begin(), ok.end(), [](const Run& a, const Run& b) { return a.fps() < b.fps(); });
  Run m = ok[ok.size() / 2];
  json fps = json::array();
  for (const auto& r : runs) fps.push_back(r.fps());
  m.result["rounds_fps"] = fps;
  return m;
}

struct Row {
  std::string name;     // "640x480/jpeg"
  FrameSize size;
  bool jpeg = false;
  Run plain, secure;    // NetGear
  Run zmq, zmq_curve;   // bare libzmq ping-pong of the secure case's message size
  std::size_t bytes = 0;
};

json run_json(const Run& r) {
  json j = {{"ok", r.ok}, {"fps", r.fps()}};
  if (r.ok) {
    for (const char* k : {"p50_ms", "p99_ms", "mbps", "cpu_ms_per_frame", "bytes_per_frame", "rounds_fps"}) {
      if (r.result.contains(k)) j[k] = r.result[k];
    }
  } else {
    j["error"] = r.error;
  }
  return j;
}

double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }

}  // namespace

SecureReport run_secure_group(const SecureSettings& s, const std::string& exe) {
  SecureReport rep;
  std::string base = (std::filesystem::temp_directory_path() / "netgear-bench-keys-XXXXXX").string();
  if (::mkdtemp(base.data()) == nullptr) {
    rep.table = "secure: cannot make a temporary key folder\n";
    return rep;
  }
  netgear::generate_keys(base);  // the NetGear peers' key set (StoneHouse)
  Keys k;                        // throw-away pairs for the bare libzmq baseline
  {
    char pub[41], sec[41];
    zmq_curve_keypair(pub, sec);
    k.server_public = pub;
    k.server_secret = sec;
    zmq_curve_keypair(pub, sec);
    k.client_public = pub;
    k.client_secret = sec;
  }

  std::vector<Row> rows = {{"640x480/jpeg", {640, 480}, true, {}, {}, {}, {}, 0},
                           {"1920x1080/raw", {1920, 1080}, false, {}, {}, {}, {}, 0}};
  for (auto& row : rows) {
    std::vector<Run> plain, secure, zmq, curve;
    for (int round = 0; round < std::max(1, s.rounds); ++round) {
      say("secure " + row.name + " round " + std::to_string(round + 1) + ": pattern 0, tcp, plain then StoneHouse, "
          "then bare libzmq plain and CURVE");
      plain.push_back(run_netgear(s, exe, row.size, row.jpeg, ""));
      secure.push_back(run_netgear(s, exe, row.size, row.jpeg, base));
      // The bare baseline moves messages of the size NetGear's payload had (the mean JPEG size).
      if (row.bytes == 0) {
        const Run& ref = secure.back().ok ? secure.back() : plain.back();
        row.bytes = row.jpeg ? static_cast<std::size_t>(ref.result.value("bytes_per_frame", 0.0)) : row.size.raw_bytes();
      }
      if (row.bytes > 0) {
        zmq.push_back(run_zmq(s, exe, row.bytes, std::nullopt));
        curve.push_back(run_zmq(s, exe, row.bytes, k));
      }
    }
    row.plain = median(plain);
    row.secure = median(secure);
    row.zmq = median(zmq);
    row.zmq_curve = median(curve);
    say("  " + row.name + ": plain " + fmt("%.1f", row.plain.fps()) + " fps, secure " + fmt("%.1f", row.secure.fps()) +
        " fps; bare libzmq " + fmt("%.1f", row.zmq.fps()) + ", bare CURVE " + fmt("%.1f", row.zmq_curve.fps()) +
        " msgs/s");
  }
  std::error_code ec;
  std::filesystem::remove_all(base, ec);

  rep.ok = true;
  std::ostringstream t;
  t << "\nSecure mode: pattern 0 (PAIR, each frame acknowledged), tcp, StoneHouse; bare libzmq is a PAIR\n"
       "ping-pong of the same message size (the payload, or the mean JPEG size), plain and CURVE.\n\n";
  char line[256];
  std::snprintf(line, sizeof line, "%-15s %10s %10s %8s %11s %11s %8s %9s\n", "case", "plain fps", "secure fps",
                "sec/pl", "zmq msg/s", "CURVE msg/s", "CURVE/zmq", "sec/CURVE");
  t << line;
  for (const auto& row : rows) {
    const bool ok = row.plain.ok && row.secure.ok && row.zmq.ok && row.zmq_curve.ok;
    rep.ok = rep.ok && ok;
    std::snprintf(line, sizeof line, "%-15s %10.1f %10.1f %8.2f %11.1f %11.1f %8.2f %9.2f\n", row.name.c_str(),
                  row.plain.fps(), row.secure.fps(), ratio(row.secure.fps(), row.plain.fps()), row.zmq.fps(),
                  row.zmq_curve.fps(), ratio(row.zmq_curve.fps(), row.zmq.fps()),
                  ratio(row.secure.fps(), row.zmq_curve.fps()));
    t << line;
    const double r = ratio(row.secure.fps(), row.zmq_curve.fps());
    json target = json::array();
    if (!row.jpeg) {
      target.push_back({{"name", "secure NetGear >= 0.85 x bare CURVE libzmq (1920x1080 raw)"},
                        {"value", r},
                        {"limit", 0.85},
                        {"met", r >= 0.85}});
    }
    rep.cases.push_back({{"group", "secure"},
                         {"case", "secure/pair/tcp/" + row.name},
                         {"pattern", 0},
                         {"transport", "tcp"},
                         {"width", row.size.width},
                         {"height", row.size.height},
                         {"compression", row.jpeg ? "jpeg" : "raw"},
                         {"secure_mode", 1},
                         {"message_bytes", row.bytes},
                         {"plain", run_json(row.plain)},
                         {"secure", run_json(row.secure)},
                         {"baselines", {{"zmq_pair", run_json(row.zmq)}, {"zmq_pair_curve", run_json(row.zmq_curve)}}},
                         {"secure_over_plain", ratio(row.secure.fps(), row.plain.fps())},
                         {"curve_over_zmq", ratio(row.zmq_curve.fps(), row.zmq.fps())},
                         {"ratio", r},
                         {"bound", "zmq_pair_curve"},
                         {"targets", target}});
    if (!row.jpeg) {
      t << "target: secure NetGear >= 0.85 x bare CURVE libzmq on 1920x1080 raw: " << fmt("%.2f", r)
        << (r >= 0.85 ? " (met)" : " (NOT met)") << "\n";
    }
  }
  rep.table = t.str();
  return rep;
}

}  // namespace netgear::bench
