// `netgear recv`.
#include <memory>

#include "cli_common.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "receive.hpp"

namespace netgear::cli {

namespace {

struct RecvArgs {
  NetgearFlags net;
  ReceiveFlags out;
};

int run_recv(RecvArgs& a) {
  const Config cfg = build_config(a.net, true);
  auto recorder = make_recorder(a.out);
  NetGear ng(cfg);
  print_line("netgear recv: listening on " + ng.endpoint() + " (pattern " + std::string(to_string(cfg.pattern)) +
             (cfg.protocol == Protocol::Tcp ? "; senders connect to this machine's address and port"
                                            : "; senders on this machine give the same --address and --port") +
             ")" +
             (recorder ? ", recording to " + recorder->describe() : std::string()));
  ReceiveOutcome outcome = receive_loop(ng, a.out, recorder.get(), "netgear recv " + ng.endpoint());
  ng.close();
  return finish_receive(outcome, a.out, ng.endpoint());
}

}  // namespace

void register_recv(CLI::App& root, Action& action) {
  auto args = std::make_shared<RecvArgs>();
  CLI::App* sub = root.add_subcommand(
      "recv", "receive frames from a sender (the receiver binds --address and --port); show, record, measure");
  add_receive_flags(*sub, args->out, true);
  add_netgear_flags(*sub, args->net, Role::Receiver);
  sub->footer(exit_codes_help() +
              " recv ends with 0 after --frames N frames, at the end of the stream, after --timeout (once frames "
              "came) or on Ctrl-C/SIGTERM.");
  sub->callback([args, &action] { action = [args] { return run_recv(*args); }; });
}

}  // namespace netgear::cli
