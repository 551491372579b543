// `netgear keys` and the secure flags of send/recv/demo (docs/cli.md, docs/security.md), run as
// child processes. Every wait is bounded.
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support/test_support.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using netgear::test::Child;
using netgear::test::ExitStatus;

using netgear::test::TempDir;

std::string cli() { return netgear::test::cli_path(); }

std::string describe(const ExitStatus& s) {
  return "exit " + std::to_string(s.exit_code) + (s.timed_out ? " (timed out)" : "") + "\n--- stdout\n" + s.out +
         "\n--- stderr\n" + s.err;
}

ExitStatus run(std::vector<std::string> args) {
  args.insert(args.begin(), cli());
  Child c(args);
  return c.wait(30s);
}

std::string read_text(const std::string& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

unsigned mode_of(const std::string& p) {
  struct stat st{};
  ::stat(p.c_str(), &st);
  return st.st_mode & 0777;
}

class KeysCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cli().empty() || !fs::exists(cli())) GTEST_SKIP() << "the netgear tool was not built";
  }
};

TEST_F(KeysCli, GenerateShowAllow) {
  TempDir d, other;
  const std::string keys = d / ".vidgear/keys";
  ExitStatus s = run({"keys", "generate", "--dir", d.str()});
  ASSERT_TRUE(s.ok()) << describe(s);
  EXPECT_NE(s.out.find("generated a key set in " + keys), std::string::npos) << s.out;
  EXPECT_EQ(mode_of(keys + "/private_keys/server.key_secret"), 0600u);
  EXPECT_EQ(mode_of(keys + "/private_keys/client.key_secret"), 0600u);
  const std::string server_file = read_text(keys + "/public_keys/server.key");
  const auto q = server_file.find("public-key = \"") + 14;
  const std::string server_key = server_file.substr(q, 40);

  s = run({"keys", "show", "--dir", d.str()});
  ASSERT_TRUE(s.ok()) << describe(s);
  EXPECT_NE(s.out.find("\"" + server_key + "\""), std::string::npos) << s.out;
  EXPECT_NE(s.out.find("IronHouse allows 2 client key(s)"), std::string::npos) << s.out;

  // A second generate keeps the set and says how to replace it.
  s = run({"keys", "generate", "--dir", d.str()});
  EXPECT_EQ(s.exit_code, 1) << describe(s);
  EXPECT_NE(s.err.find("--overwrite"), std::string::npos) << s.err;
  EXPECT_EQ(read_text(keys + "/public_keys/server.key"), server_file);

  // Another machine's client key, allowed under a name of its own.
  ASSERT_TRUE(run({"keys", "generate", "--dir", other.str()}).ok());
  s = run({"keys", "allow", other / ".vidgear/keys/public_keys/client.key", "--name", "laptop", "--dir", d.str()});
  ASSERT_TRUE(s.ok()) << describe(s);
  EXPECT_TRUE(fs::exists(keys + "/public_keys/laptop.key"));
  s = run({"keys", "show", "--dir", d.str()});
  EXPECT_NE(s.out.find("IronHouse allows 3 client key(s)"), std::string::npos) << s.out;
  // Not a certificate: an error naming the file.
  std::ofstream(d / "junk.key") << "hello\n";
  s = run({"keys", "allow", d / "junk.key", "--dir", d.str()});
  EXPECT_EQ(s.exit_code, 1) << describe(s);
  EXPECT_NE(s.err.find(d / "junk.key"), std::string::npos) << s.err;

  s = run({"keys", "generate", "--dir", d.str(), "--overwrite"});
  ASSERT_TRUE(s.ok()) << describe(s);
  EXPECT_NE(read_text(keys + "/public_keys/server.key"), server_file);
  EXPECT_TRUE(fs::exists(keys + "/public_keys/laptop.key")) << "overwrite replaces the set, not the allowed keys";
}

TEST_F(KeysCli, SecureSendAndRecvWithTheFlags) {
  TempDir d;
  ASSERT_TRUE(run({"keys", "generate", "--dir", d.str()}).ok());
  const std::vector<std::string> ep = {"--address", "127.0.0.1", "--port", std::to_string(netgear::test::free_tcp_port()),
                                       "--pattern", "1", "--secure-mode", "2", "--custom-cert-location", d.str(),
                                       "--request-timeout", "0.5", "--max-retries", "20"};
  std::vector<std::string> rx_args = {cli(), "recv", "--frames", "10", "--no-show"};
  rx_args.insert(rx_args.end(), ep.begin(), ep.end());
  Child rx(rx_args);
  ASSERT_TRUE(rx.wait_for_output("listening on", 15s)) << rx.output();
  std::vector<std::string> tx_args = {cli(), "send", "--width", "160", "--height", "120", "--fps", "100", "--frames", "100000"};
  tx_args.insert(tx_args.end(), ep.begin(), ep.end());
  Child tx(tx_args);
  const ExitStatus r = rx.wait(30s);
  tx.signal(SIGTERM);
  const ExitStatus s = tx.wait(15s);
  ASSERT_TRUE(r.ok()) << describe(r);
  EXPECT_NE(r.out.find("summary: 10 frames"), std::string::npos) << r.out;
  EXPECT_TRUE(s.ok()) << describe(s);
}

TEST_F(KeysCli, SendWithAnotherKeySetSaysAuthenticationFailed) {
  TempDir rxd, txd;
  ASSERT_TRUE(run({"keys", "generate", "--dir", rxd.str()}).ok());
  ASSERT_TRUE(run({"keys", "generate", "--dir", txd.str()}).ok());
  const std::string port = std::to_string(netgear::test::free_tcp_port());
  const std::vector<std::string> common = {"--address", "127.0.0.1", "--port", port, "--pattern", "0", "--secure-mode", "1",
                                           "--request-timeout", "0.5"};
  std::vector<std::string> rx_args = {cli(), "recv", "--no-show", "--timeout", "5", "--custom-cert-location", rxd.str()};
  rx_args.insert(rx_args.end(), common.begin(), common.end());
  Child rx(rx_args);
  ASSERT_TRUE(rx.wait_for_output("listening on", 15s)) << rx.output();
  std::vector<std::string> tx_args = {cli(), "send", "--frames", "5", "--custom-cert-location", txd.str()};
  tx_args.insert(tx_args.end(), common.begin(), common.end());
  Child tx(tx_args);
  const ExitStatus s = tx.wait(20s);
  EXPECT_EQ(s.exit_code, 1) << describe(s);
  EXPECT_NE((s.out + s.err).find("authentication failed"), std::string::npos) << describe(s);
  rx.signal(SIGTERM);
  const ExitStatus r = rx.wait(15s);
  EXPECT_EQ(r.out.find("first frame"), std::string::npos) << describe(r);
}

TEST_F(KeysCli, DemoInSecureMode) {
  TempDir d;
  Child demo({cli(), "demo", "--seconds", "2", "--no-show", "--width", "160", "--height", "120", "--secure-mode", "2",
              "--custom-cert-location", d.str()});
  const ExitStatus s = demo.wait(30s);
  ASSERT_TRUE(s.ok()) << describe(s);
  EXPECT_NE(s.out.find("summary:"), std::string::npos) << s.out;
  EXPECT_TRUE(fs::exists(d / ".vidgear/keys/private_keys/server.key_secret")) << "demo generated the key set";
}

}  // namespace
