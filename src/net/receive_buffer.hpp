// The kernel receive buffer of a PUB/SUB receiver's TCP connections, following the size of the
// messages: big enough for one whole frame, not much bigger.
//
// A subscriber's buffer is what stale frames wait in when it falls behind, so it is kept small
// (Options::pubsub_socket_buffer, 128 KiB by default: a frame or two of 640x480 JPEG). But a
// window smaller than a frame makes every frame cross in several rounds of "buffer full, reader
// wakes, window opens": raw 640x480 frames (921,600 bytes) went at half the rate that a buffer of
// one frame gives (docs/benchmarks.md, session 6). So each connection starts at the configured
// size and grows to the next power of two above the largest message seen, applied with
// SO_RCVBUF to each connection's descriptor (ZeroMQ sets socket options per socket, before any
// connection exists, and only once).
//
// The socket itself gets no ZMQ_RCVBUF: Linux picks a connection's TCP window scale when it is
// accepted, from the buffer it may grow to; a buffer set beforehand would cap the window at
// that size for the connection's whole life, so raising it later would not take.
//
// Threads: the receiving thread only.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <vector>

namespace netgear::net {

class ReceiveBuffer {
 public:
  /// `base`: the smallest buffer (bytes, > 0); `local_ports`: the ports the receiver is bound to (a
  /// descriptor whose local port is not one of them is left alone).
  ReceiveBuffer(std::size_t base, std::vector<int> local_ports);

  /// A message of this many bytes arrived (all its parts): may raise the target.
  void saw(std::size_t message_bytes);
  /// Gives every live connection the current target (each only once per target).
  void apply(const std::set<int>& connections);

  std::size_t target() const noexcept { return target_; }
  /// The buffer size the kernel reports for `fd` (SO_RCVBUF, which is twice the size set), or 0.
  static std::size_t kernel_size(int fd);

 private:
  std::size_t target_;
  std::vector<int> ports_;
  std::map<int, std::size_t> applied_;  // descriptor -> the target it has
};

}  // namespace netgear::net
