// net::ReceiveBuffer on real TCP connections over 127.0.0.1: each connection gets the configured
// size, grows with the messages to one that holds a whole one, and a descriptor that is not one
// of the receiver's connections is left alone.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "net/receive_buffer.hpp"

namespace netgear::net {
namespace {

// A listener on 127.0.0.1 and one accepted connection (and its client end).
struct Connection {
  int listener = -1, client = -1, server = -1, port = 0;
  Connection() {
    listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    EXPECT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(::listen(listener, 1), 0);
    EXPECT_EQ(::getsockname(listener, reinterpret_cast<sockaddr*>(&a), &len), 0);
    port = ntohs(a.sin_port);
    client = ::socket(AF_INET, SOCK_STREAM, 0);
    EXPECT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    server = ::accept(listener, nullptr, nullptr);
    EXPECT_GE(server, 0);
  }
  ~Connection() {
    for (int fd : {listener, client, server})
      if (fd >= 0) ::close(fd);
  }
};

// What the kernel grants for a request of `n` bytes: twice it, at most twice net.core.rmem_max.
std::size_t granted(std::size_t n) {
  std::size_t max = 0;
  std::ifstream("/proc/sys/net/core/rmem_max") >> max;
  return 2 * (max > 0 ? std::min(n, max) : n);
}

TEST(ReceiveBuffer, EachConnectionStartsAtTheConfiguredSize) {
  Connection c;
  ReceiveBuffer b(128 * 1024, {c.port});
  b.apply({c.server});
  EXPECT_EQ(ReceiveBuffer::kernel_size(c.server), granted(128 * 1024));
}

TEST(ReceiveBuffer, GrowsToHoldTheLargestMessage) {
  Connection c;
  ReceiveBuffer b(128 * 1024, {c.port});
  b.apply({c.server});
  b.saw(64 * 1024);  // a JPEG frame: fits already
  EXPECT_EQ(b.target(), 128u * 1024);
  b.saw(921'600);  // a raw 640x480 frame
  EXPECT_EQ(b.target(), 1024u * 1024);
  b.apply({c.server});
  EXPECT_EQ(ReceiveBuffer::kernel_size(c.server), granted(1024 * 1024));
  b.saw(1000);  // never shrinks while the stream lasts
  EXPECT_EQ(b.target(), 1024u * 1024);
}

TEST(ReceiveBuffer, LeavesADescriptorThatIsNotOneOfItsConnectionsAlone) {
  Connection ours, other;
  ReceiveBuffer b(1024 * 1024, {ours.port});
  const std::size_t before = ReceiveBuffer::kernel_size(other.server);
  b.apply({other.server});  // say its number was reused by another socket
  EXPECT_EQ(ReceiveBuffer::kernel_size(other.server), before);
}

}  // namespace
}  // namespace netgear::net
