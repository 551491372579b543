// `netgear bench --ssh [USER@]HOST[:PORT]`: frames/s through the SSH tunnel next to the direct path,
// same run, pattern 0, 640x480 JPEG and 1920x1080 raw (docs/benchmarks.md, "SSH tunnel").
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace netgear::bench {

struct TunnelBenchOptions {
  std::string server;        ///< --ssh: an SSH server on this machine (the receiver runs here)
  std::string keyfile;       ///< --ssh-keyfile
  std::string known_hosts;   ///< --ssh-known-hosts
  std::string password_env;  ///< --ssh-password-env
};

/// Adds --ssh, --ssh-keyfile, --ssh-known-hosts and --ssh-password-env to `bench`.
void add_tunnel_flags(CLI::App& bench, TunnelBenchOptions& o);

/// true when --ssh was given: `bench` then runs only the tunnel comparison.
inline bool tunnel_requested(const TunnelBenchOptions& o) { return !o.server.empty(); }

/// Runs the comparison (each case `duration_s` seconds per path, <= 0: 3 s) and prints a table or
/// JSON. Returns the exit code.
int run_tunnel_bench(const TunnelBenchOptions& o, double duration_s, bool json);

}  // namespace netgear::bench
