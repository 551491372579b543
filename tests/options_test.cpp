// Options by their vidgear names, and the errors for bad names, values and combinations.
#include <map>

#include <gtest/gtest.h>

#include "netgear/netgear.hpp"
#include "support/test_support.hpp"

namespace netgear {
namespace {

TEST(Options, DefaultsAreVidgears) {
  Options o;
  EXPECT_EQ(o.max_retries, 3);
  EXPECT_EQ(o.request_timeout, std::chrono::milliseconds(4000));
  EXPECT_TRUE(o.jpeg_compression);
  EXPECT_EQ(o.jpeg_compression_quality, 90);
  EXPECT_TRUE(o.jpeg_compression_fastdct);
  EXPECT_FALSE(o.jpeg_compression_fastupsample);
  EXPECT_EQ(o.jpeg_compression_threads, 0);  // not in vidgear: one per core, at most 4, when idle
  EXPECT_FALSE(o.subscriber_timeout);
}

TEST(Options, ParseFromJson) {
  auto o = parse_options(nlohmann::json::parse(R"({
    "max_retries": 7, "request_timeout": 0.25, "subscriber_timeout": 2,
    "jpeg_compression": "GRAY", "jpeg_compression_quality": 55,
    "jpeg_compression_fastdct": false, "jpeg_compression_fastupsample": true, "jpeg_compression_threads": 3,
    "flag": 0, "copy": true, "track": false, "queue_size": 4, "keep_newest": true, "pubsub_socket_buffer": 0})"));
  EXPECT_EQ(o.max_retries, 7);
  EXPECT_EQ(o.request_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(o.subscriber_timeout, std::chrono::milliseconds(2000));
  EXPECT_TRUE(o.jpeg_compression);
  EXPECT_EQ(o.jpeg_compression_colorspace, Colorspace::GRAY);
  EXPECT_EQ(o.jpeg_compression_quality, 55);
  EXPECT_FALSE(o.jpeg_compression_fastdct);
  EXPECT_TRUE(o.jpeg_compression_fastupsample);
  EXPECT_EQ(o.jpeg_compression_threads, 3);
  EXPECT_EQ(o.queue_size, 4u);
  EXPECT_TRUE(o.keep_newest);
  EXPECT_EQ(o.pubsub_socket_buffer, 0u);
  EXPECT_EQ(Options{}.pubsub_socket_buffer, 128u * 1024);
  EXPECT_THROW(parse_options(nlohmann::json::parse(R"({"pubsub_socket_buffer": -1})")), OptionError);
}

TEST(Options, PubSubSendWaitAndTheQueueSizeDefault) {
  EXPECT_EQ(Options{}.pubsub_send_wait, std::chrono::milliseconds(10));
  EXPECT_FALSE(Options{}.queue_size) << "unset: 32 or 1 by whether the queue drops";
  auto o = parse_options(nlohmann::json::parse(R"({"pubsub_send_wait": 0.05})"));
  EXPECT_EQ(o.pubsub_send_wait, std::chrono::milliseconds(50));
  o = parse_options(nlohmann::json::parse(R"({"pubsub_send_wait": 0})"));
  EXPECT_EQ(o.pubsub_send_wait, std::chrono::milliseconds(0));
  try {
    parse_options(nlohmann::json::parse(R"({"pubsub_send_wait": -1})"));
    FAIL() << "a negative wait was accepted";
  } catch (const OptionError& e) {
    EXPECT_EQ(e.option(), "pubsub_send_wait");
  }
}

TEST(Options, ParseFromText) {
  auto o = parse_options(std::map<std::string, std::string>{
      {"jpeg_compression", "false"}, {"max_retries", "0"}, {"request_timeout", "1.5"}, {"custom_cert_location", "123"}});
  EXPECT_FALSE(o.jpeg_compression);
  EXPECT_EQ(o.max_retries, 0);
  EXPECT_EQ(o.request_timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(o.custom_cert_location, "123");
  auto rgb = parse_options(std::map<std::string, std::string>{{"jpeg_compression", "rgb"}});
  EXPECT_EQ(rgb.jpeg_compression_colorspace, Colorspace::RGB);
}

void expect_option_error(const nlohmann::json& j, const std::string& name, const std::string& shown) {
  try {
    parse_options(j);
    FAIL() << "no error for " << j.dump();
  } catch (const OptionError& e) {
    EXPECT_EQ(e.option(), name);
    EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(shown), std::string::npos) << e.what();
  }
}

TEST(Options, BadNamesAndValuesNameTheOption) {
  expect_option_error({{"jpeg_compresion", true}}, "jpeg_compresion", "unknown option");
  expect_option_error({{"jpeg_compression_quality", 500}}, "jpeg_compression_quality", "500");
  expect_option_error({{"jpeg_compression_quality", 5}}, "jpeg_compression_quality", "5");
  expect_option_error({{"jpeg_compression_quality", "high"}}, "jpeg_compression_quality", "'high'");
  expect_option_error({{"jpeg_compression", "HSV"}}, "jpeg_compression", "'HSV'");
  expect_option_error({{"jpeg_compression_threads", -1}}, "jpeg_compression_threads", "-1");
  expect_option_error({{"jpeg_compression_threads", 17}}, "jpeg_compression_threads", "17");
  expect_option_error({{"max_retries", -1}}, "max_retries", "-1");
  expect_option_error({{"request_timeout", 0.001}}, "request_timeout", "0.001");
  expect_option_error({{"request_timeout", "soon"}}, "request_timeout", "'soon'");
  expect_option_error({{"secure_mode", 3}}, "secure_mode", "3");
  expect_option_error({{"bidirectional_mode", "maybe"}}, "bidirectional_mode", "'maybe'");
  EXPECT_THROW(parse_options(nlohmann::json::array()), OptionError);
}

TEST(Options, EveryNameIsAccepted) {
  // "1" fits every option but a few with larger minimums.
  const std::map<std::string, std::string> fitting = {{"jpeg_compression_quality", "50"},
                                                      {"queue_bytes", "4096"},
                                                      {"max_frame_bytes", "4096"},
                                                      {"max_message_size", "4096"},
                                                      {"max_header_size", "4096"}};
  for (const auto& name : option_names()) {
    Options o;
    const auto it = fitting.find(name);
    EXPECT_NO_THROW(apply_option_text(o, name, it == fitting.end() ? "1" : it->second)) << name;
  }
}

// `options` are applied by their vidgear names (the struct cannot even hold some forbidden pairs).
void expect_forbidden(Config c, const std::string& a, const std::string& b, const nlohmann::json& options = {}) {
  try {
    for (const auto& [k, v] : options.items()) apply_option(c.options, k, v);
    NetGear ng(c);
    FAIL() << "no error for " << a << " with " << b;
  } catch (const OptionError& e) {
    EXPECT_NE(std::string(e.what()).find(a), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(b), std::string::npos) << e.what();
  }
}

TEST(Options, CompatibilityChartForbiddenPairsNameBoth) {
  const std::string port = std::to_string(test::free_tcp_port());
  Config c = test::config(false, Pattern::Pair, Protocol::Tcp, port);
  c.options.topology = Topology::MultiServer;
  expect_forbidden(c, "multiserver_mode", "pattern");
  c = test::config(false, Pattern::Pair, Protocol::Tcp, port);
  c.options.topology = Topology::MultiClient;
  expect_forbidden(c, "multiclient_mode", "pattern");
  c = test::config(false, Pattern::ReqRep, Protocol::Tcp, port);
  expect_forbidden(c, "multiserver_mode", "multiclient_mode", {{"multiserver_mode", true}, {"multiclient_mode", true}});
  c = test::config(false, Pattern::PubSub, Protocol::Tcp, port);
  c.options.bidirectional_mode = true;
  expect_forbidden(c, "bidirectional_mode", "pattern");
  c = test::config(false, Pattern::ReqRep, Protocol::Tcp, port);
  c.options.topology = Topology::MultiServer;
  c.options.ssh_tunnel = Options::SshTunnel{.server = "user@127.0.0.1:22"};
  expect_forbidden(c, "ssh_tunnel_mode", "multiserver_mode");
  c = test::config(false, Pattern::ReqRep, Protocol::Tcp, port);
  c.options.topology = Topology::MultiClient;
  c.options.ssh_tunnel = Options::SshTunnel{.server = "user@127.0.0.1:22"};
  expect_forbidden(c, "ssh_tunnel_mode", "multiclient_mode");
}

TEST(Options, BadPatternAndTimeoutInConfig) {
  Config c = test::config(true, static_cast<Pattern>(7), Protocol::Tcp, std::to_string(test::free_tcp_port()));
  try {
    NetGear ng(c);
    FAIL();
  } catch (const OptionError& e) {
    EXPECT_EQ(e.option(), "pattern");
  }
  c.pattern = Pattern::Pair;
  c.options.request_timeout = std::chrono::milliseconds(1);
  EXPECT_THROW(NetGear{c}, OptionError);
}

}  // namespace
}  // namespace netgear
