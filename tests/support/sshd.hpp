// A real OpenSSH server for the SSH tunnel tests, on 127.0.0.1 and a free port, with everything it
// needs in a temporary folder of its own: a generated host key, generated client keys (one
// without a passphrase, one with kPassphrase), authorized_keys, known_hosts files, its config,
// PidFile and log. It never touches the machine's own sshd, keys, ~/.ssh or accounts: it logs in
// the user the tests run as, with keys (UsePAM no, StrictModes no). With Login::KeysAndPassword it
// also takes kPassword (sshd's own password method), with Login::KeysAndKeyboardInteractive
// kPassword answered to PAM's prompt (UsePAM yes, the machine's /etc/pam.d/sshd): the server then
// runs in a private mount namespace where a shadow file of its folder (the machine's, the user's
// line with kPassword's hash) is bind-mounted over /etc/shadow. The machine's /etc/shadow is read,
// never written; other processes still see it.
//
// Started as `/usr/sbin/sshd -D -e -f <dir>/sshd_config`. As root, OpenSSH insists on its
// privilege separation folder /run/sshd; when the machine has none (its own sshd never ran), the
// server runs in a private mount namespace with a tmpfs on /run that has one, so nothing of the
// machine's /run changes.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace netgear::test {

class TestSshd {
 public:
  static constexpr const char* kPassphrase = "netgear test passphrase";
  static constexpr const char* kPassword = "netgear test password";

  enum class Login { Keys, KeysAndPassword, KeysAndKeyboardInteractive };

  /// Why the tests cannot run here (sshd or ssh-keygen missing), or nothing.
  static std::optional<std::string> unavailable();
  /// Why `login` (a password one) cannot run here (not root, no private mount namespace, no
  /// /etc/shadow; no /etc/pam.d/sshd for keyboard-interactive), or nothing.
  static std::optional<std::string> password_login_unavailable(Login login = Login::KeysAndPassword);

  /// Makes the folder, the keys and the config (`extra_config` lines are added to it, e.g.
  /// "AllowTcpForwarding no"); does not start the server.
  explicit TestSshd(std::vector<std::string> extra_config = {}, Login login = Login::Keys);
  ~TestSshd();
  TestSshd(const TestSshd&) = delete;
  TestSshd& operator=(const TestSshd&) = delete;

  /// Starts sshd and waits (bounded) until it answers with its banner. Throws std::runtime_error
  /// with the server's log when it does not come up.
  void start();
  /// Ends the server and every session process it forked (SIGKILL, each by its process id):
  /// the clients' connections drop at once, as when the server host restarts.
  void kill_all();
  bool running() const { return pid_ > 0; }

  int port() const { return port_; }
  /// "<user>@127.0.0.1:<port>" for the user the tests run as.
  std::string server() const;
  const std::string& dir() const { return dir_; }
  std::string client_key() const { return dir_ + "/client_key"; }        ///< no passphrase, authorized
  std::string client_key_pw() const { return dir_ + "/client_key_pw"; }  ///< kPassphrase, authorized
  std::string stranger_key() const { return dir_ + "/stranger_key"; }    ///< not authorized
  /// known_hosts with the server's host key.
  std::string known_hosts() const { return dir_ + "/known_hosts"; }
  /// known_hosts where the server's name has another key (as after a reinstall, or an attack).
  std::string changed_known_hosts() const { return dir_ + "/known_hosts_changed"; }
  /// "SHA256:..." of the server's host key (ssh-keygen -lf).
  const std::string& host_fingerprint() const { return fingerprint_; }
  /// The server's log so far (its stderr, LogLevel DEBUG1).
  std::string log() const;

  /// Starts an ssh-agent on a socket in the folder, holding client_key(); returns the socket path.
  std::string start_agent();

 private:
  void stop_agent();
  std::string dir_;
  Login login_ = Login::Keys;  // a password login: dir_/shadow over /etc/shadow
  int port_ = 0;
  pid_t pid_ = -1;
  pid_t agent_pid_ = -1;
  std::string fingerprint_;
};

/// Runs a program to its end (bounded); throws std::runtime_error with its output on failure.
std::string run_tool(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});

}  // namespace netgear::test
