#include "cli_common.hpp"

#include <cctype>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

namespace netgear::cli {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}


namespace {

// Help text per vidgear option: value name, description (with unit and default).
struct OptionHelp {
  const char* type;
  const char* text;
};

const std::map<std::string, OptionHelp>& option_help() {
  static const std::map<std::string, OptionHelp> help = {
      {"max_retries",
       {"INT", "patterns 0/1 (Lazy Pirate): time-outs in a row before giving up (sender: error, receiver: end of "
               "stream); 0 = retry for ever. Default 3"}},
      {"request_timeout",
       {"SECONDS", "patterns 0/1: how long the sender waits for each acknowledgement; a receiver re-binds after 3x "
                   "this without traffic. At least 0.01. Default 4"}},
      {"subscriber_timeout",
       {"SECONDS", "pattern 2 receiver: end the stream after this long without a frame. Default: none (wait for ever)"}},
      {"jpeg_compression",
       {"BOOL|COLORSPACE", "sender: JPEG-compress 8-bit frames: true, false, or the frames' pixel order (BGR, RGB, "
                           "GRAY, BGRA, RGBA, BGRX, RGBX, XBGR, XRGB, ABGR, ARGB, CMYK), which also turns it on. Default true"}},
      {"jpeg_compression_quality", {"INT", "sender: JPEG quality, 10..100. Default 90"}},
      {"jpeg_compression_fastdct", {"BOOL", "fast (less accurate) DCT when encoding/decoding. Default true"}},
      {"jpeg_compression_fastupsample", {"BOOL", "receiver: fast chroma upsampling when decoding. Default false"}},
      {"jpeg_compression_threads",
       {"INT", "threads that encode or decode one frame (frames of 262,144 pixels and more, e.g. 640x480, in strips joined at "
               "restart markers); 0 = one per core, at most 4, when the stream leaves time between frames (full speed: one); 1 = "
               "one thread; 2..16 = for every frame. Default 0"}},
      {"bidirectional_mode",
       {"BOOL", "patterns 0/1: the receiver sends data back with each acknowledgement (recv: see --reply, "
                "--reply-frame). Default false"}},
      {"return_pairing",
       {"sticky|exact", "bidirectional receiver: sticky (vidgear's: each reply carries the value set last) or exact "
                        "(each reply waits for the answer to its own frame). Default sticky"}},
      {"answer_timeout",
       {"SECONDS", "exact pairing: how long a reply waits for the answer to its frame, then carries the sticky "
                   "value. Default: request_timeout / 2"}},
      {"multiserver_mode",
       {"BOOL", "patterns 1/2: many senders (servers), one receiver; the receiver gets every server's port "
                "(--port 5566,5567), shows them in one window and counts each (docs/cli.md). Default false"}},
      {"multiclient_mode", {"BOOL", "patterns 1/2: one sender, many receivers. Default false"}},
      {"secure_mode", {"INT", "CurveZMQ: 0 none, 1 StoneHouse, 2 IronHouse. Default 0"}},
      {"custom_cert_location", {"DIR", "folder of the CurveZMQ key set. Default: the home folder (~/.vidgear/keys)"}},
      {"overwrite_cert", {"BOOL", "sender: generate a fresh key set. Default false"}},
      {"ssh_tunnel_mode", {"[USER@]HOST[:PORT]", "sender: reach the receiver through this SSH server. Default: off"}},
      {"ssh_tunnel_pwd", {"TEXT", "SSH password. Default: none"}},
      {"ssh_tunnel_keyfile", {"FILE", "SSH private key file. Default: none"}},
      {"ssh_tunnel_known_hosts", {"FILE", "known_hosts file for the SSH server's host key. Default ~/.ssh/known_hosts"}},
      {"ssh_tunnel_accept_new",
       {"BOOL", "accept and remember an unknown SSH host key (never a changed one). Default false"}},
      {"ssh_tunnel_timeout", {"SECONDS", "bound on each step of reaching the SSH server. Default 10"}},
      {"queue_size", {"INT", "receiver: frames held until the application takes them. Default 32 on patterns 0/1, 1 where frames are dropped (pattern 2, keep_newest)"}},
      {"keep_newest",
       {"BOOL", "receiver: when the queue is full drop the oldest frame instead of slowing the sender down. "
                "Default false"}},
      {"pubsub_socket_buffer",
       {"BYTES", "pattern 2: kernel socket buffer of the PUB and SUB sockets; bounds stale frames. "
                 "0: OS default (for long-round-trip links). Default 131072"}},
      {"pipelined_send",
       {"BOOL", "patterns 0/1 sender: encode the next frame while this one's acknowledgement is on its way "
                "(send() reports the previous frame). Default false"}},
      {"pubsub_send_wait",
       {"SECONDS", "pattern 2 sender: how long send() waits for a subscriber that is a frame behind before "
                   "dropping the frame; 0: never wait. Default 0.01"}},
      {"queue_bytes",
       {"BYTES", "receiver: bytes of frames the queue holds (pixels + 16 per header byte). Default 536870912"}},
      {"max_frame_bytes", {"BYTES", "largest decoded frame a peer may send. Default 268435456"}},
      {"max_message_size",
       {"BYTES", "largest message part a peer may send (ZMQ_MAXMSGSIZE); 0: no limit. Default 268435456"}},
      {"max_header_size", {"BYTES", "largest frame header a peer may send. Default 4194304"}},
      {"flag", {"INT", "pyzmq tuning knob, accepted for compatibility; no effect. Default 0"}},
      {"copy", {"BOOL", "pyzmq tuning knob, accepted for compatibility; no effect. Default false"}},
      {"track", {"BOOL", "pyzmq tuning knob, accepted for compatibility; no effect. Default false"}},
  };
  return help;
}

std::string flag_of(const std::string& option_name) {
  std::string f = "--" + option_name;
  std::replace(f.begin(), f.end(), '_', '-');
  return f;
}

std::string show_text(const std::string& s) { return s.find_first_of(" \t'") == std::string::npos ? s : "'" + s + "'"; }

std::atomic<int> g_signal{0};

extern "C" void on_signal(int sig) {
  int expected = 0;
  if (!g_signal.compare_exchange_strong(expected, sig)) {
    // Second signal: the user insists. Default action (ends the process).
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}

}  // namespace

std::string exit_codes_help() {
  return "Exit codes: 0 done (also after a clean stop by Ctrl-C or SIGTERM), 1 run-time error (NetGear, source, "
         "recording), 2 bad flag or option value, 3 no frame received (recv, demo).";
}

void add_netgear_flags(CLI::App& app, NetgearFlags& flags, Role role) {
  const char* group = "Connection";
  std::string address_help;
  std::string port_help;
  switch (role) {
    case Role::Sender:
      address_help = "the receiver's address to connect to (tcp: host name or IP; ipc: path prefix). "
                     "Default localhost (tcp), /tmp/netgear (ipc)";
      port_help = "the receiver's port (ipc: part of the path); a comma-separated list for a multi-client sender. Default 5555";
      break;
    case Role::Receiver:
      address_help = "the address to bind (tcp: '*' = every interface, or an IP of this machine; ipc: path "
                     "prefix). Default '*' (tcp), /tmp/netgear (ipc)";
      port_help = "the port to bind (ipc: part of the path); a comma-separated list for a multi-server receiver. Default 5555";
      break;
    case Role::Demo:
      address_help = "address both sides use (the receiver binds it, the sender connects). Default 127.0.0.1 "
                     "(tcp), /tmp/netgear (ipc)";
      port_help = "port. Default: a free port (tcp), demo-<pid> (ipc)";
      break;
  }
  flags.address_opt = app.add_option("--address", flags.address, address_help)->type_name("ADDRESS")->group(group);
  flags.port_opt = app.add_option("--port", flags.port, port_help)->type_name("PORT")->group(group);
  app.add_option("--protocol", flags.protocol, "transport: tcp or ipc. Default tcp")
      ->type_name("tcp|ipc")
      ->check(CLI::IsMember({"tcp", "ipc"}).description(""))
      ->group(group);
  app.add_option("--pattern", flags.pattern,
                 "ZeroMQ pattern: 0 PAIR, 1 REQ/REP (both acknowledge every frame), 2 PUB/SUB (no "
                 "acknowledgement, frames may be dropped). Both sides must use the same. Default 0")
      ->type_name("0|1|2")
      ->check(CLI::IsMember({0, 1, 2}).description(""))
      ->group(group);
  app.add_flag("--logging", flags.logging, "log NetGear's own messages (connections, retries) to stderr")
      ->group(group);

  const char* ogroup = "NetGear options (vidgear names; see docs/cli.md)";
  app.add_option("--option", flags.option_pairs,
                 "set any option by its vidgear name, e.g. --option max_retries=5 (repeatable)")
      ->type_name("NAME=VALUE")
      ->group(ogroup);
  app.add_option("--options", flags.options_file,
                 "JSON file with an object of vidgear option names, e.g. {\"jpeg_compression_quality\": 80}. "
                 "Precedence: --options < --option < the dedicated flags below")
      ->type_name("FILE.json")
      ->group(ogroup);

  const auto& names = netgear::option_names();
  flags.dedicated.clear();
  flags.dedicated.reserve(names.size());
  for (const auto& name : names) {
    flags.dedicated.push_back({name, flag_of(name), {}, nullptr});
    auto& d = flags.dedicated.back();
    auto it = option_help().find(name);
    const std::string type = it != option_help().end() ? it->second.type : "VALUE";
    const std::string text = it != option_help().end() ? it->second.text : "NetGear option '" + name + "'";
    d.option = app.add_option(d.flag, d.value, text)->type_name(type == "BOOL" ? "[BOOL]" : type)->group(ogroup);
    // A BOOL option given alone means true: `--multiserver-mode` as well as `--multiserver-mode true`.
    if (type == "BOOL") d.option->expected(0, 1);
  }
}

Options build_options(const NetgearFlags& flags) {
  Options opts;
  if (!flags.options_file.empty()) {
    std::ifstream in(flags.options_file);
    if (!in) throw UsageError("--options " + show_text(flags.options_file) + ": cannot read the file");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(in, nullptr, true, /*ignore_comments=*/true);
    } catch (const nlohmann::json::exception& e) {
      throw UsageError("--options " + show_text(flags.options_file) + ": not valid JSON: " + e.what());
    }
    if (!j.is_object()) {
      throw UsageError("--options " + show_text(flags.options_file) +
                       ": expected a JSON object of vidgear option names, got " + j.dump());
    }
    for (const auto& [k, v] : j.items()) {
      try {
        apply_option(opts, k, v);
      } catch (const OptionError& e) {
        throw UsageError("--options " + show_text(flags.options_file) + ": " + e.what());
      }
    }
  }
  for (const auto& pair : flags.option_pairs) {
    const auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw UsageError("--option " + show_text(pair) + ": expected NAME=VALUE, e.g. --option max_retries=5");
    }
    std::string name = pair.substr(0, eq);
    std::replace(name.begin(), name.end(), '-', '_');
    try {
      apply_option_text(opts, name, pair.substr(eq + 1));
    } catch (const OptionError& e) {
      throw UsageError("--option " + show_text(pair) + ": " + e.what());
    }
  }
  for (const auto& d : flags.dedicated) {
    if (!d.option || d.option->count() == 0) continue;
    const std::string value = d.value.empty() && d.option->get_expected_min() == 0 ? "true" : d.value;
    try {
      apply_option_text(opts, d.name, value);
    } catch (const OptionError& e) {
      throw UsageError(d.flag + " " + show_text(d.value) + ": " + e.what());
    }
  }
  return opts;
}

Config build_config(const NetgearFlags& flags, bool receive_mode) {
  Config c;
  c.address = flags.address;
  if (flags.address_opt && flags.address_opt->count() > 0 && flags.address.empty()) {
    throw UsageError("--address '': the address must not be empty");
  }
  if (flags.port_opt && flags.port_opt->count() > 0 && flags.port.empty()) {
    throw UsageError("--port '': the port must not be empty");
  }
  // One port, or a comma-separated list (a multi-server receiver, a multi-client sender).
  std::vector<std::string> ports;
  for (std::size_t start = 0; !flags.port.empty();) {
    const std::size_t comma = flags.port.find(',', start);
    ports.push_back(flags.port.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (ports.back().empty()) throw UsageError("--port " + show_text(flags.port) + ": an empty port in the list");
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  c.port = ports;
  if (flags.protocol == "tcp") {
    c.protocol = Protocol::Tcp;
    for (const auto& port : ports) {
      char* end = nullptr;
      const long p = std::strtol(port.c_str(), &end, 10);
      if (*end != '\0' || p < 1 || p > 65535) {
        throw UsageError("--port " + show_text(port) + ": a tcp port must be a number from 1 to 65535");
      }
    }
  } else if (flags.protocol == "ipc") {
    c.protocol = Protocol::Ipc;
  } else {
    throw UsageError("--protocol " + show_text(flags.protocol) + ": expected tcp or ipc");
  }
  if (flags.pattern < 0 || flags.pattern > 2) {
    throw UsageError("--pattern " + std::to_string(flags.pattern) + ": expected 0, 1 or 2");
  }
  c.pattern = static_cast<Pattern>(flags.pattern);
  c.receive_mode = receive_mode;
  c.logging = flags.logging;
  c.options = build_options(flags);
  return c;
}

// --- signals ---------------------------------------------------------------------------------

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: blocking calls return early, the loops then see the flag
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

bool stop_requested() { return g_signal.load() != 0; }
int stop_signal() { return g_signal.load(); }

void sleep_until_or_stop(std::chrono::steady_clock::time_point until, const std::atomic<bool>* extra) {
  using namespace std::chrono_literals;
  for (;;) {
    if (stop_requested() || (extra && extra->load())) return;
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(until - now, 50ms));
  }
}

// --- console ---------------------------------------------------------------------------------

bool stdout_is_tty() { return ::isatty(STDOUT_FILENO) == 1; }

void print_line(const std::string& line) {
  std::fputs(line.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

void warn(const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "netgear: warning: %s\n", one_line(message).c_str());
  std::fflush(stderr);
}

std::string one_line(std::string text) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  const auto b = text.find_first_not_of(' ');
  if (b == std::string::npos) return {};
  const auto e = text.find_last_not_of(' ');
  return text.substr(b, e - b + 1);
}

StatusLine::StatusLine() : tty_(stdout_is_tty()) {}
StatusLine::~StatusLine() { finish(); }

bool StatusLine::due(std::chrono::steady_clock::time_point now) const {
  using namespace std::chrono_literals;
  return now - last_ >= (tty_ ? std::chrono::steady_clock::duration(250ms) : std::chrono::steady_clock::duration(1s));
}

void StatusLine::show(const std::string& text, std::chrono::steady_clock::time_point now) {
  last_ = now;
  if (tty_) {
    std::fputs(("\r" + text + "\x1b[K").c_str(), stdout);
    std::fflush(stdout);
    drawn_ = true;
  } else {
    print_line(text);
  }
}

void StatusLine::line(const std::string& text) {
  if (tty_ && drawn_) {
    std::fputs("\r\x1b[K", stdout);
    drawn_ = false;
  }
  print_line(text);
}

void StatusLine::finish() {
  if (tty_ && drawn_) {
    std::fputc('\n', stdout);
    std::fflush(stdout);
    drawn_ = false;
  }
}

// --- misc ------------------------------------------------------------------------------------

bool display_available() {
  const char* x = std::getenv("DISPLAY");
  const char* w = std::getenv("WAYLAND_DISPLAY");
  return (x && *x) || (w && *w);
}

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

int free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("cannot create a socket to find a free port");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot find a free tcp port on 127.0.0.1");
  return ntohs(a.sin_port);
}

void write_text_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write '" + path + "'");
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write '" + path + "'");
}

std::string fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

}  // namespace netgear::cli
