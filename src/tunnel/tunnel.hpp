// The SSH tunnel of a sender (Options::ssh_tunnel): what engine::Sender composes instead of fixed
// endpoints. At construction it connects to the SSH server, checks its host key, logs in and
// proves the forward once; then a forwarding thread (a net::Service of the sender's context)
// accepts connections on 127.0.0.1 and carries each over its own direct-tcpip channel to
// address:port as the SSH host sees it. Each (re)open of the sender's socket gets a fresh local
// port; the SSH session is re-used while it is alive, and a new one is made when it is not.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "net/context.hpp"
#include "net/endpoints.hpp"
#include "netgear/netgear.hpp"

namespace netgear::tunnel {

class Forwarder;

/// What a tunnel has done so far (for logs and tests).
struct Counters {
  std::uint64_t sessions = 0;         ///< SSH sessions opened (the first one included)
  std::uint64_t forwards = 0;         ///< channels opened for the socket's connections
  std::uint64_t forwards_failed = 0;  ///< channel opens the server refused
  std::uint64_t sessions_lost = 0;    ///< sessions that ended while in use
  std::uint64_t bytes_out = 0;        ///< bytes carried towards the receiver
  std::uint64_t bytes_in = 0;         ///< bytes carried back
};

/// The endpoint provider of a tunnelled link: "tcp://127.0.0.1:<fresh port>" on each call.
class TunnelEndpoints final : public net::EndpointProvider {
 public:
  explicit TunnelEndpoints(std::shared_ptr<Forwarder> forwarder) : forwarder_(std::move(forwarder)) {}
  std::vector<std::string> endpoints() override;
  Counters counters() const;

 private:
  std::shared_ptr<Forwarder> forwarder_;
};

/// Opens the tunnel for a sender's `config` (it has Options::ssh_tunnel): the first session and
/// the probe run in this thread, bounded by the tunnel's timeout; the forwarding thread is added
/// to `ctx`, which stops it after its sockets are gone. Throws TunnelError, or OptionError for a
/// setting that cannot work (the key file, the port).
std::unique_ptr<TunnelEndpoints> open(net::Context& ctx, const Config& config, std::shared_ptr<spdlog::logger> log);

}  // namespace netgear::tunnel
