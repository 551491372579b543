// The SSH server of a tunnel as the user names it: "[user@]host[:port]" (vidgear's
// ssh_tunnel_mode). Pure text handling, no sockets: the validator uses it too.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace netgear::tunnel {

/// Where the SSH server is and whom to log in as.
struct Target {
  std::string user;  ///< the given user, or the current one
  std::string host;  ///< name or address; an IPv6 address without its brackets
  int port = 22;

  /// "user@host:port" ("user@[::1]:port" for IPv6), for messages.
  std::string text() const;
  /// "host:port" ("[::1]:port"), for messages and known_hosts hints.
  std::string host_port() const;
};

/// What is wrong with `server` ("expected ..."), or nothing when it parses.
std::optional<std::string> target_problem(std::string_view server);

/// Parses "[user@]host[:port]"; user defaults to current_user(), port to 22. Throws OptionError
/// (naming ssh_tunnel_mode) for text target_problem() refuses.
Target parse_target(std::string_view server);

/// The user this process runs as (its passwd entry; $USER when there is none).
std::string current_user();

/// The home folder of the user this process runs as (its passwd entry; $HOME when there is none).
std::string home_folder();

/// `path` with a leading "~/" replaced by home_folder().
std::string expand_home(const std::string& path);

}  // namespace netgear::tunnel
