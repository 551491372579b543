// `netgear`: the command-line tool (docs/cli.md).
//
//   netgear demo                                     # start here
//   netgear recv --address '*' --port 5555           # machine B (binds)
//   netgear send --address <B's IP> --port 5555      # machine A (connects)
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>

#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>

#include "cli_common.hpp"
#include "commands.hpp"
#include "netgear/error.hpp"
#include "netgear/memory.hpp"
#include "netgear/version.hpp"

#if defined(NETGEAR_HAVE_BENCH)
#include "bench.hpp"
#endif

namespace {

int fail(int code, const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "netgear: error: %s\n", netgear::cli::one_line(message).c_str());
  std::fflush(stderr);
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace netgear::cli;
  // Before any thread allocates: received frames' memory is kept for the next ones instead of
  // being faulted in anew for each (include/netgear/memory.hpp; NETGEAR_ALLOCATOR_TUNING=0: off).
  (void)netgear::tune_allocator_for_frames();
  // OpenCV's own warnings (codec probing, ...) would clutter the one-line status.
  cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_ERROR);

  CLI::App app{"netgear: send and receive video frames over ZeroMQ, wire-compatible with Python vidgear 0.3.5 "
               "NetGear. New here? Run `netgear demo`. The receiver binds, the sender connects: give both the "
               "receiver's address and port.",
               "netgear"};
  app.footer(exit_codes_help() + " See `netgear <subcommand> --help` and docs/cli.md.");
  app.require_subcommand(0, 1);
  app.set_version_flag("--version", "netgear " + std::string(netgear::version()));
  Action action;
  try {
    register_send(app, action);
    register_recv(app, action);
    register_demo(app, action);
    register_keys(app, action);
#if defined(NETGEAR_HAVE_BENCH)
    netgear::bench::register_bench(app);
#endif
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help
    if (dynamic_cast<const CLI::RuntimeError*>(&e)) {
      // A subcommand's callback asked for this exit code.
      const std::string what = e.what();
      if (!what.empty() && what != "Runtime error") return fail(e.get_exit_code(), what);
      return e.get_exit_code();
    }
    return fail(kExitUsage, e.what());
  } catch (const UsageError& e) {
    return fail(kExitUsage, e.what());
  } catch (const netgear::OptionError& e) {
    return fail(kExitUsage, e.what());
  } catch (const std::exception& e) {
    return fail(kExitFailure, e.what());
  } catch (...) {
    return fail(kExitFailure, "unexpected error");
  }

  if (!action) {
    if (app.get_subcommands().empty()) {
      std::cout << app.help() << std::flush;
      return kExitUsage;
    }
    return kExitOk;  // a subcommand that ran from its own callback (bench)
  }

  install_signal_handlers();
  try {
    return action();
  } catch (const UsageError& e) {
    return fail(kExitUsage, e.what());
  } catch (const netgear::OptionError& e) {
    // A bad combination of settings, found when the NetGear was created.
    return fail(kExitUsage, e.what());
  } catch (const netgear::Error& e) {
    return fail(kExitFailure, e.what());
  } catch (const cv::Exception& e) {
    return fail(kExitFailure, std::string("OpenCV: ") + e.what());
  } catch (const std::exception& e) {
    return fail(kExitFailure, e.what());
  } catch (...) {
    return fail(kExitFailure, "unexpected error");
  }
}
