#!/usr/bin/env bash
# Takes docs/images/multi_server_mosaic.png, the screenshot of `netgear recv --multiserver-mode` in
# docs/cli.md: a real OpenCV window on a virtual X display (Xvfb), four `netgear send` servers
# streaming the test pattern at different sizes and rates, the fourth one stopped (its tile ended).
#
#   scripts/screenshot-mosaic.sh [path/to/netgear] [out.png]
#
# Needs: xvfb, x11-apps (xwd), netpbm (xwdtopnm, pnmcrop, pnmquant, pnmtopng).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/apps/netgear/netgear}
OUT=${2:-docs/images/multi_server_mosaic.png}
for tool in Xvfb xwd xwdtopnm pnmcrop pnmquant pnmtopng; do
  command -v "$tool" >/dev/null || { echo "screenshot-mosaic: $tool missing (apt-get install xvfb x11-apps netpbm)" >&2; exit 1; }
done
[ -x "$BIN" ] || { echo "screenshot-mosaic: $BIN not built" >&2; exit 1; }

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# A display number nobody uses.
N=77
while [ -e "/tmp/.X11-unix/X$N" ] || [ -e "/tmp/.X$N-lock" ]; do N=$((N + 1)); done
Xvfb ":$N" -screen 0 1280x1024x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
PIDS+=($!)
export DISPLAY=":$N"
for _ in $(seq 100); do [ -e "/tmp/.X11-unix/X$N" ] && break; sleep 0.1; done

# Waits (at most $3 s) until file $1 contains $2.
wait_for() {
  for _ in $(seq $(( $3 * 10 ))); do grep -q -- "$2" "$1" && return 0; sleep 0.1; done
  echo "screenshot-mosaic: no '$2' in $1:" >&2; cat "$1" >&2; exit 1
}

PORTS=(5566 5567 5568 5569)
SIZES=(640x480 320x240 480x480 640x360)
RATES=(30 20 15 25)
"$BIN" recv --pattern 1 --multiserver-mode --address 127.0.0.1 --port "$(IFS=,; echo "${PORTS[*]}")" --show \
  >"$WORK/recv.log" 2>&1 &
PIDS+=($!)
wait_for "$WORK/recv.log" "listening on" 20
SENDERS=()
for i in 0 1 2 3; do
  "$BIN" send --pattern 1 --multiserver-mode --address 127.0.0.1 --port "${PORTS[$i]}" \
    --width "${SIZES[$i]%x*}" --height "${SIZES[$i]#*x}" --fps "${RATES[$i]}" >"$WORK/send$i.log" 2>&1 &
  PIDS+=($!)
  SENDERS+=($!)
  wait_for "$WORK/recv.log" "servers $((i + 1))" 30   # one after the other: the tiles in port order
done
kill -TERM "${SENDERS[3]}"          # the fourth server terminates: its tile is marked ended
wait_for "$WORK/recv.log" "(1 ended)" 20
sleep 2                             # the rates on the labels cover the last second

# The receiver's window (OpenCV highgui; with its Qt backend, toolbar and status bar included).
xwd -name "netgear recv tcp://127.0.0.1:${PORTS[0]}" -silent -display "$DISPLAY" | xwdtopnm 2>/dev/null \
  | pnmquant 256 2>/dev/null | pnmtopng -compression 9 >"$OUT"
echo "screenshot-mosaic: wrote $OUT ($(stat -c %s "$OUT") bytes)"
