// The `netgear` command-line tool (docs/cli.md), run as child processes.
//
// Synchronisation is by the tool's own output ("listening on" once the receiver is bound, "first
// frame" once a frame arrived) and by exit; every wait is bounded.
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "support/test_support.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using netgear::test::Child;
using netgear::test::ExitStatus;

// A fresh folder under /tmp, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "netgear-cli-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

std::string cli() { return netgear::test::cli_path(); }

// Where both sides meet: tcp on 127.0.0.1 (a free port) or ipc (a unique path, whose socket file
// is removed afterwards should the receiver have left it behind).
class Endpoint {
 public:
  static Endpoint tcp() {
    return Endpoint({"--protocol", "tcp", "--address", "127.0.0.1", "--port",
                     std::to_string(netgear::test::free_tcp_port())},
                    {});
  }
  static Endpoint ipc() {
    const std::string prefix = netgear::test::unique_ipc_prefix();
    return Endpoint({"--protocol", "ipc", "--address", prefix, "--port", "5555"}, prefix + ":5555");
  }
  Endpoint(const Endpoint&) = delete;
  Endpoint& operator=(const Endpoint&) = delete;
  ~Endpoint() {
    std::error_code ec;
    if (!ipc_file_.empty()) fs::remove(ipc_file_, ec);
  }
  std::vector<std::string> args;

 private:
  Endpoint(std::vector<std::string> a, std::string ipc_file) : args(std::move(a)), ipc_file_(std::move(ipc_file)) {}
  std::string ipc_file_;
};

std::vector<std::string> cmd(std::vector<std::string> head, const std::vector<std::string>& tail) {
  head.insert(head.begin(), cli());
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

std::vector<std::string> join(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) return nullptr;
  return nlohmann::json::parse(in, nullptr, false);
}

std::string describe(const ExitStatus& s) {
  return "exit " + std::to_string(s.exit_code) + " signal " + std::to_string(s.signal) +
         (s.timed_out ? " (timed out)" : "") + "\n--- stdout\n" + s.out + "\n--- stderr\n" + s.err;
}

std::size_t count_lines(const std::string& s) {
  return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

// Short time-outs, so that a lost frame or a gone peer is noticed quickly, and enough retries that
// nothing gives up during a test.
const std::vector<std::string> kFastRetries = {"--request-timeout", "0.5", "--max-retries", "20"};

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cli().empty() || !fs::exists(cli())) GTEST_SKIP() << "the netgear tool was not built";
  }
};

// --- send + recv over every pattern and protocol ------------------------------------------------

struct PairCase {
  const char* protocol;
  int pattern;
};

class CliPairTest : public CliTest, public ::testing::WithParamInterface<PairCase> {};

TEST_P(CliPairTest, RecvGetsExactlyTheFramesItAsksFor) {
  const auto [protocol, pattern] = GetParam();
  TempDir dir;
  const Endpoint ep = std::string(protocol) == "tcp" ? Endpoint::tcp() : Endpoint::ipc();
  const std::string p = std::to_string(pattern);
  const std::string stats = dir / "stats.json";
  constexpr int kFrames = 20;

  Child rx(cmd({"recv", "--pattern", p, "--frames", std::to_string(kFrames), "--stats-json", stats, "--no-show"},
               join(ep.args, kFastRetries)));
  ASSERT_TRUE(rx.wait_for_output("listening on", 15s)) << rx.output();
  // The sender sends more than the receiver asks for (pattern 2 may drop frames); the receiver
  // stops at kFrames, then the sender is stopped with SIGTERM.
  Child tx(cmd({"send", "--pattern", p, "--width", "320", "--height", "240", "--fps", "200", "--frames", "100000"},
               join(ep.args, kFastRetries)));

  const ExitStatus r = rx.wait(30s);
  tx.signal(SIGTERM);
  const ExitStatus s = tx.wait(15s);
  ASSERT_TRUE(r.ok()) << describe(r);
  EXPECT_NE(r.out.find("summary: " + std::to_string(kFrames) + " frames"), std::string::npos) << r.out;
  EXPECT_TRUE(s.ok()) << describe(s);
  EXPECT_NE(s.out.find("summary:"), std::string::npos) << s.out;

  const auto j = read_json(stats);
  ASSERT_TRUE(j.is_object()) << "no stats JSON\n" << describe(r);
  EXPECT_EQ(j["frames"], kFrames);
  EXPECT_EQ(j["end_reason"], "frames");
  EXPECT_EQ(j["width"], 320);
  EXPECT_EQ(j["height"], 240);
  EXPECT_GT(j["fps"].get<double>(), 0.0);
  EXPECT_GT(j["mbps"].get<double>(), 0.0);
  EXPECT_TRUE(j["latency_p50_ms"].is_number());
  EXPECT_TRUE(j["latency_p99_ms"].is_number());
  EXPECT_EQ(j["dropped_malformed"], 0);
  for (const char* key : {"frames_lost", "reconnects", "seconds"}) EXPECT_TRUE(j.contains(key)) << key;
}

INSTANTIATE_TEST_SUITE_P(PatternsAndProtocols, CliPairTest,
                         ::testing::Values(PairCase{"tcp", 0}, PairCase{"tcp", 1}, PairCase{"tcp", 2},
                                           PairCase{"ipc", 0}, PairCase{"ipc", 1}, PairCase{"ipc", 2}),
                         [](const auto& info) {
                           return std::string(info.param.protocol) + "_pattern" + std::to_string(info.param.pattern);
                         });

// --- bidirectional mode ----------------------------------------------------------------------------

// Runs `recv <reply_args>` and `send` on `pattern` (20 frames of 320x240) and returns the sender's
// --stats-json document (null when something failed; the failure is reported). The sender ends the
// stream (termination), so every frame's reply has its receiver still there; a receiver that
// stopped by itself after its last frame could take that frame's reply down with its connection.
nlohmann::json run_bidirectional(int pattern, const std::vector<std::string>& reply_args) {
  TempDir dir;
  const Endpoint ep = Endpoint::tcp();
  const std::string p = std::to_string(pattern);
  const std::string stats = dir / "send.json";
  constexpr int kFrames = 20;
  Child rx(cmd(join({"recv", "--pattern", p, "--no-show"}, reply_args), join(ep.args, kFastRetries)));
  EXPECT_TRUE(rx.wait_for_output("listening on", 15s)) << rx.output();
  Child tx(cmd({"send", "--pattern", p, "--width", "320", "--height", "240", "--fps", "200", "--frames",
                std::to_string(kFrames), "--stats-json", stats},
               join(ep.args, kFastRetries)));
  const ExitStatus r = rx.wait(30s);
  const ExitStatus s = tx.wait(30s);
  EXPECT_TRUE(r.ok()) << describe(r);
  EXPECT_TRUE(s.ok()) << describe(s);
  EXPECT_NE(s.out.find(" returned (last "), std::string::npos) << s.out;
  auto j = read_json(stats);
  EXPECT_TRUE(j.is_object()) << "no stats JSON\n" << describe(s);
  if (j.is_object()) {
    EXPECT_EQ(j["frames"], kFrames) << j.dump();
    EXPECT_EQ(j["frames_lost"], 0) << j.dump();
    EXPECT_EQ(j["malformed_replies"], 0) << j.dump();
  }
  return j;
}

class CliReplyTest : public CliTest, public ::testing::WithParamInterface<int> {};

TEST_P(CliReplyTest, RecvReplyJsonReachesTheSender) {
  const auto j = run_bidirectional(GetParam(), {"--reply", R"({"ok": true})"});
  ASSERT_TRUE(j.is_object());
  EXPECT_GT(j["returned"].get<int>(), 0) << j.dump();
  EXPECT_EQ(j["last_return"], nlohmann::json({{"ok", true}})) << j.dump();
}

TEST_P(CliReplyTest, RecvReplyFrameAnswersEachFrameWithItsThumbnail) {
  const auto j = run_bidirectional(GetParam(), {"--reply-frame"});
  ASSERT_TRUE(j.is_object());
  // Exact pairing: every frame's own reply carries its thumbnail, 1/8 of 320x240.
  EXPECT_EQ(j["returned"], 20) << j.dump();
  EXPECT_EQ(j["last_return"], nlohmann::json({{"frame", {40, 30, 3}}})) << j.dump();
}

INSTANTIATE_TEST_SUITE_P(Patterns, CliReplyTest, ::testing::Values(0, 1),
                         [](const auto& info) { return "pattern" + std::to_string(info.param); });

TEST_F(CliTest, RecvReplyNeedsPatternZeroOrOneAndValidJson) {
  const std::string port = std::to_string(netgear::test::free_tcp_port());
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> named;
  };
  const std::vector<Case> cases = {
      {{"recv", "--pattern", "2", "--reply", R"({"ok": true})"}, {"--reply", "bidirectional_mode", "pattern"}},
      {{"recv", "--pattern", "2", "--reply-frame"}, {"--reply-frame", "bidirectional_mode", "pattern"}},
      {{"recv", "--reply", "not json"}, {"--reply", "not json", "JSON"}},
      {{"demo", "--reply", "{"}, {"--reply"}},
  };
  for (const auto& c : cases) {
    Child child(cmd(c.args, {"--port", port, "--address", "127.0.0.1", "--no-show"}));
    const ExitStatus s = child.wait(15s);
    std::string what;
    for (const auto& a : c.args) what += a + " ";
    EXPECT_EQ(s.exit_code, 2) << what << describe(s);
    EXPECT_EQ(s.err.rfind("netgear: error: ", 0), 0u) << what << describe(s);
    EXPECT_EQ(count_lines(s.err), 1u) << what << describe(s);
    for (const auto& n : c.named) EXPECT_NE(s.err.find(n), std::string::npos) << what << ": no '" << n << "'\n" << s.err;
  }
}

// --- recording -----------------------------------------------------------------------------------

TEST_F(CliTest, RecordingToAviIsPlayable) {
  TempDir dir;
  const Endpoint ep = Endpoint::tcp();
  const std::string video = dir / "out.avi";
  Child rx(cmd({"recv", "--frames", "15", "--record", video, "--no-show"}, join(ep.args, kFastRetries)));
  ASSERT_TRUE(rx.wait_for_output("listening on", 15s)) << rx.output();
  Child tx(cmd({"send", "--width", "320", "--height", "240", "--fps", "0", "--frames", "100000"},
               join(ep.args, kFastRetries)));
  const ExitStatus r = rx.wait(30s);
  tx.signal(SIGTERM);
  const ExitStatus s = tx.wait(15s);
  ASSERT_TRUE(r.ok()) << describe(r);
  EXPECT_TRUE(s.ok()) << describe(s);

  cv::VideoCapture cap(video);
  ASSERT_TRUE(cap.isOpened()) << video;
  EXPECT_EQ(static_cast<int>(cap.get(cv::CAP_PROP_FRAME_COUNT)), 15);
  int frames = 0;
  cv::Mat f;
  while (cap.read(f)) {
    EXPECT_EQ(f.cols, 320);
    EXPECT_EQ(f.rows, 240);
    ++frames;
  }
  EXPECT_EQ(frames, 15);
}

// A peer chooses the frame size, and OpenCV 4.6's FFMPEG writer corrupts the heap for frames
// narrower than 8 pixels (one 4x4 frame made `recv --record x.avi` abort). Tiny frames before the
// video is opened are skipped with a warning; the first frame of at least 8x2 opens it (odd sizes
// padded to even: 4:2:0 video dropped the last odd column and row); tiny frames after that are
// resized to the first one's size. Each run is a child process,
// so a crash fails the test without taking the test binary down.
struct TinyCase {
  const char* ext;
  int width, height;  // the first recordable frame; the video is this rounded up to even
};

void PrintTo(const TinyCase& c, std::ostream* os) { *os << c.ext << " " << c.width << "x" << c.height; }

class CliTinyFrameTest : public CliTest, public ::testing::WithParamInterface<TinyCase> {};

TEST_P(CliTinyFrameTest, RecorderSkipsFramesTheWriterCannotTake) {
  const TinyCase c = GetParam();
  TempDir dir;
  const std::string video = dir / (std::string("out") + c.ext);
  const std::string port = std::to_string(netgear::test::free_tcp_port());
  const std::vector<cv::Size> tiny = {{4, 4}, {7, 64}, {1, 1}, {2, 8}, {3, 9}, {5, 4}, {64, 1}};
  const std::vector<cv::Size> recordable = {{c.width, c.height}, {33, 17}, {4, 4}, {c.width, c.height}};
  Child rx(cmd({"recv", "--frames", std::to_string(tiny.size() + recordable.size()), "--record", video, "--no-show",
                "--pattern", "1"},
               join({"--address", "127.0.0.1", "--port", port}, kFastRetries)));
  ASSERT_TRUE(rx.wait_for_output("listening on", 15s)) << rx.output();
  {
    netgear::Config cfg = netgear::test::config(false, netgear::Pattern::ReqRep, netgear::Protocol::Tcp, port);
    cfg.options.jpeg_compression = false;
    netgear::NetGear tx(cfg);
    int n = 0;
    for (const auto& sizes : {tiny, recordable}) {
      for (const cv::Size& size : sizes) {
        cv::Mat m(size, CV_8UC3, cv::Scalar(40, 80, 160));
        EXPECT_TRUE(tx.send(m).delivered) << "frame " << n << " " << size;
        ++n;
      }
    }
  }
  const ExitStatus r = rx.wait(30s);
  ASSERT_TRUE(r.ok()) << describe(r);
  EXPECT_NE(r.err.find("frame is too small for the video writer"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("frame is too small", r.err.find("frame is too small") + 1), std::string::npos)
      << "warned more than once: " << r.err;

  cv::VideoCapture cap(video);
  ASSERT_TRUE(cap.isOpened()) << video;
  int frames = 0;
  cv::Mat f;
  while (cap.read(f)) {
    EXPECT_EQ(f.cols, c.width + c.width % 2);
    EXPECT_EQ(f.rows, c.height + c.height % 2);
    // The frame's colour everywhere, also in the padding (BGR 40, 80, 160; JPEG/MPEG-4 are lossy).
    for (const cv::Point at : {cv::Point(0, 0), cv::Point(f.cols - 1, f.rows - 1)}) {
      const cv::Vec3b px = f.at<cv::Vec3b>(at);
      EXPECT_NEAR(px[0], 40, 24) << at;
      EXPECT_NEAR(px[2], 160, 24) << at;
    }
    ++frames;
  }
  EXPECT_EQ(frames, static_cast<int>(recordable.size()));
}

INSTANTIATE_TEST_SUITE_P(Recorder, CliTinyFrameTest,
                         ::testing::Values(TinyCase{".avi", 8, 2}, TinyCase{".avi", 33, 17}, TinyCase{".mp4", 8, 2},
                                           TinyCase{".mp4", 9, 3}, TinyCase{".mkv", 8, 2}, TinyCase{".mkv", 11, 7}),
                         [](const auto& info) {
                           return std::string(info.param.ext + 1) + "_" + std::to_string(info.param.width) + "x" +
                                  std::to_string(info.param.height);
                         });

// A video file made here (grey levels 10, 18, 26, ...) is sent frame for frame.
TEST_F(CliTest, VideoFileArrivesFrameForFrame) {
  TempDir dir;
  const std::string input = dir / "in.avi";
  constexpr int kFrames = 30;
  auto level = [](int i) { return 10 + 8 * i; };
  {
    cv::VideoWriter w(input, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), 30.0, cv::Size(160, 120), true);
    ASSERT_TRUE(w.isOpened()) << "OpenCV cannot write MJPG .avi here";
    for (int i = 0; i < kFrames; ++i) w.write(cv::Mat(120, 160, CV_8UC3, cv::Scalar::all(level(i))));
  }
  const Endpoint ep = Endpoint::tcp();
  const std::string frames_dir = dir / "frames/";
  const std::string stats = dir / "stats.json";
  const std::vector<std::string> slow_retries = {"--request-timeout", "2", "--max-retries", "10"};
  Child rx(cmd({"recv", "--frames", std::to_string(kFrames), "--record", frames_dir, "--stats-json", stats,
                "--timeout", "20", "--no-show"},
               join(ep.args, slow_retries)));
  ASSERT_TRUE(rx.wait_for_output("listening on", 15s)) << rx.output();
  Child tx(cmd({"send", "--source", input, "--fps", "0", "--jpeg-compression", "false"}, join(ep.args, slow_retries)));
  const ExitStatus r = rx.wait(30s);
  const ExitStatus s = tx.wait(15s);  // the file ends: the sender stops by itself
  ASSERT_TRUE(r.ok()) << describe(r);
  EXPECT_TRUE(s.ok()) << describe(s);
  EXPECT_NE(s.out.find("end: end_of_source"), std::string::npos) << s.out;

  const auto j = read_json(stats);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["frames"], kFrames);
  EXPECT_EQ(j["frames_lost"], 0);
  EXPECT_EQ(j["width"], 160);
  EXPECT_EQ(j["height"], 120);
  for (int i = 0; i < kFrames; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "frame_%06d.png", i);
    const cv::Mat img = cv::imread((fs::path(frames_dir) / name).string(), cv::IMREAD_UNCHANGED);
    ASSERT_FALSE(img.empty()) << name;
    EXPECT_EQ(img.cols, 160);
    EXPECT_EQ(img.rows, 120);
    const cv::Scalar mean = cv::mean(img);
    EXPECT_NEAR(mean[0], level(i), 3.0) << "frame " << i;
  }
}

// --- errors --------------------------------------------------------------------------------------

TEST_F(CliTest, BadFlagsAndValuesExitTwoWithOneLine) {
  const std::string port = std::to_string(netgear::test::free_tcp_port());
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> named;  // what the message must mention
  };
  const std::vector<Case> cases = {
      {{"recv", "--jpeg-compression-quality", "500"}, {"--jpeg-compression-quality", "500"}},
      {{"send", "--jpeg-compression-quality", "500"}, {"--jpeg-compression-quality", "500"}},
      {{"recv", "--pattern", "7"}, {"--pattern", "7"}},
      {{"send", "--no-such-flag"}, {"--no-such-flag"}},
      {{"recv", "--option", "bogus=1"}, {"--option", "bogus"}},
      {{"send", "--option", "max_retries"}, {"--option", "max_retries"}},
      {{"demo", "--request-timeout", "abc"}, {"--request-timeout", "abc"}},
      {{"send", "--jpeg-compression", "purple"}, {"--jpeg-compression", "purple"}},
      {{"send", "--max-retries", "-1"}, {"--max-retries", "-1"}},
      {{"recv", "--protocol", "udp"}, {"--protocol", "udp"}},
      {{"send", "--source", "/no/such/file.avi"}, {"--source", "/no/such/file.avi"}},
      {{"recv", "--record", "out.xyz"}, {"--record", ".xyz"}},
      {{"recv", "--pattern", "2", "--bidirectional-mode", "true"}, {"bidirectional_mode", "pattern"}},
      {{"bogus-subcommand"}, {"bogus-subcommand"}},
  };
  for (const auto& c : cases) {
    Child child(cmd(c.args, {"--port", port, "--address", "127.0.0.1"}));
    const ExitStatus s = child.wait(15s);
    std::string what;
    for (const auto& a : c.args) what += a + " ";
    EXPECT_EQ(s.exit_code, 2) << what << describe(s);
    EXPECT_EQ(s.err.rfind("netgear: error: ", 0), 0u) << what << describe(s);
    EXPECT_EQ(count_lines(s.err), 1u) << what << describe(s);
    for (const auto& n : c.named) EXPECT_NE(s.err.find(n), std::string::npos) << what << ": no '" << n << "'\n" << s.err;
  }
}

TEST_F(CliTest, OptionsFileWithBadValueIsAUsageError) {
  TempDir dir;
  const std::string file = dir / "opts.json";
  std::ofstream(file) << R"({"max_retries": 2, "jpeg_compression_quality": 5})";
  Child child(cmd({"recv", "--options", file}, {"--port", std::to_string(netgear::test::free_tcp_port())}));
  const ExitStatus s = child.wait(15s);
  EXPECT_EQ(s.exit_code, 2) << describe(s);
  EXPECT_NE(s.err.find("jpeg_compression_quality"), std::string::npos) << s.err;
  EXPECT_EQ(count_lines(s.err), 1u) << s.err;
}

TEST_F(CliTest, HelpDocumentsOptionsAndExitCodes) {
  for (const char* sub : {"send", "recv", "demo"}) {
    Child child({cli(), sub, "--help"});
    const ExitStatus s = child.wait(15s);
    EXPECT_TRUE(s.ok()) << sub << describe(s);
    for (const char* text : {"--jpeg-compression-quality", "--request-timeout", "--option", "--options", "--pattern",
                             "--protocol", "Exit codes"}) {
      EXPECT_NE(s.out.find(text), std::string::npos) << sub << ": no " << text;
    }
    const std::string sub_name = sub;
    const std::vector<std::string> own =
        sub_name == "send" ? std::vector<std::string>{"--stats-json"} : std::vector<std::string>{"--reply", "--reply-frame"};
    for (const auto& text : own) EXPECT_NE(s.out.find(text), std::string::npos) << sub << ": no " << text;
  }
}

TEST_F(CliTest, RecvTimeoutWithoutSenderFails) {
  Child rx(cmd({"recv", "--timeout", "0.5", "--no-show"}, Endpoint::tcp().args));
  const ExitStatus s = rx.wait(15s);
  EXPECT_EQ(s.exit_code, 3) << describe(s);
  EXPECT_NE(s.err.find("no frame arrived"), std::string::npos) << s.err;
}

// --- demo ----------------------------------------------------------------------------------------

TEST_F(CliTest, DemoStreamsFrames) {
  TempDir dir;
  const std::string stats = dir / "demo.json";
  Child demo({cli(), "demo", "--seconds", "2", "--no-show", "--width", "320", "--height", "240", "--stats-json", stats});
  const ExitStatus s = demo.wait(30s);
  ASSERT_TRUE(s.ok()) << describe(s);
  EXPECT_NE(s.out.find("summary:"), std::string::npos) << s.out;
  // Every live status line shows a rate once frames flow, the first one too.
  const auto first_status = s.out.find("recv: ");
  ASSERT_NE(first_status, std::string::npos) << s.out;
  const std::string line = s.out.substr(first_status, s.out.find('\n', first_status) - first_status);
  EXPECT_EQ(line.find("| 0.0 fps"), std::string::npos) << line;
  const auto j = read_json(stats);
  ASSERT_TRUE(j.is_object());
  EXPECT_GT(j["frames"].get<int>(), 0);
  EXPECT_GT(j["fps"].get<double>(), 0.0);
  EXPECT_EQ(j["end_reason"], "terminated");
}

// --- bench ---------------------------------------------------------------------------------------

#if defined(NETGEAR_HAVE_BENCH)
// A tiny matrix (speed is the benchmark's business, not this test's): the JSON is an array with one
// object per case, each with the fields docs/benchmarks.md promises and measured, non-zero figures.
TEST_F(CliTest, BenchJsonHasOneObjectPerCase) {
  Child bench({cli(), "bench", "--json", "--patterns", "0", "--transports", "tcp", "--sizes", "160x120",
               "--compression", "raw", "jpeg", "--duration", "0.3", "--warmup", "0.1", "--codec-time", "0.2",
               "--paced-fps", "0"});
  const ExitStatus s = bench.wait(120s);
  ASSERT_TRUE(s.ok()) << describe(s);
  const auto j = nlohmann::json::parse(s.out, nullptr, false);
  ASSERT_TRUE(j.is_array()) << s.out;
  ASSERT_EQ(j.size(), 2u) << s.out;
  for (const auto& c : j) {
    for (const char* key : {"name", "pattern", "transport", "size", "compression", "fps", "mbps", "p50_ms",
                            "p99_ms", "bound_fps", "ratio", "baselines", "targets", "run"}) {
      EXPECT_TRUE(c.contains(key)) << key << " in " << c.dump();
    }
    EXPECT_EQ(c.value("pattern", -1), 0);
    EXPECT_EQ(c.value("size", ""), "160x120");
    EXPECT_GT(c.value("fps", 0.0), 0.0) << c.dump();
    EXPECT_GT(c.value("bound_fps", 0.0), 0.0) << c.dump();
    EXPECT_GT(c.value("ratio", 0.0), 0.0) << c.dump();
    EXPECT_GT(c["baselines"]["zmq_pair"].value("fps", 0.0), 0.0) << c.dump();
    const bool jpeg = c.value("compression", "") == "jpeg";
    EXPECT_EQ(c["baselines"]["turbojpeg"].is_object(), jpeg) << c.dump();
    EXPECT_TRUE(c["run"].value("ok", false));
  }
}
#endif

// --- signals -------------------------------------------------------------------------------------

TEST_F(CliTest, SigtermStopsRecvAndLeavesAPlayableRecording) {
  TempDir dir;
  const Endpoint ep = Endpoint::tcp();
  const std::string video = dir / "sig.avi";
  const std::string stats = dir / "stats.json";
  Child rx(cmd({"recv", "--record", video, "--stats-json", stats, "--no-show"}, join(ep.args, kFastRetries)));
  ASSERT_TRUE(rx.wait_for_output("listening on", 15s)) << rx.output();
  Child tx(cmd({"send", "--width", "160", "--height", "120", "--fps", "100"}, join(ep.args, kFastRetries)));
  ASSERT_TRUE(rx.wait_for_output("first frame", 15s)) << rx.output();
  rx.signal(SIGTERM);
  const ExitStatus r = rx.wait(15s);
  tx.signal(SIGTERM);
  const ExitStatus s = tx.wait(15s);
  ASSERT_TRUE(r.ok()) << describe(r);
  EXPECT_TRUE(s.ok()) << describe(s);
  EXPECT_NE(r.out.find("summary:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("end: signal"), std::string::npos) << r.out;

  const auto j = read_json(stats);
  ASSERT_TRUE(j.is_object());
  const int frames = j["frames"].get<int>();
  EXPECT_GE(frames, 1);
  EXPECT_EQ(j["end_reason"], "signal");
  cv::VideoCapture cap(video);
  ASSERT_TRUE(cap.isOpened()) << video;
  int read = 0;
  cv::Mat f;
  while (cap.read(f)) {
    EXPECT_EQ(f.size(), cv::Size(160, 120));
    ++read;
  }
  EXPECT_EQ(read, frames);
}

// Ctrl-C on the sender: it closes the NetGear, which sends the termination message, and the
// receiver ends with "terminated".
TEST_F(CliTest, SigintStopsSendAndEndsTheStream) {
  TempDir dir;
  const Endpoint ep = Endpoint::ipc();
  const std::string stats = dir / "stats.json";
  Child rx(cmd({"recv", "--pattern", "1", "--stats-json", stats, "--no-show"}, join(ep.args, kFastRetries)));
  ASSERT_TRUE(rx.wait_for_output("listening on", 15s)) << rx.output();
  Child tx(cmd({"send", "--pattern", "1", "--width", "160", "--height", "120", "--fps", "100"},
               join(ep.args, kFastRetries)));
  ASSERT_TRUE(rx.wait_for_output("first frame", 15s)) << rx.output();
  tx.signal(SIGINT);
  const ExitStatus s = tx.wait(15s);
  const ExitStatus r = rx.wait(15s);
  ASSERT_TRUE(s.ok()) << describe(s);
  EXPECT_NE(s.out.find("end: signal"), std::string::npos) << s.out;
  ASSERT_TRUE(r.ok()) << describe(r);
  const auto j = read_json(stats);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j["end_reason"], "terminated");
  EXPECT_GE(j["frames"].get<int>(), 1);
}

}  // namespace
