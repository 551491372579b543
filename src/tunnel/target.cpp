#include "tunnel/target.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "netgear/error.hpp"

namespace netgear::tunnel {

namespace {

constexpr const char* kExpected =
    "[user@]host[:port], e.g. pi@example.com, pi@192.168.1.7:2222 or pi@[::1]:2222 (an IPv6 address in brackets)";

struct Parsed {
  std::optional<std::string> user;
  std::string host;
  int port = 22;
};

std::optional<Parsed> parse(std::string_view s, std::string& why) {
  Parsed p;
  if (s.empty()) {
    why = "the SSH server is empty";
    return std::nullopt;
  }
  if (s.find_first_of(" \t\r\n/") != std::string_view::npos) {
    why = "a space or '/' in the SSH server";
    return std::nullopt;
  }
  std::string_view rest = s;
  if (const auto at = s.rfind('@'); at != std::string_view::npos) {
    if (at == 0) {
      why = "an empty user name before '@'";
      return std::nullopt;
    }
    p.user = std::string(s.substr(0, at));
    rest = s.substr(at + 1);
  }
  std::string_view port;
  if (!rest.empty() && rest.front() == '[') {
    const auto close = rest.find(']');
    if (close == std::string_view::npos) {
      why = "a '[' without its ']'";
      return std::nullopt;
    }
    p.host = std::string(rest.substr(1, close - 1));
    const std::string_view after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        why = "text after ']' that is not ':port'";
        return std::nullopt;
      }
      port = after.substr(1);
      if (port.empty()) {
        why = "an empty port after ':'";
        return std::nullopt;
      }
    }
  } else {
    const auto colons = std::count(rest.begin(), rest.end(), ':');
    if (colons > 1) {
      why = "an IPv6 address without brackets";
      return std::nullopt;
    }
    const auto colon = rest.find(':');
    p.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) {
      port = rest.substr(colon + 1);
      if (port.empty()) {
        why = "an empty port after ':'";
        return std::nullopt;
      }
    }
  }
  if (p.host.empty()) {
    why = "no host";
    return std::nullopt;
  }
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string_view::npos ||
        std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535) {
      why = "the port '" + std::string(port) + "' is not a number from 1 to 65535";
      return std::nullopt;
    }
    p.port = std::stoi(std::string(port));
  }
  return p;
}

bool needs_brackets(const std::string& host) { return host.find(':') != std::string::npos; }

}  // namespace

std::string Target::host_port() const {
  return (needs_brackets(host) ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string Target::text() const { return user + "@" + host_port(); }

std::optional<std::string> target_problem(std::string_view server) {
  std::string why;
  if (parse(server, why)) return std::nullopt;
  // Appended, not `std::string(kExpected) + ...`: GCC 12 warns (-Warray-bounds, a false positive)
  // about the concatenation of a string whose length it knows, in some builds.
  std::string text(kExpected);
  text.append("; here: ").append(why);
  return text;
}

Target parse_target(std::string_view server) {
  std::string why;
  const auto p = parse(server, why);
  if (!p) {
    throw OptionError("ssh_tunnel_mode", "option 'ssh_tunnel_mode': bad value '" + std::string(server) +
                                             "' (expected " + kExpected + "; here: " + why + ")");
  }
  return Target{p->user ? *p->user : current_user(), p->host, p->port};
}

namespace {

// This process's passwd entry (getpwuid_r: other threads may look up users too).
std::optional<std::pair<std::string, std::string>> own_entry() {
  passwd pw{};
  passwd* found = nullptr;
  std::string buf(16384, '\0');
  if (::getpwuid_r(::geteuid(), &pw, buf.data(), buf.size(), &found) != 0 || !found) return std::nullopt;
  return std::make_pair(std::string(pw.pw_name ? pw.pw_name : ""), std::string(pw.pw_dir ? pw.pw_dir : ""));
}

}  // namespace

std::string current_user() {
  if (auto e = own_entry(); e && !e->first.empty()) return e->first;
  if (const char* u = std::getenv("USER"); u && *u) return u;
  return "root";
}

std::string home_folder() {
  if (auto e = own_entry(); e && !e->second.empty()) return e->second;
  if (const char* h = std::getenv("HOME"); h && *h) return h;
  return "/";
}

std::string expand_home(const std::string& path) {
  if (path == "~") return home_folder();
  if (path.rfind("~/", 0) == 0) return home_folder() + path.substr(1);
  return path;
}

}  // namespace netgear::tunnel
