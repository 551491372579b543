// `netgear demo`: a receiver and a sender in this process, streaming the test pattern.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <thread>

#include "cli_common.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "receive.hpp"

namespace netgear::cli {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct DemoArgs {
  NetgearFlags net;
  ReceiveFlags out;
  ReplyFlags reply;
  double seconds = 5;
  double fps = 30;
  int width = 640;
  int height = 480;
};

int run_demo(DemoArgs& a) {
  NetgearFlags net = a.net;
  if (net.address_opt->count() == 0 && net.protocol == "tcp") net.address = "127.0.0.1";
  if (net.port_opt->count() == 0) {
    net.port = net.protocol == "tcp" ? std::to_string(free_tcp_port()) : "demo-" + std::to_string(::getpid());
  }
  Config rx_cfg = build_config(net, true);
  const json reply = apply_reply_flags(a.reply, rx_cfg);
  const Config tx_cfg = build_config(net, false);
  auto recorder = make_recorder(a.out);
  SourceSpec spec;
  spec.width = a.width;
  spec.height = a.height;
  auto source = open_source(spec);

  auto rx_owner = open_replying_receiver(a.reply, rx_cfg, reply);  // binds first: the sender then finds it at once
  NetGear& rx = *rx_owner;
  NetGear tx(tx_cfg);
  print_line("netgear demo: streaming the " + source->describe() + " at " +
             (a.fps > 0 ? fixed(a.fps, 1) + " fps" : std::string("full speed")) + " for " + fixed(a.seconds, 1) +
             " s over " + rx.endpoint() + " (pattern " + std::string(to_string(rx_cfg.pattern)) + ")" +
             (recorder ? ", recording to " + recorder->describe() : std::string()));

  std::atomic<bool> stop_sender{false};
  std::atomic<bool> sender_done{false};
  std::atomic<Clock::rep> sender_done_at{0};
  SendOutcome sent;
  std::thread sender([&] {
    sent = send_loop(tx, *source, a.fps, 0, a.seconds, &stop_sender, nullptr);
    tx.close();  // sends the termination message: the receiver sees the end of the stream
    sender_done_at = Clock::now().time_since_epoch().count();
    sender_done = true;
  });
  // Let the sender finish its current frame (keep taking frames so that it is acknowledged), then
  // join it. Also runs if anything below throws, so the thread is never left running.
  const FrameHook reply_hook = make_reply_hook(a.reply, rx);
  auto finish_sender = [&]() noexcept {
    stop_sender = true;
    while (!sender_done) {
      try {
        if (rx.end_of_stream()) {
          std::this_thread::sleep_for(10ms);
        } else if (auto f = rx.recv(20ms); f && reply_hook) {
          reply_hook(*f);  // exact pairing: else its reply would wait for answer_timeout
        }
      } catch (...) {
        std::this_thread::sleep_for(10ms);  // the receiver failed: the sender gives up on its own
      }
    }
    if (sender.joinable()) sender.join();
  };
  struct Guard {
    decltype(finish_sender)& f;
    ~Guard() { f(); }
  } guard{finish_sender};

  // Normally the stream ends when the receiver gets the termination message. Should that be lost
  // (PUB/SUB may drop it), stop 2 s after the sender finished; and never run far past --seconds.
  const auto hard_deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(a.seconds)) +
      std::max<Clock::duration>(10s, 3 * rx_cfg.options.request_timeout);
  const StopCheck extra = [&]() -> std::optional<std::string> {
    const auto now = Clock::now();
    if (sender_done && now - Clock::time_point(Clock::duration(sender_done_at.load())) > 2s) return "sender_finished";
    if (now > hard_deadline) return "deadline";
    return std::nullopt;
  };
  ReceiveOutcome outcome = receive_loop(rx, a.out, recorder.get(), "netgear demo", extra, reply_hook);

  finish_sender();
  rx.close();

  print_line(send_summary_line(sent, tx.stats(), "sender"));
  if (!sent.error.empty()) warn("sender: " + sent.error);
  int code = finish_receive(outcome, a.out, rx.endpoint());
  if (code == kExitOk && outcome.summary.frames == 0) {
    std::fprintf(stderr, "netgear: error: no frame flowed from the sender to the receiver\n");
    code = kExitNoFrames;
  }
  return code;
}

}  // namespace

void register_demo(CLI::App& root, Action& action) {
  auto args = std::make_shared<DemoArgs>();
  CLI::App* sub = root.add_subcommand(
      "demo",
      "start here: a receiver and a sender in this process stream the test pattern over 127.0.0.1 for a few "
      "seconds; shows it (with a display), prints the live status and a summary");
  sub->add_option("--seconds", args->seconds, "how long to stream, in seconds. Default 5")
      ->type_name("SECONDS")
      ->check(CLI::Range(0.0, 1e7))
      ->group("Demo");
  sub->add_option("--fps", args->fps, "frames per second; 0 = as fast as possible. Default 30")
      ->type_name("FPS")
      ->check(CLI::Range(0.0, 10000.0))
      ->group("Demo");
  sub->add_option("--width", args->width, "test pattern width in pixels. Default 640")
      ->type_name("PIXELS")
      ->check(CLI::Range(16, 16384))
      ->group("Demo");
  sub->add_option("--height", args->height, "test pattern height in pixels. Default 480")
      ->type_name("PIXELS")
      ->check(CLI::Range(16, 16384))
      ->group("Demo");
  add_receive_flags(*sub, args->out, false);
  add_reply_flags(*sub, args->reply);
  add_netgear_flags(*sub, args->net, Role::Demo);
  sub->footer(exit_codes_help() + " demo exits 0 when frames flowed.");
  sub->callback([args, &action] { action = [args] { return run_demo(*args); }; });
}

}  // namespace netgear::cli
