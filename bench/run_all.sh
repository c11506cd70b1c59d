#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Every benchmark, one after the other, then the plots and tables of
# docs/benchmarks.md:
#
#   mflow-bench          the VxLAN stages in memory, one core     results/inmem-*
#   mflow-reorder-bench  order restoring, N-worker projection     results/reorder-*
#   gen_bench.py         mflow-gen against mflowd over memif      results/gen-*
#   e2e.py               sockperf and iperf3: native, kernel      results/e2e-*
#                        overlay, mflowd rtc/pinned/microflow
#   coap_iot.py          (with --coap) the CoAP/IoT experiment    results/coap-*
#   report.py            docs/benchmarks.md and docs/img/*.png
#
# Usage: sudo bash bench/run_all.sh [--quick] [--build DIR] [--no-report] [--coap]
#   --quick      every bench in its quick mode (each under 2 minutes); the
#                report then keeps using the newest full results
#   --no-report  leave docs/ alone (CI: report.py --check instead)
# The benches run one at a time: they would skew each other on 2 vCPUs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BUILD=build
QUICK=()
REPORT=1
COAP=0
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=(--quick) ;;
	--build)
		BUILD=$2
		shift
		;;
	--no-report) REPORT=0 ;;
	--coap) COAP=1 ;;
	*)
		echo "usage: $0 [--quick] [--build DIR] [--no-report] [--coap]" >&2
		exit 2
		;;
	esac
	shift
done

PY=/usr/bin/python3
QFLAG=${QUICK[0]:-}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
step() { printf '\n==== %s ====\n' "$*"; }
# Seconds each bench took, for the summary.
declare -a TIMES=()
timed() { # timed NAME CMD...
	local name=$1 t0=$SECONDS
	shift
	step "$name: $*"
	"$@"
	TIMES+=("$(printf '%-8s %4ss' "$name" $((SECONDS - t0)))")
}

ninja -C "$BUILD" mflowd bench/mflow-bench bench/mflow-reorder-bench bench/mflow-gen >/dev/null
bash scripts/hugepages.sh 512 >/dev/null || true

timed inmem "$BUILD/bench/mflow-bench" "${QUICK[@]}" --json "$TMP/inmem.json"
$PY bench/results.py wrap inmem "$TMP/inmem.json" ${QFLAG:+quick}
timed reorder "$BUILD/bench/mflow-reorder-bench" "${QUICK[@]}" --json "$TMP/reorder.json"
$PY bench/results.py wrap reorder "$TMP/reorder.json" ${QFLAG:+quick}
timed gen $PY bench/gen_bench.py --build "$BUILD" "${QUICK[@]}"
timed e2e $PY bench/e2e.py --mflowd "$BUILD/mflowd" "${QUICK[@]}"
if [ "$COAP" -eq 1 ]; then
	timed coap $PY bench/coap_iot.py --build "$BUILD" "${QUICK[@]}"
fi
if [ "$REPORT" -eq 1 ]; then
	timed report $PY bench/report.py
fi
step summary
printf '%s\n' "${TIMES[@]}"
