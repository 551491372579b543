#include "net/endpoints.hpp"

namespace netgear::net {

std::string address_of(const Config& c) {
  if (!c.address.empty()) return c.address;
  if (c.protocol == Protocol::Ipc) return kDefaultIpcPath;
  return c.receive_mode ? "*" : "localhost";
}

bool needs_ipv6(const Config& c) {
  return c.protocol == Protocol::Tcp && address_of(c).find(':') != std::string::npos;
}

std::vector<std::string> ports_of(const Config& c) {
  if (c.port.empty()) return {kDefaultPort};
  return c.port.list();
}

std::vector<std::string> make_endpoints(const Config& c) {
  std::string address = address_of(c);
  if (needs_ipv6(c) && address.front() != '[') address = "[" + address + "]";
  const std::string prefix = std::string(to_string(c.protocol)) + "://" + address + ":";
  std::vector<std::string> out;
  for (const auto& port : ports_of(c)) out.push_back(prefix + port);
  return out;
}

}  // namespace netgear::net
