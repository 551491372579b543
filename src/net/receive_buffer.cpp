#include "net/receive_buffer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <bit>
#include <climits>

namespace netgear::net {

namespace {

// Above this a "frame" is no longer one of a video stream's; the buffer stops following. The
// kernel caps what SO_RCVBUF asks for at net.core.rmem_max in any case.
constexpr std::size_t kMaxTarget = std::size_t{64} << 20;

// The local port of a TCP socket, or -1 (not a socket, not TCP/IP, closed).
int local_port(int fd) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return -1;
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in&>(a).sin_port);
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6&>(a).sin6_port);
  return -1;
}

}  // namespace

ReceiveBuffer::ReceiveBuffer(std::size_t base, std::vector<int> local_ports)
    : target_(std::min(base, kMaxTarget)), ports_(std::move(local_ports)) {}

void ReceiveBuffer::saw(std::size_t message_bytes) {
  if (message_bytes <= target_ || target_ >= kMaxTarget) return;
  target_ = std::min(std::bit_ceil(message_bytes), kMaxTarget);
}

void ReceiveBuffer::apply(const std::set<int>& connections) {
  std::erase_if(applied_, [&](const auto& e) { return !connections.contains(e.first); });
  for (const int fd : connections) {
    const auto it = applied_.try_emplace(fd, 0).first;
    if (it->second == target_) continue;
    it->second = target_;
    // The descriptor came from the monitor; make sure it is still one of our connections (a
    // closed one's number may have been reused by the time its report was read).
    const int port = local_port(fd);
    if (std::find(ports_.begin(), ports_.end(), port) == ports_.end()) continue;
    const int size = static_cast<int>(std::min<std::size_t>(target_, INT_MAX));
    (void)::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
}

std::size_t ReceiveBuffer::kernel_size(int fd) {
  int size = 0;
  socklen_t len = sizeof size;
  if (::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &len) != 0) return 0;
  return static_cast<std::size_t>(size);
}

}  // namespace netgear::net
