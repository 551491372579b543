// One SSH session of a tunnel (libssh): the connection to the SSH server, its host key checked
// against known_hosts, and the login. Used by one thread at a time: the constructing thread opens
// the first one, the forwarding thread owns it (and every later one) from then on.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <libssh/libssh.h>
#include <spdlog/logger.h>

#include "netgear/netgear.hpp"
#include "tunnel/target.hpp"

namespace netgear::tunnel {

/// Everything a tunnel needs to (re)connect, resolved once from Options::SshTunnel and the Config.
struct Settings {
  Target target;            ///< the SSH server and the user
  std::string password;     ///< the password, or the key file's passphrase
  std::string keyfile;      ///< expanded; empty: password or ssh-agent
  std::string known_hosts;  ///< expanded, never empty (default ~/.ssh/known_hosts)
  bool accept_new = false;
  std::chrono::milliseconds timeout{10000};
  std::string remote_host;  ///< the forward's target as seen from the SSH host (Config::address)
  int remote_port = 0;      ///< its port (Config::port)

  /// "user@host:22 -> localhost:5555", for messages.
  std::string route() const;
};

/// Settings for a sender's Config that has Options::ssh_tunnel. Throws OptionError for a bad
/// server text, key file or target port.
Settings settings_for(const Config& config);

class Session {
 public:
  /// Connects, checks the host key, logs in; every step bounded by settings.timeout. Throws
  /// TunnelError (reason and advice in the message). The session is blocking until the caller
  /// makes it non-blocking.
  static std::unique_ptr<Session> open(const Settings& settings, spdlog::logger& log);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  ssh_session get() const noexcept { return s_; }
  /// The connection is up (no error and no disconnect seen).
  bool alive() const noexcept;

  /// Opens one forward to the target and closes it again (blocking, bounded): proves that the
  /// server allows forwarding and that something listens on the target. Throws TunnelError
  /// (ForwardRefused, TargetClosed, ...).
  void probe(const Settings& settings);

 private:
  explicit Session(ssh_session s) : s_(s) {}
  ssh_session s_;
};

/// A channel open that failed: the reason (ForwardRefused, TargetClosed, Other) and a message
/// with advice, from libssh's error text of `session`.
TunnelError forward_error(ssh_session session, const Settings& settings);

}  // namespace netgear::tunnel
