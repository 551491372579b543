// Secure mode (CurveZMQ): the key folder in vidgear's layout and pyzmq's text, every pattern under
// StoneHouse and IronHouse on tcp and ipc, the clear failures (wrong server key, unknown client
// key, corrupt or missing key files), the other modes the chart allows, a receiver restarted in
// another process, and what the wire carries (no plain text).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <opencv2/core.hpp>
#include <zmq.h>

#include "netgear/keys.hpp"
#include "netgear/netgear.hpp"
#include "security/certificate.hpp"
#include "security/key_folder.hpp"
#include "support/peer_frame.hpp"
#include "support/test_support.hpp"

namespace netgear {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::config;
using test::ExitStatus;

// A fresh folder under /tmp, removed with everything in it.
using test::TempDir;

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_text(const fs::path& p, const std::string& text, mode_t mode) {
  {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
  }
  ::chmod(p.c_str(), mode);
}

unsigned mode_of(const fs::path& p) {
  struct stat st{};
  ::stat(p.c_str(), &st);
  return st.st_mode & 0777;
}

std::pair<std::string, std::string> keypair() {
  char pub[41], sec[41];
  EXPECT_EQ(zmq_curve_keypair(pub, sec), 0);
  return {pub, sec};
}

// The exact text pyzmq 25's zmq.auth.create_certificates writes (str(datetime.now()) in the banner).
std::string pyzmq_public(const std::string& pub) {
  return "#   ****  Generated on 2024-05-02 10:41:07.512345 by pyzmq  ****\n"
         "#   ZeroMQ CURVE Public Certificate\n"
         "#   Exchange securely, or use a secure mechanism to verify the contents\n"
         "#   of this file after exchange. Store public certificates in your home\n"
         "#   directory, in the .curve subdirectory.\n"
         "\n"
         "metadata\n"
         "curve\n"
         "    public-key = \"" + pub + "\"\n";
}

std::string pyzmq_secret(const std::string& pub, const std::string& sec) {
  return "#   ****  Generated on 2024-05-02 10:41:07.512345 by pyzmq  ****\n"
         "#   ZeroMQ CURVE **Secret** Certificate\n"
         "#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.\n"
         "\n"
         "metadata\n"
         "curve\n"
         "    public-key = \"" + pub + "\"\n"
         "    secret-key = \"" + sec + "\"\n";
}

// A key folder as vidgear 0.3.5 leaves it: <base>/.vidgear/keys/{public_keys,private_keys}, every
// file written by pyzmq with the default umask (0644, the secret files too).
void write_vidgear_folder(const fs::path& base) {
  const fs::path keys = base / ".vidgear" / "keys";
  fs::create_directories(keys / "public_keys");
  fs::create_directories(keys / "private_keys");
  for (const char* name : {"server", "client"}) {
    const auto [pub, sec] = keypair();
    write_text(keys / "public_keys" / (std::string(name) + ".key"), pyzmq_public(pub), 0644);
    write_text(keys / "private_keys" / (std::string(name) + ".key_secret"), pyzmq_secret(pub, sec), 0644);
  }
}

// Replaces one side's key pair `name` (server or client) in `base`'s folder with a fresh one.
void replace_pair(const fs::path& base, const std::string& name, bool also_public = true) {
  const auto f = security::key_folder(base.string());
  const auto c = security::generate_keypair();
  security::write_certificate(f.private_keys / (name + ".key_secret"), c);
  if (also_public) security::write_certificate(f.public_keys / (name + ".key"), {c.public_key, {}});
}

void copy_folder(const fs::path& from_base, const fs::path& to_base) {
  fs::copy(from_base / ".vidgear", to_base / ".vidgear", fs::copy_options::recursive);
}

Config secure_config(bool rx, Pattern p, Protocol proto, const std::string& port, const std::string& ipc,
                     SecureMode mode, const fs::path& keys) {
  Config c = config(rx, p, proto, port, ipc);
  c.options.secure_mode = mode;
  c.options.custom_cert_location = keys.string();
  c.options.jpeg_compression = false;
  return c;
}

// Sends `frame` until the receiver has `want` frames (PUB/SUB loses the first ones while the
// subscription is set up), returns what arrived. An exception in the sender ends the sending.
std::vector<Frame> stream(NetGear& tx, NetGear& rx, const cv::Mat& frame, int want, std::chrono::milliseconds wait = 10s) {
  std::vector<Frame> got;
  std::atomic<bool> done{false};
  std::thread sender([&] {
    try {
      for (int i = 0; !done && i < 100000; ++i) tx.send(frame, {{"i", i}});
    } catch (const std::exception&) {
    }
  });
  const auto deadline = Clock::now() + wait;
  while (static_cast<int>(got.size()) < want && Clock::now() < deadline) {
    auto f = rx.recv(200ms);
    if (f) got.push_back(std::move(*f));
    if (rx.end_of_stream()) break;
  }
  done = true;
  sender.join();
  return got;
}

std::string pattern_name(Pattern p) { return p == Pattern::Pair ? "Pair" : p == Pattern::ReqRep ? "ReqRep" : "PubSub"; }

// --- key folder ---------------------------------------------------------------------------------

TEST(SecureKeys, GeneratedSetLoadsAndSecretFilesAreOwnerOnly) {
  TempDir d;
  const std::string keys = generate_keys(d.str());
  EXPECT_EQ(fs::path(keys), d.path() / ".vidgear" / "keys");
  const auto f = security::key_folder(d.str());
  EXPECT_EQ(mode_of(f.server_secret()), 0600u);
  EXPECT_EQ(mode_of(f.client_secret()), 0600u);
  EXPECT_EQ(mode_of(f.private_keys), 0700u);
  EXPECT_EQ(mode_of(f.keys), 0700u);
  EXPECT_EQ(mode_of(f.server_public()), 0644u);
  auto log = std::make_shared<spdlog::logger>("test");
  for (const auto& [pub, sec] : {std::pair{f.server_public(), f.server_secret()}, std::pair{f.client_public(), f.client_secret()}}) {
    const auto s = security::load_secret(sec, *log);
    const auto p = security::load_public(pub);
    EXPECT_EQ(s.public_key, p.public_key);
    EXPECT_TRUE(security::valid_z85_key(s.secret_key));
    // pyzmq's text, line by line (the banner names the generator).
    const std::string text = read_text(sec);
    EXPECT_NE(text.find("#   ZeroMQ CURVE **Secret** Certificate\n#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor "
                        "change its permissions.\n\nmetadata\ncurve\n    public-key = \"" + s.public_key +
                        "\"\n    secret-key = \"" + s.secret_key + "\"\n"),
              std::string::npos) << text;
    EXPECT_EQ(text.rfind("#   ****  Generated on ", 0), 0u);
    const std::string ptext = read_text(pub);
    EXPECT_NE(ptext.find("#   ZeroMQ CURVE Public Certificate\n"), std::string::npos);
    EXPECT_TRUE(ptext.ends_with("\n\nmetadata\ncurve\n    public-key = \"" + p.public_key + "\"\n")) << ptext;
  }
  const KeySetInfo info = read_keys(d.str());
  EXPECT_TRUE(info.server_secret && info.client_secret);
  EXPECT_EQ(info.allowed.size(), 2u);
  // A second generate refuses to replace the set, unless asked to.
  EXPECT_THROW(generate_keys(d.str()), KeyFileError);
  const std::string before = info.server_public;
  generate_keys(d.str(), /*overwrite=*/true);
  EXPECT_NE(read_keys(d.str()).server_public, before);
  // A base that already ends in .vidgear is taken as it is.
  EXPECT_EQ(fs::path(key_folder((d.path() / ".vidgear").string())), d.path() / ".vidgear" / "keys");
}

TEST(SecureKeys, ParsesWhatPyzmqAndCzmqWrite) {
  const auto [pub, sec] = keypair();
  auto c = security::parse_certificate(pyzmq_secret(pub, sec), "x", true);
  EXPECT_EQ(c.public_key, pub);
  EXPECT_EQ(c.secret_key, sec);
  // czmq: "by CZMQ", name lines under metadata, CRLF line ends.
  const std::string czmq = "#   ****  Generated on 2024-05-02 10:41:07 by CZMQ  ****\r\n#   ZeroMQ CURVE **Secret** "
                           "Certificate\r\n\r\nmetadata\r\n    name = \"laptop\"\r\ncurve\r\n    public-key = \"" +
                           pub + "\"\r\n    secret-key = \"" + sec + "\"\r\n";
  c = security::parse_certificate(czmq, "x", true);
  EXPECT_EQ(c.public_key, pub);
  EXPECT_EQ(c.secret_key, sec);
  EXPECT_THROW(security::parse_certificate("metadata\ncurve\n", "x", false), KeyFileError);
  EXPECT_THROW(security::parse_certificate(pyzmq_public(pub), "x", /*want_secret=*/true), KeyFileError);
  // The secret key of another pair next to this public key: corrupt.
  const auto other = keypair();
  EXPECT_THROW(security::parse_certificate(pyzmq_secret(pub, other.second), "x", true), KeyFileError);
}

TEST(SecureKeys, VidgearFolderWithPyzmqTextLoadsAndWarnsOnceAboutModes) {
  TempDir d;
  write_vidgear_folder(d.path());
  const std::string port = std::to_string(test::free_tcp_port());
  Config rc = secure_config(true, Pattern::ReqRep, Protocol::Tcp, port, {}, SecureMode::IronHouse, d.path());
  rc.logging = true;
  Config tc = secure_config(false, Pattern::ReqRep, Protocol::Tcp, port, {}, SecureMode::IronHouse, d.path());
  testing::internal::CaptureStderr();
  std::vector<Frame> got;
  {
    NetGear rx(rc);
    NetGear tx(tc);
    cv::Mat frame = test::random_mat(48, 64, CV_8UC3, 3);
    got = stream(tx, rx, frame, 3);
  }
  const std::string err = testing::internal::GetCapturedStderr();
  ASSERT_EQ(got.size(), 3u);
  const std::string secret = (d.path() / ".vidgear/keys/private_keys/server.key_secret").string();
  EXPECT_NE(err.find("chmod 600 '" + secret + "'"), std::string::npos) << err;
  // The folder was not rewritten: vidgear's files are still its own.
  EXPECT_NE(read_text(secret).find("by pyzmq"), std::string::npos);
  EXPECT_EQ(mode_of(secret), 0644u);
}

TEST(SecureKeys, CorruptZ85IsAnErrorAtConstructionNamingTheFile) {
  TempDir d;
  generate_keys(d.str());
  const auto f = security::key_folder(d.str());
  std::string text = read_text(f.server_secret());
  const auto at = text.find("secret-key = \"") + 14;
  text[at] = '~';  // not a Z85 character
  write_text(f.server_secret(), text, 0600);
  const std::string port = std::to_string(test::free_tcp_port());
  try {
    NetGear rx(secure_config(true, Pattern::Pair, Protocol::Tcp, port, {}, SecureMode::StoneHouse, d.path()));
    FAIL() << "a corrupt key file was accepted";
  } catch (const KeyFileError& e) {
    EXPECT_EQ(e.file(), f.server_secret().string());
    EXPECT_NE(std::string(e.what()).find(f.server_secret().string()), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("corrupt"), std::string::npos) << e.what();
  }
  // A truncated public key on the sender's side.
  text = read_text(f.server_public());
  text.erase(text.find("public-key = \"") + 20, 5);
  write_text(f.server_public(), text, 0644);
  try {
    NetGear tx(secure_config(false, Pattern::Pair, Protocol::Tcp, port, {}, SecureMode::StoneHouse, d.path()));
    FAIL() << "a corrupt key file was accepted";
  } catch (const KeyFileError& e) {
    EXPECT_EQ(e.file(), f.server_public().string());
  }
}

TEST(SecureKeys, MissingKeyFileIsAnErrorAtConstructionNamingTheFile) {
  TempDir d;
  generate_keys(d.str());
  const auto f = security::key_folder(d.str());
  fs::remove(f.client_secret());
  const std::string port = std::to_string(test::free_tcp_port());
  try {
    NetGear tx(secure_config(false, Pattern::ReqRep, Protocol::Tcp, port, {}, SecureMode::StoneHouse, d.path()));
    FAIL() << "a missing key file was accepted";
  } catch (const KeyFileError& e) {
    EXPECT_EQ(e.file(), f.client_secret().string());
    EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
  }
  // The receiver's file is there: it starts (a partial folder is not regenerated).
  NetGear rx(secure_config(true, Pattern::ReqRep, Protocol::Tcp, port, {}, SecureMode::StoneHouse, d.path()));
  EXPECT_FALSE(fs::exists(f.client_secret()));
}

TEST(SecureKeys, AnEmptyFolderGetsAKeySetAndOverwriteCertMakesAFreshOne) {
  TempDir d;
  const std::string port = std::to_string(test::free_tcp_port());
  Config tc = secure_config(false, Pattern::Pair, Protocol::Tcp, port, {}, SecureMode::StoneHouse, d.path());
  { NetGear tx(tc); }
  const KeySetInfo first = read_keys(d.str());
  EXPECT_EQ(first.server_public.size(), 40u);
  EXPECT_EQ(mode_of(d.path() / ".vidgear/keys/private_keys/server.key_secret"), 0600u);
  { NetGear tx(tc); }
  EXPECT_EQ(read_keys(d.str()).server_public, first.server_public);
  tc.options.overwrite_cert = true;
  { NetGear tx(tc); }
  EXPECT_NE(read_keys(d.str()).server_public, first.server_public);
}

TEST(SecureKeys, AllowKeyAddsAClientKey) {
  TempDir d, other;
  generate_keys(d.str());
  generate_keys(other.str());
  const std::string laptop = (other.path() / ".vidgear/keys/public_keys/client.key").string();
  // Its name is taken by this folder's own client.key: another name is needed.
  EXPECT_THROW(allow_key(laptop, d.str()), KeyFileError);
  const std::string written = allow_key(laptop, d.str(), "laptop");
  EXPECT_EQ(fs::path(written), d.path() / ".vidgear/keys/public_keys/laptop.key");
  EXPECT_EQ(allow_key(laptop, d.str(), "again"), written);  // already allowed
  EXPECT_EQ(read_keys(d.str()).allowed.size(), 3u);
  EXPECT_THROW(allow_key((other.path() / "nothing.key").string(), d.str()), KeyFileError);
}

// --- every pattern, StoneHouse and IronHouse, tcp and ipc ----------------------------------------

struct Case {
  Pattern pattern;
  SecureMode mode;
  Protocol protocol;
};

std::string case_name(const testing::TestParamInfo<Case>& i) {
  return pattern_name(i.param.pattern) + (i.param.mode == SecureMode::StoneHouse ? "StoneHouse" : "IronHouse") +
         (i.param.protocol == Protocol::Tcp ? "Tcp" : "Ipc");
}

class SecureStream : public testing::TestWithParam<Case> {
 protected:
  Config cfg(bool rx) const {
    return secure_config(rx, GetParam().pattern, GetParam().protocol, port_, ipc_, GetParam().mode, dir_.path());
  }
  TempDir dir_;
  std::string port_ = std::to_string(test::free_tcp_port());
  std::string ipc_ = test::unique_ipc_prefix();
};

TEST_P(SecureStream, RawFramesAndMessagesArriveBitExact) {
  NetGear rx(cfg(true));
  NetGear tx(cfg(false));
  const cv::Mat frame = test::random_mat(120, 160, CV_8UC3, 11);
  const auto got = stream(tx, rx, frame, 5);
  ASSERT_EQ(got.size(), 5u);
  for (const auto& f : got) {
    EXPECT_TRUE(test::same_mat(f.image, frame));
    EXPECT_TRUE(f.message.contains("i"));
  }
  tx.close();
  const auto t0 = Clock::now();
  rx.close();  // the ZAP handler stops with it, bounded
  EXPECT_LT(Clock::now() - t0, 2s);
}

INSTANTIATE_TEST_SUITE_P(
    All, SecureStream,
    testing::Values(Case{Pattern::Pair, SecureMode::StoneHouse, Protocol::Tcp}, Case{Pattern::Pair, SecureMode::IronHouse, Protocol::Tcp},
                    Case{Pattern::Pair, SecureMode::StoneHouse, Protocol::Ipc}, Case{Pattern::Pair, SecureMode::IronHouse, Protocol::Ipc},
                    Case{Pattern::ReqRep, SecureMode::StoneHouse, Protocol::Tcp}, Case{Pattern::ReqRep, SecureMode::IronHouse, Protocol::Tcp},
                    Case{Pattern::ReqRep, SecureMode::StoneHouse, Protocol::Ipc}, Case{Pattern::ReqRep, SecureMode::IronHouse, Protocol::Ipc},
                    Case{Pattern::PubSub, SecureMode::StoneHouse, Protocol::Tcp}, Case{Pattern::PubSub, SecureMode::IronHouse, Protocol::Tcp},
                    Case{Pattern::PubSub, SecureMode::StoneHouse, Protocol::Ipc}, Case{Pattern::PubSub, SecureMode::IronHouse, Protocol::Ipc}),
    case_name);

// --- clear failure -------------------------------------------------------------------------------

class SecureFailure : public testing::TestWithParam<Pattern> {
 protected:
  Config cfg(bool rx, const TempDir& keys, SecureMode mode) const {
    Config c = secure_config(rx, GetParam(), Protocol::Tcp, port_, {}, mode, keys.path());
    c.options.request_timeout = 500ms;
    c.options.max_retries = 0;
    c.logging = rx;
    return c;
  }
  // Sends for a while: patterns 0/1 must throw AuthenticationError, pattern 2 just delivers
  // nothing. Returns the error text (empty for pattern 2) and the receiver's log.
  std::pair<std::string, std::string> run(const Config& rc, const Config& tc) {
    testing::internal::CaptureStderr();
    std::string error;
    int frames = 0;
    {
      NetGear rx(rc);
      NetGear tx(tc);
      const auto t0 = Clock::now();
      while (Clock::now() - t0 < 1500ms && error.empty()) {
        try {
          tx.send(test::peer_frame(1), {{"i", 1}});
        } catch (const AuthenticationError& e) {
          error = e.what();
          EXPECT_LT(Clock::now() - t0, 1200ms) << "the error came late";
        }
        if (rx.recv(1ms)) ++frames;
        if (GetParam() == Pattern::PubSub) std::this_thread::sleep_for(10ms);
      }
      while (rx.recv(100ms)) ++frames;
      tx.close();
      const auto t1 = Clock::now();
      rx.close();
      EXPECT_LT(Clock::now() - t1, 2s);
    }
    const std::string log = testing::internal::GetCapturedStderr();
    EXPECT_EQ(frames, 0) << "a frame was delivered";
    if (GetParam() != Pattern::PubSub) {
      EXPECT_NE(error.find("authentication failed"), std::string::npos) << "error: '" << error << "'";
    }
    return {error, log};
  }
  std::string port_ = std::to_string(test::free_tcp_port());
};

TEST_P(SecureFailure, WrongServerKeyDeliversNothingAndSaysSo) {
  TempDir rx_keys, tx_keys;
  generate_keys(rx_keys.str());
  copy_folder(rx_keys.path(), tx_keys.path());
  replace_pair(tx_keys.path(), "server");  // the sender holds another server's public key
  const auto [error, log] = run(cfg(true, rx_keys, SecureMode::StoneHouse), cfg(false, tx_keys, SecureMode::StoneHouse));
  if (GetParam() != Pattern::PubSub) {
    EXPECT_NE(error.find("public_keys/server.key"), std::string::npos) << error;
  }
  EXPECT_NE(log.find("CURVE cryptographic error"), std::string::npos) << log;
}

TEST_P(SecureFailure, UnknownClientKeyIsRefusedUnderIronHouse) {
  TempDir rx_keys, tx_keys;
  generate_keys(rx_keys.str());
  copy_folder(rx_keys.path(), tx_keys.path());
  replace_pair(tx_keys.path(), "client");  // a client key the receiver has never seen
  const std::string client_key = read_keys(tx_keys.str()).client_public;
  const auto [error, log] = run(cfg(true, rx_keys, SecureMode::IronHouse), cfg(false, tx_keys, SecureMode::IronHouse));
  if (GetParam() != Pattern::PubSub) {
    EXPECT_NE(error.find("refused this sender's public key"), std::string::npos) << error;
  }
  EXPECT_NE(log.find("IronHouse: authentication failed"), std::string::npos) << log;
  EXPECT_NE(log.find(client_key), std::string::npos) << "the log names the refused key (" << client_key << "): " << log;
}

TEST_P(SecureFailure, TheSameUnknownKeyIsAcceptedUnderStoneHouse) {
  TempDir rx_keys, tx_keys;
  generate_keys(rx_keys.str());
  copy_folder(rx_keys.path(), tx_keys.path());
  replace_pair(tx_keys.path(), "client");
  NetGear rx(cfg(true, rx_keys, SecureMode::StoneHouse));
  NetGear tx(cfg(false, tx_keys, SecureMode::StoneHouse));
  EXPECT_EQ(stream(tx, rx, test::peer_frame(2), 2).size(), 2u);
}

INSTANTIATE_TEST_SUITE_P(All, SecureFailure, testing::Values(Pattern::Pair, Pattern::ReqRep, Pattern::PubSub),
                         [](const auto& i) { return pattern_name(i.param); });

TEST(SecureFailureMore, AllowingTheKeyLetsTheSenderInWithoutARestart) {
  TempDir rx_keys, tx_keys;
  generate_keys(rx_keys.str());
  copy_folder(rx_keys.path(), tx_keys.path());
  replace_pair(tx_keys.path(), "client");
  const std::string port = std::to_string(test::free_tcp_port());
  Config rc = secure_config(true, Pattern::ReqRep, Protocol::Tcp, port, {}, SecureMode::IronHouse, rx_keys.path());
  Config tc = secure_config(false, Pattern::ReqRep, Protocol::Tcp, port, {}, SecureMode::IronHouse, tx_keys.path());
  // Long enough for the denied handshake to be reported within the first wait, even under
  // ThreadSanitizer beside other tests (300 ms was not, now and then).
  tc.options.request_timeout = 1s;
  NetGear rx(rc);
  NetGear tx(tc);
  EXPECT_THROW(tx.send(test::peer_frame(0)), AuthenticationError);
  allow_key((tx_keys.path() / ".vidgear/keys/public_keys/client.key").string(), rx_keys.str(), "newcomer");
  bool delivered = false;
  for (int i = 0; i < 20 && !delivered; ++i) {
    try {
      delivered = tx.send(test::peer_frame(i)).delivered;
    } catch (const AuthenticationError&) {
    }
  }
  EXPECT_TRUE(delivered);
  EXPECT_TRUE(rx.recv(2s).has_value());
}

TEST(SecureFailureMore, ABindThatFailsStopsTheZapHandlerBounded) {
  TempDir keys;
  const std::string port = std::to_string(test::free_tcp_port());
  NetGear first(secure_config(true, Pattern::ReqRep, Protocol::Tcp, port, {}, SecureMode::IronHouse, keys.path()));
  const auto t0 = Clock::now();
  EXPECT_THROW(NetGear(secure_config(true, Pattern::ReqRep, Protocol::Tcp, port, {}, SecureMode::IronHouse, keys.path())),
               ConnectionError);
  EXPECT_LT(Clock::now() - t0, 2s);
  // The first one still serves.
  NetGear tx(secure_config(false, Pattern::ReqRep, Protocol::Tcp, port, {}, SecureMode::IronHouse, keys.path()));
  EXPECT_TRUE(tx.send(test::peer_frame(0)).delivered);
  EXPECT_TRUE(first.recv(2s).has_value());
}

TEST(SecureFailureMore, PlainSenderGetsNothingIntoASecureReceiver) {
  TempDir keys;
  const std::string port = std::to_string(test::free_tcp_port());
  Config rc = secure_config(true, Pattern::Pair, Protocol::Tcp, port, {}, SecureMode::StoneHouse, keys.path());
  Config tc = config(false, Pattern::Pair, Protocol::Tcp, port);
  // The error names secure mode only if the closed handshake was seen within the wait: 300 ms
  // was too short under ThreadSanitizer beside another test (2 runs of 3 at -j2).
  tc.options.request_timeout = 1s;
  tc.options.max_retries = 1;
  NetGear rx(rc);
  NetGear tx(tc);
  try {
    tx.send(test::peer_frame(0));
    FAIL() << "a plain frame was acknowledged by a secure receiver";
  } catch (const RetriesExhaustedError& e) {
    EXPECT_NE(std::string(e.what()).find("secure mode"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(rx.recv(300ms).has_value());
}

// --- with the other modes ------------------------------------------------------------------------

TEST(SecureModes, TwoSecureReceiversInOneProcess) {
  TempDir keys;
  const auto ports = test::free_tcp_ports(2);
  std::vector<std::unique_ptr<NetGear>> rx, tx;
  for (const auto& p : ports) {
    rx.push_back(std::make_unique<NetGear>(secure_config(true, Pattern::ReqRep, Protocol::Tcp, p, {}, SecureMode::IronHouse, keys.path())));
  }
  for (const auto& p : ports) {
    tx.push_back(std::make_unique<NetGear>(secure_config(false, Pattern::ReqRep, Protocol::Tcp, p, {}, SecureMode::IronHouse, keys.path())));
  }
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < ports.size(); ++i) {
      EXPECT_TRUE(tx[i]->send(test::peer_frame(round)).delivered);
      EXPECT_TRUE(rx[i]->recv(2s).has_value());
    }
  }
}

TEST(SecureModes, Bidirectional) {
  TempDir keys;
  const std::string port = std::to_string(test::free_tcp_port());
  for (Pattern p : {Pattern::Pair, Pattern::ReqRep}) {
    Config rc = secure_config(true, p, Protocol::Tcp, port, {}, SecureMode::IronHouse, keys.path());
    Config tc = secure_config(false, p, Protocol::Tcp, port, {}, SecureMode::IronHouse, keys.path());
    rc.options.bidirectional_mode = tc.options.bidirectional_mode = true;
    NetGear rx(rc);
    rx.set_return_data(json{{"back", 42}});
    NetGear tx(tc);
    SendResult r;
    for (int i = 0; i < 3; ++i) r = tx.send(test::peer_frame(i), {{"i", i}});
    EXPECT_TRUE(r.delivered);
    EXPECT_EQ(r.return_data.value, (json{{"back", 42}})) << pattern_name(p);
  }
}

TEST(SecureModes, MultiServer) {
  TempDir keys;
  const auto ports = test::free_tcp_ports(2);
  for (Pattern p : {Pattern::ReqRep, Pattern::PubSub}) {
    Config rc = secure_config(true, p, Protocol::Tcp, "", {}, SecureMode::IronHouse, keys.path());
    rc.port = ports;
    rc.options.topology = Topology::MultiServer;
    NetGear rx(rc);
    std::vector<std::unique_ptr<NetGear>> tx;
    for (const auto& port : ports) {
      Config tc = secure_config(false, p, Protocol::Tcp, port, {}, SecureMode::IronHouse, keys.path());
      tc.options.topology = Topology::MultiServer;
      tx.push_back(std::make_unique<NetGear>(tc));
    }
    std::set<std::string> heard;
    const auto deadline = Clock::now() + 10s;
    for (int i = 0; heard.size() < ports.size() && Clock::now() < deadline; ++i) {
      for (auto& t : tx) t->send(test::peer_frame(i), {{"i", i}});
      while (auto f = rx.recv(20ms)) heard.insert(f->peer);
    }
    EXPECT_EQ(heard.size(), ports.size()) << pattern_name(p);
  }
}

TEST(SecureModes, MultiClient) {
  TempDir keys;
  const auto ports = test::free_tcp_ports(2);
  for (Pattern p : {Pattern::ReqRep, Pattern::PubSub}) {
    std::vector<std::unique_ptr<NetGear>> rx;
    for (const auto& port : ports) {
      Config rc = secure_config(true, p, Protocol::Tcp, port, {}, SecureMode::IronHouse, keys.path());
      rc.options.topology = Topology::MultiClient;
      rx.push_back(std::make_unique<NetGear>(rc));
    }
    Config tc = secure_config(false, p, Protocol::Tcp, "", {}, SecureMode::IronHouse, keys.path());
    tc.port = ports;
    tc.options.topology = Topology::MultiClient;
    NetGear tx(tc);
    std::vector<int> got(ports.size(), 0);
    const auto deadline = Clock::now() + 10s;
    auto all = [&] { return std::all_of(got.begin(), got.end(), [](int n) { return n > 0; }); };
    for (int i = 0; !all() && Clock::now() < deadline; ++i) {
      tx.send(test::peer_frame(i), {{"i", i}});
      for (std::size_t k = 0; k < rx.size(); ++k) {
        while (rx[k]->recv(5ms)) ++got[k];
      }
    }
    EXPECT_TRUE(all()) << pattern_name(p);
  }
}

// --- a receiver in another process, killed and restarted ----------------------------------------

class SecureRestart : public testing::TestWithParam<Pattern> {};

TEST_P(SecureRestart, ReceiverKilledAndRestartedMidStreamResumes) {
  TempDir keys;
  generate_keys(keys.str());
  const std::string port = std::to_string(test::free_tcp_port());
  Config tc = secure_config(false, GetParam(), Protocol::Tcp, port, {}, SecureMode::IronHouse, keys.path());
  tc.options.request_timeout = 300ms;
  tc.options.max_retries = 0;
  std::atomic<bool> stop{false};
  std::atomic<int> errors{0};
  std::string first_error;  // written by the sender thread, read after it is joined
  NetGear tx(tc);
  std::thread sender([&] {
    for (int i = 0; !stop; ++i) {
      try {
        tx.send(test::peer_frame(i, 64, 48), {{"i", i}});
      } catch (const std::exception& e) {
        if (errors++ == 0) first_error = e.what();
      }
      if (GetParam() == Pattern::PubSub) std::this_thread::sleep_for(5ms);
    }
  });
  const std::vector<std::string> args = {test::peer_path(), "recv", "--pattern", std::to_string(static_cast<int>(GetParam())),
                                         "--protocol", "tcp", "--address", "127.0.0.1", "--port", port,
                                         "--timeout-ms", "300", "--retries", "0", "--raw",
                                         "--secure-mode", "2", "--cert-location", keys.str()};
  for (int cycle = 0; cycle < 3; ++cycle) {
    test::Child rx(args);
    EXPECT_TRUE(rx.wait_for_output("FRAME", 10s)) << "cycle " << cycle << ": no frame after the restart";
    EXPECT_EQ(rx.output().find("bad"), std::string::npos) << rx.output();
    rx.signal(SIGKILL);
    rx.wait(5s);
  }
  stop = true;
  sender.join();
  EXPECT_EQ(errors.load(), 0) << "a restarted receiver with the same keys is no authentication failure: "
                              << first_error;
}

INSTANTIATE_TEST_SUITE_P(All, SecureRestart, testing::Values(Pattern::Pair, Pattern::ReqRep, Pattern::PubSub),
                         [](const auto& i) { return pattern_name(i.param); });

// A TCP socket listening on 127.0.0.1:port; -1 when it cannot.
int listen_on_loopback(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 4) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A receiver killed in the middle of a handshake closes it, just as a receiver with other keys
// does. One closed handshake is a lost frame, not an AuthenticationError: a sender with
// max_retries = 0 outlives its receiver dying at that moment. (Two in a row are the wrong key:
// SecureFailure.WrongServerKeyDeliversNothingAndSaysSo.)
class SecureHandshakeCut : public testing::TestWithParam<Pattern> {};

TEST_P(SecureHandshakeCut, OneClosedHandshakeIsALostFrameNotAnAuthenticationError) {
  TempDir keys;
  generate_keys(keys.str());
  const int port = test::free_tcp_port();
  // Where the receiver will be, a listener that takes the sender's connection, reads its ZMTP
  // greeting (the handshake has begun) and, once the sender is in send(), resets the connection
  // and stops listening, as a killed process does: the sender's reconnections are refused.
  const int listener = listen_on_loopback(port);
  ASSERT_GE(listener, 0);
  std::atomic<bool> sending{false}, cut{false};
  std::thread killed([&] {
    pollfd p{listener, POLLIN, 0};
    if (::poll(&p, 1, 10000) == 1) {
      const int c = ::accept(listener, nullptr, nullptr);
      char greeting[64];
      pollfd q{c, POLLIN, 0};
      if (c >= 0 && ::poll(&q, 1, 10000) == 1 && ::read(c, greeting, sizeof greeting) > 0) {
        EXPECT_TRUE(test::wait_until([&] { return sending.load(); }, 10s));
        const linger reset{1, 0};
        ::setsockopt(c, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        cut = true;
      }
      if (c >= 0) ::close(c);
    }
    ::close(listener);
  });

  Config tc = secure_config(false, GetParam(), Protocol::Tcp, std::to_string(port), {}, SecureMode::StoneHouse, keys.path());
  tc.options.request_timeout = 1s;
  tc.options.max_retries = 0;
  tc.logging = true;
  testing::internal::CaptureStderr();
  {
    NetGear tx(tc);
    SendResult first;
    sending = true;
    EXPECT_NO_THROW(first = tx.send(test::peer_frame(0), {{"i", 0}})) << "one closed handshake";
    killed.join();
    EXPECT_TRUE(cut) << "the listener did not see the sender's handshake";
    EXPECT_FALSE(first.delivered);
    // The receiver is back, with the same keys: the stream goes on.
    Config rc = secure_config(true, GetParam(), Protocol::Tcp, std::to_string(port), {}, SecureMode::StoneHouse, keys.path());
    NetGear rx(rc);
    bool delivered = false;
    for (int i = 1; i < 20 && !delivered; ++i) {
      EXPECT_NO_THROW(delivered = tx.send(test::peer_frame(i), {{"i", i}}).delivered) << "frame " << i;
    }
    EXPECT_TRUE(delivered);
    EXPECT_TRUE(rx.recv(5s).has_value());
  }
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("a handshake with the receiver failed"), std::string::npos) << "the cut was not seen: " << log;
}

INSTANTIATE_TEST_SUITE_P(All, SecureHandshakeCut, testing::Values(Pattern::Pair, Pattern::ReqRep),
                         [](const auto& i) { return pattern_name(i.param); });

// --- what the wire carries -----------------------------------------------------------------------

// A TCP relay on 127.0.0.1 that records the bytes going from the sender to the receiver.
class Tap {
 public:
  Tap(int listen_port, int target_port) : target_(target_port) {
    listen_fd_ = listen_on_loopback(listen_port);
    if (listen_fd_ < 0) throw std::runtime_error("tap: cannot listen");
    thread_ = std::thread([this] { run(); });
  }
  ~Tap() {
    stop_ = true;
    thread_.join();
    ::close(listen_fd_);
  }
  std::string captured() {
    std::lock_guard lk(mu_);
    return bytes_;
  }

 private:
  void run() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int in = ::accept(listen_fd_, nullptr, nullptr);
      if (in < 0) continue;
      const int out = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      a.sin_port = htons(static_cast<uint16_t>(target_));
      if (::connect(out, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) relay(in, out);
      ::close(in);
      ::close(out);
    }
  }
  void relay(int in, int out) {
    char buf[65536];
    while (!stop_) {
      pollfd p[2] = {{in, POLLIN, 0}, {out, POLLIN, 0}};
      if (::poll(p, 2, 50) <= 0) continue;
      for (int k = 0; k < 2; ++k) {
        if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        const ssize_t n = ::read(p[k].fd, buf, sizeof buf);
        if (n <= 0) return;
        if (k == 0) {
          std::lock_guard lk(mu_);
          bytes_.append(buf, static_cast<std::size_t>(n));
        }
        for (ssize_t done = 0; done < n;) {
          const ssize_t w = ::write(p[1 - k].fd, buf + done, static_cast<std::size_t>(n - done));
          if (w <= 0) return;
          done += w;
        }
      }
    }
  }
  int target_;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::string bytes_;
  std::thread thread_;
};

TEST(SecureWire, NoHeaderJsonOrPixelsInTheBytesOnTheWire) {
  for (SecureMode mode : {SecureMode::Off, SecureMode::StoneHouse}) {
    TempDir keys;
    const auto ports = test::free_tcp_ports(2);
    Tap tap(std::stoi(ports[0]), std::stoi(ports[1]));
    Config rc = secure_config(true, Pattern::ReqRep, Protocol::Tcp, ports[1], {}, mode, keys.path());
    Config tc = secure_config(false, Pattern::ReqRep, Protocol::Tcp, ports[0], {}, mode, keys.path());
    // A frame of one repeated, recognisable byte row.
    cv::Mat frame(16, 64, CV_8UC3, cv::Scalar('N', 'G', 'X'));
    {
      NetGear rx(rc);
      NetGear tx(tc);
      for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(tx.send(frame, {{"secret", "do-not-show-me"}}).delivered);
        ASSERT_TRUE(rx.recv(2s).has_value());
      }
    }
    const std::string wire = tap.captured();
    ASSERT_GT(wire.size(), 3u * frame.total() * 3) << "the tap saw the frames go by";
    const bool plain = mode == SecureMode::Off;
    // The control case shows that the tap sees plain text when there is some.
    EXPECT_EQ(wire.find("terminate_flag") != std::string::npos, plain);
    EXPECT_EQ(wire.find("do-not-show-me") != std::string::npos, plain);
    EXPECT_EQ(wire.find("\"dtype\"") != std::string::npos, plain);
    EXPECT_EQ(wire.find("NGXNGXNGXNGXNGXNGX") != std::string::npos, plain);
    if (!plain) {
      EXPECT_NE(wire.find("CURVE"), std::string::npos) << "the ZMTP greeting names the mechanism";
    }
  }
}

// --- pyzmq, as vidgear uses it (Debian's python3-zmq; skipped where it is missing) ---------------

const char* kPython = "/usr/bin/python3";

bool have_pyzmq() {
  static const bool ok = [] {
    if (::access(kPython, X_OK) != 0) return false;
    test::Child c({kPython, "-c", "import zmq, zmq.auth, zmq.auth.thread; print('ok')"});
    return c.wait(20s).out.find("ok") != std::string::npos;
  }();
  return ok;
}

// vidgear 0.3.5's generate_auth_certificates: create_certificates in keys/, then the files moved
// to public_keys/ and private_keys/.
const char* kVidgearKeys = R"PY(
import os, shutil, sys, zmq.auth
keys = os.path.join(sys.argv[1], ".vidgear", "keys")
pub, sec = os.path.join(keys, "public_keys"), os.path.join(keys, "private_keys")
for d in (keys, pub, sec):
    os.makedirs(d, exist_ok=True)
zmq.auth.create_certificates(keys, "server")
zmq.auth.create_certificates(keys, "client")
for f in os.listdir(keys):
    if f.endswith(".key"): shutil.move(os.path.join(keys, f), pub)
    elif f.endswith(".key_secret"): shutil.move(os.path.join(keys, f), sec)
print("done")
)PY";

// What pyzmq reads from a folder: each file's keys, and load_certificates' set.
const char* kPyzmqRead = R"PY(
import os, sys, zmq.auth
keys = os.path.join(sys.argv[1], ".vidgear", "keys")
for name in ("server", "client"):
    p, s = zmq.auth.load_certificate(os.path.join(keys, "private_keys", name + ".key_secret"))
    print(name, p.decode(), s.decode())
    p2, _ = zmq.auth.load_certificate(os.path.join(keys, "public_keys", name + ".key"))
    print(name + "-public", p2.decode())
print("allowed", len(zmq.auth.load_certificates(os.path.join(keys, "public_keys"))))
)PY";

// A vidgear-style REP receiver (pattern 1) as CURVE server with pyzmq's ThreadAuthenticator
// (IronHouse): one frame, answered with vidgear's text; prints its header and size.
const char* kPyzmqReceiver = R"PY(
import os, sys, json, zmq, zmq.auth
from zmq.auth.thread import ThreadAuthenticator
keys = os.path.join(sys.argv[1], ".vidgear", "keys")
ctx = zmq.Context()
auth = ThreadAuthenticator(ctx)
auth.start()
auth.configure_curve(domain="*", location=os.path.join(keys, "public_keys"))
s = ctx.socket(zmq.REP)
pub, sec = zmq.auth.load_certificate(os.path.join(keys, "private_keys", "server.key_secret"))
s.curve_secretkey, s.curve_publickey, s.curve_server = sec, pub, True
s.bind("tcp://127.0.0.1:" + sys.argv[2])
print("ready", flush=True)
if s.poll(10000):
    header = s.recv_json()
    payload = s.recv()
    s.send_string("Data received on device: python !")
    print("frame", json.dumps(header), len(payload), flush=True)
s.close(linger=500)
auth.stop()
ctx.term()
)PY";

// A vidgear-style REQ sender (pattern 1) as CURVE client: one frame, prints the reply.
const char* kPyzmqSender = R"PY(
import os, sys, zmq, zmq.auth
keys = os.path.join(sys.argv[1], ".vidgear", "keys")
ctx = zmq.Context()
s = ctx.socket(zmq.REQ)
pub, sec = zmq.auth.load_certificate(os.path.join(keys, "private_keys", "client.key_secret"))
srv, _ = zmq.auth.load_certificate(os.path.join(keys, "public_keys", "server.key"))
s.curve_secretkey, s.curve_publickey, s.curve_serverkey = sec, pub, srv
s.connect("tcp://127.0.0.1:" + sys.argv[2])
s.send_json(dict(terminate_flag=False, compression=False, message={"from": "python"}, pattern="1",
                 dtype="uint8", shape=[2, 2, 3]), zmq.SNDMORE)
s.send(bytes(range(12)))
if s.poll(5000):
    print("reply", s.recv_string(), flush=True)
else:
    print("no reply", flush=True)
s.close(linger=0)
ctx.term()
)PY";

class Pyzmq : public testing::Test {
 protected:
  void SetUp() override {
    if (!have_pyzmq()) GTEST_SKIP() << "no pyzmq (Debian's python3-zmq) at " << kPython;
  }
};

TEST_F(Pyzmq, AFolderVidgearWritesLoadsAndStreams) {
  TempDir d;
  test::Child py({kPython, "-c", kVidgearKeys, d.str()});
  ASSERT_NE(py.wait(30s).out.find("done"), std::string::npos);
  const std::string port = std::to_string(test::free_tcp_port());
  NetGear rx(secure_config(true, Pattern::Pair, Protocol::Tcp, port, {}, SecureMode::IronHouse, d.path()));
  NetGear tx(secure_config(false, Pattern::Pair, Protocol::Tcp, port, {}, SecureMode::IronHouse, d.path()));
  const cv::Mat frame = test::random_mat(48, 64, CV_8UC3, 5);
  const auto got = stream(tx, rx, frame, 3);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_TRUE(test::same_mat(got.front().image, frame));
}

TEST_F(Pyzmq, AFolderWeWriteIsReadByPyzmq) {
  TempDir d;
  generate_keys(d.str());
  test::Child py({kPython, "-c", kPyzmqRead, d.str()});
  const ExitStatus st = py.wait(30s);
  ASSERT_TRUE(st.ok()) << st.err;
  auto log = std::make_shared<spdlog::logger>("test");
  const auto f = security::key_folder(d.str());
  const auto server = security::load_secret(f.server_secret(), *log);
  const auto client = security::load_secret(f.client_secret(), *log);
  EXPECT_NE(st.out.find("server " + server.public_key + " " + server.secret_key + "\n"), std::string::npos) << st.out;
  EXPECT_NE(st.out.find("client " + client.public_key + " " + client.secret_key + "\n"), std::string::npos) << st.out;
  EXPECT_NE(st.out.find("server-public " + server.public_key), std::string::npos) << st.out;
  EXPECT_NE(st.out.find("allowed 2"), std::string::npos) << st.out;
}

TEST_F(Pyzmq, OurSenderIntoAPyzmqCurveServerWithItsAuthenticator) {
  TempDir d;
  generate_keys(d.str());
  const std::string port = std::to_string(test::free_tcp_port());
  test::Child py({kPython, "-c", kPyzmqReceiver, d.str(), port});
  ASSERT_TRUE(py.wait_for_output("ready", 20s)) << py.output();
  Config tc = secure_config(false, Pattern::ReqRep, Protocol::Tcp, port, {}, SecureMode::IronHouse, d.path());
  NetGear tx(tc);
  const SendResult r = tx.send(test::random_mat(2, 2, CV_8UC3, 9), {{"from", "c++"}});
  EXPECT_TRUE(r.delivered);
  const ExitStatus st = py.wait(20s);
  EXPECT_NE(st.out.find("\"message\": {\"from\": \"c++\"}"), std::string::npos) << st.out << st.err;
  EXPECT_NE(st.out.find(" 12\n"), std::string::npos) << st.out;
}

TEST_F(Pyzmq, APyzmqCurveClientIntoOurIronHouseReceiver) {
  TempDir d;
  generate_keys(d.str());
  const std::string port = std::to_string(test::free_tcp_port());
  NetGear rx(secure_config(true, Pattern::ReqRep, Protocol::Tcp, port, {}, SecureMode::IronHouse, d.path()));
  test::Child py({kPython, "-c", kPyzmqSender, d.str(), port});
  const auto f = rx.recv(15s);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->message, (json{{"from", "python"}}));
  EXPECT_EQ(f->image.rows, 2);
  const ExitStatus st = py.wait(20s);
  EXPECT_NE(st.out.find("reply Data received on device:"), std::string::npos) << st.out << st.err;
}

}  // namespace
}  // namespace netgear
