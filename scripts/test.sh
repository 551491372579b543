#!/usr/bin/env bash
# Installs the dependencies (Debian 12 packages), builds NetGear with -Wall -Wextra -Werror and
# runs every test. Options:
#   --sanitize   also build and test with AddressSanitizer + UndefinedBehaviorSanitizer
#   --tsan       also build and test with ThreadSanitizer (suppressions: tests/tsan.supp)
#   --bench      also run the quick benchmark (netgear bench --quick --json)
#   --fuzz       also build the libFuzzer targets (clang, installed if missing) and run them side
#                by side for a bounded time on the checked-in corpus (FUZZ_SECONDS each, default
#                45; new inputs go to a temp folder)
#   --package    also build the .deb, install it (apt-get), build and run the consumer projects
#                against it, and build the consumer with NetGear as a shared subproject
#   --all        all four (this is what CI runs: .ci/run)
#   --no-deps    skip the dependency check
# Always: the API reference (Doxygen, warnings are errors), and `cmake --install` into a temporary
# prefix with the consumer project built against it (find_package and pkg-config) and run.
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=0 tsan=0 bench=0 fuzz=0 package=0 deps=1
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=1 ;;
    --tsan) tsan=1 ;;
    --bench) bench=1 ;;
    --fuzz) fuzz=1 ;;
    --package) package=1 ;;
    --all) sanitize=1; tsan=1; bench=1; fuzz=1; package=1 ;;
    --no-deps) deps=0 ;;
    *) echo "usage: scripts/test.sh [--sanitize] [--tsan] [--bench] [--fuzz] [--package] [--all] [--no-deps]" >&2; exit 2 ;;
  esac
done

[ "$deps" = 1 ] && scripts/install-deps.sh
jobs=$(nproc)
# Tests run in parallel: most of their time is spent waiting on sockets, timers and child
# processes, not on the CPU. Every test uses its own ports (0 = any free one) and ipc paths.
# NETGEAR_TEST_JOBS=1 runs them one at a time. Under ThreadSanitizer, which slows every thread
# down 5-15 times, they run two at a time (NETGEAR_TSAN_TEST_JOBS): at four, a first frame now and
# then missed the tests' 1 s request_timeout.
test_jobs=${NETGEAR_TEST_JOBS:-$((2 * jobs))}

step() {  # name, command...: runs it and says how long it took
  local name=$1 t0; shift
  t0=$(date +%s)
  echo "== $name"
  "$@"
  echo "== $name: $(( $(date +%s) - t0 )) s"
}

build_and_test() {  # build-dir, extra cmake args...
  local dir=$1; shift
  echo "== configure $dir $*"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  step "build $dir" cmake --build "$dir" -j "$jobs"
  step "test $dir" ctest --test-dir "$dir" --output-on-failure --timeout 600 -j "$test_jobs"
}

# Every build keeps line tables only (-g1: backtraces and sanitizer reports still name file and
# line), which compiles about 30 % faster than full debug information (-g). The sanitizer builds
# use -O1, as the sanitizers' documentation suggests: a quarter faster to compile again, and
# reports with fewer frames inlined away.
# The tests' own code (not the library, the CLI or the benchmarks) is compiled at -O1, and at -O0
# in the sanitizer builds (NETGEAR_TEST_CXX_FLAGS): GoogleTest-heavy files compile in 0.6-0.7 of
# the time, and nothing they test changes.
# The netgear tool's own code (NETGEAR_TOOL_CXX_FLAGS) is compiled at -O0 in the sanitizer builds:
# each of its files includes CLI11, which takes most of the time to compile instrumented (the
# AddressSanitizer build went from 397 to 329 s on the 2-CPU test machine); the library it calls
# for every frame keeps -O1.
debug_flags=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DNETGEAR_TEST_CXX_FLAGS=-O1)
# The sanitizer builds (and the fuzzing build) precompile the third-party headers that most files
# include (NETGEAR_PRECOMPILE_HEADERS, cmake/NetgearPch.cmake): 10-15 % less compile time. The
# first build keeps them off, so that it checks that every file includes what it uses.
sanitizer_flags=(-DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" -DNETGEAR_TEST_CXX_FLAGS=-O0 -DNETGEAR_TOOL_CXX_FLAGS=-O0
  -DNETGEAR_PRECOMPILE_HEADERS=ON)

start=$(date +%s)
# Configured for /usr so that the .deb (--package) gets Debian's multiarch library folder;
# `cmake --install build --prefix P` installs anywhere.
build_and_test build -DCMAKE_INSTALL_PREFIX=/usr "${debug_flags[@]}"
step "docs (doxygen)" cmake --build build --target docs
step "consumer: install + find_package + pkg-config" scripts/consumer-test.sh install build
if [ "$package" = 1 ]; then
  step "consumer: .deb" scripts/consumer-test.sh deb build
  step "consumer: shared subproject" scripts/consumer-test.sh subproject
fi
if [ "$sanitize" = 1 ]; then
  # Leaks are checked too; ZeroMQ's and OpenCV's own one-time allocations are not reported
  # because they are still reachable at exit.
  export ASAN_OPTIONS=abort_on_error=1:detect_stack_use_after_return=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  build_and_test build-sanitize -DNETGEAR_SANITIZE=address,undefined -DNETGEAR_BUILD_BENCH=OFF -DNETGEAR_BUILD_EXAMPLES=OFF \
    "${sanitizer_flags[@]}"
fi
if [ "$tsan" = 1 ]; then
  # Real threads: the receiving thread, the application's, ZeroMQ's I/O thread handing buffers back
  # to the pool. libzmq itself is not instrumented, so races inside it are suppressed.
  (
    export TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/tests/tsan.supp"
    unset ASAN_OPTIONS UBSAN_OPTIONS
    test_jobs=${NETGEAR_TSAN_TEST_JOBS:-2}
    build_and_test build-tsan -DNETGEAR_SANITIZE=thread -DNETGEAR_BUILD_BENCH=OFF -DNETGEAR_BUILD_EXAMPLES=OFF \
      "${sanitizer_flags[@]}"
  )
fi
if [ "$fuzz" = 1 ]; then
  # Bounded: each target runs FUZZ_SECONDS on the checked-in corpus (read, never written: new
  # inputs go to a temp folder first in the list). A crash stops the script with libFuzzer's
  # crash-* file; make it a corpus file and a unit test.
  (
    unset ASAN_OPTIONS UBSAN_OPTIONS TSAN_OPTIONS
    if ! command -v clang++ >/dev/null; then  # libFuzzer comes with Debian's clang
      sudo_cmd=""
      [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
      $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq --no-install-recommends clang >/dev/null
    fi
    echo "== configure build-fuzz (clang++)"
    cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++ -DNETGEAR_FUZZ=ON -DNETGEAR_BUILD_BENCH=OFF \
      -DNETGEAR_BUILD_EXAMPLES=OFF -DNETGEAR_BUILD_TESTS=OFF -DNETGEAR_BUILD_APPS=OFF -DNETGEAR_PRECOMPILE_HEADERS=ON >/dev/null
    echo "== build build-fuzz"
    cmake --build build-fuzz -j "$jobs" --target fuzz_wire fuzz_reply fuzz_jpeg
    seconds=${FUZZ_SECONDS:-45}
    # The targets run side by side (each fuzzer is one process on one CPU), each into its own log,
    # printed when both are done; a crash in either fails the step.
    scratch=$(mktemp -d)
    pids=()
    for target in fuzz_wire:fuzz/corpus fuzz_reply:fuzz/corpus_reply fuzz_jpeg:fuzz/corpus_jpeg; do
      name=${target%%:*} corpus=${target#*:}
      mkdir "$scratch/$name"
      echo "== $name for $seconds s on $corpus"
      build-fuzz/fuzz/"$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix=build-fuzz/ -print_final_stats=1 "$scratch/$name" "$corpus" \
        > "$scratch/$name.log" 2>&1 &
      pids+=($!)
    done
    failed=0
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    for name in fuzz_wire fuzz_reply fuzz_jpeg; do
      echo "== $name:"
      if [ "$failed" = 0 ]; then  # the summary; all of it when something failed
        grep -E '^(INFO: seed corpus|#[0-9]+[[:space:]]+(INITED|DONE)|Done |stat::)' "$scratch/$name.log" || true
      else
        cat "$scratch/$name.log"
      fi
    done
    rm -rf "$scratch"
    [ "$failed" = 0 ] || { echo "a fuzz target failed (its input is in build-fuzz/)"; exit 1; }
  )
fi
if [ "$bench" = 1 ]; then
  echo "== netgear bench --quick --json"
  timeout 300 build/apps/netgear/netgear bench --quick --json
fi
echo "== all done in $(( $(date +%s) - start )) s"
