// A camera node that reaches its receiver through an SSH server (docs/ssh-tunnel.md): the
// receiver runs on the SSH host, bound to 127.0.0.1 only, so nothing but the tunnel reaches it.
//
// Build: cmake --build build --target example_ssh_tunnel
// Run:   on the SSH host:  netgear recv --address 127.0.0.1 --port 5555
//        here:             ./build/examples/example_ssh_tunnel pi@gateway.example.org ~/.ssh/id_ed25519
//        (the host key must be in ~/.ssh/known_hosts; add a third argument "accept-new" to accept
//        and remember an unknown one after checking the fingerprint the first run prints)
#include <iostream>

#include <opencv2/core.hpp>

#include "netgear/netgear.hpp"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: example_ssh_tunnel [user@]host[:port] [keyfile] [accept-new]\n";
    return 2;
  }
  netgear::Config c;
  c.address = "127.0.0.1";  // the receiver, as the SSH host sees it
  c.port = "5555";
  c.pattern = netgear::Pattern::ReqRep;
  c.options.ssh_tunnel = netgear::Options::SshTunnel{
      .server = argv[1],
      .keyfile = argc > 2 ? argv[2] : "",  // none: the ssh-agent
      .accept_new = argc > 3 && std::string(argv[3]) == "accept-new",
      .timeout = std::chrono::seconds(5),
  };
  try {
    netgear::NetGear sender(c);  // connects, checks the host key, logs in, proves the forward
    std::cout << "tunnel up; the socket connects to " << sender.endpoint() << "\n";
    cv::Mat frame(480, 640, CV_8UC3, cv::Scalar(0, 128, 255));
    for (int i = 0; i < 100; ++i) {
      const netgear::SendResult r = sender.send(frame, {{"frame", i}});
      if (!r.delivered) std::cout << "frame " << i << " lost (reconnecting)\n";
    }
    std::cout << "sent 100 frames\n";
  } catch (const netgear::TunnelError& e) {
    // Unreachable, refused, unknown or changed host key, login refused, forward refused, or
    // nothing listening on the far side: the message says what to check.
    std::cerr << "ssh tunnel: " << e.what() << "\n";
    return 1;
  } catch (const netgear::Error& e) {
    std::cerr << "netgear: " << e.what() << "\n";
    return 1;
  }
}
