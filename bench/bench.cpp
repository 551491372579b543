// `netgear bench`: NetGear's throughput and latency over a matrix of cases, each next to bounds
// measured in the same run (bare libzmq PAIR moving the same bytes, bare TurboJPEG on the same
// frames). Sender and receiver are separate processes: this executable re-started with hidden
// subcommands (peers.cpp). docs/benchmarks.md explains the numbers.
#include "bench.hpp"
#include "soak.hpp"
#include "codec.hpp"

#include <signal.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include <zmq.h>
#include <nlohmann/json.hpp>

#include "netgear/memory.hpp"

#include "baselines.hpp"
#include "common.hpp"
#include "process.hpp"
#include "tunnel.hpp"
#include "secure.hpp"

namespace netgear::bench {

namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;
using ms = std::chrono::milliseconds;

struct BenchOptions {
  bool quick = false;
  bool json_out = false;
  double warmup_s = -1;  // <0: default for the mode
  double duration_s = -1;
  double codec_s = -1;
  std::vector<int> patterns;
  std::vector<std::string> transports;
  std::vector<std::string> sizes;
  std::vector<std::string> compressions;
  int ring = 8;
  int attempts = 2;
  int repeat = 1;
  double paced_fps = 100;
  bool bidirectional = false;
  bool multiserver = false;
  int servers = 4;
  bool multiclient = false;
  std::vector<int> clients;
  bool soak = false;
  double soak_minutes = 10;
  bool codec = false;  // bench/codec.cpp
  bool secure = false;  // bench/secure.cpp
};

struct Settings {
  ms warmup{};
  ms duration{};
  ms codec{};
  std::vector<int> patterns;
  std::vector<std::string> transports;
  std::vector<FrameSize> sizes;
  std::vector<bool> jpeg;  // false: raw
  int ring = 8;
  int attempts = 2;
  int repeat = 1;
  double paced_fps = 100;
  bool bidirectional = false;
  bool multiserver = false;
  int servers = 4;
  bool multiclient = false;
  std::vector<int> clients;  // client counts of the --multiclient cases
};

const char* pattern_name(int p) {
  switch (p) {
    case 0:
      return "pair";
    case 1:
      return "reqrep";
    default:
      return "pubsub";
  }
}

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

// What the processes of this run did about glibc's malloc thresholds: main() of the `netgear` tool
// has already called tune_allocator_for_frames() (a second call does the same again), and the
// children inherit its environment.
std::string allocator_tuning() { return netgear::to_string(netgear::tune_allocator_for_frames()); }

// The 1-minute load average: a benchmark on a busy machine is worth less, so it is printed along.
double load_average() {
  double l = -1;
  if (std::FILE* f = std::fopen("/proc/loadavg", "r")) {
    if (std::fscanf(f, "%lf", &l) != 1) l = -1;
    std::fclose(f);
  }
  return l;
}

void progress(const std::string& text) { std::cerr << "[bench] " << text << std::endl; }

// ---------------------------------------------------------------------------------------------
// Running one receiver/sender pair of child processes.

struct PairOutcome {
  bool ok = false;
  std::string error;
  json result;  // the receiver's "result" object
  json sender;  // the sender's "sent" object (may be null)
};

// A receiver's "result {...}" line: the outcome, ok only for a complete window with frames.
// false for any other line.
bool take_result(const std::string& line, PairOutcome& out) {
  if (!starts_with(line, "result ")) return false;
  out.result = json::parse(line.substr(7));
  if (out.result.value("frames", std::uint64_t{0}) == 0) {
    out.error = "the receiver got no frames";
  } else if (!out.result.value("complete", false)) {
    out.error = "the stream ended before the measuring window closed";
  } else {
    out.ok = true;
  }
  return true;
}

using TxArgs = std::function<std::vector<std::string>(const std::string& ready_token)>;

PairOutcome run_pair_once(const std::string& exe, const std::vector<std::string>& rx_args,
                          const TxArgs& tx_args, ms window) {
  PairOutcome out;
  Child rx, tx;
  try {
    rx = Child::spawn(exe, rx_args);
    auto ready = rx.read_line(Clock::now() + 15s);
    if (!ready || !starts_with(*ready, "ready ")) {
      auto st = rx.wait_until(Clock::now() + 1s);
      out.error = "receiver did not start (" + (st ? describe_status(*st) : std::string("no answer")) + ")";
    } else {
      tx = Child::spawn(exe, tx_args(ready->substr(6)));
      const auto deadline = Clock::now() + window + 10s;
      std::optional<Clock::time_point> sender_gone;
      while (Clock::now() < deadline) {
        auto line = rx.read_line(std::min(deadline, Clock::now() + 250ms));
        if (line) {
          if (take_result(*line, out)) break;
          continue;
        }
        if (rx.wait_until(Clock::now())) {
          out.error = "receiver ended without a result";
          break;
        }
        // A sender that died cannot produce the frames the receiver waits for: give the receiver
        // a moment, then give up instead of waiting for the full deadline.
        if (!sender_gone && tx.wait_until(Clock::now())) sender_gone = Clock::now();
        if (sender_gone && Clock::now() - *sender_gone > 2s) {
          out.error = "sender ended early (" + describe_status(*tx.wait_until(Clock::now())) + ")";
          break;
        }
      }
      if (!out.ok && out.error.empty()) out.error = "no result within the deadline";
    }
  } catch (const std::exception& e) {
    out.ok = false;
    out.error = e.what();
  }
  // Stop the sender (it closes its NetGear, which ends the receiver's stream), then make sure
  // both are gone.
  if (tx.valid()) {
    tx.signal(SIGTERM);
    auto st = tx.wait_until(Clock::now() + 5s);
    if (!st) {
      tx.kill_now();
      if (out.ok) progress("warning: sender did not stop within 5 s after SIGTERM; killed");
    } else if (out.ok && !(WIFEXITED(*st) && WEXITSTATUS(*st) == 0)) {
      progress("warning: sender " + describe_status(*st));
    }
    for (auto& l : tx.drain_lines()) {
      if (starts_with(l, "sent ")) {
        try {
          out.sender = json::parse(l.substr(5));
        } catch (const std::exception&) {
        }
      }
    }
  }
  if (rx.valid() && !rx.wait_until(Clock::now() + 5s)) {
    rx.kill_now();
    if (out.ok) progress("warning: receiver did not stop within 5 s; killed");
  }
  return out;
}

PairOutcome run_pair(const Settings& s, const std::string& exe, const std::vector<std::string>& rx_args,
                     const TxArgs& tx_args) {
  PairOutcome out;
  for (int attempt = 1; attempt <= s.attempts; ++attempt) {
    out = run_pair_once(exe, rx_args, tx_args, s.warmup + s.duration);
    if (out.ok) break;
    progress("  attempt " + std::to_string(attempt) + " failed: " + out.error);
  }
  return out;
}

// Several rounds of one measurement -> one: the median of each figure over the rounds that
// worked (the other fields come from the round with the median rate).
PairOutcome combine_rounds(const std::vector<PairOutcome>& rounds) {
  std::vector<const PairOutcome*> ok;
  for (const auto& r : rounds)
    if (r.ok) ok.push_back(&r);
  if (ok.empty()) return rounds.back();
  if (rounds.size() == 1) return *ok.front();
  std::sort(ok.begin(), ok.end(), [](const PairOutcome* a, const PairOutcome* b) {
    return a->result.value("fps", 0.0) < b->result.value("fps", 0.0);
  });
  PairOutcome out = *ok[ok.size() / 2];
  for (const char* key : {"fps", "mbps", "p50_ms", "p99_ms", "max_ms", "mean_ms", "cpu_ms_per_frame", "age_p50",
                          "age_p99", "age_max"}) {
    std::vector<double> v;
    for (const auto* r : ok) v.push_back(r->result.value(key, 0.0));
    out.result[key] = quantile(v, 0.5);
  }
  {
    std::vector<double> v;
    for (const auto* r : ok)
      if (r->sender.is_object()) v.push_back(r->sender.value("cpu_ms_per_frame", 0.0));
    if (!v.empty() && out.sender.is_object()) out.sender["cpu_ms_per_frame"] = quantile(v, 0.5);
  }
  json fps = json::array();
  for (const auto& r : rounds) fps.push_back(r.ok ? r.result.value("fps", 0.0) : 0.0);
  out.result["rounds_fps"] = fps;
  out.result["rounds_ok"] = ok.size();
  return out;
}

int child_timeout_s(const Settings& s) {
  return static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(s.warmup + s.duration).count()) +
         45;
}

std::string ipc_base(int n) {
  return "/tmp/netgear-bench-" + std::to_string(::getpid()) + "-" + std::to_string(n);
}

// ---------------------------------------------------------------------------------------------
// Results

struct ZmqResult {
  std::string transport;
  std::string mode;  // "pingpong" or "stream"
  std::size_t bytes = 0;
  PairOutcome run;
  double fps() const { return run.ok ? run.result.value("fps", 0.0) : 0.0; }
};

// One case with the baselines measured right before it: on a busy machine, measuring a bound and
// the case close together in time keeps the ratio meaningful.
struct CaseResult {
  int pattern = 0;
  std::string transport;
  FrameSize size;
  bool jpeg = false;
  PairOutcome run;
  std::size_t payload_bytes = 0;      // raw size, or the mean JPEG size
  ZmqResult zmq;                      // bare libzmq with payload_bytes messages
  std::optional<JpegBaseline> codec;  // JPEG cases: bare TurboJPEG on the same frames
  // JPEG cases of patterns 0/1: bare libzmq ping-pong of the same messages with the sender busy
  // for the encode time before each message and the receiver for the decode time after each
  // acknowledgement: the synchronous pipeline on this machine's CPUs, ZeroMQ's threads included.
  std::optional<ZmqResult> sync;
  // The same JPEG cases of patterns 0/1 with pipelined_send on the sender (opt-in).
  std::optional<PairOutcome> pipelined;
  double pipelined_fps() const { return pipelined && pipelined->ok ? pipelined->result.value("fps", 0.0) : 0.0; }
  std::optional<PairOutcome> paced;   // the latency case, again at a fixed, sustainable rate
  // The PUB/SUB freshness case: again with an application busy 5 ms per frame; its result has the
  // frames' ages in frame periods (age_p50, age_p99, age_max: see with_ages()).
  std::optional<PairOutcome> stale;
  std::optional<PairOutcome> stale_full;  // the same with the sender as fast as it can
  double bound_fps = 0;
  std::string bound_kind;
  double ratio = 0;
  std::string name() const {
    return std::string(pattern_name(pattern)) + "/" + transport + "/" + size.str() + "/" +
           (jpeg ? "jpeg" : "raw");
  }
  double fps() const { return run.ok ? run.result.value("fps", 0.0) : 0.0; }
};

// Bidirectional mode (--bidirectional): one case of the matrix run again with each kind of
// return data, the modes alternating round after round; the ratio is to the plain run (no return
// data) of the same group, i.e. what handing data back costs.
inline const std::vector<std::string> kReturnModes = {"none", "json", "frame", "exact"};

struct ReturnCase {
  int pattern = 0;
  std::string transport;
  FrameSize size;
  bool jpeg = false;
  std::string mode;  // bench-peer --return: none (plain), json, frame, exact
  PairOutcome run;
  double plain_fps = 0;  // the group's "none" run
  double ratio = 0;
  std::string name() const {
    return std::string(pattern_name(pattern)) + "/" + transport + "/" + size.str() + "/" + (jpeg ? "jpeg" : "raw") +
           "/" + (mode == "none" ? std::string("plain") : "return-" + mode);
  }
  double fps() const { return run.ok ? run.result.value("fps", 0.0) : 0.0; }
  std::uint64_t returned() const { return run.sender.is_object() ? run.sender.value("returned", std::uint64_t{0}) : 0; }
};

const char* return_mode_text(const std::string& m) {
  if (m == "json") return "sticky JSON dict";
  if (m == "frame") return "sticky 64x64 frame";
  if (m == "exact") return "exact pairing, JSON answer per frame";
  return "no return data";
}

// The application's time per frame in the PUB/SUB freshness case (issue 16: "a receiver that takes
// 5 ms per frame").
constexpr int kStaleWorkUs = 5000;
// The sender's rate in that case: a source five times as fast as the application. (As fast as it
// can, the sender's frame period is the time the transport takes to move one frame, and a frame's
// age counts the stages of the transport as much as the frames queued ahead of it; that run is
// printed too.)
constexpr int kStaleFps = 1000;

// A frame's age when the application got it (the sender's time stamp to recv(): the latency the
// receiver measured) in frame periods of that run's sender, i.e. 1 / the rate at which its
// subscriber took frames: "2" means two newer frames had left the sender by then. Adds age_p50,
// age_p99 and age_max to the receiver's result.
PairOutcome with_ages(PairOutcome run) {
  if (!run.ok || !run.sender.is_object()) return run;
  const double secs = run.sender.value("seconds", 0.0);
  const double frames = static_cast<double>(run.sender.value("frames", std::uint64_t{0}));
  if (secs <= 0 || frames <= 0) return run;
  const double period_ms = 1000.0 * secs / frames;
  run.result["period_ms"] = period_ms;
  run.result["age_p50"] = run.result.value("p50_ms", 0.0) / period_ms;
  run.result["age_p99"] = run.result.value("p99_ms", 0.0) / period_ms;
  run.result["age_max"] = run.result.value("max_ms", 0.0) / period_ms;
  return run;
}

struct Target {
  std::string name;
  std::string detail;
  double value = 0;
  double limit = 0;
  bool higher_is_better = true;
  bool ran = false;
  std::string case_name;  // the case it judges, when that case ran
  bool met() const { return ran && (higher_is_better ? value >= limit : value <= limit); }
};

ZmqResult run_zmq(const Settings& s, const std::string& exe, const std::string& transport,
                  const std::string& mode, std::size_t bytes, int& ipc_counter, std::size_t sockbuf = 0,
                  int send_work_us = 0, int recv_work_us = 0) {
  ZmqResult z{transport, mode, bytes, {}};
  const std::string path = ipc_base(++ipc_counter) + ".zmq";
  const std::vector<std::string> common = {"--mode",        mode,
                                           "--sockbuf",     std::to_string(sockbuf),
                                           "--send-work-us", std::to_string(send_work_us),
                                           "--work-us",     std::to_string(recv_work_us),
                                           "--transport",   transport,
                                           "--size",        std::to_string(bytes),
                                           "--ring",        std::to_string(s.ring),
                                           "--warmup-ms",   std::to_string(s.warmup.count()),
                                           "--duration-ms", std::to_string(s.duration.count()),
                                           "--timeout",     std::to_string(child_timeout_s(s))};
  std::vector<std::string> rx = {kZmqCommand, "--role", "recv", "--endpoint", path};
  rx.insert(rx.end(), common.begin(), common.end());
  z.run = run_pair(s, exe, rx, [&](const std::string& endpoint) {
    std::vector<std::string> tx = {kZmqCommand, "--role", "send", "--endpoint", endpoint};
    tx.insert(tx.end(), common.begin(), common.end());
    return tx;
  });
  ::unlink(path.c_str());
  return z;
}

PairOutcome run_netgear(const Settings& s, const std::string& exe, int pattern, const std::string& transport,
                        FrameSize size, bool jpeg, int& ipc_counter, int interval_us = 0,
                        const std::string& ret = "none", int work_us = 0, const std::string& tx_options = "") {
  const std::string address = ipc_base(++ipc_counter);
  std::vector<std::string> common = {"--pattern",     std::to_string(pattern),
                                     "--transport",   transport,
                                     "--address",     address,
                                     "--width",       std::to_string(size.width),
                                     "--height",      std::to_string(size.height),
                                     "--ring",        std::to_string(s.ring),
                                     "--warmup-ms",   std::to_string(s.warmup.count()),
                                     "--duration-ms", std::to_string(s.duration.count()),
                                     "--timeout",     std::to_string(child_timeout_s(s))};
  if (jpeg) common.push_back("--jpeg");
  std::vector<std::string> rx = {kPeerCommand, "--role", "recv", "--port", "0", "--return", ret,
                                 "--work-us", std::to_string(work_us)};
  const std::vector<std::string> pace = {"--interval-us", std::to_string(interval_us)};
  rx.insert(rx.end(), common.begin(), common.end());
  PairOutcome out = run_pair(s, exe, rx, [&](const std::string& port) {
    std::vector<std::string> tx = {kPeerCommand, "--role", "send", "--port", port};
    tx.insert(tx.end(), common.begin(), common.end());
    tx.insert(tx.end(), pace.begin(), pace.end());
    if (!tx_options.empty()) {
      tx.push_back("--options");
      tx.push_back(tx_options);
    }
    return tx;
  });
  ::unlink((address + ":0").c_str());
  return out;
}


// Multi-server mode (--multiserver): `servers` sender processes, each a server on its own port,
// into one receiver bound to all of them; the receiver counts the frames of each in its window.
struct MultiCase {
  int pattern = 1;
  std::string transport = "tcp";
  FrameSize size{640, 480};
  bool jpeg = true;
  int servers = 4;
  PairOutcome run;  // result: the receiver's (aggregate fps, "servers"); sender: null (see senders)
  std::vector<json> senders;
  std::string name() const {
    return "multiserver/" + std::string(pattern_name(pattern)) + "/" + transport + "/" + size.str() + "/" +
           (jpeg ? "jpeg" : "raw") + "/" + std::to_string(servers) + "-servers";
  }
  double fps() const { return run.ok ? run.result.value("fps", 0.0) : 0.0; }
  // Each server's share of the frames in the window, in the receiver's first-seen order; a
  // server that sent nothing in the window counts as a share of 0.
  std::vector<double> shares() const {
    std::vector<double> out;
    if (!run.ok) return out;
    const double total = static_cast<double>(run.result.value("frames", std::uint64_t{0}));
    for (const auto& srv : run.result.value("servers", json::array()))
      out.push_back(total > 0 ? static_cast<double>(srv.value("frames", std::uint64_t{0})) / total : 0.0);
    while (out.size() < static_cast<std::size_t>(servers)) out.push_back(0.0);
    return out;
  }
  double min_share() const {
    const auto v = shares();
    return v.empty() ? 0.0 : *std::min_element(v.begin(), v.end());
  }
  double max_share() const {
    const auto v = shares();
    return v.empty() ? 0.0 : *std::max_element(v.begin(), v.end());
  }
};

MultiCase run_multiserver_once(const Settings& s, const std::string& exe, int pattern, int servers,
                               int& ipc_counter) {
  MultiCase m;
  m.pattern = pattern;
  m.servers = servers;
  const std::string address = ipc_base(++ipc_counter);
  // A longer warm-up than a pair's: every server process has to start and connect before the
  // window opens, or the first one would take all of the early frames.
  const ms warmup = std::max<ms>(s.warmup, ms(1000));
  std::vector<std::string> common = {"--pattern",     std::to_string(pattern),
                                     "--transport",   m.transport,
                                     "--address",     address,
                                     "--width",       std::to_string(m.size.width),
                                     "--height",      std::to_string(m.size.height),
                                     "--ring",        std::to_string(s.ring),
                                     "--warmup-ms",   std::to_string(warmup.count()),
                                     "--duration-ms", std::to_string(s.duration.count()),
                                     "--timeout",     std::to_string(child_timeout_s(s) + 1),
                                     "--jpeg"};
  std::vector<std::string> rx_args = {kPeerCommand, "--role", "recv", "--servers", std::to_string(servers)};
  rx_args.insert(rx_args.end(), common.begin(), common.end());
  Child rx;
  std::vector<Child> tx;
  PairOutcome& out = m.run;
  try {
    rx = Child::spawn(exe, rx_args);
    auto ready = rx.read_line(Clock::now() + 15s);
    if (!ready || !starts_with(*ready, "ready ")) {
      auto st = rx.wait_until(Clock::now() + 1s);
      out.error = "receiver did not start (" + (st ? describe_status(*st) : std::string("no answer")) + ")";
    } else {
      const std::string ports = ready->substr(6);
      for (std::size_t start = 0;;) {
        const auto comma = ports.find(',', start);
        std::vector<std::string> args = {kPeerCommand, "--role", "send", "--multiserver", "--port",
                                         ports.substr(start, comma == std::string::npos ? std::string::npos
                                                                                          : comma - start)};
        args.insert(args.end(), common.begin(), common.end());
        tx.push_back(Child::spawn(exe, args));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      const auto deadline = Clock::now() + warmup + s.duration + 15s;
      while (Clock::now() < deadline) {
        auto line = rx.read_line(std::min(deadline, Clock::now() + 250ms));
        if (line) {
          if (take_result(*line, out)) break;
          continue;
        }
        if (rx.wait_until(Clock::now())) {
          out.error = "receiver ended without a result";
          break;
        }
        bool all_gone = true;
        for (auto& t : tx) all_gone = all_gone && t.wait_until(Clock::now()).has_value();
        if (all_gone) {
          out.error = "every sender ended early";
          break;
        }
      }
      if (!out.ok && out.error.empty()) out.error = "no result within the deadline";
    }
  } catch (const std::exception& e) {
    out.ok = false;
    out.error = e.what();
  }
  // Stop the servers (each terminates; the receiver's stream ends after the last one).
  for (auto& t : tx) t.signal(SIGTERM);
  for (auto& t : tx) {
    if (!t.wait_until(Clock::now() + 5s)) t.kill_now();
    for (auto& l : t.drain_lines()) {
      if (starts_with(l, "sent ")) {
        try {
          m.senders.push_back(json::parse(l.substr(5)));
        } catch (const std::exception&) {
        }
      }
    }
  }
  if (rx.valid() && !rx.wait_until(Clock::now() + 5s)) {
    rx.kill_now();
    if (out.ok) progress("warning: receiver did not stop within 5 s; killed");
  }
  ::unlink((address + ":1").c_str());
  return m;
}

MultiCase run_multiserver(const Settings& s, const std::string& exe, int pattern, int servers, int& ipc_counter) {
  MultiCase m;
  for (int attempt = 1; attempt <= s.attempts; ++attempt) {
    m = run_multiserver_once(s, exe, pattern, servers, ipc_counter);
    if (m.run.ok) break;
    progress("  attempt " + std::to_string(attempt) + " failed: " + m.run.error);
  }
  return m;
}


// Multi-client mode (--multiclient): one sender process in multi-client mode to `clients`
// receiver processes, each a client bound to its own port. The sender's CPU time per frame shows
// what each further client costs (the frame is encoded once and its bytes shared); each client's
// own receive rate shows the spread.
struct ClientsCase {
  int pattern = 1;
  FrameSize size{640, 480};
  int clients = 1;
  std::vector<json> received;  // each client's "result" object, in port order
  json sender;                 // the sender's "sent" object
  bool ok = false;
  std::string error;
  std::string name() const {
    return "multiclient/" + std::string(pattern_name(pattern)) + "/tcp/" + size.str() + "/jpeg/" +
           std::to_string(clients) + (clients == 1 ? "-client" : "-clients");
  }
  double cpu_ms_per_frame() const { return sender.value("cpu_ms_per_frame", 0.0); }
  // Frames/s the sender sent (pattern 1: each to one client; pattern 2: each to all of them).
  double sender_fps() const {
    const double secs = sender.value("seconds", 0.0);
    return secs > 0 ? static_cast<double>(sender.value("frames", std::uint64_t{0})) / secs : 0.0;
  }
  std::vector<double> client_fps() const {
    std::vector<double> v;
    for (const auto& r : received) v.push_back(r.value("fps", 0.0));
    return v;
  }
};

ClientsCase run_multiclient_once(const Settings& s, const std::string& exe, int pattern, int clients) {
  ClientsCase m;
  m.pattern = pattern;
  m.clients = clients;
  const ms warmup = std::max<ms>(s.warmup, ms(1000));  // every client connected before the window
  const std::vector<std::string> common = {"--pattern",     std::to_string(pattern),
                                           "--transport",   "tcp",
                                           "--width",       std::to_string(m.size.width),
                                           "--height",      std::to_string(m.size.height),
                                           "--ring",        std::to_string(s.ring),
                                           "--warmup-ms",   std::to_string(warmup.count()),
                                           "--duration-ms", std::to_string(s.duration.count()),
                                           "--timeout",     std::to_string(child_timeout_s(s) + 1),
                                           "--multiclient", "--jpeg"};
  std::vector<Child> rx(static_cast<std::size_t>(clients));
  Child tx;
  std::vector<PairOutcome> outcomes(rx.size());
  try {
    std::string ports;
    for (auto& r : rx) {
      std::vector<std::string> args = {kPeerCommand, "--role", "recv"};
      args.insert(args.end(), common.begin(), common.end());
      r = Child::spawn(exe, args);
      auto ready = r.read_line(Clock::now() + 15s);
      if (!ready || !starts_with(*ready, "ready ")) throw std::runtime_error("a client did not start");
      ports += (ports.empty() ? "" : ",") + ready->substr(6);
    }
    std::vector<std::string> args = {kPeerCommand, "--role", "send", "--port", ports};
    args.insert(args.end(), common.begin(), common.end());
    tx = Child::spawn(exe, args);
    const auto deadline = Clock::now() + warmup + s.duration + 20s;
    std::size_t done = 0;
    while (done < rx.size() && Clock::now() < deadline) {
      bool any = false;
      for (std::size_t k = 0; k < rx.size(); ++k) {
        if (!outcomes[k].result.is_null() || !outcomes[k].error.empty()) continue;
        if (auto line = rx[k].read_line(Clock::now() + 50ms)) {
          any = true;
          if (take_result(*line, outcomes[k])) ++done;
        } else if (rx[k].wait_until(Clock::now())) {
          outcomes[k].error = "client ended without a result";
          ++done;
        }
      }
      if (!any && tx.wait_until(Clock::now())) break;  // the sender failed
    }
    m.ok = true;
    for (auto& o : outcomes) {
      if (!o.ok) {
        m.ok = false;
        m.error = o.error.empty() ? "no result within the deadline" : o.error;
      }
      m.received.push_back(o.result);
    }
  } catch (const std::exception& e) {
    m.ok = false;
    m.error = e.what();
  }
  // Stop the sender (it terminates every client) and read its report.
  if (tx.valid()) {
    tx.signal(SIGTERM);
    if (!tx.wait_until(Clock::now() + 10s)) tx.kill_now();
    for (auto& l : tx.drain_lines()) {
      if (!starts_with(l, "sent ")) continue;
      try {
        m.sender = json::parse(l.substr(5));
      } catch (const std::exception&) {
      }
    }
  }
  if (m.ok && m.sender.is_null()) {
    m.ok = false;
    m.error = "the sender sent no report";
  }
  for (auto& r : rx) {
    if (r.valid() && !r.wait_until(Clock::now() + 5s)) r.kill_now();
  }
  return m;
}

ClientsCase run_multiclient(const Settings& s, const std::string& exe, int pattern, int clients) {
  ClientsCase m;
  for (int attempt = 1; attempt <= s.attempts; ++attempt) {
    m = run_multiclient_once(s, exe, pattern, clients);
    if (m.ok) break;
    progress("  attempt " + std::to_string(attempt) + " failed: " + m.error);
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// Output

// The case with the fewest clients on `pattern`: the baseline of the CPU-per-frame ratio.
const ClientsCase* fewest_clients(const std::vector<ClientsCase>& all, int pattern) {
  const ClientsCase* best = nullptr;
  for (const auto& c : all) {
    if (c.pattern == pattern && c.ok && (!best || c.clients < best->clients)) best = &c;
  }
  return best;
}

void print_multiclient(std::ostream& os, const std::vector<ClientsCase>& all) {
  char line[512];
  os << "\nMulti-client mode: one sender process to N receiver processes (clients), each on its own port,\n"
        "as fast as it can; sender fps = frames sent per second (pattern 1: each to one client in turn;\n"
        "pattern 2: each to every client); CPU = the sender process's CPU time per frame (its ZeroMQ I/O\n"
        "thread included); ratio = that CPU to the same pattern's run with the fewest clients (target:\n"
        "<= 1.25 with 8 clients: a frame is encoded once whatever the clients)\n";
  std::snprintf(line, sizeof line, "%-48s %10s %9s %6s %18s\n", "case", "sender fps", "CPU ms/fr", "ratio",
                "client fps min-max");
  os << line;
  for (const auto& m : all) {
    if (!m.ok) {
      std::snprintf(line, sizeof line, "%-48s FAILED: %s\n", m.name().c_str(), m.error.c_str());
      os << line;
      continue;
    }
    const ClientsCase* one = fewest_clients(all, m.pattern);
    const auto fps = m.client_fps();
    const double lo = fps.empty() ? 0.0 : *std::min_element(fps.begin(), fps.end());
    const double hi = fps.empty() ? 0.0 : *std::max_element(fps.begin(), fps.end());
    const double ratio = one && one->cpu_ms_per_frame() > 0 ? m.cpu_ms_per_frame() / one->cpu_ms_per_frame() : 0.0;
    std::snprintf(line, sizeof line, "%-48s %10.1f %9.3f %6.2f %9.1f-%.1f\n", m.name().c_str(), m.sender_fps(),
                  m.cpu_ms_per_frame(), ratio, lo, hi);
    os << line;
  }
  // The target, for each pattern that ran with 8 clients (or more) and with 1.
  for (const auto& m : all) {
    const ClientsCase* one = fewest_clients(all, m.pattern);
    if (!m.ok || m.clients < 8 || !one || one->clients != 1 || one->cpu_ms_per_frame() <= 0) continue;
    const double ratio = m.cpu_ms_per_frame() / one->cpu_ms_per_frame();
    os << "  [" << (ratio <= 1.25 ? "met" : "MISSED") << "] " << pattern_name(m.pattern) << ": sender CPU per frame with "
       << m.clients << " clients <= 1.25 x with 1: " << fmt("%.3f", m.cpu_ms_per_frame()) << " / "
       << fmt("%.3f", one->cpu_ms_per_frame()) << " ms = " << fmt("%.2f", ratio) << "\n";
  }
}

json codec_json(const JpegBaseline& b) {
  return {{"size", b.size.str()},
          {"jpeg_bytes", b.jpeg_bytes},
          {"encode_ms", b.encode_ms},
          {"encode_p50_ms", b.encode_p50_ms},
          {"decode_ms", b.decode_ms},
          {"decode_p50_ms", b.decode_p50_ms},
          {"pipeline_fps", b.pipeline_fps()},
          {"serial_fps", b.serial_fps()},
          {"concurrent_fps", b.concurrent_fps},
          {"paced_fps", b.paced_fps},
          {"paced_encode_p50_ms", b.paced_encode_p50_ms},
          {"paced_decode_p50_ms", b.paced_decode_p50_ms},
          {"samples", b.samples}};
}

double rx_cpu(const PairOutcome& r) { return r.ok ? r.result.value("cpu_ms_per_frame", 0.0) : 0.0; }
double tx_cpu(const PairOutcome& r) {
  return r.ok && r.sender.is_object() ? r.sender.value("cpu_ms_per_frame", 0.0) : 0.0;
}

json zmq_json(const ZmqResult& z) {
  json e = {{"transport", z.transport}, {"mode", z.mode}, {"bytes", z.bytes}, {"ok", z.run.ok}};
  if (z.run.ok) {
    e["fps"] = z.run.result.value("fps", 0.0);
    e["mbps"] = z.run.result.value("mbps", 0.0);
    e["rx_cpu_ms_per_frame"] = rx_cpu(z.run);
    e["tx_cpu_ms_per_frame"] = tx_cpu(z.run);
    if (z.run.result.contains("rounds_fps")) e["rounds_fps"] = z.run.result["rounds_fps"];
    if (z.mode == "pingpong") {
      e["p50_ms"] = z.run.result.value("p50_ms", 0.0);
      e["p99_ms"] = z.run.result.value("p99_ms", 0.0);
    }
  } else {
    e["error"] = z.run.error;
  }
  return e;
}

// The keys every case object has, matrix or bidirectional: what ran and what it measured.
template <typename Case>
json run_json(const Case& c) {
  const json& r = c.run.result;
  json j;
  j["name"] = c.name();
  j["pattern"] = c.pattern;
  j["transport"] = c.transport;
  j["size"] = c.size.str();
  j["compression"] = c.jpeg ? "jpeg" : "raw";
  j["ok"] = c.run.ok;
  if (!c.run.ok) j["error"] = c.run.error;
  j["fps"] = c.fps();
  j["mbps"] = c.run.ok ? r.value("mbps", 0.0) : 0.0;
  j["p50_ms"] = c.run.ok ? r.value("p50_ms", 0.0) : 0.0;
  j["p99_ms"] = c.run.ok ? r.value("p99_ms", 0.0) : 0.0;
  j["frames"] = c.run.ok ? r.value("frames", std::uint64_t{0}) : 0;
  j["rx_cpu_ms_per_frame"] = rx_cpu(c.run);
  j["tx_cpu_ms_per_frame"] = tx_cpu(c.run);
  j["receiver"] = r;
  j["sender"] = c.run.sender;
  return j;
}

json case_json(const CaseResult& c) {
  json j = run_json(c);
  j["bound_fps"] = c.bound_fps;
  j["bound"] = c.bound_kind;
  j["ratio"] = c.ratio;
  j["payload_bytes"] = c.payload_bytes;
  j["zmq_fps"] = c.zmq.fps();
  if (c.sync) j["sync_fps"] = c.sync->fps();
  if (c.pipelined && c.pipelined->ok) {
    j["pipelined"] = {{"fps", c.pipelined_fps()},
                      {"p50_ms", c.pipelined->result.value("p50_ms", 0.0)},
                      {"p99_ms", c.pipelined->result.value("p99_ms", 0.0)},
                      {"ratio", c.bound_fps > 0 ? c.pipelined_fps() / c.bound_fps : 0.0}};
  }
  if (c.codec) {
    j["pipeline_fps"] = c.codec->pipeline_fps();
    j["serial_fps"] = c.codec->serial_fps();
    j["concurrent_fps"] = c.codec->concurrent_fps;
  }
  if (c.paced && c.paced->ok) {
    j["paced"] = {{"fps", c.paced->result.value("fps", 0.0)},
                  {"p50_ms", c.paced->result.value("p50_ms", 0.0)},
                  {"p99_ms", c.paced->result.value("p99_ms", 0.0)}};
  }
  auto stale_json = [](const PairOutcome& o, int sender_fps) {
    const json& r = o.result;
    return json{{"work_ms", kStaleWorkUs / 1000.0},  {"sender_fps", sender_fps},
                {"fps", r.value("fps", 0.0)},         {"period_ms", r.value("period_ms", 0.0)},
                {"p50_ms", r.value("p50_ms", 0.0)},   {"p99_ms", r.value("p99_ms", 0.0)},
                {"max_ms", r.value("max_ms", 0.0)},   {"age_p50", r.value("age_p50", 0.0)},
                {"age_p99", r.value("age_p99", 0.0)}, {"age_max", r.value("age_max", 0.0)}};
  };
  if (c.stale && c.stale->ok) j["stale"] = stale_json(*c.stale, kStaleFps);
  if (c.stale_full && c.stale_full->ok) j["stale_full_rate"] = stale_json(*c.stale_full, 0);
  return j;
}

void print_table(std::ostream& os, const std::vector<CaseResult>& cases, const std::vector<ReturnCase>& bidi,
                 const std::vector<MultiCase>& multi, const std::vector<Target>& targets, const Settings& s,
                 double wall_s, double load_before) {
  char line[512];
  os << "NetGear benchmark: " << s.warmup.count() << " ms warm-up + " << s.duration.count()
     << " ms measured per run, " << s.repeat
     << " round(s) per case (medians); sender and receiver in separate processes; "
     << std::thread::hardware_concurrency() << " CPUs, load average " << fmt("%.2f", load_before)
     << " before / " << fmt("%.2f", load_average()) << " after\n"
     << "allocator: " << allocator_tuning()
     << " (tune_allocator_for_frames(), as `netgear` calls it in every process; NETGEAR_ALLOCATOR_TUNING=0: off)\n\n";
  std::snprintf(line, sizeof line, "%-28s %8s %8s %7s %7s %9s  %-13s %6s\n", "case", "fps", "MB/s", "p50 ms",
                "p99 ms", "bound fps", "bound", "ratio");
  os << line;
  for (const auto& c : cases) {
    if (!c.run.ok) {
      std::snprintf(line, sizeof line, "%-28s FAILED: %s\n", c.name().c_str(), c.run.error.c_str());
      os << line;
      continue;
    }
    const json& r = c.run.result;
    std::snprintf(line, sizeof line, "%-28s %8.1f %8.1f %7.2f %7.2f %9.1f  %-13s %6.2f\n", c.name().c_str(),
                  c.fps(), r.value("mbps", 0.0), r.value("p50_ms", 0.0), r.value("p99_ms", 0.0), c.bound_fps,
                  c.bound_kind.c_str(), c.ratio);
    os << line;
  }

  bool any_pipelined = false;
  for (const auto& c : cases) any_pipelined = any_pipelined || c.pipelined_fps() > 0;
  if (any_pipelined) {
    os << "\nThe same cases with pipelined_send on the sender (opt-in: send() returns once the frame left; the\n"
          "next call settles its acknowledgement, so encoding overlaps the round trip):\n";
    for (const auto& c : cases) {
      if (c.pipelined_fps() <= 0) continue;
      const json& r = c.pipelined->result;
      std::snprintf(line, sizeof line, "%-28s %8.1f %8.1f %7.2f %7.2f %9.1f  %-13s %6.2f\n",
                    (c.name() + "/pipe").c_str(), c.pipelined_fps(), r.value("mbps", 0.0), r.value("p50_ms", 0.0),
                    r.value("p99_ms", 0.0), c.bound_fps, c.bound_kind.c_str(),
                    c.bound_fps > 0 ? c.pipelined_fps() / c.bound_fps : 0.0);
      os << line;
    }
  }

  os << "\nBaselines, measured in every round of each case, right before it (medians over the rounds):\n"
        "  libzmq: bare PAIR, two processes, one-part messages of the case's payload size, sent from as\n"
        "          many distinct buffers as NetGear's frame ring; pingpong = one 35-byte ack per message\n"
        "          (bound of patterns 0/1), stream = no ack, HWM 8, the better of the OS default socket\n"
        "          buffers and buffers of one message (bound of pattern 2); p50 = one-way latency\n"
        "          (pingpong only); sync (JPEG, patterns 0/1) = pingpong with the encode time as busy work\n"
        "          before each message and the decode time after each acknowledgement\n"
        "  TurboJPEG: tjCompress2 4:2:2 q90 fast DCT / tjDecompress2 fast DCT of the same frames, in one\n"
        "          process; pipeline = 1000/max(enc, dec), serial = 1000/(enc + dec) (enc, dec: means),\n"
        "          concur = measured rate with an encoding and a decoding thread running at once\n";
  std::snprintf(line, sizeof line, "%-28s %-8s %8s %9s %8s %7s | %6s %6s %6s %6s %8s %7s %7s\n", "case",
                "zmq mode", "bytes", "msgs/s", "MB/s", "p50 ms", "enc ms", "p50", "dec ms", "p50", "pipeline",
                "serial", "concur");
  os << line;
  for (const auto& c : cases) {
    std::string zpart;
    if (c.zmq.run.ok) {
      const json& r = c.zmq.run.result;
      std::snprintf(line, sizeof line, "%-8s %8zu %9.1f %8.1f %7s", c.zmq.mode.c_str(), c.zmq.bytes,
                    r.value("fps", 0.0), r.value("mbps", 0.0),
                    c.zmq.mode == "pingpong" ? fmt("%.3f", r.value("p50_ms", 0.0)).c_str() : "-");
      zpart = line;
    } else {
      zpart = "zmq FAILED: " + c.zmq.run.error;
    }
    std::string jpart;
    if (c.codec) {
      const auto& b = *c.codec;
      std::snprintf(line, sizeof line, " | %6.3f %6.3f %6.3f %6.3f %8.1f %7.1f %7.1f", b.encode_ms,
                    b.encode_p50_ms, b.decode_ms, b.decode_p50_ms, b.pipeline_fps(), b.serial_fps(),
                    b.concurrent_fps);
      jpart = line;
    }
    std::snprintf(line, sizeof line, "%-28s %s%s\n", c.name().c_str(), zpart.c_str(), jpart.c_str());
    os << line;
    if (c.sync && c.sync->run.ok) {
      std::snprintf(line, sizeof line, "%-28s %-8s %8zu %9.1f %8.1f %7.3f   (ping-pong, busy enc before / dec after)\n", "",
                    "sync", c.sync->bytes, c.sync->fps(), c.sync->run.result.value("mbps", 0.0),
                    c.sync->run.result.value("p50_ms", 0.0));
      os << line;
    }
  }

  os << "\nCPU time per frame, ms (whole process, all threads; sender: per send() call): NetGear vs the "
        "bare\n"
        "libzmq baseline of the same case; extra = NetGear - bare libzmq - bare TurboJPEG (decode for rx,\n"
        "encode for tx; JPEG cases), i.e. what the library itself costs per frame\n";
  std::snprintf(line, sizeof line, "%-28s %9s %9s | %9s %9s | %9s %9s\n", "case", "NG rx", "NG tx", "zmq rx",
                "zmq tx", "rx extra", "tx extra");
  os << line;
  for (const auto& c : cases) {
    if (!c.run.ok || !c.zmq.run.ok) continue;
    std::snprintf(line, sizeof line, "%-28s %9.3f %9.3f | %9.3f %9.3f | %+9.3f %+9.3f\n", c.name().c_str(),
                  rx_cpu(c.run), tx_cpu(c.run), rx_cpu(c.zmq.run), tx_cpu(c.zmq.run),
                  rx_cpu(c.run) - rx_cpu(c.zmq.run) - (c.codec ? c.codec->decode_ms : 0.0),
                  tx_cpu(c.run) - tx_cpu(c.zmq.run) - (c.codec ? c.codec->encode_ms : 0.0));
    os << line;
  }

  if (!bidi.empty()) {
    os << "\nBidirectional mode: the receiver hands data back with every acknowledgement (plain: none;\n"
          "return-json: a sticky small dict; return-frame: a sticky 64x64 frame, encoded once; return-exact:\n"
          "exact pairing, each frame answered with a small dict by the application); ratio = fps / plain fps\n"
          "of the same group; returned = sender's replies with data / frames sent\n";
    std::snprintf(line, sizeof line, "%-40s %8s %8s %7s %7s %6s %9s %9s %12s\n", "case", "fps", "MB/s", "p50 ms",
                  "p99 ms", "ratio", "rx cpu ms", "tx cpu ms", "returned");
    os << line;
    for (const auto& b : bidi) {
      if (!b.run.ok) {
        std::snprintf(line, sizeof line, "%-40s FAILED: %s\n", b.name().c_str(), b.run.error.c_str());
        os << line;
        continue;
      }
      const json& r = b.run.result;
      const std::uint64_t sent = b.run.sender.is_object() ? b.run.sender.value("frames", std::uint64_t{0}) : 0;
      const std::string returned = std::to_string(b.returned()) + "/" + std::to_string(sent);
      std::snprintf(line, sizeof line, "%-40s %8.1f %8.1f %7.2f %7.2f %6.2f %9.3f %9.3f %12s\n", b.name().c_str(),
                    b.fps(), r.value("mbps", 0.0), r.value("p50_ms", 0.0), r.value("p99_ms", 0.0), b.ratio,
                    rx_cpu(b.run), tx_cpu(b.run), returned.c_str());
      os << line;
    }
  }

  if (!multi.empty()) {
    os << "\nMulti-server mode: " << multi.front().servers
       << " sender processes (servers), each on its own port, into one receiver bound to all of them,\n"
          "all as fast as they can; fps = frames/s of all servers together; share = a server's part of the\n"
          "frames in the window (fair: 1/servers each)\n";
    std::snprintf(line, sizeof line, "%-44s %8s %8s %7s %7s %9s %9s\n", "case", "fps", "MB/s", "p50 ms", "p99 ms",
                  "min share", "max share");
    os << line;
    for (const auto& m : multi) {
      if (!m.run.ok) {
        std::snprintf(line, sizeof line, "%-44s FAILED: %s\n", m.name().c_str(), m.run.error.c_str());
        os << line;
        continue;
      }
      const json& r = m.run.result;
      std::snprintf(line, sizeof line, "%-44s %8.1f %8.1f %7.2f %7.2f %8.1f%% %8.1f%%\n", m.name().c_str(), m.fps(),
                    r.value("mbps", 0.0), r.value("p50_ms", 0.0), r.value("p99_ms", 0.0), 100.0 * m.min_share(),
                    100.0 * m.max_share());
      os << line;
    }
  }

  os << "\nTargets\n";
  for (const auto& t : targets) {
    if (!t.ran) {
      os << "  [not run] " << t.name << "\n";
      continue;
    }
    os << "  [" << (t.met() ? "met" : "MISSED") << "] " << t.name << ": " << t.detail << "\n";
  }
  os << "\nTotal wall time: " << fmt("%.1f", wall_s) << " s\n";
}

// ---------------------------------------------------------------------------------------------

Settings resolve(const BenchOptions& o) {
  Settings s;
  const double warmup = o.warmup_s >= 0 ? o.warmup_s : (o.quick ? 0.25 : 0.5);
  const double duration = o.duration_s > 0 ? o.duration_s : (o.quick ? 1.0 : 2.0);
  const double codec = o.codec_s > 0 ? o.codec_s : (o.quick ? 0.25 : 0.5);
  s.warmup = ms(static_cast<long>(warmup * 1000));
  s.duration = ms(std::max(50L, static_cast<long>(duration * 1000)));
  s.codec = ms(std::max(20L, static_cast<long>(codec * 1000)));
  s.patterns =
      !o.patterns.empty() ? o.patterns : (o.quick ? std::vector<int>{0, 2} : std::vector<int>{0, 1, 2});
  s.transports = !o.transports.empty()
                     ? o.transports
                     : (o.quick ? std::vector<std::string>{"tcp"} : std::vector<std::string>{"tcp", "ipc"});
  const std::vector<std::string> sizes =
      !o.sizes.empty() ? o.sizes : std::vector<std::string>{"640x480", "1920x1080"};
  for (const auto& t : sizes) {
    auto fs = parse_size(t);
    if (!fs) throw CLI::ValidationError("--sizes", "bad frame size '" + t + "' (expected WxH, e.g. 640x480)");
    s.sizes.push_back(*fs);
  }
  const std::vector<std::string> comps =
      !o.compressions.empty() ? o.compressions : std::vector<std::string>{"raw", "jpeg"};
  for (const auto& c : comps) s.jpeg.push_back(c == "jpeg");
  s.ring = o.ring;
  s.attempts = std::max(1, o.attempts);
  s.repeat = std::max(1, o.repeat);
  s.paced_fps = o.paced_fps;
  s.bidirectional = o.bidirectional;
  s.multiserver = o.multiserver;
  s.servers = o.servers;
  s.multiclient = o.multiclient;
  s.clients = !o.clients.empty() ? o.clients : std::vector<int>{1, 4, 8};
  return s;
}

std::vector<Target> evaluate_targets(const std::vector<CaseResult>& cases) {
  auto find_case = [&](int pattern, const std::string& transport, int w, bool jpeg) -> const CaseResult* {
    for (const auto& c : cases)
      if (c.pattern == pattern && c.transport == transport && c.size.width == w && c.jpeg == jpeg && c.run.ok)
        return &c;
    return nullptr;
  };
  std::vector<Target> targets;
  {
    Target t{
        "1920x1080 raw PAIR tcp >= 0.90 x bare libzmq PAIR ping-pong, same size", "", 0, 0.90, true, false, {}};
    const CaseResult* c = find_case(0, "tcp", 1920, false);
    if (c && c->zmq.fps() > 0) {
      t.ran = true;
      t.case_name = c->name();
      t.value = c->fps() / c->zmq.fps();
      t.detail =
          fmt("%.1f", c->fps()) + " fps / " + fmt("%.1f", c->zmq.fps()) + " msgs/s = " + fmt("%.3f", t.value);
    }
    targets.push_back(t);
  }
  {
    Target t{"1920x1080 JPEG PAIR tcp >= 0.85 x TurboJPEG pipeline bound", "", 0, 0.85, true, false, {}};
    const CaseResult* c = find_case(0, "tcp", 1920, true);
    if (c && c->codec && c->codec->pipeline_fps() > 0) {
      t.ran = true;
      t.case_name = c->name();
      t.value = c->fps() / c->codec->pipeline_fps();
      t.detail = fmt("%.1f", c->fps()) + " fps / " + fmt("%.1f", c->codec->pipeline_fps()) +
                 " fps = " + fmt("%.3f", t.value) + " (serial bound " + fmt("%.1f", c->codec->serial_fps()) +
                 " fps; encoder and decoder threads measured running at once: " +
                 fmt("%.1f", c->codec->concurrent_fps) + " fps)";
    }
    targets.push_back(t);
  }
  // Issue 16: the cases people run most, 640x480.
  for (const auto& [pattern, limit] : {std::pair{0, 0.85}, std::pair{1, 0.80}}) {
    Target t{"640x480 JPEG " + std::string(pattern == 0 ? "PAIR" : "REQ/REP") + " tcp >= " + fmt("%.2f", limit) +
                 " x TurboJPEG pipeline bound",
             "", 0, limit, true, false, {}};
    const CaseResult* c = find_case(pattern, "tcp", 640, true);
    if (c && c->codec && c->codec->pipeline_fps() > 0) {
      t.ran = true;
      t.case_name = c->name();
      t.value = c->fps() / c->codec->pipeline_fps();
      t.detail = fmt("%.1f", c->fps()) + " fps / " + fmt("%.1f", c->codec->pipeline_fps()) + " fps = " +
                 fmt("%.3f", t.value) + " (encoder and decoder threads measured running at once: " +
                 fmt("%.1f", c->codec->concurrent_fps) + " fps, ratio " +
                 fmt("%.3f", c->codec->concurrent_fps > 0 ? c->fps() / c->codec->concurrent_fps : 0.0) + ")";
      if (c->sync && c->sync->fps() > 0) {
        t.detail += "; bare libzmq ping-pong with the codec's times as busy work on each side (the synchronous "
                    "pipeline with ZeroMQ's threads on these CPUs): " +
                    fmt("%.1f", c->sync->fps()) + " msgs/s = " + fmt("%.3f", c->sync->fps() / c->codec->pipeline_fps()) +
                    " x pipeline; NetGear / it = " + fmt("%.3f", c->fps() / c->sync->fps());
      }
      if (c->pipelined_fps() > 0) {
        t.detail += "; with pipelined_send (opt-in): " + fmt("%.1f", c->pipelined_fps()) + " fps = " +
                    fmt("%.3f", c->pipelined_fps() / c->codec->pipeline_fps()) + " x pipeline";
      }
      // What the CPUs allow: every frame costs an encode, a decode and bare libzmq's CPU time on
      // each side; the pipeline bound assumes the codec has the CPUs to itself.
      const double zmq_cpu = rx_cpu(c->zmq.run) + tx_cpu(c->zmq.run);
      const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
      if (zmq_cpu > 0) {
        const double cpu_fps = cpus * 1000.0 / (c->codec->encode_ms + c->codec->decode_ms + zmq_cpu);
        t.detail += "; CPU bound " + std::to_string(cpus) + " CPUs / (encode + decode + bare libzmq's " +
                    fmt("%.3f", zmq_cpu) + " ms per message) = " + fmt("%.1f", cpu_fps) + " fps = " +
                    fmt("%.3f", cpu_fps / c->codec->pipeline_fps()) + " x pipeline; NetGear / it = " +
                    fmt("%.3f", c->fps() / cpu_fps);
        if (c->pipelined_fps() > 0) t.detail += " (pipelined " + fmt("%.3f", c->pipelined_fps() / cpu_fps) + ")";
        const double busy = c->fps() * (rx_cpu(c->run) + tx_cpu(c->run)) / 1000.0;
        if (busy > 0) t.detail += "; NetGear's two processes kept " + fmt("%.2f", busy) + " CPUs busy";
        if (c->pipelined && c->pipelined->ok) {
          const double pbusy = c->pipelined_fps() * (rx_cpu(*c->pipelined) + tx_cpu(*c->pipelined)) / 1000.0;
          if (pbusy > 0) t.detail += " (pipelined " + fmt("%.2f", pbusy) + ")";
        }
      }
    }
    targets.push_back(t);
  }
  {
    Target t{"640x480 raw PUB/SUB tcp >= 0.70 x bare libzmq PAIR stream, same size", "", 0, 0.70, true, false, {}};
    const CaseResult* c = find_case(2, "tcp", 640, false);
    if (c && c->zmq.fps() > 0) {
      t.ran = true;
      t.case_name = c->name();
      t.value = c->fps() / c->zmq.fps();
      t.detail =
          fmt("%.1f", c->fps()) + " fps / " + fmt("%.1f", c->zmq.fps()) + " msgs/s = " + fmt("%.3f", t.value);
    }
    targets.push_back(t);
  }
  {
    Target t{"640x480 raw PUB/SUB tcp, a " + std::to_string(kStaleFps) + " fps sender, an application busy " +
                 std::to_string(kStaleWorkUs / 1000) + " ms per frame: p99 age <= 2 frame periods",
             "", 0, 2.0, false, false, {}};
    const CaseResult* c = find_case(2, "tcp", 640, false);
    if (c && c->stale && c->stale->ok && c->stale->result.contains("age_p99")) {
      const json& r = c->stale->result;
      t.ran = true;
      t.case_name = c->name();
      t.value = r.value("age_p99", 0.0);
      t.detail = "age p50 / p99 / max " + fmt("%.2f", r.value("age_p50", 0.0)) + " / " + fmt("%.2f", t.value) +
                 " / " + fmt("%.2f", r.value("age_max", 0.0)) + " periods of " +
                 fmt("%.3f", r.value("period_ms", 0.0)) + " ms (" + fmt("%.2f", r.value("p50_ms", 0.0)) + " / " +
                 fmt("%.2f", r.value("p99_ms", 0.0)) + " / " + fmt("%.2f", r.value("max_ms", 0.0)) +
                 " ms); the application got " + fmt("%.1f", r.value("fps", 0.0)) + " frames/s";
      if (c->stale_full && c->stale_full->ok) {
        const json& f = c->stale_full->result;
        t.detail += "; with the sender as fast as it can (" + fmt("%.0f", 1000.0 / std::max(1e-9, f.value("period_ms", 0.0))) +
                    " frames/s left it): age p50 / p99 " + fmt("%.2f", f.value("age_p50", 0.0)) + " / " +
                    fmt("%.2f", f.value("age_p99", 0.0)) + " periods (" + fmt("%.2f", f.value("p50_ms", 0.0)) + " / " +
                    fmt("%.2f", f.value("p99_ms", 0.0)) + " ms)";
      }
    }
    targets.push_back(t);
  }
  {
    Target t{"640x480 JPEG REQ/REP tcp p50 latency <= encode + decode + 0.5 ms", "", 0, 0, false, false, {}};
    const CaseResult* c = find_case(1, "tcp", 640, true);
    if (c && c->codec) {
      const bool paced = c->paced && c->paced->ok;
      t.ran = true;
      t.case_name = c->name();
      t.value = paced ? c->paced->result.value("p50_ms", 0.0) : c->run.result.value("p50_ms", 0.0);
      t.limit = c->codec->encode_p50_ms + c->codec->decode_p50_ms + 0.5;
      t.detail = "p50 " + fmt("%.3f", t.value) + " ms" +
                 (paced ? " at " + fmt("%.0f", c->paced->result.value("fps", 0.0)) + " fps" : std::string()) +
                 " vs " + fmt("%.3f", c->codec->encode_p50_ms) + " + " +
                 fmt("%.3f", c->codec->decode_p50_ms) + " + 0.5 = " + fmt("%.3f", t.limit) +
                 " ms (at full speed, " + fmt("%.0f", c->fps()) + " fps: p50 " +
                 fmt("%.3f", c->run.result.value("p50_ms", 0.0)) + " ms)";
      if (paced && c->codec->paced_fps > 0) {
        // The limit above times the codec hot, back to back; a paced stream runs it cold.
        const double cold = c->codec->paced_encode_p50_ms + c->codec->paced_decode_p50_ms + 0.5;
        t.detail += "; like for like, with the codec also paced at " + fmt("%.0f", c->codec->paced_fps) +
                    " fps: " + fmt("%.3f", c->codec->paced_encode_p50_ms) + " + " +
                    fmt("%.3f", c->codec->paced_decode_p50_ms) + " + 0.5 = " + fmt("%.3f", cold) + " ms, " +
                    (t.value <= cold ? "met" : "missed");
      }
    }
    targets.push_back(t);
  }
  return targets;
}

int run_bench(const BenchOptions& o) {
  if (o.soak) return run_soak({.minutes = o.soak_minutes, .warmup_s = std::min(30.0, o.soak_minutes * 6), .json_out = o.json_out});
  const Settings s = resolve(o);
  if (o.codec)
    return run_codec({.sizes = s.sizes, .hot_s = o.codec_s > 0 ? o.codec_s : 1.0, .repeat = s.repeat, .ring = s.ring,
                      .json_out = o.json_out});
  const auto t_begin = Clock::now();
  const double load_before = load_average();
  const std::string exe = self_exe();
  int ipc_counter = 0;

  // The frames every sender sends (the children draw the same ring), and their JPEG sizes.
  std::map<std::string, std::vector<cv::Mat>> rings;
  std::map<std::string, std::size_t> jpeg_bytes;
  for (const auto& size : s.sizes) {
    rings[size.str()] = make_ring(size, s.ring);
    jpeg_bytes[size.str()] =
        static_cast<std::size_t>(std::llround(measure_jpeg(size, rings[size.str()], ms(0)).jpeg_bytes));
  }

  std::vector<CaseResult> cases;
  const std::size_t total = s.transports.size() * s.sizes.size() * s.patterns.size() * s.jpeg.size();
  for (const auto& transport : s.transports) {
    for (const auto& size : s.sizes) {
      for (int pattern : s.patterns) {
        for (bool jpeg : s.jpeg) {
          CaseResult c;
          c.pattern = pattern;
          c.transport = transport;
          c.size = size;
          c.jpeg = jpeg;
          c.payload_bytes = jpeg ? jpeg_bytes[size.str()] : size.raw_bytes();
          progress("case " + std::to_string(cases.size() + 1) + "/" + std::to_string(total) + " " + c.name());
          // Bounds and case alternate, round after round, so that both see the same machine (the
          // codec too: its rate drifts by 10 % and more from minute to minute on a shared VM).
          std::vector<JpegBaseline> codec_rounds;
          std::vector<PairOutcome> zmq_rounds, rounds, sync_rounds, pipelined_rounds;
          const bool sync = jpeg && pattern != 2;
          const std::string mode = pattern == 2 ? "stream" : "pingpong";
          // The latency target's case also runs paced: at full speed a frame may wait for the
          // receiver to finish decoding the previous one, which is queueing, not overhead.
          const bool paced = s.paced_fps > 0 && pattern == 1 && transport == "tcp" && jpeg &&
                             size.width == 640 && size.height == 480;
          std::vector<PairOutcome> paced_rounds;
          // The freshness target's case also runs with an application that takes 5 ms per frame,
          // the sender 5 times as fast (kStaleFps), and again with the sender as fast as it can:
          // how old are the frames the application is handed?
          const bool stale = pattern == 2 && transport == "tcp" && !jpeg && size.width == 640 && size.height == 480;
          std::vector<PairOutcome> stale_rounds, stale_full_rounds;
          for (int r = 0; r < s.repeat; ++r) {
            if (jpeg) codec_rounds.push_back(measure_jpeg(size, rings[size.str()], s.codec));
            zmq_rounds.push_back(run_zmq(s, exe, transport, mode, c.payload_bytes, ipc_counter).run);
            if (mode == "stream") {
              // Streaming, the kernel's buffer sizes matter as much as libzmq: the OS default
              // (autotuning) and a buffer of one message were each the faster one on some
              // machines (docs/benchmarks.md, session 6). The bound is the better of the two.
              const std::size_t one_message = std::bit_ceil(std::max<std::size_t>(c.payload_bytes, 128 * 1024));
              PairOutcome sized = run_zmq(s, exe, transport, mode, c.payload_bytes, ipc_counter, one_message).run;
              if (sized.ok && sized.result.value("fps", 0.0) > zmq_rounds.back().result.value("fps", 0.0)) {
                sized.result["sockbuf"] = one_message;
                zmq_rounds.back() = std::move(sized);
              }
            }
            if (sync) {
              sync_rounds.push_back(run_zmq(s, exe, transport, "pingpong", c.payload_bytes, ipc_counter, 0,
                                            static_cast<int>(std::lround(1000 * codec_rounds.back().encode_ms)),
                                            static_cast<int>(std::lround(1000 * codec_rounds.back().decode_ms)))
                                        .run);
            }
            rounds.push_back(run_netgear(s, exe, pattern, transport, size, jpeg, ipc_counter));
            if (sync) {
              pipelined_rounds.push_back(run_netgear(s, exe, pattern, transport, size, jpeg, ipc_counter, 0, "none", 0,
                                                     R"({"pipelined_send": true})"));
            }
            if (paced) {
              paced_rounds.push_back(run_netgear(s, exe, pattern, transport, size, jpeg, ipc_counter,
                                                 static_cast<int>(1e6 / s.paced_fps)));
            }
            if (stale) {
              stale_rounds.push_back(with_ages(run_netgear(s, exe, pattern, transport, size, jpeg, ipc_counter,
                                                           1000000 / kStaleFps, "none", kStaleWorkUs)));
              stale_full_rounds.push_back(with_ages(
                  run_netgear(s, exe, pattern, transport, size, jpeg, ipc_counter, 0, "none", kStaleWorkUs)));
            }
          }
          if (jpeg) c.codec = median_of(codec_rounds);
          if (stale) {
            c.stale = combine_rounds(stale_rounds);
            c.stale_full = combine_rounds(stale_full_rounds);
          }
          if (paced) {
            c.paced = combine_rounds(paced_rounds);
            // The codec at the same pace, for a like-for-like reading of the latency target.
            if (c.codec) measure_jpeg_paced(*c.codec, rings[size.str()], s.paced_fps, 200);
          }
          c.zmq = ZmqResult{transport, mode, c.payload_bytes, combine_rounds(zmq_rounds)};
          if (sync) {
            c.sync = ZmqResult{transport, "sync", c.payload_bytes, combine_rounds(sync_rounds)};
            c.pipelined = combine_rounds(pipelined_rounds);
          }
          c.run = combine_rounds(rounds);

          c.bound_fps = c.zmq.fps();
          c.bound_kind = c.zmq.run.ok ? "zmq " + c.zmq.mode : "none";
          if (c.codec && (c.bound_fps == 0 || c.codec->pipeline_fps() < c.bound_fps)) {
            c.bound_fps = c.codec->pipeline_fps();
            c.bound_kind = "jpeg pipeline";
          }
          c.ratio = c.bound_fps > 0 ? c.fps() / c.bound_fps : 0.0;
          if (c.run.ok) {
            progress("  " + fmt("%.1f", c.fps()) + " fps, bound " + fmt("%.1f", c.bound_fps) + " (" +
                     c.bound_kind + "), ratio " + fmt("%.2f", c.ratio));
          }
          cases.push_back(std::move(c));
        }
      }
    }
  }

  // Bidirectional mode: each case of patterns 0/1 again with every kind of return data, the modes
  // alternating within each round.
  std::vector<ReturnCase> bidi;
  if (s.bidirectional) {
    std::vector<ReturnCase> groups;
    for (const auto& transport : s.transports)
      for (const auto& size : s.sizes)
        for (int pattern : s.patterns)
          for (bool jpeg : s.jpeg)
            if (pattern != 2) groups.push_back({pattern, transport, size, jpeg, "none", {}, 0, 0});
    if (groups.empty()) progress("--bidirectional: no case of pattern 0 or 1 (PUB/SUB has no replies)");
    std::size_t n = 0;
    for (const auto& g : groups) {
      progress("bidirectional " + std::to_string(++n) + "/" + std::to_string(groups.size()) + " " +
               g.name().substr(0, g.name().rfind('/')));
      std::map<std::string, std::vector<PairOutcome>> rounds;
      for (int r = 0; r < s.repeat; ++r)
        for (const auto& mode : kReturnModes)
          rounds[mode].push_back(
              run_netgear(s, exe, g.pattern, g.transport, g.size, g.jpeg, ipc_counter, 0, mode));
      std::vector<ReturnCase> group;
      for (const auto& mode : kReturnModes) {
        ReturnCase b = g;
        b.mode = mode;
        b.run = combine_rounds(rounds[mode]);
        group.push_back(std::move(b));
      }
      const double plain = group.front().fps();
      for (auto& b : group) {
        b.plain_fps = plain;
        b.ratio = plain > 0 ? b.fps() / plain : 0.0;
        if (b.run.ok) {
          progress("  " + b.mode + ": " + fmt("%.1f", b.fps()) + " fps, ratio " + fmt("%.2f", b.ratio) +
                   " to plain, returned " + std::to_string(b.returned()));
          if (b.mode != "none" && b.returned() == 0) progress("  warning: no reply carried return data");
        }
        bidi.push_back(std::move(b));
      }
    }
  }

  // Multi-server mode: 4 (--servers) senders into one receiver, 640x480 JPEG over tcp, patterns
  // 1 and 2 (the patterns the mode has).
  std::vector<MultiCase> multi;
  if (s.multiserver) {
    for (int pattern : {1, 2}) {
      progress("multiserver " + std::to_string(pattern) + "/2: " + std::to_string(s.servers) +
               " servers, 640x480 jpeg, tcp, pattern " + std::to_string(pattern));
      MultiCase m = run_multiserver(s, exe, pattern, s.servers, ipc_counter);
      if (m.run.ok) {
        progress("  " + fmt("%.1f", m.fps()) + " fps in all, shares " + fmt("%.1f", 100.0 * m.min_share()) + "% to " +
                 fmt("%.1f", 100.0 * m.max_share()) + "%");
      }
      multi.push_back(std::move(m));
    }
  }

  // Multi-client mode: one sender to 1, 4 and 8 (--clients) receivers, 640x480 JPEG over tcp,
  // patterns 1 and 2.
  std::vector<ClientsCase> fanout;
  if (s.multiclient) {
    for (int pattern : {1, 2}) {
      for (int n : s.clients) {
        progress("multiclient " + std::to_string(pattern) + "/2: " + std::to_string(n) +
                 " clients, 640x480 jpeg, tcp, pattern " + std::to_string(pattern));
        ClientsCase m = run_multiclient(s, exe, pattern, n);
        if (m.ok) {
          progress("  sender " + fmt("%.1f", m.sender_fps()) + " fps, " + fmt("%.3f", m.cpu_ms_per_frame()) +
                   " ms CPU per frame");
        }
        fanout.push_back(std::move(m));
      }
    }
  }
  std::optional<SecureReport> secure;  // --secure: bench/secure.cpp
  if (o.secure) {
    secure = run_secure_group({s.warmup, s.duration, s.ring, s.attempts, std::max(1, s.repeat), child_timeout_s(s)}, exe);
  }

  const std::vector<Target> targets = evaluate_targets(cases);
  const double wall_s = std::chrono::duration<double>(Clock::now() - t_begin).count();
  const bool all_ok =
      std::all_of(cases.begin(), cases.end(), [](const CaseResult& c) { return c.run.ok && c.zmq.run.ok; }) &&
      std::all_of(bidi.begin(), bidi.end(), [](const ReturnCase& b) { return b.run.ok; }) &&
      std::all_of(multi.begin(), multi.end(), [](const MultiCase& m) { return m.run.ok; }) &&
      std::all_of(fanout.begin(), fanout.end(), [](const ClientsCase& m) { return m.ok; }) &&
      (!secure || secure->ok);

  if (o.json_out) {
    // One object per case; each carries the baselines it is measured against, the targets it is
    // judged by, and the facts of the run (the same in every case), so a script needs nothing else.
    utsname u{};
    ::uname(&u);
    int zmaj = 0, zmin = 0, zpat = 0;
    zmq_version(&zmaj, &zmin, &zpat);
    const json run = {{"quick", o.quick},
                      {"repeat", s.repeat},
                      {"warmup_s", std::chrono::duration<double>(s.warmup).count()},
                      {"duration_s", std::chrono::duration<double>(s.duration).count()},
                      {"cpus", std::thread::hardware_concurrency()},
                      {"kernel", std::string(u.release)},
                      {"machine", std::string(u.machine)},
                      {"libzmq", std::to_string(zmaj) + "." + std::to_string(zmin) + "." + std::to_string(zpat)},
                      {"wall_s", wall_s},
                      {"load_average_before", load_before},
                      {"allocator_tuning", allocator_tuning()},
                      {"load_average_after", load_average()},
                      {"ok", all_ok}};
    json out = json::array();
    for (const auto& c : cases) {
      json j = case_json(c);
      j["baselines"] = {{"zmq_pair", zmq_json(c.zmq)}, {"turbojpeg", c.codec ? codec_json(*c.codec) : json()}};
      json jt = json::array();
      for (const auto& t : targets) {
        if (t.case_name != c.name()) continue;
        jt.push_back({{"name", t.name}, {"value", t.value}, {"limit", t.limit}, {"met", t.met()}, {"detail", t.detail}});
      }
      j["targets"] = jt;
      j["run"] = run;
      out.push_back(std::move(j));
    }
    for (const auto& b : bidi) {
      // The same keys as a matrix case where they apply; the bound is the group's plain run.
      json j = run_json(b);
      j["group"] = "bidirectional";
      j["return"] = b.mode;
      j["return_text"] = return_mode_text(b.mode);
      j["bound_fps"] = b.plain_fps;
      j["bound"] = "plain";
      j["ratio"] = b.ratio;
      j["returned"] = b.returned();
      j["baselines"] = json::object();
      j["targets"] = json::array();
      j["run"] = run;
      out.push_back(std::move(j));
    }
    for (const auto& m : multi) {
      json j = run_json(m);
      j["group"] = "multiserver";
      j["servers"] = m.servers;
      json per = json::array();
      const auto shares = m.shares();
      const json listed = m.run.ok ? m.run.result.value("servers", json::array()) : json::array();
      for (std::size_t k = 0; k < listed.size(); ++k) {
        per.push_back({{"port", listed[k].value("port", "")},
                       {"frames", listed[k].value("frames", std::uint64_t{0})},
                       {"share", k < shares.size() ? shares[k] : 0.0}});
      }
      j["per_server"] = per;
      j["min_share"] = m.min_share();
      j["max_share"] = m.max_share();
      j["sender"] = m.senders;
      j["bound_fps"] = 0.0;
      j["bound"] = "none";
      j["ratio"] = 0.0;
      j["baselines"] = json::object();
      j["targets"] = json::array();
      j["run"] = run;
      out.push_back(std::move(j));
    }
    for (const auto& m : fanout) {
      const ClientsCase* one = fewest_clients(fanout, m.pattern);
      json per = json::array();
      for (std::size_t k = 0; k < m.received.size(); ++k) {
        per.push_back({{"fps", m.received[k].is_object() ? m.received[k].value("fps", 0.0) : 0.0},
                       {"p50_ms", m.received[k].is_object() ? m.received[k].value("p50_ms", 0.0) : 0.0}});
      }
      out.push_back({{"name", m.name()},
                     {"group", "multiclient"},
                     {"pattern", m.pattern},
                     {"transport", "tcp"},
                     {"size", m.size.str()},
                     {"compression", "jpeg"},
                     {"clients", m.clients},
                     {"ok", m.ok},
                     {"error", m.error},
                     {"fps", m.sender_fps()},
                     {"cpu_ms_per_frame", m.cpu_ms_per_frame()},
                     {"cpu_ratio_to_fewest", one && one->cpu_ms_per_frame() > 0
                                                ? m.cpu_ms_per_frame() / one->cpu_ms_per_frame()
                                                : 0.0},
                     {"per_client", per},
                     {"sender", m.sender},
                     {"bound_fps", 0.0},
                     {"bound", "none"},
                     {"ratio", 0.0},
                     {"baselines", json::object()},
                     {"targets", json::array()},
                     {"run", run}});
    }
    if (secure) {
      for (json j : secure->cases) {
        j["run"] = run;
        out.push_back(std::move(j));
      }
    }
    std::cout << out.dump(2) << std::endl;
  } else {
    print_table(std::cout, cases, bidi, multi, targets, s, wall_s, load_before);
    if (!fanout.empty()) print_multiclient(std::cout, fanout);
    if (secure) std::cout << secure->table << std::flush;
  }
  return all_ok ? 0 : 1;
}

}  // namespace

void register_bench(CLI::App& root) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* sub = root.add_subcommand(
      "bench",
      "Measure NetGear's throughput and latency against same-run bounds (bare libzmq, bare TurboJPEG)");
  sub->add_flag("--quick", o->quick, "Reduced matrix, about 1 s per case (patterns 0 and 2, tcp), for CI");
  sub->add_flag("--json", o->json_out, "Print the results as JSON instead of a table");
  sub->add_option("--duration", o->duration_s, "Seconds measured per case (default 2, quick 1)");
  sub->add_option("--warmup", o->warmup_s,
                  "Seconds of warm-up per case before measuring (default 0.5, quick 0.25)");
  sub->add_option("--codec-time", o->codec_s,
                  "Seconds to time each of TurboJPEG encode and decode per size (default 0.5, quick 0.25, --codec 1)");
  sub->add_option("--patterns", o->patterns, "Patterns to run (default 0 1 2; quick 0 2)")
      ->check(CLI::Range(0, 2));
  sub->add_option("--transports", o->transports, "Transports to run (default tcp ipc; quick tcp)")
      ->check(CLI::IsMember({"tcp", "ipc"}));
  sub->add_option("--sizes", o->sizes, "Frame sizes WxH (default 640x480 1920x1080)");
  sub->add_option("--compression", o->compressions, "raw and/or jpeg (default both)")
      ->check(CLI::IsMember({"raw", "jpeg"}));
  sub->add_option("--ring", o->ring, "Distinct pre-generated frames the sender cycles through")
      ->check(CLI::Range(1, 64));
  sub->add_option("--repeat", o->repeat,
                  "Rounds of (bare libzmq, NetGear) per case, alternating; figures are medians (default 1)")
      ->check(CLI::Range(1, 20));
  sub->add_option(
         "--paced-fps", o->paced_fps,
         "Rate of the extra paced run of the latency target's case (640x480 JPEG REQ/REP tcp); 0: off")
      ->check(CLI::Range(0.0, 10000.0));
  sub->add_flag("--bidirectional", o->bidirectional,
                "After the matrix, run each of its pattern 0/1 cases again in bidirectional mode: plain, a "
                "sticky JSON dict, a sticky 64x64 frame, exact pairing with a JSON answer per frame (ratio to "
                "plain, same run)");
  sub->add_flag("--multiserver", o->multiserver,
                "After the matrix, run multi-server mode: --servers sender processes into one receiver, 640x480 "
                "JPEG over tcp, patterns 1 and 2; aggregate fps and each server's share (not part of --quick)");
  sub->add_flag("--secure", o->secure,
                "Also run secure mode (CurveZMQ) next to plain on pattern 0, tcp (640x480 JPEG, 1920x1080 raw), with a "
                "bare-libzmq CURVE baseline of the same message size (not part of --quick)");
  sub->add_option("--servers", o->servers, "Servers (senders) of the --multiserver cases (default 4)")
      ->check(CLI::Range(2, 16));
  sub->add_flag("--multiclient", o->multiclient,
                "After the matrix, run multi-client mode: one sender to --clients receiver processes, 640x480 "
                "JPEG over tcp, patterns 1 and 2; the sender's CPU per frame and each client's receive rate "
                "(not part of --quick)");
  sub->add_option("--clients", o->clients, "Client counts of the --multiclient cases (default 1 4 8)")
      ->check(CLI::Range(1, 16));
  sub->add_flag("--soak", o->soak,
                "Instead of the matrix: stream 640x480 JPEG on patterns 0 and 2 at once for --soak-minutes and "
                "report each sender's and receiver's RSS and open fds after the warm-up and at the end (target: "
                "RSS growth < 2 MB)");
  sub->add_flag("--codec", o->codec,
                "Instead of the matrix: time NetGear's JPEG codec with 1..N threads against bare TurboJPEG on the same "
                "frames, hot (back to back, --codec-time s) and paced (every 10 ms), --sizes, --repeat rounds");
  sub->add_option("--soak-minutes", o->soak_minutes, "Length of the --soak run (default 10)")
      ->check(CLI::Range(0.5, 1440.0));
  sub->add_option("--attempts", o->attempts, "Tries per case when a run fails (default 2)")
      ->check(CLI::Range(1, 5));
  auto ssh = std::make_shared<TunnelBenchOptions>();
  add_tunnel_flags(*sub, *ssh);
  sub->callback([o, ssh] {
    int rc = 0;
    try {
      rc = tunnel_requested(*ssh) ? run_tunnel_bench(*ssh, o->duration_s, o->json_out) : run_bench(*o);
    } catch (const CLI::Error&) {
      throw;
    } catch (const std::exception& e) {
      std::cerr << "netgear bench: " << e.what() << "\n";
      rc = 1;
    }
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
  register_peers(root);
}

}  // namespace netgear::bench
