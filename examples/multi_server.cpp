// Multi-server mode: one receiver, several cameras ("servers"), each stream told apart.
// The receiver binds three ports; three server threads, each a sender on one of those ports,
// stream frames of their own colour. Every frame the receiver gets carries the port of the server
// it came from (Frame::peer); peers() counts per server; the stream ends when every server that
// was heard from has terminated. In a real set-up each server is its own program on a camera
// node connecting to the receiver's address; here they are threads on 127.0.0.1.
//
// Build: cmake --build build --target example_multi_server; run: ./build/examples/example_multi_server
#include <chrono>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core.hpp>

#include "netgear/netgear.hpp"

using namespace std::chrono_literals;

namespace {

const std::vector<std::string> kPorts = {"5576", "5577", "5578"};

// One camera node: 20 frames of one colour (the colour tells the receiver's output apart too).
void server(const std::string& port, const cv::Scalar& colour) {
  netgear::Config cfg;
  cfg.address = "127.0.0.1";                               // the receiver's address
  cfg.port = port;                                         // one port: the server's name
  cfg.pattern = netgear::Pattern::ReqRep;                  // patterns 1 and 2 have the mode
  cfg.options.topology = netgear::Topology::MultiServer;   // vidgear: multiserver_mode=True
  netgear::NetGear tx(cfg);                                // connects
  const cv::Mat frame(120, 160, CV_8UC3, colour);
  for (int i = 0; i < 20; ++i) {
    tx.send(frame, {{"frame", i}});  // pattern 1: returns once the receiver acknowledged it
    std::this_thread::sleep_for(10ms);
  }
  tx.close();  // its termination message ({"terminate_flag": true, "port": "5577"})
}

}  // namespace

int main() {
  try {
    // The receiver: every port in one list; it binds them all (one socket).
    netgear::Config rx_cfg;
    rx_cfg.address = "127.0.0.1";
    rx_cfg.port = kPorts;
    rx_cfg.receive_mode = true;
    rx_cfg.pattern = netgear::Pattern::ReqRep;
    rx_cfg.options.topology = netgear::Topology::MultiServer;
    netgear::NetGear rx(rx_cfg);  // binds before the servers start, so none waits

    std::vector<std::thread> servers;
    servers.emplace_back(server, kPorts[0], cv::Scalar(255, 0, 0));
    servers.emplace_back(server, kPorts[1], cv::Scalar(0, 255, 0));
    servers.emplace_back(server, kPorts[2], cv::Scalar(0, 0, 255));

    // recv() returns nullopt once every server heard from has terminated.
    std::map<std::string, int> seen;
    while (auto f = rx.recv()) {
      const int n = ++seen[f->peer];  // f->peer: "5576", "5577" or "5578"
      if (n == 1) {
        const cv::Scalar mean = cv::mean(f->image);
        std::cout << "first frame from server " << f->peer << ": " << f->image.cols << "x" << f->image.rows
                  << ", BGR mean (" << mean[0] << ", " << mean[1] << ", " << mean[2] << ")\n";
      }
    }
    for (auto& t : servers) t.join();
    std::cout << "stream ended: " << netgear::to_string(rx.end_reason()) << "\n";

    // Per-server statistics, in the order the servers were first heard from.
    for (const netgear::PeerStats& p : rx.peers()) {
      std::cout << "server " << p.peer << ": " << p.frames << " frames, " << p.bytes << " bytes"
                << (p.terminated ? ", terminated" : "") << "\n";
    }
  } catch (const netgear::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
