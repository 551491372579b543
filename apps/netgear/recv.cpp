// `netgear recv`.
#include <chrono>
#include <memory>
#include <thread>

#include "cli_common.hpp"
#include "commands.hpp"
#include "output.hpp"
#include "receive.hpp"
#include "servers.hpp"

namespace netgear::cli {

namespace {

struct RecvArgs {
  NetgearFlags net;
  ReceiveFlags out;
  ReplyFlags reply;
};

int run_recv(RecvArgs& a) {
  Config cfg = build_config(a.net, true);
  const json reply = apply_reply_flags(a.reply, cfg);
  auto recorder = make_recorder(a.out);
  auto rx = open_replying_receiver(a.reply, cfg, reply);
  NetGear& ng = *rx;
  std::string replies;
  if (a.reply.any()) {
    replies = std::string(", replying with ") +
              (a.reply.reply_frame ? "a thumbnail of each frame" : "") +
              (a.reply.reply_frame && !reply.is_null() ? " (else " : "") +
              (!reply.is_null() ? reply.dump() : std::string()) +
              (a.reply.reply_frame && !reply.is_null() ? ")" : "");
  }
  std::string where = ng.endpoint();
  if (cfg.options.topology == Topology::MultiServer) {
    where.clear();
    for (const auto& e : ng.endpoints()) where += (where.empty() ? "" : ", ") + e;
    where += " (multi-server mode: one server per port)";
  }
  print_line("netgear recv: listening on " + where + " (pattern " + std::string(to_string(cfg.pattern)) +
             (cfg.protocol == Protocol::Tcp ? "; senders connect to this machine's address and port"
                                            : "; senders on this machine give the same --address and --port") +
             ")" +
             (recorder ? ", recording to " + (cfg.options.topology == Topology::MultiServer
                                                   ? per_server_describe(a.out.record)
                                                   : recorder->describe())
                       : std::string()) +
             replies);
  ReceiveOutcome outcome = receive_loop(ng, a.out, recorder.get(), "netgear recv " + ng.endpoint(), {},
                                        make_reply_hook(a.reply, ng));
  ng.close();
  return finish_receive(outcome, a.out, ng.endpoint());
}

}  // namespace

void register_recv(CLI::App& root, Action& action) {
  auto args = std::make_shared<RecvArgs>();
  CLI::App* sub = root.add_subcommand(
      "recv", "receive frames from a sender (the receiver binds --address and --port); show, record, measure");
  add_receive_flags(*sub, args->out, true);
  add_reply_flags(*sub, args->reply);
  add_netgear_flags(*sub, args->net, Role::Receiver);
  sub->footer(exit_codes_help() +
              " recv ends with 0 after --frames N frames, at the end of the stream, after --timeout (once frames "
              "came) or on Ctrl-C/SIGTERM.");
  sub->callback([args, &action] { action = [args] { return run_recv(*args); }; });
}

}  // namespace netgear::cli
