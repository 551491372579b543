#!/usr/bin/env bash
# Steady-state allocations per frame of NetGear's sender and receiver (docs/benchmarks.md).
#
#   bench/alloc_check.sh <netgear binary> [N] [WxH]
#   CASES="0 jpeg,2 raw" bench/alloc_check.sh ...     # a subset of "<pattern> <raw|jpeg>"
#
# For each case, runs a receiver and a sender (`<binary> bench-peer ...`, separate processes) under
# heaptrack twice, for N and for 2N frames, and prints (allocations(2N) - allocations(N)) / N for
# each side: start-up and shutdown cancel out, what is left is the cost of one more frame.
# Pattern 2 (PUB/SUB) may drop frames; its receiver is divided by the frames it really got.
# Long Lazy Pirate time-outs: heaptrack can slow a process down by seconds.
set -euo pipefail
BIN=${1:?usage: alloc_check.sh <netgear binary> [N] [WxH]}
N=${2:-300}
SIZE=${3:-640x480}
W=${SIZE%x*}
H=${SIZE#*x}
command -v heaptrack >/dev/null || { echo "heaptrack is not installed" >&2; exit 1; }
TMP=$(mktemp -d /tmp/netgear-alloc.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

allocs() {  # "<calls to allocation functions> <bytes leaked>" of a heaptrack file
  heaptrack_print -f "$1" --print-peaks 0 --print-allocators 0 --print-temporary 0 --print-leaks 0 2>/dev/null |
    awk -F': ' '/^calls to allocation functions/{split($2, a, " "); n = a[1]}
                /^total memory leaked/{l = $2}
                END{print n, (l == "" ? "0B" : l)}'
}

# run_once PATTERN COMPRESSION FRAMES TAG
#   -> prints "<rx allocs> <rx leaked> <tx allocs> <tx leaked> <rx frames>"
run_once() {
  local pattern=$1 comp=$2 frames=$3 tag=$4
  local jpeg=()
  [[ $comp == jpeg ]] && jpeg=(--jpeg)
  local common=(--pattern "$pattern" --transport tcp --width "$W" --height "$H" "${jpeg[@]}"
                --warmup-ms 0 --duration-ms 0 --timeout 120 --request-timeout-ms 20000)
  timeout 150 heaptrack -o "$TMP/rx-$tag" "$BIN" bench-peer --role recv --port 0 "${common[@]}" >"$TMP/rx-$tag.out" 2>&1 &
  local rx=$!
  local port=""
  for _ in $(seq 1 1200); do  # up to 60 s: heaptrack starts slowly
    port=$(awk '/^ready /{print $2; exit}' "$TMP/rx-$tag.out")
    [[ -n $port ]] && break
    sleep 0.05
  done
  [[ -n $port ]] || { echo "receiver did not start" >&2; kill "$rx" 2>/dev/null; return 1; }
  # PUB/SUB drops what the receiver cannot take: let the subscription arrive first (slow joiner)
  # and pace the sender to 200 frames/s so that the receiver, slowed down by heaptrack, gets them.
  local pace=(--start-delay-ms 0 --interval-us 0)
  [[ $pattern == 2 ]] && pace=(--start-delay-ms 2000 --interval-us 5000)
  timeout 150 heaptrack -o "$TMP/tx-$tag" "$BIN" bench-peer --role send --port "$port" --frames "$frames" \
    "${pace[@]}" \
    "${common[@]}" >"$TMP/tx-$tag.out" 2>&1
  wait "$rx"
  local got
  got=$(sed -n 's/^result .*"total_frames":\([0-9]*\).*/\1/p' "$TMP/rx-$tag.out")
  echo "$(allocs "$TMP/rx-$tag.zst") $(allocs "$TMP/tx-$tag.zst") ${got:-0}"
}

printf '%-16s %9s %9s   (N = %d, %s; allocations per frame in steady state; leaked at exit N -> 2N)\n' \
  case receiver sender "$N" "$SIZE"
IFS=',' read -r -a cases <<<"${CASES:-0 raw,0 jpeg,1 raw,1 jpeg,2 raw,2 jpeg}"
for c in "${cases[@]}"; do
  set -- $c
  read -r rx1 rl1 tx1 tl1 f1 < <(run_once "$1" "$2" "$N" "$1-$2-1")
  read -r rx2 rl2 tx2 tl2 f2 < <(run_once "$1" "$2" $((2 * N)) "$1-$2-2")
  df=$((f2 - f1))
  ((df > 0)) || df=1
  rxp=$(awk -v a="$rx1" -v b="$rx2" -v d="$df" 'BEGIN{printf "%.2f", (b - a) / d}')
  txp=$(awk -v a="$tx1" -v b="$tx2" -v n="$N" 'BEGIN{printf "%.2f", (b - a) / n}')
  printf '%-16s %9s %9s   (rx %s->%s allocs over %s->%s frames, leaked %s->%s; tx %s->%s, leaked %s->%s)\n' \
    "pattern $1 $2" "$rxp" "$txp" "$rx1" "$rx2" "$f1" "$f2" "$rl1" "$rl2" "$tx1" "$tx2" "$tl1" "$tl2"
done
