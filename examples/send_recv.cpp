// Sends a few frames from one NetGear to another in the same program and prints what arrived.
// Build: cmake --build build --target example_send_recv; run: ./build/examples/example_send_recv
#include <iostream>

#include <opencv2/core.hpp>

#include "netgear/netgear.hpp"

int main() {
  netgear::NetGear rx({.address = "127.0.0.1", .port = "5599", .receive_mode = true});  // binds
  netgear::NetGear tx({.address = "127.0.0.1", .port = "5599"});                        // connects
  cv::Mat frame(480, 640, CV_8UC3, cv::Scalar(0, 0, 255));  // a red 640x480 BGR frame
  for (int i = 0; i < 3; ++i) {
    tx.send(frame, {{"frame", i}});
    if (auto f = rx.recv(std::chrono::seconds(5))) {
      std::cout << "got " << f->image.cols << "x" << f->image.rows << " message " << f->message << "\n";
    }
  }
  tx.close();  // sends the termination message
  while (rx.recv()) {
  }
  std::cout << "end of stream: " << netgear::to_string(rx.end_reason()) << "\n";
}
