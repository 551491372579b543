// Endpoints and socket roles (wire-protocol.md, "Roles, sockets, endpoints").
#pragma once

#include <chrono>
#include <string>

#include <zmq.hpp>
#include <zmq_addon.hpp>

#include "netgear/netgear.hpp"

namespace netgear::transport {

inline constexpr const char* kDefaultPort = "5555";
inline constexpr const char* kDefaultIpcPath = "/tmp/netgear";

/// The endpoint a receiver binds or a sender connects to: `<protocol>://<address>:<port>`, with the
/// side's default address; IPv6 addresses get brackets.
std::string make_endpoint(const Config& c);

/// true when the endpoint needs ZMQ_IPV6 (a literal IPv6 address, or "*" with one).
bool needs_ipv6(const Config& c);

/// Checks a Config before any socket exists: ranges, the compatibility chart, modes this build does
/// not provide. Throws OptionError (naming both settings for a forbidden pair) or UnsupportedError.
void validate(const Config& c);


/// Creates the socket for this side and pattern with every option applied (wire-protocol.md), then
/// binds (receiver) or connects (sender). Used for the first socket and for every re-created one,
/// so a reconnect never loses an option. A bind that keeps failing with "address in use" (the old
/// socket of a re-bind is still closing) is retried for up to `bind_patience`. Throws
/// ConnectionError saying which side binds and what address it needs.
zmq::socket_t open_socket(zmq::context_t& ctx, const Config& c, const std::string& endpoint,
                          std::chrono::milliseconds bind_patience = std::chrono::milliseconds(0));

/// Waits until `events` (ZMQ_POLLIN/ZMQ_POLLOUT) are ready or `timeout` passes (negative: for
/// ever). Returns false on time-out; throws zmq::error_t (ETERM when the context shuts down).
bool wait_for(zmq::socket_t& s, short events, std::chrono::milliseconds timeout);

/// Closes a socket at once, dropping anything unsent.
void close_now(zmq::socket_t& s);

/// After a receiver's ipc socket was closed: waits (bounded) until its socket file is gone, so that
/// a re-bind cannot lose its new file to the old socket's clean-up. Does nothing for tcp.
void wait_ipc_released(const Config& c, const std::string& endpoint);

/// Removes a receiver's ipc socket file after its socket is closed (only if it is a socket).
void remove_ipc_file(const std::string& endpoint) noexcept;

}  // namespace netgear::transport
