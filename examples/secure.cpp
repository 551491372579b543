// Secure mode (CurveZMQ, IronHouse) between two NetGear in one program: makes a key set in a
// folder of its own, streams a few frames encrypted and authenticated, then shows what a sender
// whose key the receiver does not know gets: AuthenticationError, and no frame.
// Build: cmake --build build --target example_secure; run: ./build/examples/example_secure [DIR]
// (DIR: where the key set goes, default /tmp/netgear-example-keys). docs/security.md explains it.
#include <filesystem>
#include <iostream>

#include <opencv2/core.hpp>

#include "netgear/keys.hpp"
#include "netgear/netgear.hpp"

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : "/tmp/netgear-example-keys";
  // A key set (server and client key pairs) in DIR/.vidgear/keys; kept when it is already there.
  // The NetGear constructor would generate one by itself; doing it here shows where it goes.
  if (netgear::read_keys(dir).server_public.empty()) netgear::generate_keys(dir);
  const netgear::KeySetInfo keys = netgear::read_keys(dir);
  std::cout << "keys in " << keys.folder << "\n  server public key " << keys.server_public
            << "\n  client public key " << keys.client_public << "\n";

  netgear::Config rc{.address = "127.0.0.1", .port = "5621", .pattern = netgear::Pattern::ReqRep, .receive_mode = true};
  rc.options.secure_mode = netgear::SecureMode::IronHouse;  // only the *.key files in public_keys/
  rc.options.custom_cert_location = dir;
  netgear::Config tc{.address = "127.0.0.1", .port = "5621", .pattern = netgear::Pattern::ReqRep};
  tc.options.secure_mode = netgear::SecureMode::IronHouse;
  tc.options.custom_cert_location = dir;
  tc.options.request_timeout = std::chrono::milliseconds(500);

  netgear::NetGear rx(rc);  // the CURVE server: private_keys/server.key_secret
  {
    netgear::NetGear tx(tc);  // the CURVE client: private_keys/client.key_secret + public_keys/server.key
    cv::Mat frame(480, 640, CV_8UC3, cv::Scalar(40, 160, 220));
    for (int i = 0; i < 3; ++i) {
      tx.send(frame, {{"frame", i}});
      if (auto f = rx.recv(std::chrono::seconds(5))) {
        std::cout << "got " << f->image.cols << "x" << f->image.rows << " over CURVE, message " << f->message << "\n";
      }
    }
  }  // tx's close() sends the termination message; this receiver has one sender, so the stream ends
  while (rx.recv(std::chrono::milliseconds(200))) {
  }

  // A stranger: the same folder but a client key pair of its own, which the receiver never saw.
  const std::string other = dir + "-stranger";
  std::filesystem::remove_all(other);
  netgear::generate_keys(other);  // a fresh set of its own...
  std::filesystem::copy_file(dir + "/.vidgear/keys/public_keys/server.key",  // ...with the real server.key
                             other + "/.vidgear/keys/public_keys/server.key",
                             std::filesystem::copy_options::overwrite_existing);
  netgear::Config rc2 = rc;
  rc2.port = "5622";
  netgear::NetGear rx2(rc2);
  netgear::Config sc = tc;
  sc.port = "5622";
  sc.options.custom_cert_location = other;
  netgear::NetGear stranger(sc);
  try {
    stranger.send(cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(0)));
    std::cout << "unexpected: the stranger's frame went through\n";
    return 1;
  } catch (const netgear::AuthenticationError& e) {
    std::cout << "stranger: " << e.what() << "\n";
  }
  std::cout << "frames that reached the receiver from the stranger: " << (rx2.recv(std::chrono::milliseconds(300)) ? 1 : 0)
            << "\n";
  std::filesystem::remove_all(other);
  return 0;
}
