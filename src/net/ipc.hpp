// ipc endpoints: the socket files behind them.
#pragma once

#include <string>

namespace netgear::net {

/// true for "ipc://..." endpoints.
bool is_ipc(const std::string& endpoint) noexcept;

/// After a bound ipc socket was closed: waits (bounded) until its socket file is gone, so that a
/// re-bind cannot lose its new file to the old socket's clean-up. Does nothing for tcp.
void wait_ipc_released(const std::string& endpoint);

/// Removes a bound ipc endpoint's socket file after its socket is closed (only if it is a socket).
void remove_ipc_file(const std::string& endpoint) noexcept;

}  // namespace netgear::net
