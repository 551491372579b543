#include "support/sshd.hpp"

#include <crypt.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/test_support.hpp"
#include "tunnel/target.hpp"

namespace netgear::test {

namespace {

using namespace std::chrono_literals;

constexpr const char* kSshd = "/usr/sbin/sshd";
constexpr const char* kKeygen = "/usr/bin/ssh-keygen";
constexpr const char* kAgent = "/usr/bin/ssh-agent";
constexpr const char* kAdd = "/usr/bin/ssh-add";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, const std::string& text, mode_t mode = 0600) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + path);
    out << text;
  }
  ::chmod(path.c_str(), mode);
}

constexpr const char* kShadow = "/etc/shadow";
constexpr const char* kPamSshd = "/etc/pam.d/sshd";

// Enters a mount namespace of this process's own, whose mounts no other process sees.
bool private_mounts() {
  return ::unshare(CLONE_NEWNS) == 0 && ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
}

// Forks and execs `argv` with stdout and stderr appended to `log`. `private_run`: in a private
// mount namespace whose /run is a fresh tmpfs holding /run/sshd (root without /run/sshd), or,
// where mounting is not allowed, with /run/sshd made in the machine's /run. `shadow`: a file
// bind-mounted over /etc/shadow in a private mount namespace (the child fails without one).
pid_t spawn(const std::vector<std::string>& argv, const std::string& log, bool private_run,
            const std::string& shadow = {}, const std::vector<std::string>& env = {}) {
  std::vector<std::string> a = argv;
  std::vector<char*> args;
  for (auto& s : a) args.push_back(s.data());
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    // A test that crashes takes its server with it (sshd -D stays this process after exec).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    const bool isolated = (private_run || !shadow.empty()) && private_mounts();
    if (!shadow.empty() && (!isolated || ::mount(shadow.c_str(), kShadow, nullptr, MS_BIND, nullptr) != 0)) {
      std::fprintf(stderr, "test sshd: cannot put %s over %s in a private mount namespace: %s\n", shadow.c_str(),
                   kShadow, std::strerror(errno));
      ::_exit(125);
    }
    if (private_run) {
      const bool run_mounted = isolated && ::mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") == 0;
      if (!run_mounted) {
        // No mount rights (a container without CAP_SYS_ADMIN): make the empty folder that the
        // openssh-server package itself makes at boot, in the machine's /run. Nothing is removed.
        std::fprintf(stderr, "test sshd: no private /run (%s); creating /run/sshd\n", std::strerror(errno));
      }
      if (::mkdir("/run/sshd", 0755) != 0 && errno != EEXIST) {
        std::fprintf(stderr, "test sshd: cannot make /run/sshd: %s\n", std::strerror(errno));
        ::_exit(126);
      }
    }
    for (const auto& e : env) ::putenv(const_cast<char*>(e.c_str()));
    ::execv(args[0], args.data());
    std::fprintf(stderr, "test sshd: exec %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  return pid;
}

// Every process below `root`, from /proc (parent links).
std::vector<pid_t> descendants(pid_t root) {
  std::multimap<pid_t, pid_t> children;
  if (DIR* d = ::opendir("/proc")) {
    while (dirent* e = ::readdir(d)) {
      const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
      if (pid <= 0) continue;
      const std::string stat = read_file("/proc/" + std::string(e->d_name) + "/stat");
      const auto close = stat.rfind(')');
      if (close == std::string::npos) continue;
      std::istringstream fields(stat.substr(close + 2));
      char state = 0;
      pid_t ppid = 0;
      fields >> state >> ppid;
      children.emplace(ppid, pid);
    }
    ::closedir(d);
  }
  std::vector<pid_t> out, todo{root};
  while (!todo.empty()) {
    const pid_t p = todo.back();
    todo.pop_back();
    auto [b, e] = children.equal_range(p);
    for (auto it = b; it != e; ++it) {
      out.push_back(it->second);
      todo.push_back(it->second);
    }
  }
  return out;
}

bool banner_from(int port, std::chrono::milliseconds wait) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    pollfd p{fd, POLLIN, 0};
    char buf[8] = {};
    ok = ::poll(&p, 1, static_cast<int>(wait.count())) == 1 && ::recv(fd, buf, 4, 0) == 4 &&
         std::memcmp(buf, "SSH-", 4) == 0;
  }
  ::close(fd);
  return ok;
}

// The machine's shadow file with `user`'s line (added if it has none) giving `password`, changed
// today and never expiring, so that sshd neither refuses nor asks for a new password.
std::string shadow_with(const std::string& user, const std::string& password) {
  auto data = std::make_unique<crypt_data>();
  const char* hash = ::crypt_r(password.c_str(), "$6$netgeartestsalt$", data.get());
  if (!hash || hash[0] != '$') throw std::runtime_error("crypt_r cannot make a SHA-512 password hash");
  const auto days = std::chrono::duration_cast<std::chrono::days>(std::chrono::system_clock::now().time_since_epoch());
  const std::string line = user + ":" + hash + ":" + std::to_string(days.count()) + ":0:99999:7:::\n";
  std::istringstream machine(read_file(kShadow));
  std::string out, l;
  bool found = false;
  while (std::getline(machine, l)) {
    if (l.rfind(user + ":", 0) == 0) {
      out += line;
      found = true;
    } else {
      out += l + "\n";
    }
  }
  return found ? out : out + line;
}

}  // namespace

std::string run_tool(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  Child c(argv, env);
  const ExitStatus s = c.wait(20s);
  if (!s.ok()) throw std::runtime_error(argv[0] + " failed: " + s.out + s.err);
  return s.out;
}

std::optional<std::string> TestSshd::unavailable() {
  for (const char* tool : {kSshd, kKeygen, kAgent, kAdd}) {
    if (::access(tool, X_OK) != 0) {
      return std::string(tool) + " is not installed (Debian: openssh-server, openssh-client; scripts/install-deps.sh)";
    }
  }
  return std::nullopt;
}

std::optional<std::string> TestSshd::password_login_unavailable(Login login) {
  if (login == Login::KeysAndKeyboardInteractive && ::access(kPamSshd, R_OK) != 0) {
    return std::string(kPamSshd) + " cannot be read (Debian's openssh-server installs it)";
  }
  if (::geteuid() != 0) {
    return std::string("password logins need root (sshd checks the password in /etc/shadow, which the test replaces "
                       "in a private mount namespace)");
  }
  if (::access(kShadow, R_OK) != 0) return std::string(kShadow) + " cannot be read";
  const pid_t pid = ::fork();
  if (pid < 0) return std::string("fork failed");
  if (pid == 0) ::_exit(private_mounts() && ::mount(kShadow, kShadow, nullptr, MS_BIND, nullptr) == 0 ? 0 : 1);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return std::string("no private mount namespace here (unshare(CLONE_NEWNS) or a bind mount is not allowed)");
  }
  return std::nullopt;
}

TestSshd::TestSshd(std::vector<std::string> extra_config, Login login) : login_(login) {
  char tmpl[] = "/tmp/netgear-sshd-XXXXXX";
  if (!::mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  port_ = free_tcp_port();
  for (const char* name : {"host_key", "host_key_other", "client_key", "stranger_key"}) {
    run_tool({kKeygen, "-q", "-t", "ed25519", "-N", "", "-C", std::string("netgear-test-") + name, "-f", dir_ + "/" + name});
  }
  run_tool({kKeygen, "-q", "-t", "ed25519", "-N", kPassphrase, "-C", "netgear-test-pw", "-f", client_key_pw()});
  write_file(dir_ + "/authorized_keys", read_file(client_key() + ".pub") + read_file(client_key_pw() + ".pub"));
  const std::string name = "[127.0.0.1]:" + std::to_string(port_) + " ";
  write_file(known_hosts(), name + read_file(dir_ + "/host_key.pub"));
  write_file(changed_known_hosts(), name + read_file(dir_ + "/host_key_other.pub"));
  // "256 SHA256:... comment (ED25519)"
  std::istringstream lf(run_tool({kKeygen, "-lf", dir_ + "/host_key.pub"}));
  std::string bits;
  lf >> bits >> fingerprint_;

  std::string cfg;
  cfg += "Port " + std::to_string(port_) + "\n";
  cfg += "ListenAddress 127.0.0.1\n";
  cfg += "HostKey " + dir_ + "/host_key\n";
  cfg += "PidFile " + dir_ + "/sshd.pid\n";
  cfg += "AuthorizedKeysFile " + dir_ + "/authorized_keys\n";
  cfg += "StrictModes no\nUseDNS no\nPrintMotd no\nPubkeyAuthentication yes\n";
  switch (login_) {
    case Login::Keys:
      cfg += "UsePAM no\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n";
      break;
    case Login::KeysAndPassword:
      cfg += "UsePAM no\nPermitRootLogin yes\nPasswordAuthentication yes\nKbdInteractiveAuthentication no\n";
      break;
    case Login::KeysAndKeyboardInteractive:  // PAM asks for the password (pam_unix: /etc/shadow)
      cfg += "UsePAM yes\nPermitRootLogin yes\nPasswordAuthentication no\nKbdInteractiveAuthentication yes\n";
      break;
  }
  cfg += "LogLevel DEBUG1\nMaxStartups 100\nLoginGraceTime 30\n";
  for (const auto& line : extra_config) cfg += line + "\n";
  cfg += "AllowTcpForwarding yes\n";  // the first value of an option counts: extra_config wins
  write_file(dir_ + "/sshd_config", cfg);
  if (login_ != Login::Keys) write_file(dir_ + "/shadow", shadow_with(tunnel::current_user(), kPassword));
}

TestSshd::~TestSshd() {
  kill_all();
  stop_agent();
  // The folder and what is in it (files only).
  if (DIR* d = ::opendir(dir_.c_str())) {
    while (dirent* e = ::readdir(d)) {
      const std::string n = e->d_name;
      if (n != "." && n != "..") ::unlink((dir_ + "/" + n).c_str());
    }
    ::closedir(d);
  }
  ::rmdir(dir_.c_str());
}

std::string TestSshd::server() const { return tunnel::current_user() + "@127.0.0.1:" + std::to_string(port_); }

std::string TestSshd::log() const { return read_file(dir_ + "/sshd.log"); }

void TestSshd::start() {
  if (pid_ > 0) return;
  const bool private_run = ::geteuid() == 0 && ::access("/run/sshd", F_OK) != 0;
  pid_ = spawn({kSshd, "-D", "-e", "-f", dir_ + "/sshd_config"}, dir_ + "/sshd.log", private_run,
               login_ != Login::Keys ? dir_ + "/shadow" : std::string());
  const auto until = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < until) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("the test sshd exited at once; its log:\n" + log());
    }
    if (banner_from(port_, 1000ms)) return;
    std::this_thread::sleep_for(20ms);
  }
  kill_all();
  throw std::runtime_error("the test sshd did not answer on port " + std::to_string(port_) + "; its log:\n" + log());
}

void TestSshd::kill_all() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGSTOP);  // forks no more while its children are collected
  for (pid_t p : descendants(pid_)) ::kill(p, SIGKILL);
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string TestSshd::start_agent() {
  const std::string sock = dir_ + "/agent.sock";
  if (agent_pid_ <= 0) {
    agent_pid_ = spawn({kAgent, "-D", "-a", sock}, dir_ + "/agent.log", false);
    const bool up = wait_until([&] { return ::access(sock.c_str(), F_OK) == 0; }, 10s);
    if (!up) throw std::runtime_error("ssh-agent did not start: " + read_file(dir_ + "/agent.log"));
    run_tool({kAdd, "-q", client_key()}, {"SSH_AUTH_SOCK=" + sock});
  }
  return sock;
}

void TestSshd::stop_agent() {
  if (agent_pid_ <= 0) return;
  ::kill(agent_pid_, SIGKILL);
  ::waitpid(agent_pid_, nullptr, 0);
  agent_pid_ = -1;
}

}  // namespace netgear::test
