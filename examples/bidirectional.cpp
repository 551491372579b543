// Bidirectional mode: the receiver hands data back to the sender with each acknowledgement.
// A receiver (in a thread) and a sender in one program, on 127.0.0.1, twice:
//
//   1. Sticky return data (vidgear's bidirectional_mode): the receiver calls set_return_data()
//      after each frame; every later reply carries that value until it is replaced. The reply to a
//      frame leaves as soon as the frame arrives, before the application has seen it, so what the
//      sender gets back lags by (at least) one frame.
//   2. Exact pairing (return_pairing = exact, not in vidgear): the reply to each frame waits for
//      answer(frame.id, ...) (at most answer_timeout), so frame i comes back with answer i.
//   3. Frames back (vidgear's "Bidirectional Mode for Video-Frames Transfer"): the receiver hands
//      a frame of its own back (set_return_data(cv::Mat)); it travels JPEG-encoded with the
//      receiver's settings and arrives in SendResult::return_data.frame.
//
// Build: cmake --build build --target example_bidirectional; run: ./build/examples/example_bidirectional
#include <chrono>
#include <cmath>
#include <iostream>
#include <thread>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "netgear/netgear.hpp"

using namespace std::chrono_literals;
using netgear::json;

namespace {

// A 320x240 grey frame of the given brightness.
cv::Mat grey_frame(int level) { return cv::Mat(240, 320, CV_8UC3, cv::Scalar::all(level)); }

void sticky() {
  std::cout << "--- sticky return data (vidgear's bidirectional_mode)\n";
  netgear::Config rx_cfg{.address = "127.0.0.1", .port = "5597", .receive_mode = true};
  rx_cfg.options.bidirectional_mode = true;  // the receiver's replies carry return data
  netgear::NetGear rx(rx_cfg);               // binds

  // The receiver: after each frame, a counter of the frames it has seen becomes the return data.
  std::thread receiver([&rx] {
    int seen = 0;
    while (auto f = rx.recv()) {  // nullopt at the end of the stream
      ++seen;
      rx.set_return_data(json{{"frames_seen", seen}});
    }
  });

  // The sender needs no option: it reads whatever the reply carries.
  netgear::NetGear tx({.address = "127.0.0.1", .port = "5597"});  // connects
  for (int i = 0; i < 5; ++i) {
    const netgear::SendResult r = tx.send(grey_frame(40 * i), {{"frame", i}});
    // Before the receiver set anything the value is null.
    std::cout << "sent frame " << i << " -> got back " << r.return_data.value.dump() << "\n";
    std::this_thread::sleep_for(20ms);  // as a camera would: the receiver's thread catches up
  }
  tx.close();  // the termination message ends the receiver's loop
  receiver.join();
  std::cout << "(the reply to frame i left before the receiver counted frame i: one frame behind)\n";
}

void exact() {
  std::cout << "--- exact pairing: the reply to frame i carries the answer to frame i\n";
  netgear::Config rx_cfg{.address = "127.0.0.1", .port = "5598", .receive_mode = true};
  rx_cfg.options.bidirectional_mode = true;
  rx_cfg.options.return_pairing = netgear::ReturnPairing::Exact;
  rx_cfg.options.answer_timeout = 500ms;  // after this a reply leaves without its answer
  netgear::NetGear rx(rx_cfg);

  // The receiver answers each frame with its mean brightness; Frame::id names the frame.
  std::thread receiver([&rx] {
    while (auto f = rx.recv()) {
      const cv::Scalar m = cv::mean(f->image);
      const double brightness = (m[0] + m[1] + m[2]) / 3.0;
      rx.answer(f->id, json{{"frame", f->message["frame"]}, {"brightness", std::round(brightness * 10) / 10}});
    }
  });

  netgear::NetGear tx({.address = "127.0.0.1", .port = "5598"});
  for (int i = 0; i < 5; ++i) {
    const netgear::SendResult r = tx.send(grey_frame(40 * i), {{"frame", i}});  // no pause needed
    std::cout << "sent frame " << i << " (level " << 40 * i << ") -> answer " << r.return_data.value.dump() << "\n";
  }
  tx.close();
  receiver.join();
}

void frames_back() {
  std::cout << "--- frames back: the receiver returns a frame (here: a quarter-size copy of the last one)\n";
  netgear::Config rx_cfg{.address = "127.0.0.1", .port = "5596", .receive_mode = true};
  rx_cfg.options.bidirectional_mode = true;
  netgear::NetGear rx(rx_cfg);

  std::thread receiver([&rx] {
    while (auto f = rx.recv()) {
      cv::Mat small;
      cv::resize(f->image, small, cv::Size(), 0.25, 0.25);
      rx.set_return_data(small);  // encoded once here; every later reply carries it
    }
  });

  netgear::NetGear tx({.address = "127.0.0.1", .port = "5596"});
  for (int i = 0; i < 5; ++i) {
    const netgear::SendResult r = tx.send(grey_frame(40 * i), {{"frame", i}});
    if (r.return_data.has_frame()) {
      const cv::Mat& back = r.return_data.frame;
      std::cout << "sent frame " << i << " -> got back a " << back.cols << "x" << back.rows << " frame of level "
                << std::round(cv::mean(back)[0]) << "\n";
    } else {
      std::cout << "sent frame " << i << " -> no frame back yet\n";
    }
    std::this_thread::sleep_for(20ms);
  }
  tx.close();
  receiver.join();
}

}  // namespace

int main() {
  try {
    sticky();
    exact();
    frames_back();
  } catch (const netgear::Error& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
}
