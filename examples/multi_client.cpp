// Multi-client mode: one camera feeding several receivers (clients), each bound to its own port.
// Three clients (threads here; on three machines in real life) and one sender, on 127.0.0.1:
//
//   1. Pattern 1 (REQ/REP): each frame goes to ONE client in turn; send() says which client took
//      it and what it handed back (every client replies with return data in this mode).
//   2. Pattern 2 (PUB/SUB): every frame goes to EVERY client; it is encoded once.
//
// Build: cmake --build build --target example_multi_client; run: ./build/examples/example_multi_client
#include <atomic>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <opencv2/core.hpp>

#include "netgear/netgear.hpp"

using netgear::json;

namespace {

const std::vector<std::string> kPorts = {"5611", "5612", "5613"};

// A client: binds its port, counts the frames it gets until the sender ends the stream.
netgear::Config client_config(netgear::Pattern pattern, const std::string& port) {
  netgear::Config c{.address = "127.0.0.1", .port = port, .pattern = pattern, .receive_mode = true};
  c.options.topology = netgear::Topology::MultiClient;
  return c;
}

netgear::Config camera_config(netgear::Pattern pattern) {
  netgear::Config c{.address = "127.0.0.1", .port = kPorts, .pattern = pattern};
  c.options.topology = netgear::Topology::MultiClient;
  return c;
}

void run(netgear::Pattern pattern, int frames) {
  std::cout << "--- pattern " << static_cast<int>(pattern) << "\n";
  // Clients first: they bind, the camera connects.
  std::vector<std::unique_ptr<netgear::NetGear>> clients;
  for (const auto& port : kPorts) {
    clients.push_back(std::make_unique<netgear::NetGear>(client_config(pattern, port)));
    // What this client hands back with every reply (pattern 1): its own name.
    if (pattern == netgear::Pattern::ReqRep) clients.back()->set_return_data(json("client " + port));
  }
  std::vector<std::thread> threads;
  std::vector<int> got(kPorts.size(), 0);
  for (std::size_t k = 0; k < clients.size(); ++k) {
    threads.emplace_back([&, k] {
      while (auto f = clients[k]->recv()) ++got[k];  // nullopt once the camera has closed
    });
  }

  netgear::NetGear camera(camera_config(pattern));
  const cv::Mat frame(240, 320, CV_8UC3, cv::Scalar(40, 120, 200));
  for (int i = 0; i < frames; ++i) {
    const auto r = camera.send(frame, json{{"i", i}});
    if (pattern == netgear::Pattern::ReqRep) {
      std::cout << "frame " << i << " taken by " << r.peer << ", which said " << r.return_data.value.dump() << "\n";
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a 50 fps camera
    }
  }
  for (const auto& p : camera.peers()) {
    std::cout << "camera: client " << p.peer << " took " << p.frames << " frames, missed " << p.frames_lost << "\n";
  }
  camera.close();  // every client's stream ends
  for (auto& t : threads) t.join();
  for (std::size_t k = 0; k < kPorts.size(); ++k) {
    std::cout << "client " << kPorts[k] << " received " << got[k] << " frames\n";
  }
}

}  // namespace

int main() {
  try {
    run(netgear::Pattern::ReqRep, 6);
    // Subscriptions take a moment to arrive, so a client can miss the first frame or two.
    run(netgear::Pattern::PubSub, 50);
  } catch (const netgear::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
