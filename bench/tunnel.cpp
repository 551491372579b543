#include "tunnel.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include <nlohmann/json.hpp>

#include "common.hpp"
#include "netgear/netgear.hpp"

namespace netgear::bench {

namespace {

using namespace std::chrono_literals;

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("no free tcp port on 127.0.0.1");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

struct Result {
  double fps = 0;
  double mbps = 0;  // wire megabytes per second
  std::uint64_t frames = 0;
};

// One path: a receiver on 127.0.0.1 (a thread draining recv()) and a sender that sends as fast
// as acknowledgements come (pattern 0), for `duration` after a warm-up.
Result measure(const TunnelBenchOptions& o, bool tunnel, FrameSize size, bool jpeg, std::chrono::milliseconds duration) {
  const std::string port = std::to_string(free_port());
  Config rc;
  rc.address = "127.0.0.1";
  rc.port = port;
  rc.receive_mode = true;
  rc.options.jpeg_compression = jpeg;
  NetGear rx(rc);
  std::atomic<bool> stop{false};
  std::thread drain([&] {
    while (!stop) {
      if (!rx.recv(100ms) && rx.end_of_stream()) break;
    }
  });
  Config tc = rc;
  tc.receive_mode = false;
  if (tunnel) {
    Options::SshTunnel t;
    t.server = o.server;
    t.keyfile = o.keyfile;
    t.known_hosts = o.known_hosts;
    if (!o.password_env.empty()) {
      const char* pw = std::getenv(o.password_env.c_str());
      if (pw) t.password = pw;
    }
    tc.options.ssh_tunnel = t;
  }
  const std::vector<cv::Mat> ring = make_ring(size, 8);
  Result r;
  {
    NetGear tx(tc);
    std::size_t i = 0;
    const auto warm_until = Clock::now() + 500ms;
    while (Clock::now() < warm_until) tx.send(ring[i++ % ring.size()]);
    const Stats before = tx.stats();
    const auto t0 = Clock::now();
    while (Clock::now() - t0 < duration) tx.send(ring[i++ % ring.size()]);
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    const Stats after = tx.stats();
    r.frames = after.frames - before.frames;
    r.fps = static_cast<double>(r.frames) / s;
    r.mbps = static_cast<double>(after.bytes - before.bytes) / s / 1e6;
  }
  stop = true;
  drain.join();
  return r;
}

}  // namespace

void add_tunnel_flags(CLI::App& bench, TunnelBenchOptions& o) {
  const char* group = "SSH tunnel (--ssh: only the tunnel comparison runs)";
  bench.add_option("--ssh", o.server,
                   "compare frames/s through an SSH tunnel with the direct path, same run: pattern 0, 640x480 JPEG "
                   "and 1920x1080 raw. The SSH server must run on this machine (the receiver is bound to 127.0.0.1 "
                   "here), e.g. a test sshd on 127.0.0.1:2222")
      ->type_name("[USER@]HOST[:PORT]")
      ->group(group);
  bench.add_option("--ssh-keyfile", o.keyfile, "private key for --ssh")->type_name("FILE")->group(group);
  bench.add_option("--ssh-known-hosts", o.known_hosts, "known_hosts for --ssh. Default ~/.ssh/known_hosts")
      ->type_name("FILE")
      ->group(group);
  bench.add_option("--ssh-password-env", o.password_env, "password or key passphrase for --ssh, from this variable")
      ->type_name("VAR")
      ->group(group);
}

int run_tunnel_bench(const TunnelBenchOptions& o, double duration_s, bool json) {
  const auto duration = std::chrono::milliseconds(static_cast<long long>((duration_s > 0 ? duration_s : 3.0) * 1000));
  struct Case {
    FrameSize size;
    bool jpeg;
  };
  const Case cases[] = {{{640, 480}, true}, {{1920, 1080}, false}};
  nlohmann::json out = nlohmann::json::array();
  if (!json) {
    std::printf("SSH tunnel through %s, pattern 0 (PAIR), tcp, %.1f s per path\n", o.server.c_str(),
                std::chrono::duration<double>(duration).count());
    std::printf("%-18s %12s %12s %8s %14s %14s\n", "case", "direct fps", "tunnel fps", "ratio", "direct MB/s",
                "tunnel MB/s");
  }
  for (const Case& c : cases) {
    const Result direct = measure(o, false, c.size, c.jpeg, duration);
    const Result tunnel = measure(o, true, c.size, c.jpeg, duration);
    const double ratio = direct.fps > 0 ? tunnel.fps / direct.fps : 0;
    const std::string name = c.size.str() + (c.jpeg ? " jpeg" : " raw");
    if (json) {
      out.push_back({{"case", name}, {"pattern", 0}, {"direct_fps", direct.fps}, {"tunnel_fps", tunnel.fps},
                     {"ratio", ratio}, {"direct_mbps", direct.mbps}, {"tunnel_mbps", tunnel.mbps}});
    } else {
      std::printf("%-18s %12.1f %12.1f %8.2f %14.1f %14.1f\n", name.c_str(), direct.fps, tunnel.fps, ratio,
                  direct.mbps, tunnel.mbps);
    }
  }
  if (json) std::cout << out.dump(2) << std::endl;
  return 0;
}

}  // namespace netgear::bench
