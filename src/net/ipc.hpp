// ipc endpoints: the socket files behind them.
#pragma once

#include <string>

namespace netgear::net {

/// true for "ipc://..." endpoints.
bool is_ipc(const std::string& endpoint) noexcept;

/// What is at an ipc endpoint's path, as a receiver about to bind it must know: libzmq unlinks
/// whatever is there before binding, so binding over a live socket steals another receiver's
/// endpoint, and over any other file deletes it.
enum class IpcPath {
  Free,       ///< nothing there (or not ipc)
  Stale,      ///< a socket file nobody listens on (left by a closed or killed process): take it over
  Listening,  ///< a socket something still listens on: another receiver, or one of ours closing
  NotSocket,  ///< a regular file, a folder, ...: never replaced
};
/// Looks (lstat, then a connect(2) probe for a socket). `detail` gets a few words for messages.
IpcPath probe_ipc_path(const std::string& endpoint, std::string* detail = nullptr);

/// Removes a bound ipc endpoint's socket file after its socket is closed (only if it is a socket).
void remove_ipc_file(const std::string& endpoint) noexcept;

}  // namespace netgear::net
