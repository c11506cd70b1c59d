#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The README demo: install the packages, reserve hugepages, build mflowd,
# then run it between a Linux VTEP and four container namespaces and tell
# what happens (tests/integration/demo.py). Everything the demo creates is
# removed when it ends. About a minute after the build.
#
# Usage: sudo bash scripts/demo.sh [--pmd af_xdp|af_packet]
# Environment: BUILD_DIR  meson build directory (default build)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD_DIR:-build}

if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: must run as root (try: sudo bash scripts/demo.sh)" >&2
	exit 1
fi

echo "== 1/3 packages"
bash scripts/deps.sh

echo "== 2/3 hugepages"
if [ -f scripts/hugepages.sh ]; then
	# The last line is the EAL memory mode; demo.py picks hugepages when
	# enough are free and falls back to --no-huge -m 512 by itself.
	bash scripts/hugepages.sh 256 | tail -n 1
else
	echo "no scripts/hugepages.sh: mflowd runs with --no-huge -m 512"
fi

echo "== 3/3 build"
if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD"
fi
ninja -C "$BUILD"

echo "== demo"
exec /usr/bin/python3 tests/integration/demo.py --mflowd "$BUILD/mflowd" "$@"
