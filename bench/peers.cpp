// The hidden subcommands that `netgear bench` starts as child processes:
//
//   bench-peer --role recv|send ...   a NetGear receiver or sender (the library under test); a
//                                     receiver's --return none|json|frame|exact picks bidirectional
//                                     mode's return data (netgear bench --bidirectional)
//   bench-zmq  --role recv|send ...   bare libzmq PAIR sockets moving same-size messages (baseline)
//
// Protocol with the bench process (stdout lines): a receiver prints "ready <token>" once it is
// bound (token: the tcp port, or the zmq endpoint), then "result <json>" when its measuring window
// closes. A sender sends until it gets SIGTERM (or --frames are sent), then closes and prints
// "sent <json>". Every child arms alarm(--timeout) so that none can outlive a stuck run.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstring>
#include <iostream>
#include <memory>
#include <thread>

#include <nlohmann/json.hpp>
#include <zmq.hpp>

#include "common.hpp"
#include "netgear/netgear.hpp"

namespace netgear::bench {

namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

volatile std::sig_atomic_t g_stop = 0;
extern "C" void on_stop_signal(int) { g_stop = 1; }

void install_stop_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking calls return EINTR
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
}

struct PeerArgs {
  std::string role;
  int pattern = 0;
  std::string transport = "tcp";
  std::string address;  // ipc: path prefix; tcp: unused (127.0.0.1)
  std::string port;     // sender: the port the receiver reported
  int width = 640;
  int height = 480;
  bool jpeg = false;
  int ring = 8;
  int warmup_ms = 500;
  int duration_ms = 2000;
  long long frames = 0;           // sender: stop after this many frames (0: until SIGTERM)
  int request_timeout_ms = 1000;  // Lazy Pirate time-out (patterns 0/1)
  int start_delay_ms = 0;         // sender: wait this long after connecting (PUB/SUB slow joiner)
  int interval_us = 0;            // sender: at most one frame per interval (0: as fast as it can)
  int work_us = 0;                // receiver: the application busy this long after each frame (staleness case)
  int send_work_us = 0;           // sender: busy-wait this long before each send() (the codec replaced by busy work)
  std::string options;            // extra NetGear options by their vidgear names, a JSON object (experiments)
  // Receiver, bidirectional mode: what each acknowledgement carries. none: the plain text ack;
  // json: a small dict set once (sticky); frame: a 64x64 frame set once (encoded once, with the
  // receiver's JPEG setting, so every reply is the same bytes); exact: exact pairing, each frame
  // answered with {"i": its index} by the application thread.
  std::string ret = "none";
  // Multi-server mode (netgear bench --multiserver): a receiver binds this many ports (tcp: free
  // ones, "ready p1,p2,..."; ipc: 1..N) and counts frames per server; a sender with --multiserver
  // is one server on its --port.
  int servers = 0;
  bool multiserver = false;
  // Multi-client mode (netgear bench --multiclient): a receiver with --multiclient is one client
  // on its own port; a sender with --multiclient gets every client's port (--port a,b,c).
  bool multiclient = false;
  int secure_mode = 0;   // netgear bench --secure (bench/secure.cpp): secure_mode ...
  std::string cert_dir;  // ... and custom_cert_location
  int timeout_s = 60;
};

struct ZmqArgs {
  std::string role;
  std::string mode = "pingpong";  // "stream" (PAIR, no ack), or "pubsub" (PUB/SUB, HWM 1 as NetGear)
  bool copy = false;              // sender: copy each message into a fresh buffer (as NetGear's PUB path)
  int sockbuf = 0;                // ZMQ_SNDBUF / ZMQ_RCVBUF in bytes; 0: the OS default
  int hwm = 0;                    // ZMQ_SNDHWM / ZMQ_RCVHWM; 0: the mode's (stream 8, pubsub 1)
  int work_us = 0;                // receiver: busy-wait this long per message (a stand-in for decoding)
  int send_work_us = 0;           // sender: busy-wait this long before each message (a stand-in for encoding)
  bool pipelined = false;         // ping-pong sender: the next message made while one is on its way (pipelined_send)
  int interval_us = 0;            // sender: at most one message per interval (0: as fast as it can)
  std::string transport = "tcp";
  std::string endpoint;  // receiver: ipc path to bind (tcp binds 127.0.0.1:*); sender: to connect
  std::size_t size = 1000;
  int ring = 1;  // sender: distinct buffers cycled through, as many as NetGear's frame ring (same cache cost)
  int warmup_ms = 500;
  int duration_ms = 2000;
  // CURVE (netgear bench --secure): Z85 keys of throw-away pairs. Receiver: curve_secret is the
  // server's secret key; sender: curve_server is the server's public key, curve_public and
  // curve_secret its own pair.
  std::string curve_server, curve_public, curve_secret;
  int timeout_s = 60;
};

// Makes `s` a CURVE server (receiver) or client (sender) when the keys were given.
void apply_curve(zmq::socket_t& s, const ZmqArgs& a, bool receiver) {
  if (a.curve_secret.empty()) return;
  if (receiver) {
    s.set(zmq::sockopt::curve_secretkey, a.curve_secret);
    s.set(zmq::sockopt::curve_server, 1);
  } else {
    s.set(zmq::sockopt::curve_serverkey, a.curve_server);
    s.set(zmq::sockopt::curve_publickey, a.curve_public);
    s.set(zmq::sockopt::curve_secretkey, a.curve_secret);
  }
}

// A TCP port that is free right now on 127.0.0.1 (the kernel picks it). Another process could
// take it before we bind: the caller retries.
int free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  int port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

json summary(const Meter& m) {
  const double secs = m.seconds();
  const auto& lat = m.latencies_ms();
  json j;
  j["frames"] = m.count();
  j["total_frames"] = m.total();
  j["seconds"] = secs;
  j["fps"] = secs > 0 ? static_cast<double>(m.count()) / secs : 0.0;
  j["latency_samples"] = lat.size();
  j["p50_ms"] = quantile(lat, 0.50);
  j["p99_ms"] = quantile(lat, 0.99);
  j["max_ms"] = quantile(lat, 1.0);
  double sum = 0;
  for (double v : lat) sum += v;
  j["mean_ms"] = lat.empty() ? 0.0 : sum / static_cast<double>(lat.size());
  j["cpu_ms_per_frame"] = m.cpu_ms_per_message();
  return j;
}

Config peer_config(const PeerArgs& a, bool receiver) {
  Config c;
  c.receive_mode = receiver;
  c.pattern = static_cast<Pattern>(a.pattern);
  c.protocol = a.transport == "ipc" ? Protocol::Ipc : Protocol::Tcp;
  c.address = c.protocol == Protocol::Ipc ? a.address : "127.0.0.1";
  c.port = a.port;
  if ((receiver && a.servers > 0) || (!receiver && a.multiclient)) {
    std::vector<std::string> ports;
    for (std::size_t start = 0;;) {
      const auto comma = a.port.find(',', start);
      ports.push_back(a.port.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    c.port = ports;
  }
  if (a.servers > 0 || a.multiserver) c.options.topology = Topology::MultiServer;
  if (a.multiclient) c.options.topology = Topology::MultiClient;
  c.options.jpeg_compression = a.jpeg;
  c.options.jpeg_compression_quality = 90;
  c.options.jpeg_compression_fastdct = true;
  c.options.request_timeout = std::chrono::milliseconds(a.request_timeout_ms);
  c.options.max_retries = 3;
  // Ends a PUB/SUB stream whose termination message was dropped; long enough for a slow start.
  if (c.pattern == Pattern::PubSub) {
    c.options.subscriber_timeout = std::max(std::chrono::milliseconds(5000), 3 * c.options.request_timeout);
  }
  if (receiver && a.ret != "none") {
    c.options.bidirectional_mode = true;
    if (a.ret == "exact") c.options.return_pairing = ReturnPairing::Exact;
  }
  c.options.secure_mode = static_cast<SecureMode>(a.secure_mode);
  c.options.custom_cert_location = a.cert_dir;
  if (!a.options.empty()) {
    const json extra = json::parse(a.options);
    for (const auto& [name, value] : extra.items()) apply_option(c.options, name, value);
  }
  return c;
}

void busy_wait_us(int us) {
  if (us <= 0) return;
  const auto until = Clock::now() + std::chrono::microseconds(us);
  while (Clock::now() < until) {
  }
}

// ---------------------------------------------------------------------------------------------
// bench-peer: NetGear

int run_peer_receiver(const PeerArgs& a) {
  std::unique_ptr<NetGear> rx;
  PeerArgs bound = a;
  for (int attempt = 0; !rx; ++attempt) {
    if (a.servers > 0) {
      bound.port.clear();
      for (int k = 1; k <= a.servers; ++k) {
        bound.port += (k > 1 ? "," : "") + (a.transport == "tcp" ? std::to_string(free_tcp_port()) : std::to_string(k));
      }
    } else if (a.transport == "tcp") {
      bound.port = std::to_string(free_tcp_port());
    }
    try {
      rx = std::make_unique<NetGear>(peer_config(bound, true));
    } catch (const ConnectionError&) {
      if (a.transport != "tcp" || attempt >= 20) throw;
    }
  }
  if (a.ret == "json") {
    rx->set_return_data(json{{"status", "ok"}, {"objects", 3}, {"score", 0.87}});
  } else if (a.ret == "frame") {
    rx->set_return_data(make_ring({64, 64}, 1).front());
  }
  const bool exact = a.ret == "exact";
  emit_line("ready " + bound.port);

  Meter meter(std::chrono::milliseconds(a.warmup_ms), std::chrono::milliseconds(a.duration_ms));
  std::vector<std::pair<std::string, std::uint64_t>> per_server;  // frames in the window, first-seen order
  bool reported = false;
  auto report = [&] {
    json j = summary(meter);
    // Time mode: the window must have closed; an early end of stream leaves it incomplete.
    j["complete"] = a.duration_ms == 0 ? meter.total() > 0 : meter.finished(Clock::now());
    const Stats s = rx->stats();
    const double per_frame = s.frames ? static_cast<double>(s.bytes) / static_cast<double>(s.frames) : 0.0;
    j["bytes_per_frame"] = per_frame;
    j["mbps"] = j["fps"].get<double>() * per_frame / 1e6;
    j["dropped_queue"] = s.dropped_queue;
    j["dropped_malformed"] = s.dropped_malformed;
    j["reconnects"] = s.reconnects;
    j["return"] = a.ret;
    j["answers_late"] = s.answers_late;
    if (a.servers > 0) {
      json servers = json::array();
      for (const auto& [peer, n] : per_server) servers.push_back({{"port", peer}, {"frames", n}});
      j["servers"] = servers;
    }
    emit_line("result " + j.dump());
    reported = true;
  };

  Clock::time_point drain_until = Clock::time_point::max();
  for (;;) {
    auto f = rx->recv(100ms);
    const auto now = Clock::now();
    if (f) {
      if (exact) {
        // Answered first (also while draining): the frame's reply waits for it.
        const auto i = f->message.is_object() ? f->message.value("i", std::int64_t{-1}) : std::int64_t{-1};
        (void)rx->answer(f->id, json{{"i", i}});
      }
      double latency = -1;
      if (f->message.is_object()) {
        auto t = f->message.find("t");
        if (t != f->message.end() && t->is_number_integer()) {
          latency = static_cast<double>(wall_ns() - t->get<std::int64_t>()) / 1e6;
        }
      }
      if (a.work_us > 0) busy_wait_us(a.work_us);  // after the time stamp: the frame's age is when it was handed out
      if (!reported) {
        const auto before = meter.count();
        meter.on_message(now, latency);
        if (a.servers > 0) {
          auto it = std::find_if(per_server.begin(), per_server.end(), [&](const auto& e) { return e.first == f->peer; });
          if (it == per_server.end()) it = per_server.insert(per_server.end(), {f->peer, 0});
          it->second += meter.count() - before;
        }
      }
    } else if (rx->end_of_stream()) {
      break;
    }
    if (!reported && meter.finished(now)) {
      report();
      // Keep draining (and acknowledging) until the sender ends the stream, so that it is never
      // left waiting; but not for ever.
      drain_until = now + 3s;
    }
    if (now >= drain_until) break;
  }
  if (!reported) report();  // frame-count mode, or the stream ended early
  rx->close();
  return 0;
}

int run_peer_sender(const PeerArgs& a) {
  install_stop_handler();
  const auto ring = make_ring({a.width, a.height}, a.ring);
  NetGear tx(peer_config(a, false));
  if (a.start_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(a.start_delay_ms));
  json message = {{"t", std::int64_t{0}}, {"i", std::int64_t{0}}};
  std::int64_t i = 0;
  std::uint64_t not_delivered = 0;
  std::uint64_t returned = 0;  // replies that carried return data (bidirectional receivers)
  int rc = 0;
  const double cpu0 = process_cpu_ms();
  double cpu1 = cpu0;
  const auto started = Clock::now();
  auto next = started;
  try {
    for (; g_stop == 0 && (a.frames == 0 || i < a.frames); ++i) {
      if (a.interval_us > 0) {
        std::this_thread::sleep_until(next);
        next += std::chrono::microseconds(a.interval_us);
      }
      message["t"] = wall_ns();
      message["i"] = i;
      busy_wait_us(a.send_work_us);
      const SendResult r = tx.send(ring[static_cast<std::size_t>(i) % ring.size()], message);
      if (!r.delivered) ++not_delivered;
      if (!r.return_data.empty()) ++returned;
    }
    cpu1 = process_cpu_ms();
  } catch (const Error& e) {
    std::cerr << "bench-peer sender: " << e.what() << "\n";
    rc = 2;
  }
  const double sending_s = std::chrono::duration<double>(Clock::now() - started).count();
  tx.close();
  const Stats s = tx.stats();
  json clients = json::array();  // multi-client mode: each client's share
  for (const PeerStats& p : tx.peers()) {
    clients.push_back({{"port", p.peer}, {"frames", p.frames}, {"lost", p.frames_lost}});
  }
  emit_line("sent " + json{{"frames", s.frames},
                           {"seconds", sending_s},
                           {"clients", clients},
                           {"bytes", s.bytes},
                           {"lost", s.frames_lost},
                           {"dropped", s.frames_dropped},
                           {"calls", i},
                           {"not_delivered", not_delivered},
                           {"returned", returned},
                           {"reconnects", s.reconnects},
                           {"cpu_ms_per_frame", i > 0 ? (cpu1 - cpu0) / static_cast<double>(i) : 0.0}}
                          .dump());
  return rc;
}

// ---------------------------------------------------------------------------------------------
// bench-zmq: bare libzmq PAIR

constexpr std::string_view kAck = "Data received on device: BENCHACK !";  // as long as NetGear's

// zmq_poll without cppzmq's exception on EINTR: SIGTERM (our stop signal) interrupts it.
bool poll_for(zmq::socket_t& s, short events, std::chrono::milliseconds timeout) {
  zmq::pollitem_t item{s.handle(), 0, events, 0};
  const int rc = zmq_poll(&item, 1, static_cast<long>(timeout.count()));
  if (rc < 0 && zmq_errno() != EINTR) throw zmq::error_t();
  return rc > 0 && (item.revents & events);
}


int run_zmq_receiver(const ZmqArgs& a) {
  zmq::context_t ctx(1);
  const bool pubsub = a.mode == "pubsub";
  zmq::socket_t s(ctx, pubsub ? zmq::socket_type::sub : zmq::socket_type::pair);
  s.set(zmq::sockopt::linger, 0);
  if (a.mode == "stream") s.set(zmq::sockopt::rcvhwm, a.hwm > 0 ? a.hwm : 8);
  if (pubsub) {
    s.set(zmq::sockopt::rcvhwm, a.hwm > 0 ? a.hwm : 1);
    s.set(zmq::sockopt::subscribe, "");
  }
  if (a.sockbuf > 0) s.set(zmq::sockopt::rcvbuf, a.sockbuf);
  apply_curve(s, a, true);
  s.bind(a.transport == "ipc" ? "ipc://" + a.endpoint : std::string("tcp://127.0.0.1:*"));
  emit_line("ready " + s.get(zmq::sockopt::last_endpoint));

  const bool pingpong = a.mode == "pingpong";
  Meter meter(std::chrono::milliseconds(a.warmup_ms), std::chrono::milliseconds(a.duration_ms));
  zmq::message_t msg;
  while (g_stop == 0) {
    const auto now0 = Clock::now();
    if (meter.finished(now0)) break;
    if (!poll_for(s, ZMQ_POLLIN, 100ms)) continue;
    if (!s.recv(msg, zmq::recv_flags::dontwait)) continue;
    if (pingpong) (void)s.send(zmq::buffer(kAck), zmq::send_flags::dontwait);
    busy_wait_us(a.work_us);
    double latency = -1;
    if ((pingpong || a.copy) && msg.size() >= sizeof(std::int64_t)) {
      std::int64_t t;
      std::memcpy(&t, msg.data(), sizeof t);
      latency = static_cast<double>(wall_ns() - t) / 1e6;
    }
    meter.on_message(Clock::now(), latency);
  }
  json j = summary(meter);
  j["complete"] = meter.finished(Clock::now());
  j["bytes_per_frame"] = a.size;
  j["mbps"] = j["fps"].get<double>() * static_cast<double>(a.size) / 1e6;
  emit_line("result " + j.dump());
  return 0;
}

void no_free(void*, void*) {}

int run_zmq_sender(const ZmqArgs& a) {
  install_stop_handler();
  // `ring` buffers sent in turn without copying (as NetGear borrows a raw frame from the ring the
  // bench sender cycles through: frames bigger than the cache together cost the kernel's copy
  // cache misses, on both sides of the comparison). Streaming never writes to them; ping-pong
  // writes the time stamp only once the previous message was acknowledged. Declared before the
  // context, so that they outlive ZeroMQ's I/O thread.
  std::vector<std::vector<std::uint8_t>> bufs(static_cast<std::size_t>(std::max(1, a.ring)));
  for (auto& buf : bufs) {
    buf.resize(std::max<std::size_t>(a.size, sizeof(std::int64_t)));
    for (std::size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<std::uint8_t>(i * 131 + 7);
  }
  zmq::context_t ctx(1);
  const bool pubsub = a.mode == "pubsub";
  zmq::socket_t s(ctx, pubsub ? zmq::socket_type::pub : zmq::socket_type::pair);
  s.set(zmq::sockopt::linger, 0);
  const bool pingpong = a.mode == "pingpong";
  if (a.mode == "stream") s.set(zmq::sockopt::sndhwm, a.hwm > 0 ? a.hwm : 8);
  if (pubsub) s.set(zmq::sockopt::sndhwm, a.hwm > 0 ? a.hwm : 1);
  if (a.sockbuf > 0) s.set(zmq::sockopt::sndbuf, a.sockbuf);
  apply_curve(s, a, false);
  s.connect(a.endpoint);
  std::uint64_t sent = 0;
  bool in_flight = false;  // pipelined: a message awaits its acknowledgement
  zmq::message_t ack;
  const double cpu0 = process_cpu_ms();
  auto next = Clock::now();
  while (g_stop == 0) {
    if (a.interval_us > 0) {
      std::this_thread::sleep_until(next);
      next += std::chrono::microseconds(a.interval_us);
    }
    auto& buf = bufs[sent % bufs.size()];
    if (pingpong) {
      const std::int64_t t = wall_ns();
      std::memcpy(buf.data(), &t, sizeof t);
    }
    busy_wait_us(a.send_work_us);  // after the time stamp: an encoder's time counts as NetGear's does
    if (in_flight) {  // pipelined: the previous message's acknowledgement, then this one leaves
      if (!poll_for(s, ZMQ_POLLIN, 100ms)) continue;
      if (!s.recv(ack, zmq::recv_flags::dontwait)) continue;
      in_flight = false;
    }
    if (!poll_for(s, ZMQ_POLLOUT, 100ms)) continue;
    zmq::message_t m;
    if (a.copy) {
      m.rebuild(a.size);
      std::memcpy(m.data(), buf.data(), a.size);
      if (a.size >= sizeof(std::int64_t)) {
        const std::int64_t t = wall_ns();
        std::memcpy(m.data(), &t, sizeof t);
      }
    } else {
      m.rebuild(buf.data(), a.size, no_free, nullptr);
    }
    if (!s.send(m, zmq::send_flags::dontwait)) continue;
    ++sent;
    if (pingpong && a.pipelined) {
      in_flight = true;
    } else if (pingpong) {
      while (g_stop == 0 && !poll_for(s, ZMQ_POLLIN, 100ms)) {
      }
      if (g_stop != 0) break;
      (void)s.recv(ack, zmq::recv_flags::dontwait);
    }
  }
  const double cpu = process_cpu_ms() - cpu0;
  emit_line(
      "sent " +
      json{{"frames", sent}, {"cpu_ms_per_frame", sent ? cpu / static_cast<double>(sent) : 0.0}}.dump());
  return 0;
}

template <typename F>
void run_child(F&& body, int timeout_s) {
  // A child must never outlive a stuck run: SIGALRM's default action ends the process.
  ::alarm(static_cast<unsigned>(std::max(1, timeout_s)));
  int rc = 0;
  try {
    rc = body();
  } catch (const std::exception& e) {
    std::cerr << "netgear bench child: " << e.what() << "\n";
    rc = 2;
  }
  std::cout.flush();
  std::cerr.flush();
  // Skip static destructors of the host program: the child's work is done.
  std::_Exit(rc);
}

}  // namespace

void register_peers(CLI::App& root) {
  {
    auto a = std::make_shared<PeerArgs>();
    CLI::App* sub = root.add_subcommand(kPeerCommand, "internal: a NetGear peer started by `netgear bench`");
    sub->group("");  // hidden from --help
    sub->add_option("--role", a->role)->required()->check(CLI::IsMember({"send", "recv"}));
    sub->add_option("--pattern", a->pattern)->check(CLI::Range(0, 2));
    sub->add_option("--transport", a->transport)->check(CLI::IsMember({"tcp", "ipc"}));
    sub->add_option("--address", a->address);
    sub->add_option("--port", a->port);
    sub->add_option("--width", a->width);
    sub->add_option("--height", a->height);
    sub->add_flag("--jpeg", a->jpeg);
    sub->add_option("--ring", a->ring)->check(CLI::Range(1, 256));
    sub->add_option("--warmup-ms", a->warmup_ms);
    sub->add_option("--duration-ms", a->duration_ms);
    sub->add_option("--frames", a->frames);
    sub->add_option("--start-delay-ms", a->start_delay_ms);
    sub->add_option("--interval-us", a->interval_us);
    sub->add_option("--work-us", a->work_us)->check(CLI::Range(0, 1000000));
    sub->add_option("--send-work-us", a->send_work_us)->check(CLI::Range(0, 1000000));
    sub->add_option("--options", a->options, "NetGear options by their vidgear names, as a JSON object");
    sub->add_option("--request-timeout-ms", a->request_timeout_ms)->check(CLI::Range(10, 600000));
    sub->add_option("--return", a->ret)->check(CLI::IsMember({"none", "json", "frame", "exact"}));
    sub->add_option("--servers", a->servers)->check(CLI::Range(0, 64));
    sub->add_flag("--multiserver", a->multiserver);
    sub->add_flag("--multiclient", a->multiclient);
    sub->add_option("--secure-mode", a->secure_mode)->check(CLI::Range(0, 2));
    sub->add_option("--cert-dir", a->cert_dir);
    sub->add_option("--timeout", a->timeout_s);
    sub->callback([a] {
      run_child([&] { return a->role == "recv" ? run_peer_receiver(*a) : run_peer_sender(*a); },
                a->timeout_s);
    });
  }
  {
    auto a = std::make_shared<ZmqArgs>();
    CLI::App* sub =
        root.add_subcommand(kZmqCommand, "internal: a bare libzmq peer started by `netgear bench`");
    sub->group("");
    sub->add_option("--role", a->role)->required()->check(CLI::IsMember({"send", "recv"}));
    sub->add_option("--mode", a->mode)->check(CLI::IsMember({"pingpong", "stream", "pubsub"}));
    sub->add_flag("--copy", a->copy);
    sub->add_option("--sockbuf", a->sockbuf);
    sub->add_option("--hwm", a->hwm)->check(CLI::Range(0, 1000000));
    sub->add_option("--work-us", a->work_us);
    sub->add_option("--send-work-us", a->send_work_us);
    sub->add_flag("--pipelined", a->pipelined, "ping-pong sender: make the next message while one is on its way (give --ring 2 or "
                    "more: with one buffer the next time stamp is written into the message still on its way)");
    sub->add_option("--interval-us", a->interval_us);
    sub->add_option("--transport", a->transport)->check(CLI::IsMember({"tcp", "ipc"}));
    sub->add_option("--endpoint", a->endpoint);
    sub->add_option("--size", a->size);
    sub->add_option("--ring", a->ring);
    sub->add_option("--warmup-ms", a->warmup_ms);
    sub->add_option("--duration-ms", a->duration_ms);
    sub->add_option("--curve-server", a->curve_server);
    sub->add_option("--curve-public", a->curve_public);
    sub->add_option("--curve-secret", a->curve_secret);
    sub->add_option("--timeout", a->timeout_s);
    sub->callback([a] {
      run_child([&] { return a->role == "recv" ? run_zmq_receiver(*a) : run_zmq_sender(*a); }, a->timeout_s);
    });
  }
}

}  // namespace netgear::bench
