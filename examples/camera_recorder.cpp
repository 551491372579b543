// A camera node and a recorder on two machines (vidgear's "camera on one machine, display or save
// on another"). The receiver binds, the sender connects: both are given the receiver's address.
//
//   machine B (192.168.1.20):  example_camera_recorder record out.avi '*'
//   machine A (the camera):    example_camera_recorder camera 192.168.1.20 0
//
// `camera` sends frames from camera <index> (or a video file) until it ends or Ctrl-C; `record`
// writes what arrives to a video file (MJPG) until the camera node ends the stream. The port is
// 5555; both sides could as well use `netgear send` / `netgear recv --record` (docs/cli.md).
//
// Build: cmake --build build --target example_camera_recorder
#include <csignal>
#include <cstdint>
#include <iostream>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>

#include "netgear/netgear.hpp"

namespace {

volatile std::sig_atomic_t stop = 0;

int camera(const std::string& receiver, const std::string& source) {
  cv::VideoCapture capture;
  if (!source.empty() && source.find_first_not_of("0123456789") == std::string::npos) {
    capture.open(std::stoi(source));  // a camera index
  } else {
    capture.open(source);  // a video file
  }
  if (!capture.isOpened()) {
    std::cerr << "cannot open " << source << "\n";
    return 1;
  }
  // JPEG compression is on by default (quality 90); the frames' pixel order is BGR, OpenCV's.
  netgear::NetGear tx({.address = receiver, .port = "5555"});
  cv::Mat frame;
  std::uint64_t lost = 0;
  while (!stop && capture.read(frame)) {
    if (!tx.send(frame).delivered) ++lost;  // not acknowledged in time: counted as lost
  }
  tx.close();  // tells the recorder the stream has ended
  std::cout << "sent " << tx.stats().frames << " frames, " << lost << " lost\n";
  return 0;
}

int record(const std::string& path, const std::string& address) {
  netgear::NetGear rx({.address = address, .port = "5555", .receive_mode = true});
  cv::VideoWriter writer;
  while (auto f = rx.recv()) {  // nullopt: end of stream
    if (!writer.isOpened()) {
      writer.open(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 30, f->image.size());
      if (!writer.isOpened()) {
        std::cerr << "cannot write " << path << "\n";
        return 1;
      }
    }
    writer.write(f->image);
  }
  std::cout << "recorded " << rx.stats().frames << " frames (" << to_string(rx.end_reason()) << ")\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGINT, [](int) { stop = 1; });
  const std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "camera" && argc > 2) return camera(argv[2], argc > 3 ? argv[3] : "0");
    if (mode == "record" && argc > 2) return record(argv[2], argc > 3 ? argv[3] : "*");
  } catch (const netgear::Error& e) {
    std::cerr << "netgear: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: example_camera_recorder camera <receiver address> [camera index | video file]\n"
               "       example_camera_recorder record <out.avi> [address to bind, default *]\n";
  return 2;
}
