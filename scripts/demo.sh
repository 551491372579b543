#!/usr/bin/env bash
# The main job: installs the dependencies (Debian 12 packages), builds NetGear, and streams the
# built-in test pattern through NetGear over loopback with live statistics (`netgear demo`).
# Extra arguments go to `netgear demo`, e.g. scripts/demo.sh --seconds 10 --width 1280 --height 720
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" --target netgear_cli
exec build/apps/netgear/netgear demo "$@"
