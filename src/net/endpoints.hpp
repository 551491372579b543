// Where sockets bind or connect: endpoint strings from a Config, and the providers that a socket
// asks each time it is (re)opened.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "netgear/netgear.hpp"

namespace netgear::net {

inline constexpr const char* kDefaultPort = "5555";

/// The ports as given, or {kDefaultPort} when none was.
std::vector<std::string> ports_of(const Config& c);
inline constexpr const char* kDefaultIpcPath = "/tmp/netgear";

/// The address this side uses: the given one, or the side's default (receiver "*", sender
/// "localhost", ipc "/tmp/netgear").
std::string address_of(const Config& c);

/// true when the endpoints need ZMQ_IPV6 (a literal IPv6 address, or "*" with one).
bool needs_ipv6(const Config& c);

/// `<protocol>://<address>:<port>` for each port of `c` (default port 5555); IPv6 addresses get
/// brackets.
std::vector<std::string> make_endpoints(const Config& c);

/// What a socket binds or connects to. Asked every time the socket is (re)opened, so a provider
/// can hand out a fresh endpoint each time (an SSH tunnel opens a new local port per reconnect).
class EndpointProvider {
 public:
  virtual ~EndpointProvider() = default;
  /// The endpoints for the socket being opened now (one or more).
  virtual std::vector<std::string> endpoints() = 0;
};

/// The same endpoints every time (every mode but the SSH tunnel).
class FixedEndpoints final : public EndpointProvider {
 public:
  explicit FixedEndpoints(std::vector<std::string> endpoints) : endpoints_(std::move(endpoints)) {}
  std::vector<std::string> endpoints() override { return endpoints_; }

 private:
  std::vector<std::string> endpoints_;
};

}  // namespace netgear::net
