// A NetGear peer the process tests start as a child, so that a real process can be killed,
// stopped and restarted mid-stream.
//
//   netgear_test_peer send|recv --pattern P --protocol tcp|ipc --address A --port N
//                     [--frames N] [--timeout-ms T] [--retries R] [--raw] [--width W --height H]
//                     [--bidirectional 1] [--return JSON] [--multiserver 1] [--until FILE]
//                     [--multiclient 1] [--delay-ms D] [--secure-mode M --cert-location D]
//
// send: sends N frames (0: until killed), printing "ACK i" or "LOST i" per frame (patterns 0/1) or
//       "SENT i" (pattern 2), then "DONE" after close(). A frame's pixels are a function of i, and
//       its message is {"i": i}.
// recv: prints "READY" once bound, "FRAME i ok|bad" per frame (raw frames are checked against
//       the pattern), then "END <reason>" and "STATS frames=.. reconnects=.. malformed=..".
// --bidirectional 1: bidirectional_mode on. Then send prints "ACK i <json>" with the value that
//       came back (null when none), and recv passes the --return value (JSON text) to
//       set_return_data() right after binding, before "READY".
// --multiclient 1: multiclient_mode on (a receiver replies with its port first; a sender takes a
//       list of ports and prints "ACK i <port>").
// --delay-ms D: recv sleeps D ms after each frame (a slow application).
// --secure-mode M, --cert-location D: secure_mode and custom_cert_location (tests/secure_test).
// --until FILE: send keeps sending (ignoring --frames) until FILE exists, then closes.
// --multiserver 1: multiserver_mode on (a sender names itself by its --port; a receiver takes a
//       list of ports "a,b,c" and prints "FRAME i ok|bad <port>").
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core.hpp>

#include "netgear/netgear.hpp"
#include "support/peer_frame.hpp"

namespace {

std::vector<std::string> split_ports(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t comma; (comma = text.find(',', start)) != std::string::npos; start = comma + 1) {
    out.push_back(text.substr(start, comma - start));
  }
  out.push_back(text.substr(start));
  return out;
}

int usage() {
  std::cerr << "usage: netgear_test_peer send|recv --pattern P --protocol tcp|ipc --address A --port N "
               "[--frames N] [--timeout-ms T] [--retries R] [--raw] [--width W] [--height H] "
               "[--bidirectional 1] [--return JSON] [--multiserver 1] [--until FILE] [--multiclient 1] [--delay-ms D] [--secure-mode M] [--cert-location D]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string role = argv[1];
  netgear::Config c;
  c.receive_mode = role == "recv";
  long frames = 0;
  int w = 64, h = 48;
  std::string return_json, until;
  int delay_ms = 0;
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i];
    if (k == "--raw") {
      c.options.jpeg_compression = false;
      continue;
    }
    if (i + 1 >= argc) return usage();
    std::string v = argv[++i];
    if (k == "--pattern") c.pattern = static_cast<netgear::Pattern>(std::stoi(v));
    else if (k == "--protocol") c.protocol = v == "ipc" ? netgear::Protocol::Ipc : netgear::Protocol::Tcp;
    else if (k == "--address") c.address = v;
    else if (k == "--port") c.port = split_ports(v);
    else if (k == "--frames") frames = std::stol(v);
    else if (k == "--timeout-ms") c.options.request_timeout = std::chrono::milliseconds(std::stol(v));
    else if (k == "--retries") c.options.max_retries = std::stoi(v);
    else if (k == "--width") w = std::stoi(v);
    else if (k == "--height") h = std::stoi(v);
    else if (k == "--logging") c.logging = v == "1";
    else if (k == "--bidirectional") c.options.bidirectional_mode = v == "1";
    else if (k == "--return") return_json = v;
    else if (k == "--until") until = v;
    else if (k == "--multiclient") c.options.topology = v == "1" ? netgear::Topology::MultiClient : netgear::Topology::Single;
    else if (k == "--delay-ms") delay_ms = std::stoi(v);
    else if (k == "--secure-mode") c.options.secure_mode = static_cast<netgear::SecureMode>(std::stoi(v));
    else if (k == "--cert-location") c.options.custom_cert_location = v;
    else if (k == "--multiserver") c.options.topology = v == "1" ? netgear::Topology::MultiServer : netgear::Topology::Single;
    else return usage();
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  try {
    netgear::NetGear ng(c);
    if (!c.receive_mode) {
      for (long i = 0; until.empty() ? (frames == 0 || i < frames) : ::access(until.c_str(), F_OK) != 0; ++i) {
        auto r = ng.send(netgear::test::peer_frame(i, w, h), {{"i", i}});
        const char* what = c.pattern == netgear::Pattern::PubSub ? "SENT" : r.delivered ? "ACK" : "LOST";
        if (!r.peer.empty()) {
          std::printf("%s %ld %s\n", what, i, r.peer.c_str());
        } else if (c.options.bidirectional_mode && r.delivered) {
          std::printf("%s %ld %s\n", what, i, r.return_data.value.dump().c_str());
        } else {
          std::printf("%s %ld\n", what, i);
        }
      }
      ng.close();
      std::printf("DONE\n");
      return 0;
    }
    if (!return_json.empty()) {
      const auto value = netgear::json::parse(return_json, nullptr, /*allow_exceptions=*/false);
      if (value.is_discarded()) {
        std::fprintf(stderr, "netgear_test_peer: --return is not JSON: %s\n", return_json.c_str());
        return 2;
      }
      ng.set_return_data(value);
    }
    std::printf("READY\n");
    long got = 0;
    while (auto f = ng.recv()) {
      const auto i = f->message.value("i", std::int64_t{-1});
      bool ok = true;
      if (!c.options.jpeg_compression) {
        cv::Mat expect = netgear::test::peer_frame(i, f->image.cols, f->image.rows);
        ok = f->image.type() == expect.type() && cv::norm(f->image, expect, cv::NORM_INF) == 0;
      }
      if (f->peer.empty()) {
        std::printf("FRAME %lld %s\n", static_cast<long long>(i), ok ? "ok" : "bad");
      } else {
        std::printf("FRAME %lld %s %s\n", static_cast<long long>(i), ok ? "ok" : "bad", f->peer.c_str());
      }
      if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));  // a slow application
      if (frames > 0 && ++got >= frames) break;
    }
    std::printf("END %s\n", std::string(netgear::to_string(ng.end_reason())).c_str());
    auto s = ng.stats();
    std::printf("STATS frames=%llu reconnects=%llu malformed=%llu\n", static_cast<unsigned long long>(s.frames),
                static_cast<unsigned long long>(s.reconnects), static_cast<unsigned long long>(s.dropped_malformed));
    ng.close();
    return 0;
  } catch (const netgear::Error& e) {
    std::fprintf(stderr, "netgear_test_peer: %s\n", e.what());
    std::printf("ERROR %s\n", e.what());
    return 1;
  }
}
