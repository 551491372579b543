#include "tunnel/session.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <mutex>
#include <vector>

#include "net/endpoints.hpp"
#include "netgear/netgear.hpp"

namespace netgear::tunnel {

namespace {

using Reason = TunnelError::Reason;

constexpr const char* kCiphers =
    "aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr";

void init_libssh() {
  static std::once_flag once;
  std::call_once(once, [] { ssh_init(); });  // reference-counted; the library's own constructor did it too
}

std::string error_of(ssh_session s) {
  const char* e = ssh_get_error(s);
  return e && *e ? e : "unknown error";
}

bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

std::string ms_text(std::chrono::milliseconds t) { return std::to_string(t.count()) + " ms"; }

// A key, as OpenSSH shows it: "ssh-ed25519 SHA256:...".
std::string fingerprint(ssh_session s) {
  ssh_key key = nullptr;
  if (ssh_get_server_publickey(s, &key) != SSH_OK || !key) return "(no key)";
  unsigned char* hash = nullptr;
  size_t len = 0;
  std::string out = ssh_key_type_to_char(ssh_key_type(key)) ? ssh_key_type_to_char(ssh_key_type(key)) : "key";
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &len) == 0) {
    char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, len);
    if (text) {
      out += std::string(" ") + text;
      ssh_string_free_char(text);
    }
    ssh_clean_pubkey_hash(&hash);
  }
  ssh_key_free(key);
  return out;
}

// The host as known_hosts and ssh-keyscan name it.
std::string known_hosts_name(const Target& t) {
  return t.port == 22 ? t.host : "[" + t.host + "]:" + std::to_string(t.port);
}

std::string ssh_command(const Target& t) {
  return "ssh " + (t.port == 22 ? std::string() : "-p " + std::to_string(t.port) + " ") + t.user + "@" + t.host;
}

void check_host_key(ssh_session s, const Settings& st, spdlog::logger& log) {
  const Target& t = st.target;
  const ssh_known_hosts_e state = ssh_session_is_known_server(s);
  switch (state) {
    case SSH_KNOWN_HOSTS_OK:
      return;
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER:
      throw TunnelError(
          Reason::HostKeyChanged,
          "ssh_tunnel_mode: the host key of the SSH server " + t.host_port() + " differs from the one recorded in " +
              st.known_hosts + " (the server now shows " + fingerprint(s) +
              "). Someone may be intercepting the connection, or the server was reinstalled. NetGear never "
              "accepts a changed key (not even with ssh_tunnel_accept_new). If you know why it changed, remove "
              "the old entry (ssh-keygen -R '" + known_hosts_name(t) + "' -f " + st.known_hosts +
              ") and connect again");
    case SSH_KNOWN_HOSTS_UNKNOWN:
    case SSH_KNOWN_HOSTS_NOT_FOUND:
      if (st.accept_new) {
        if (ssh_session_update_known_hosts(s) != SSH_OK) {
          throw TunnelError(Reason::Other, "ssh_tunnel_accept_new: cannot add the host key of " + t.host_port() +
                                               " to " + st.known_hosts + ": " + error_of(s));
        }
        log.warn("SSH server {}: new host key {} accepted and added to {} (ssh_tunnel_accept_new)", t.host_port(),
                 fingerprint(s), st.known_hosts);
        return;
      }
      throw TunnelError(
          Reason::HostKeyUnknown,
          "ssh_tunnel_mode: the SSH server " + t.host_port() + " is not known: its host key is not in " +
              st.known_hosts + (state == SSH_KNOWN_HOSTS_NOT_FOUND ? " (the file does not exist)" : "") +
              ". The server shows " + fingerprint(s) +
              ". Compare it with the server's own (on the server: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub); "
              "if they match, accept it: once with ssh_tunnel_accept_new = true (netgear send --ssh-accept-new), "
              "which adds it to " + st.known_hosts + ", or by logging in once with `" + ssh_command(t) +
              "`, or by adding it with `ssh-keyscan " + (t.port == 22 ? "" : "-p " + std::to_string(t.port) + " ") +
              t.host + " >> " + st.known_hosts + "`");
    case SSH_KNOWN_HOSTS_ERROR:
    default:
      throw TunnelError(Reason::Other, "ssh_tunnel_mode: cannot check the host key of " + t.host_port() + " against " +
                                           st.known_hosts + ": " + error_of(s));
  }
}

std::string methods_text(int methods) {
  std::string out;
  auto add = [&](int bit, const char* name) {
    if (methods & bit) out += (out.empty() ? "" : ", ") + std::string(name);
  };
  add(SSH_AUTH_METHOD_PUBLICKEY, "publickey");
  add(SSH_AUTH_METHOD_PASSWORD, "password");
  add(SSH_AUTH_METHOD_INTERACTIVE, "keyboard-interactive");
  add(SSH_AUTH_METHOD_HOSTBASED, "hostbased");
  add(SSH_AUTH_METHOD_GSSAPI_MIC, "gssapi-with-mic");
  return out.empty() ? "none that NetGear knows" : out;
}

// Keyboard-interactive with the password as the answer to every hidden prompt (what a PAM
// password login asks).
int kbdint_with(ssh_session s, const std::string& password) {
  int rc = ssh_userauth_kbdint(s, nullptr, nullptr);
  for (int round = 0; rc == SSH_AUTH_INFO && round < 8; ++round) {
    const int n = ssh_userauth_kbdint_getnprompts(s);
    for (int i = 0; i < n; ++i) {
      char echo = 0;
      (void)ssh_userauth_kbdint_getprompt(s, static_cast<unsigned>(i), &echo);
      ssh_userauth_kbdint_setanswer(s, static_cast<unsigned>(i), echo ? "" : password.c_str());
    }
    rc = ssh_userauth_kbdint(s, nullptr, nullptr);
  }
  return rc;
}

void authenticate(ssh_session s, const Settings& st) {
  const Target& t = st.target;
  int rc = ssh_userauth_none(s, nullptr);
  if (rc == SSH_AUTH_SUCCESS) return;
  if (rc == SSH_AUTH_ERROR) {
    throw TunnelError(Reason::Other, "ssh_tunnel_mode: the SSH server " + t.host_port() +
                                         " ended the session before the login: " + error_of(s));
  }
  const int methods = ssh_userauth_list(s, nullptr);
  std::vector<std::string> tried;
  std::string advice;

  if (!st.keyfile.empty()) {
    ssh_key key = nullptr;
    const int imported = ssh_pki_import_privkey_file(st.keyfile.c_str(),
                                                     st.password.empty() ? nullptr : st.password.c_str(),
                                                     nullptr, nullptr, &key);
    if (imported != SSH_OK || !key) {
      throw TunnelError(Reason::AuthFailed,
                        "ssh_tunnel_keyfile: cannot read the private key in " + st.keyfile + ": " +
                            (st.password.empty() ? "it may be protected by a passphrase: give it in ssh_tunnel_pwd"
                                                 : "wrong passphrase (ssh_tunnel_pwd), or not a private key") +
                            " (no authentication was tried)");
    }
    if (methods & SSH_AUTH_METHOD_PUBLICKEY) {
      rc = ssh_userauth_publickey(s, nullptr, key);
      tried.push_back("publickey with the key in " + st.keyfile);
    } else {
      tried.push_back("none: the server does not take public keys");
    }
    ssh_key_free(key);
    if (rc == SSH_AUTH_SUCCESS) return;
    advice = "is the key's public half (" + st.keyfile + ".pub) in ~" + t.user + "/.ssh/authorized_keys on the server?";
  } else if (!st.password.empty()) {
    if (methods & SSH_AUTH_METHOD_PASSWORD) {
      rc = ssh_userauth_password(s, nullptr, st.password.c_str());
      tried.push_back("password");
    }
    if (rc != SSH_AUTH_SUCCESS && rc != SSH_AUTH_ERROR && (methods & SSH_AUTH_METHOD_INTERACTIVE)) {
      rc = kbdint_with(s, st.password);
      tried.push_back("keyboard-interactive with the password");
    }
    if (rc == SSH_AUTH_SUCCESS) return;
    if (tried.empty()) tried.push_back("none: the server takes no passwords");
    advice = "check the user name and the password (ssh_tunnel_pwd)";
  } else {
    const char* sock = std::getenv("SSH_AUTH_SOCK");
    if (!sock || !*sock) {
      tried.push_back("none: no key file (ssh_tunnel_keyfile), no password (ssh_tunnel_pwd), and no ssh-agent "
                      "(SSH_AUTH_SOCK is not set)");
      advice = "give ssh_tunnel_keyfile or ssh_tunnel_pwd, or start ssh-agent and ssh-add your key";
    } else if (methods & SSH_AUTH_METHOD_PUBLICKEY) {
      rc = ssh_userauth_agent(s, nullptr);
      tried.push_back(std::string("the keys of the ssh-agent at ") + sock);
      if (rc == SSH_AUTH_SUCCESS) return;
      advice = "does the agent hold a key (ssh-add -l) whose public half is in ~" + t.user +
               "/.ssh/authorized_keys on the server?";
    } else {
      tried.push_back("none: the server does not take public keys (the ssh-agent's)");
    }
  }
  if (rc == SSH_AUTH_ERROR) {
    throw TunnelError(Reason::Other, "ssh_tunnel_mode: the login to " + t.text() + " failed: " + error_of(s));
  }
  std::string tried_text;
  for (const auto& m : tried) tried_text += (tried_text.empty() ? "" : "; ") + m;
  throw TunnelError(Reason::AuthFailed, "ssh_tunnel_mode: the SSH server " + t.host_port() + " refused the login as '" +
                                            t.user + "'. Tried: " + tried_text + ". The server accepts: " +
                                            methods_text(methods) + (advice.empty() ? "" : ". Check: " + advice));
}

TunnelError connect_error(ssh_session s, const Settings& st) {
  const std::string e = error_of(s);
  const Target& t = st.target;
  if (contains(e, "refused")) {
    return TunnelError(Reason::Refused, "ssh_tunnel_mode: the SSH server " + t.host_port() +
                                            " refused the connection (" + e + "): is sshd running there, on port " +
                                            std::to_string(t.port) + "?");
  }
  if (contains(e, "resolve")) {
    return TunnelError(Reason::Unreachable, "ssh_tunnel_mode: cannot find the SSH server '" + t.host + "' (" + e +
                                                "): check the host name in ssh_tunnel_mode");
  }
  if (contains(e, "imeout") || contains(e, "timed out") || contains(e, "nreachable") || contains(e, "No route")) {
    return TunnelError(Reason::Unreachable,
                       "ssh_tunnel_mode: the SSH server " + t.host_port() + " did not answer within " +
                           ms_text(st.timeout) + " (" + e +
                           "): is the host up and reachable from here, and does its firewall let port " +
                           std::to_string(t.port) + " through? (the bound is ssh_tunnel_timeout)");
  }
  return TunnelError(Reason::Other, "ssh_tunnel_mode: cannot connect to the SSH server " + t.host_port() + ": " + e +
                                        " (is it an SSH server?)");
}

}  // namespace

std::string Settings::route() const {
  const std::string host = remote_host.find(':') != std::string::npos ? "[" + remote_host + "]" : remote_host;
  return target.text() + " -> " + host + ":" + std::to_string(remote_port);
}

Settings settings_for(const Config& c) {
  const Options::SshTunnel& o = *c.options.ssh_tunnel;
  Settings st;
  st.target = parse_target(o.server);
  st.password = o.password;
  st.keyfile = expand_home(o.keyfile);
  st.known_hosts = o.known_hosts.empty() ? home_folder() + "/.ssh/known_hosts" : expand_home(o.known_hosts);
  st.accept_new = o.accept_new;
  st.timeout = o.timeout;
  st.remote_host = net::address_of(c);
  if (st.remote_host.size() > 2 && st.remote_host.front() == '[' && st.remote_host.back() == ']') {
    st.remote_host = st.remote_host.substr(1, st.remote_host.size() - 2);
  }
  const std::string port = net::ports_of(c).front();
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
      std::stoi(port) < 1 || std::stoi(port) > 65535) {
    throw OptionError("port", "option 'port': '" + port + "' is not a tcp port number; an SSH tunnel forwards to "
                              "a numbered port on the far side");
  }
  st.remote_port = std::stoi(port);
  if (!st.keyfile.empty() && ::access(st.keyfile.c_str(), R_OK) != 0) {
    throw OptionError("ssh_tunnel_keyfile", "option 'ssh_tunnel_keyfile': cannot read the key file '" + st.keyfile +
                                                "' (does it exist, and may this user read it?)");
  }
  return st;
}

std::unique_ptr<Session> Session::open(const Settings& st, spdlog::logger& log) {
  init_libssh();
  ssh_session raw = ssh_new();
  if (!raw) throw TunnelError(Reason::Other, "ssh_tunnel_mode: libssh could not make a session (out of memory?)");
  std::unique_ptr<Session> session(new Session(raw));
  const long port = st.target.port;
  const long sec = static_cast<long>(st.timeout.count() / 1000);
  const long usec = static_cast<long>((st.timeout.count() % 1000) * 1000);
  const int no = 0;
  const int yes = 1;
  const bool options_ok =
      ssh_options_set(raw, SSH_OPTIONS_HOST, st.target.host.c_str()) == 0 &&
      ssh_options_set(raw, SSH_OPTIONS_PORT, &port) == 0 &&
      ssh_options_set(raw, SSH_OPTIONS_USER, st.target.user.c_str()) == 0 &&
      ssh_options_set(raw, SSH_OPTIONS_TIMEOUT, &sec) == 0 && ssh_options_set(raw, SSH_OPTIONS_TIMEOUT_USEC, &usec) == 0 &&
      ssh_options_set(raw, SSH_OPTIONS_KNOWNHOSTS, st.known_hosts.c_str()) == 0 &&
      // Only what NetGear is given: no ~/.ssh/config or /etc/ssh/ssh_config (their Host aliases,
      // proxies and identities would make a tunnel behave differently per machine).
      ssh_options_set(raw, SSH_OPTIONS_PROCESS_CONFIG, &no) == 0 &&
      // Frames and their acknowledgements are request/reply: Nagle's algorithm would hold each
      // small reply back for the peer's delayed ACK (tens of ms a frame).
      ssh_options_set(raw, SSH_OPTIONS_NODELAY, &yes) == 0 &&
      // AES-GCM first: with AES-NI it costs a fraction of ChaCha20-Poly1305 per byte (raw frames
      // are megabytes); the others stay allowed for servers without it.
      ssh_options_set(raw, SSH_OPTIONS_CIPHERS_C_S, kCiphers) == 0 &&
      ssh_options_set(raw, SSH_OPTIONS_CIPHERS_S_C, kCiphers) == 0;
  if (!options_ok) {
    throw TunnelError(Reason::Other, "ssh_tunnel_mode: libssh refused a setting for " + st.target.text() + ": " +
                                         error_of(raw));
  }
  if (ssh_connect(raw) != SSH_OK) throw connect_error(raw, st);
  check_host_key(raw, st, log);
  authenticate(raw, st);
  return session;
}

Session::~Session() {
  if (ssh_is_connected(s_)) ssh_disconnect(s_);
  ssh_free(s_);
}

bool Session::alive() const noexcept {
  return ssh_is_connected(s_) != 0 && ssh_get_status(s_) == 0;
}

TunnelError forward_error(ssh_session s, const Settings& st) {
  const std::string e = error_of(s);
  const std::string far = st.remote_host + ":" + std::to_string(st.remote_port);
  // RFC 4254 5.1: 1 administratively prohibited, 2 connect failed (libssh writes "error (N)").
  if (contains(e, "error (1)") || contains(e, "prohibited")) {
    return TunnelError(Reason::ForwardRefused,
                       "ssh_tunnel_mode: the SSH server " + st.target.host_port() + " refused to forward to " + far +
                           " (" + e + "): it does not allow TCP forwarding for '" + st.target.user +
                           "'; in its sshd_config set AllowTcpForwarding yes (or local), check PermitOpen and "
                           "DisableForwarding, and restart sshd");
  }
  if (contains(e, "error (2)") || contains(e, "refused")) {
    return TunnelError(Reason::TargetClosed,
                       "ssh_tunnel_mode: nothing listens on " + far + " as seen from the SSH host " +
                           st.target.host_port() + " (" + e +
                           "): is the receiver running and bound there? (the address and port are the receiver's as "
                           "the SSH host reaches it, e.g. 127.0.0.1 for a receiver on the SSH host itself)");
  }
  if (contains(e, "error (3)") || contains(e, "error (4)")) {
    return TunnelError(Reason::TargetClosed, "ssh_tunnel_mode: the SSH server " + st.target.host_port() +
                                                 " cannot open a connection to " + far + " (" + e +
                                                 "): check the receiver's address and port as the SSH host sees them");
  }
  return TunnelError(Reason::Other, "ssh_tunnel_mode: the forward " + st.route() + " failed: " + e);
}

void Session::probe(const Settings& st) {
  ssh_channel ch = ssh_channel_new(s_);
  if (!ch) throw TunnelError(Reason::Other, "ssh_tunnel_mode: cannot make an SSH channel: " + error_of(s_));
  const int rc = ssh_channel_open_forward(ch, st.remote_host.c_str(), st.remote_port, "127.0.0.1", 0);
  if (rc != SSH_OK) {
    TunnelError e = rc == SSH_AGAIN || !alive()
                        ? TunnelError(Reason::Unreachable, "ssh_tunnel_mode: the SSH server " + st.target.host_port() +
                                                               " did not answer the forward to " + st.remote_host +
                                                               ":" + std::to_string(st.remote_port) + " within " +
                                                               ms_text(st.timeout) + ": " + error_of(s_))
                        : forward_error(s_, st);
    ssh_channel_free(ch);
    throw e;
  }
  ssh_channel_close(ch);
  ssh_channel_free(ch);
}

}  // namespace netgear::tunnel
