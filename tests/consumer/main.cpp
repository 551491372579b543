// A program outside the NetGear project, built against an installed NetGear (find_package,
// pkg-config or the .deb) or NetGear as a subproject: sends frames from one NetGear to another in
// this process over ipc (or tcp on 127.0.0.1 with --tcp) and checks what arrives, the version, and
// that the library's exceptions can be caught by their types here. Exit code 0: all good.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>

#include <unistd.h>

#include <opencv2/core.hpp>

#include "netgear/memory.hpp"
#include "netgear/netgear.hpp"
#include "netgear/version.hpp"

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::cout << (ok ? "ok   " : "FAIL ") << what << "\n";
  if (!ok) ++failures;
}

}  // namespace

int main(int argc, char** argv) {
  const bool tcp = argc > 1 && std::string(argv[1]) == "--tcp";
  // As a program that receives large frames starts (docs/library.md): exported, and glibc's here.
  const netgear::AllocatorTuning tuning = netgear::tune_allocator_for_frames();
  check(tuning != netgear::AllocatorTuning::unsupported,
        std::string("allocator tuning: ") + netgear::to_string(tuning));
  check(netgear::version() == NETGEAR_VERSION_STRING,
        "library version " + std::string(netgear::version()) + " = headers' " + NETGEAR_VERSION_STRING);

  netgear::Config rx_config{.receive_mode = true};
  netgear::Config tx_config{};
  if (tcp) {
    // Port 0 is not a vidgear port; pick one from the process id in the dynamic range.
    const std::string port = std::to_string(49152 + getpid() % 16000);
    rx_config.address = tx_config.address = "127.0.0.1";
    rx_config.port = tx_config.port = port;
  } else {
    rx_config.protocol = tx_config.protocol = netgear::Protocol::Ipc;
    rx_config.address = tx_config.address = "/tmp/netgear-consumer-" + std::to_string(getpid());
    rx_config.port = tx_config.port = "1";
  }
  rx_config.options.request_timeout = tx_config.options.request_timeout = std::chrono::milliseconds(1000);

  netgear::NetGear rx(rx_config);
  netgear::NetGear tx(tx_config);
  std::cout << "streaming " << tx.endpoint() << "\n";

  cv::Mat frame(48, 64, CV_8UC3, cv::Scalar(10, 20, 30));
  for (int i = 0; i < 3; ++i) {
    const netgear::SendResult sent = tx.send(frame, {{"frame", i}});
    check(sent.delivered, "frame " + std::to_string(i) + " acknowledged");
    const std::optional<netgear::Frame> got = rx.recv(std::chrono::seconds(5));
    check(got && got->image.size() == frame.size() && got->message["frame"] == i,
          "frame " + std::to_string(i) + " received with its message");
  }
  tx.close();
  while (rx.recv(std::chrono::seconds(5))) {
  }
  check(rx.end_reason() == netgear::EndReason::Terminated,
        "end of stream: " + std::string(netgear::to_string(rx.end_reason())));

  // Exceptions thrown inside the library, caught here by their exported types.
  try {
    netgear::parse_options(netgear::json{{"jpeg_compression_quality", 5}});
    check(false, "OptionError for jpeg_compression_quality 5");
  } catch (const netgear::OptionError& e) {
    check(e.option() == "jpeg_compression_quality", "OptionError names " + e.option());
  }
  try {
    rx.send(frame);
    check(false, "ModeError for send() on a receiver");
  } catch (const netgear::Error& e) {
    check(dynamic_cast<const netgear::ModeError*>(&e) != nullptr, "ModeError for send() on a receiver");
  }

  std::cout << (failures == 0 ? "consumer: all good\n" : "consumer: FAILED\n");
  return failures == 0 ? 0 : 1;
}
