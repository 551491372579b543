// The primary modes: one stream on each ZeroMQ pattern (PAIR 0, REQ/REP 1, PUB/SUB 2) over tcp on
// 127.0.0.1 and over ipc, a sender and a receiver in one program. vidgear's usage examples for
// the primary modes differ only in `pattern` and in the address: the same Config fields here.
//
// Build: cmake --build build --target example_patterns; run: ./build/examples/example_patterns
#include <chrono>
#include <iostream>
#include <string>

#include <opencv2/core.hpp>

#include "netgear/netgear.hpp"

namespace {

void stream(netgear::Pattern pattern, netgear::Protocol protocol) {
  netgear::Config rx_config{.receive_mode = true};
  if (protocol == netgear::Protocol::Tcp) {
    rx_config.address = "127.0.0.1";  // the receiver binds this address; "*" for every interface
    rx_config.port = "5601";
  } else {
    rx_config.address = "/tmp/netgear-example";  // ipc: a socket file /tmp/netgear-example:5601
    rx_config.port = "5601";
  }
  rx_config.protocol = protocol;
  rx_config.pattern = pattern;
  if (pattern == netgear::Pattern::PubSub) {
    // A subscriber whose publisher vanished would wait for ever: end the stream after 2 s instead.
    rx_config.options.subscriber_timeout = std::chrono::seconds(2);
  }
  netgear::Config tx_config = rx_config;  // the sender connects to the receiver's address
  tx_config.receive_mode = false;

  netgear::NetGear rx(rx_config);
  netgear::NetGear tx(tx_config);
  cv::Mat frame(240, 320, CV_8UC3, cv::Scalar(0, 128, 255));
  const std::string endpoint = tx.endpoint();
  int received = 0;
  for (int attempt = 0; received < 5 && attempt < 50; ++attempt) {
    // PAIR and REQ/REP: send() returns once the receiver has acknowledged the frame.
    // PUB/SUB: send() only queues it, and frames published before the subscriber is connected are
    // lost (ZeroMQ's "slow joiner"): wait a little for each one and publish again when it is lost.
    tx.send(frame, {{"n", received}});
    const auto wait = std::chrono::milliseconds(pattern == netgear::Pattern::PubSub ? 200 : 5000);
    if (auto f = rx.recv(wait)) ++received;
  }
  tx.close();  // the termination message ends the receiver's stream
  while (rx.recv(std::chrono::seconds(3))) {
  }
  std::cout << "pattern " << to_string(pattern) << " over " << to_string(protocol) << " (" << endpoint
            << "): " << received << " frames, then " << to_string(rx.end_reason()) << "\n";
}

}  // namespace

int main() {
  for (auto pattern : {netgear::Pattern::Pair, netgear::Pattern::ReqRep, netgear::Pattern::PubSub}) {
    for (auto protocol : {netgear::Protocol::Tcp, netgear::Protocol::Ipc}) {
      stream(pattern, protocol);
    }
  }
}
