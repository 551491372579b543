// `netgear bench`: the benchmark matrix with same-run baselines (docs/benchmarks.md).
#pragma once

#include <CLI/CLI.hpp>

namespace netgear::bench {

/// Adds the `bench` subcommand (and the hidden helper subcommands it starts as child processes)
/// to the `netgear` command-line tool.
void register_bench(CLI::App& root);

}  // namespace netgear::bench
