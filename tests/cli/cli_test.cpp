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

#include "mosaic.hpp"
#include "output.hpp"
#include "servers.hpp"
#include "support/test_support.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using netgear::test::Child;
using netgear::test::ExitStatus;

using netgear::test::TempDir;

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
// The time-out is generous: these cases count every frame, and on a loaded machine (a sanitizer
// build beside other jobs) an acknowledgement took longer than kFastRetries' 0.5 s.
const std::vector<std::string> kPatientRetries = {"--request-timeout", "5", "--max-retries", "3"};

nlohmann::json run_bidirectional(int pattern, const std::vector<std::string>& reply_args) {
  TempDir dir;
  const Endpoint ep = Endpoint::tcp();
  const std::string p = std::to_string(pattern);
  const std::string stats = dir / "send.json";
  constexpr int kFrames = 20;
  Child rx(cmd(join({"recv", "--pattern", p, "--no-show"}, reply_args), join(ep.args, kPatientRetries)));
  EXPECT_TRUE(rx.wait_for_output("listening on", 15s)) << rx.output();
  Child tx(cmd({"send", "--pattern", p, "--width", "320", "--height", "240", "--fps", "200", "--frames",
                std::to_string(kFrames), "--stats-json", stats},
               join(ep.args, kPatientRetries)));
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
    // Every frame must arrive: room for a receiver slowed down by a sanitizer and other tests
    // running at the same time.
    cfg.options.request_timeout = 10s;
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


// --- multi-server mode ---------------------------------------------------------------------------

// Three servers (netgear send --multiserver-mode, each on its own port and frame size) stream into
// one `netgear recv --multiserver-mode --port a,b,c` until each is stopped with SIGTERM (which
// sends its termination); the stream ends after the last one. Per-server counts in --stats-json
// equal what each server had acknowledged (pattern 1), and each server has its own video file.
TEST_F(CliTest, MultiServerRecvCountsAndRecordsEachServer) {
  TempDir dir;
  std::vector<std::string> ports;
  for (int k = 0; k < 3; ++k) {
    std::string p;
    do {
      p = std::to_string(netgear::test::free_tcp_port());
    } while (std::find(ports.begin(), ports.end(), p) != ports.end());
    ports.push_back(p);
  }
  const std::string list = ports[0] + "," + ports[1] + "," + ports[2];
  const std::string stats = dir / "stats.json";
  const std::string video = dir / "multi.avi";
  const std::vector<std::string> retries = {"--request-timeout", "5", "--max-retries", "5"};
  Child rx(cmd({"recv", "--pattern", "1", "--multiserver-mode", "--protocol", "tcp", "--address", "127.0.0.1",
                "--port", list, "--stats-json", stats, "--record", video, "--no-show"},
               retries));
  ASSERT_TRUE(rx.wait_for_output("listening on", 15s)) << rx.output();
  EXPECT_NE(rx.output().find("one video file per server"), std::string::npos) << rx.output();
  const cv::Size sizes[3] = {{160, 120}, {320, 240}, {200, 150}};
  std::vector<std::unique_ptr<Child>> servers;
  for (int k = 0; k < 3; ++k) {
    servers.push_back(std::make_unique<Child>(
        cmd({"send", "--pattern", "1", "--multiserver-mode", "--address", "127.0.0.1", "--port", ports[k], "--width",
             std::to_string(sizes[k].width), "--height", std::to_string(sizes[k].height), "--fps", "100",
             "--stats-json", dir / ("send" + std::to_string(k) + ".json")},
            retries)));
  }
  // The live status line counts the servers heard from: all three are streaming.
  ASSERT_TRUE(rx.wait_for_output("servers 3", 30s)) << rx.output();
  std::vector<ExitStatus> sent;
  for (auto& s : servers) {
    s->signal(SIGTERM);
    sent.push_back(s->wait(15s));
  }
  const ExitStatus r = rx.wait(20s);
  ASSERT_TRUE(r.ok()) << describe(r);
  EXPECT_NE(r.out.find("3 servers"), std::string::npos) << r.out;

  const auto j = read_json(stats);
  ASSERT_TRUE(j.is_object()) << describe(r);
  EXPECT_EQ(j["end_reason"], "terminated") << j.dump();
  EXPECT_EQ(j["frames_lost"], 0) << "each server's frame counter is its own: " << j.dump();
  ASSERT_TRUE(j["servers"].is_array()) << j.dump();
  ASSERT_EQ(j["servers"].size(), 3u) << j.dump();
  std::uint64_t total = 0;
  for (int k = 0; k < 3; ++k) {
    ASSERT_TRUE(sent[k].ok()) << describe(sent[k]);
    const auto sj = read_json(dir / ("send" + std::to_string(k) + ".json"));
    ASSERT_TRUE(sj.is_object()) << describe(sent[k]);
    const auto delivered = sj["frames"].get<std::uint64_t>() - sj["frames_lost"].get<std::uint64_t>();
    const auto it = std::find_if(j["servers"].begin(), j["servers"].end(),
                                 [&](const nlohmann::json& e) { return e.value("port", "") == ports[k]; });
    ASSERT_NE(it, j["servers"].end()) << ports[k] << " in " << j.dump();
    const auto& e = *it;
    EXPECT_EQ(e["frames"].get<std::uint64_t>(), delivered) << e.dump() << " vs " << sj.dump();
    EXPECT_GE(delivered, 1u);
    EXPECT_GT(e["bytes"].get<std::uint64_t>(), 0u) << e.dump();
    EXPECT_TRUE(e["terminated"].get<bool>()) << e.dump();
    if (delivered >= 2) {
      EXPECT_GT(e["fps"].get<double>(), 0.0) << e.dump();
    }
    total += e["frames"].get<std::uint64_t>();

    // Its own file, x.avi -> x_<port>.avi, with its frames at its size.
    const std::string file = dir / ("multi_" + ports[k] + ".avi");
    cv::VideoCapture cap(file);
    ASSERT_TRUE(cap.isOpened()) << file;
    int frames = 0;
    cv::Mat f;
    while (cap.read(f)) {
      EXPECT_EQ(f.size(), sizes[k]) << file;
      ++frames;
    }
    EXPECT_EQ(static_cast<std::uint64_t>(frames), delivered) << file;
  }
  EXPECT_EQ(j["frames"].get<std::uint64_t>(), total) << j.dump();
  EXPECT_FALSE(fs::exists(video)) << "no file without a port";
}

// Recording to a folder makes one subfolder per port, with that server's frames at its size.
TEST_F(CliTest, MultiServerRecordToFolderMakesASubfolderPerPort) {
  TempDir dir;
  const auto two = netgear::test::free_tcp_ports(2);
  const std::string a = two[0], b = two[1];
  const std::string frames_dir = dir / "frames/";
  const std::string stats = dir / "stats.json";
  Child rx(cmd({"recv", "--pattern", "1", "--multiserver-mode", "--address", "127.0.0.1", "--port", a + "," + b,
                "--record", frames_dir, "--record-format", "png", "--stats-json", stats, "--no-show",
                "--timeout", "20"},
               {"--request-timeout", "5"}));
  ASSERT_TRUE(rx.wait_for_output("listening on", 15s)) << rx.output();
  Child tx1(cmd({"send", "--pattern", "1", "--multiserver-mode", "--address", "127.0.0.1", "--port", a, "--width",
                 "64", "--height", "48", "--fps", "100"},
                {"--request-timeout", "5"}));
  Child tx2(cmd({"send", "--pattern", "1", "--multiserver-mode", "--address", "127.0.0.1", "--port", b, "--width",
                 "80", "--height", "60", "--fps", "100"},
                {"--request-timeout", "5"}));
  ASSERT_TRUE(rx.wait_for_output("servers 2", 30s)) << rx.output();
  tx1.signal(SIGTERM);
  tx2.signal(SIGTERM);
  const ExitStatus s1 = tx1.wait(15s), s2 = tx2.wait(15s);
  const ExitStatus r = rx.wait(20s);
  ASSERT_TRUE(r.ok()) << describe(r);
  EXPECT_TRUE(s1.ok()) << describe(s1);
  EXPECT_TRUE(s2.ok()) << describe(s2);
  const auto j = read_json(stats);
  ASSERT_TRUE(j.is_object());
  ASSERT_EQ(j["servers"].size(), 2u) << j.dump();
  for (const auto& e : j["servers"]) {
    const std::string port = e["port"];
    const fs::path sub = fs::path(frames_dir) / port;
    ASSERT_TRUE(fs::is_directory(sub)) << sub;
    std::uint64_t files = 0;
    for (const auto& entry : fs::directory_iterator(sub)) {
      const cv::Mat img = cv::imread(entry.path().string(), cv::IMREAD_UNCHANGED);
      ASSERT_FALSE(img.empty()) << entry.path();
      EXPECT_EQ(img.size(), port == a ? cv::Size(64, 48) : cv::Size(80, 60)) << entry.path();
      ++files;
    }
    EXPECT_EQ(files, e["frames"].get<std::uint64_t>()) << e.dump();
  }
}

// Multi-client on pattern 1: one `netgear send` deals 20 frames to two `netgear recv`; each gets
// every other frame, which is not a loss (the frame counter has gaps by design).
TEST_F(CliTest, MultiClientRecvsShareTheFramesWithoutCountingLosses) {
  TempDir dir;
  const auto two = netgear::test::free_tcp_ports(2);
  const std::string a = two[0], b = two[1];
  std::vector<std::unique_ptr<Child>> rx;
  for (const auto& port : {a, b}) {
    rx.push_back(std::make_unique<Child>(cmd({"recv", "--pattern", "1", "--multiclient-mode", "--address", "127.0.0.1",
                                              "--port", port, "--stats-json", dir / (port + ".json"), "--no-show",
                                              "--timeout", "20"},
                                             {})));
    ASSERT_TRUE(rx.back()->wait_for_output("listening on", 15s)) << rx.back()->output();
  }
  Child sender(cmd({"send", "--pattern", "1", "--multiclient-mode", "--address", "127.0.0.1", "--port", a + "," + b,
                    "--frames", "20", "--fps", "0", "--width", "64", "--height", "48", "--stats-json",
                    dir / "send.json"},
                   {}));
  const ExitStatus tx = sender.wait(30s);
  ASSERT_TRUE(tx.ok()) << describe(tx);
  // The sender says what each client took, on screen and in --stats-json.
  EXPECT_NE(sender.output().find("client " + a + ": 10 frames, 0 lost"), std::string::npos) << sender.output();
  EXPECT_NE(sender.output().find("client " + b + ": 10 frames, 0 lost"), std::string::npos) << sender.output();
  const auto sent = read_json(dir / "send.json");
  ASSERT_TRUE(sent.is_object());
  ASSERT_EQ(sent["clients"].size(), 2u) << sent.dump();
  for (const auto& c : sent["clients"]) {
    EXPECT_EQ(c["frames"], 10) << sent.dump();
    EXPECT_EQ(c["frames_lost"], 0) << sent.dump();
    EXPECT_GT(c["bytes"].get<std::uint64_t>(), 10u * 64 * 48 / 20) << sent.dump();
  }
  for (std::size_t k = 0; k < rx.size(); ++k) {
    const ExitStatus r = rx[k]->wait(20s);
    ASSERT_TRUE(r.ok()) << describe(r);
    const auto j = read_json(dir / ((k == 0 ? a : b) + ".json"));
    ASSERT_TRUE(j.is_object());
    EXPECT_EQ(j["frames"], 10) << j.dump();
    EXPECT_EQ(j["frames_lost"], 0) << j.dump();
    EXPECT_EQ(j["end_reason"], "terminated") << j.dump();
  }
}

TEST(CliMultiServer, PerServerTargets) {
  using netgear::cli::per_server_target;
  EXPECT_EQ(per_server_target("x.avi", "5566"), "x_5566.avi");
  EXPECT_EQ(per_server_target("/tmp/a/out.mp4", "5567"), "/tmp/a/out_5567.mp4");
  EXPECT_EQ(per_server_target("frames/", "5566"), "frames/5566/");
  EXPECT_EQ(per_server_target("v.avi", "../x y"), "v_.._x_y.avi");  // no path out of the folder
  EXPECT_EQ(netgear::cli::file_safe(".."), "_");
}

// --- the mosaic (a pure function: no window) ------------------------------------------------------

// Pixels of `m` (BGR) inside `r` that are not `colour`.
int pixels_not(const cv::Mat& m, const cv::Rect& r, const cv::Scalar& colour) {
  int n = 0;
  for (int y = r.y; y < r.y + r.height; ++y) {
    for (int x = r.x; x < r.x + r.width; ++x) {
      const auto& p = m.at<cv::Vec3b>(y, x);
      if (p[0] != colour[0] || p[1] != colour[1] || p[2] != colour[2]) ++n;
    }
  }
  return n;
}

cv::Vec3b px(const cv::Mat& m, int x, int y) { return m.at<cv::Vec3b>(y, x); }

TEST(CliMosaic, LayoutLabelsAndLetterbox) {
  using namespace netgear::cli;
  const MosaicStyle st;  // tiles 400x300 + a 28 px label bar
  std::vector<MosaicTile> tiles;
  tiles.push_back({"5566", cv::Mat(480, 640, CV_8UC3, cv::Scalar(200, 0, 0)), 29.96, false});  // 4:3: fills
  tiles.push_back({"5567", cv::Mat(400, 100, CV_8UC3, cv::Scalar(0, 200, 0)), 12.0, false});   // tall: bars left/right
  tiles.push_back({"5568", cv::Mat(120, 160, CV_8UC1, cv::Scalar(100)), 0.0, true});          // grey, ended
  const cv::Mat m = compose_mosaic(tiles, st);

  // 3 tiles: a 2x2 grid, the fourth cell empty.
  EXPECT_EQ(mosaic_columns(3), 2);
  EXPECT_EQ(mosaic_columns(4), 2);
  EXPECT_EQ(mosaic_columns(5), 3);
  ASSERT_EQ(m.type(), CV_8UC3);
  EXPECT_EQ(m.size(), mosaic_size(3, st));
  EXPECT_EQ(m.size(), cv::Size(st.gap + 2 * (400 + st.gap), st.gap + 2 * (328 + st.gap)));
  EXPECT_EQ(mosaic_tile_rect(1, 3, st).x, mosaic_tile_rect(0, 3, st).x + 400 + st.gap);
  EXPECT_EQ(mosaic_tile_rect(2, 3, st).y, mosaic_tile_rect(0, 3, st).y + 328 + st.gap);
  // The empty cell is all background.
  const cv::Rect empty(mosaic_tile_rect(1, 3, st).x, mosaic_tile_rect(2, 3, st).y, 400, 328);
  EXPECT_EQ(pixels_not(m, empty, st.background), 0);

  EXPECT_EQ(mosaic_label(tiles[0]), "5566  30.0 fps");
  EXPECT_EQ(mosaic_label(tiles[2]), "5568  ended");
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const cv::Rect bar = mosaic_label_rect(i, 3, st);
    EXPECT_EQ(bar.height, st.label_height);
    const cv::Scalar bar_colour = tiles[i].ended ? st.ended_bar : st.label_bar;
    // The text: many pixels of the bar that are not its colour, all in its left part.
    const int text = pixels_not(m, bar, bar_colour);
    EXPECT_GT(text, 100) << "tile " << i;
    EXPECT_EQ(pixels_not(m, cv::Rect(bar.x + bar.width - 40, bar.y, 40, bar.height), bar_colour), 0) << "tile " << i;
  }
  // Tile 0 fills its area exactly (same aspect).
  const cv::Rect a0 = mosaic_image_rect(0, 3, st);
  EXPECT_EQ(pixels_not(m, a0, cv::Scalar(200, 0, 0)), 0);
  // Tile 1 (1:4) is 75x300, centred: background bars left and right.
  const cv::Rect a1 = mosaic_image_rect(1, 3, st);
  const cv::Rect fit1(a1.x + (400 - 75) / 2, a1.y, 75, 300);
  EXPECT_EQ(pixels_not(m, fit1, cv::Scalar(0, 200, 0)), 0);
  EXPECT_EQ(pixels_not(m, cv::Rect(a1.x, a1.y, fit1.x - a1.x, 300), st.background), 0);
  EXPECT_EQ(pixels_not(m, cv::Rect(fit1.x + 75, a1.y, a1.x + 400 - fit1.x - 75, 300), st.background), 0);
  // Tile 2: grey 4:3, ended, so dimmed (100 * 0.4 = 40).
  const cv::Rect a2 = mosaic_image_rect(2, 3, st);
  EXPECT_EQ(px(m, a2.x + 200, a2.y + 150), cv::Vec3b(40, 40, 40));

  // No tiles: one tile's size, saying something.
  const cv::Mat none = compose_mosaic({}, st);
  EXPECT_EQ(none.size(), mosaic_size(0, st));
  EXPECT_GT(pixels_not(none, cv::Rect(0, 0, none.cols, none.rows), st.background), 0);
  // A frame that cannot be shown (3-D) leaves its area blank, the label still drawn.
  const int dims[3] = {4, 4, 4};
  const cv::Mat cube = compose_mosaic({{"x", cv::Mat(3, dims, CV_8U, cv::Scalar(9)), 1.0, false}}, st);
  EXPECT_EQ(pixels_not(cube, mosaic_image_rect(0, 1, st), st.background), 0);
  EXPECT_GT(pixels_not(cube, mosaic_label_rect(0, 1, st), st.label_bar), 0);
}

TEST(CliOutput, ToBgrSpreadsGrayAndDropsAlpha) {
  using netgear::cli::to_bgr;
  const cv::Mat gray = to_bgr(cv::Mat(2, 3, CV_8UC1, cv::Scalar(77)));
  ASSERT_EQ(gray.type(), CV_8UC3);
  EXPECT_EQ(gray.size(), cv::Size(3, 2));
  EXPECT_EQ(px(gray, 2, 1), cv::Vec3b(77, 77, 77));
  const cv::Mat bgra = to_bgr(cv::Mat(2, 3, CV_8UC4, cv::Scalar(10, 20, 30, 40)));
  ASSERT_EQ(bgra.type(), CV_8UC3);
  EXPECT_EQ(px(bgra, 0, 0), cv::Vec3b(10, 20, 30));
  const cv::Mat bgr(2, 3, CV_8UC3, cv::Scalar(1, 2, 3));
  EXPECT_EQ(to_bgr(bgr).data, bgr.data);  // already BGR: the same pixels, not a copy
  // Through displayable() first, as the recorder and the mosaic do: 16-bit gray becomes 8-bit.
  const cv::Mat deep = to_bgr(netgear::cli::displayable(cv::Mat(2, 3, CV_16UC1, cv::Scalar(65535))));
  ASSERT_EQ(deep.type(), CV_8UC3);
  EXPECT_EQ(px(deep, 1, 1), cv::Vec3b(255, 255, 255));
}

TEST(CliMosaic, TilesInFirstSeenOrderWithTheirRates) {
  using namespace netgear::cli;
  Mosaic mosaic;
  const auto t0 = std::chrono::steady_clock::time_point(std::chrono::seconds(100));
  const cv::Mat img(10, 10, CV_8UC3, cv::Scalar::all(0));
  for (int i = 0; i <= 10; ++i) mosaic.on_frame("5567", img, t0 + i * 100ms);  // 10 fps
  for (int i = 0; i <= 4; ++i) mosaic.on_frame("5566", img, t0 + 500ms + i * 125ms);  // 8 fps
  mosaic.set_ended("5568", true);  // heard of only by its termination: a tile, marked ended
  auto tiles = mosaic.tiles(t0 + 1000ms);
  ASSERT_EQ(tiles.size(), 3u);
  EXPECT_EQ(tiles[0].label, "5567");
  EXPECT_EQ(tiles[1].label, "5566");
  EXPECT_EQ(tiles[2].label, "5568");
  EXPECT_NEAR(tiles[0].fps, 10.0, 1e-9);
  EXPECT_NEAR(tiles[1].fps, 4.0 / 0.5, 1e-9);
  EXPECT_TRUE(tiles[2].ended);
  EXPECT_FALSE(tiles[0].ended);
  // Quiet for longer than a second: the rate falls to 0.
  tiles = mosaic.tiles(t0 + 3s);
  EXPECT_EQ(tiles[0].fps, 0.0);
  // A frame after an end makes the server live again.
  mosaic.on_frame("5568", img, t0 + 3s);
  EXPECT_FALSE(mosaic.tiles(t0 + 3s)[2].ended);
}

TEST_F(CliTest, MultiServerPortListErrorsAreUsageErrors) {
  // A server is one port: a list is refused, naming the flag or the option.
  const ExitStatus s = Child(cmd({"send", "--pattern", "1", "--multiserver-mode", "--port", "5566,5567",
                                  "--frames", "1"},
                                 {})).wait(15s);
  EXPECT_EQ(s.exit_code, 2) << describe(s);
  EXPECT_EQ(count_lines(s.err), 1u) << s.err;
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

// --multiserver: the matrix case, then one object per pattern (1 and 2) with 2 servers here, each
// server's frames and share of the window.
TEST_F(CliTest, BenchMultiserverReportsEachServersShare) {
  Child bench({cli(), "bench", "--json", "--multiserver", "--servers", "2", "--patterns", "0", "--transports", "tcp",
               "--sizes", "160x120", "--compression", "raw", "--duration", "0.3", "--warmup", "0.1", "--codec-time",
               "0.2", "--paced-fps", "0"});
  const ExitStatus s = bench.wait(120s);
  ASSERT_TRUE(s.ok()) << describe(s);
  const auto j = nlohmann::json::parse(s.out, nullptr, false);
  ASSERT_TRUE(j.is_array()) << s.out;
  ASSERT_EQ(j.size(), 3u) << s.out;
  std::vector<int> patterns;
  for (std::size_t k = 1; k < j.size(); ++k) {
    const auto& c = j[k];
    EXPECT_EQ(c.value("group", ""), "multiserver") << c.dump();
    patterns.push_back(c.value("pattern", -1));
    EXPECT_EQ(c.value("size", ""), "640x480");
    EXPECT_EQ(c.value("compression", ""), "jpeg");
    EXPECT_EQ(c.value("servers", 0), 2);
    EXPECT_GT(c.value("fps", 0.0), 0.0) << c.dump();
    ASSERT_TRUE(c["per_server"].is_array()) << c.dump();
    ASSERT_EQ(c["per_server"].size(), 2u) << c.dump();
    std::uint64_t frames = 0;
    double shares = 0;
    for (const auto& e : c["per_server"]) {
      EXPECT_GT(e.value("frames", std::uint64_t{0}), 0u) << c.dump();
      frames += e.value("frames", std::uint64_t{0});
      shares += e.value("share", 0.0);
    }
    EXPECT_EQ(frames, c.value("frames", std::uint64_t{0})) << c.dump();
    EXPECT_NEAR(shares, 1.0, 1e-9);
    EXPECT_GT(c.value("min_share", 0.0), 0.0);
    EXPECT_LE(c.value("min_share", 0.0), c.value("max_share", 0.0));
    EXPECT_EQ(c["sender"].size(), 2u) << c.dump();
  }
  EXPECT_EQ(patterns, (std::vector<int>{1, 2}));
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
