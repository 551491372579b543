// Stand-alone driver for the bench subcommands (NETGEAR_BUILD_BENCH_DRIVER=ON), for working on
// the benchmarks without the full `netgear` CLI: `netgear_bench_main bench --quick`.
#include "bench.hpp"
#include "netgear/memory.hpp"

int main(int argc, char** argv) {
  (void)netgear::tune_allocator_for_frames();  // as the `netgear` tool does
  CLI::App app{"netgear benchmarks (stand-alone driver)"};
  app.require_subcommand(1);
  netgear::bench::register_bench(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
