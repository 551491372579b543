// Frame compression (vidgear's "Frame Compression" examples): the JPEG settings of a sender, and
// what they cost on the wire. A receiver and a sender in one program, on 127.0.0.1; the same frame
// is sent with each setting and the receiver reports the bytes each one took and how close the
// decoded frame is to the original (PSNR).
//
//   - the default: JPEG at quality 90 with the fast DCT (vidgear's defaults);
//   - a lower quality (fewer bytes, more loss), the accurate DCT, fast chroma upsampling;
//   - the colorspace of the frames handed to send() (here RGB frames: the receiver gets them back
//     in RGB order, as a vidgear receiver would);
//   - raw frames (jpeg_compression = false): bit-exact, and the only choice for frames JPEG cannot
//     carry (16-bit, float, 2 or more than 4 channels), which travel raw whatever the setting.
//
// The receiver needs no setting: each frame's header says how it was sent. Only
// jpeg_compression_fastdct / _fastupsample on the receiver's side change how it decodes.
//
// Build: cmake --build build --target example_compression; run: ./build/examples/example_compression
#include <cstdio>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "netgear/netgear.hpp"

namespace {

// A picture with edges and gradients (JPEG's hard and easy parts).
cv::Mat test_picture() {
  cv::Mat m(480, 640, CV_8UC3);
  for (int y = 0; y < m.rows; ++y) {
    for (int x = 0; x < m.cols; ++x) {
      m.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(x * 255 / 639), static_cast<uchar>(y * 255 / 479), 128);
    }
  }
  cv::circle(m, {320, 240}, 120, cv::Scalar(0, 0, 255), -1);
  cv::putText(m, "NetGear", {170, 260}, cv::FONT_HERSHEY_SIMPLEX, 2.5, cv::Scalar(255, 255, 255), 6);
  return m;
}

struct Setting {
  const char* what;
  netgear::Options options;
  bool rgb = false;  // send the frame in RGB order (and say so)
};

}  // namespace

int main() {
  using namespace netgear;
  const cv::Mat bgr = test_picture();
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);

  std::vector<Setting> settings(6);
  settings[0].what = "JPEG, the defaults (quality 90, fast DCT)";
  settings[1].what = "JPEG, quality 50";
  settings[1].options.jpeg_compression_quality = 50;
  settings[2].what = "JPEG, quality 90, accurate DCT";
  settings[2].options.jpeg_compression_fastdct = false;
  settings[3].what = "JPEG, quality 90, fast upsampling";
  settings[3].options.jpeg_compression_fastupsample = true;
  settings[4].what = "JPEG, RGB frames (colorspace RGB)";
  settings[4].options.jpeg_compression_colorspace = Colorspace::RGB;
  settings[4].rgb = true;
  settings[5].what = "raw (jpeg_compression = false)";
  settings[5].options.jpeg_compression = false;

  std::printf("%-40s %10s %12s\n", "setting", "bytes", "PSNR");
  for (const Setting& s : settings) {
    // One receiver per setting (the sender's close() ends its stream). Port 5621 on 127.0.0.1.
    NetGear rx({.address = "127.0.0.1", .port = "5621", .receive_mode = true});
    Config tx_config{.address = "127.0.0.1", .port = "5621"};
    tx_config.options = s.options;
    NetGear tx(tx_config);

    const cv::Mat& frame = s.rgb ? rgb : bgr;
    if (!tx.send(frame).delivered) {
      std::printf("%-40s not delivered\n", s.what);
      continue;
    }
    const auto got = rx.recv(std::chrono::seconds(5));
    if (!got) {
      std::printf("%-40s nothing arrived\n", s.what);
      continue;
    }
    // The received frame is in the order it was sent in: compare it with that frame.
    const bool exact = cv::norm(got->image, frame, cv::NORM_INF) == 0;
    const std::string quality = exact ? "bit-exact" : std::to_string(static_cast<int>(cv::PSNR(got->image, frame))) + " dB";
    std::printf("%-40s %10llu %12s\n", s.what, static_cast<unsigned long long>(rx.stats().bytes), quality.c_str());
    tx.close();
  }
  std::printf("\n(bytes: header + payload of the one frame; PSNR: how close the received frame is to\n"
              "the one sent, higher is closer)\n");
}
