// Waiting on sockets and closing them.
#pragma once

#include <chrono>

#include <zmq.hpp>

namespace netgear::net {

/// Waits until `events` (ZMQ_POLLIN/ZMQ_POLLOUT) are ready or `timeout` passes (negative: for
/// ever). Returns false on time-out; throws zmq::error_t (ETERM when the context shuts down).
bool wait_for(zmq::socket_t& s, short events, std::chrono::milliseconds timeout);

/// Polls `n` items until one is ready or `timeout` passes (negative: for ever), retrying after
/// EINTR. Returns zmq_poll's count (0 on time-out); throws zmq::error_t.
int poll(zmq::pollitem_t* items, int n, std::chrono::milliseconds timeout);

/// Closes a socket at once, dropping anything unsent.
void close_now(zmq::socket_t& s) noexcept;

}  // namespace netgear::net
