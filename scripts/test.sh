#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Run every check of the project, in order:
#
#   deps         scripts/deps.sh installs the Debian packages
#   format       clang-format --dry-run --Werror on every C file in git
#   spdx         every source and script file starts with an SPDX line
#   build        meson setup build-ci -Dwerror=true && ninja
#   unit         meson test --suite unit
#   asan         the unit suite again, built with ASan+UBSan (build-asan)
#   pcap+integ   meson test --suite pcap --suite integration (when registered)
#   fuzz         each libFuzzer target for FUZZ_SECONDS (build-fuzz, clang)
#   bench        bench/run_all.sh --quick: every bench's quick mode, and
#                bench/report.py --check (when the benches are built)
#
# Usage: sudo bash scripts/test.sh
# Environment:
#   FUZZ_SECONDS   seconds per fuzz target (default 60; 0 skips fuzzing)
#   TEST_BUDGET_S  wall-clock budget of the whole run (default 3000 s); each
#                  stage is cut off when the budget runs out
#
# Prints a summary and finishes with "N passed, N failed" counting stages.
# Stages that do not apply yet (no bench binary, no pcap/integration tests)
# are listed as SKIP and counted in neither; stages that cannot run because
# an earlier one failed count as failed. Exits non-zero if any stage failed.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
TEST_BUDGET_S=${TEST_BUDGET_S:-3000}
START_S=$SECONDS

# LeakSanitizer works with DPDK 22.11's EAL in --no-huge mode (it maps its
# memory with mmap, which LSan does not track, and leaves no heap behind), so
# leaks are reported. UBSan findings abort the test that hits them.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

declare -a SUMMARY=()
PASSED=0
FAILED=0
# Outcome of the last stage: pass, fail or skip.
LAST=""
BUILD_OK=0

banner() {
	printf '\n==== %s ====\n' "$*"
}

# Seconds left in the budget, at most $1.
budget() {
	local left=$((TEST_BUDGET_S - (SECONDS - START_S)))
	[ "$left" -lt 0 ] && left=0
	[ "$left" -gt "$1" ] && left=$1
	echo "$left"
}

record() { # record NAME pass|fail|skip SECONDS [NOTE]
	local name=$1 result=$2 secs=$3 note=${4:-}
	LAST=$result
	case "$result" in
	pass)
		PASSED=$((PASSED + 1))
		SUMMARY+=("$(printf '%-12s PASS %5ss %s' "$name" "$secs" "$note")")
		;;
	fail)
		FAILED=$((FAILED + 1))
		SUMMARY+=("$(printf '%-12s FAIL %5ss %s' "$name" "$secs" "$note")")
		;;
	*)
		SUMMARY+=("$(printf '%-12s SKIP %5ss %s' "$name" "$secs" "$note")")
		;;
	esac
	printf -- '---- %s: %s (%ss) %s\n' "$name" "${result^^}" "$secs" "$note"
}

# run_stage NAME MAX_SECONDS FUNCTION: run FUNCTION in a subshell under a
# time limit. The function returns 0 (pass), 77 (skip, reason on the last
# line of $STAGE_NOTE) or anything else (fail).
STAGE_PID=
if [ -z "${STAGE_NOTE:-}" ]; then
	STAGE_NOTE=$(mktemp)
	export STAGE_NOTE
	trap 'rm -f "$STAGE_NOTE"' EXIT
	trap 'echo "test.sh: interrupted"; [ -n "$STAGE_PID" ] && kill -TERM "$STAGE_PID" 2>/dev/null; exit 130' INT TERM
fi

run_stage() {
	local name=$1 cap=$2 fn=$3 limit t0 rc note
	banner "$name"
	limit=$(budget "$cap")
	: >"$STAGE_NOTE"
	if [ "$limit" -le 0 ]; then
		record "$name" fail 0 "(test budget of ${TEST_BUDGET_S}s used up)"
		return
	fi
	t0=$SECONDS
	# A new bash runs the stage so that timeout can stop it and its children
	# (timeout signals its whole process group); Ctrl-C is passed on to it.
	timeout -s TERM -k 30 "$limit" bash "$ROOT/scripts/test.sh" --stage "$fn" &
	STAGE_PID=$!
	wait "$STAGE_PID"
	rc=$?
	STAGE_PID=
	note=$(tail -n 1 "$STAGE_NOTE")
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		record "$name" fail $((SECONDS - t0)) "(timed out after ${limit}s)"
	elif [ "$rc" -eq 0 ]; then
		record "$name" pass $((SECONDS - t0)) "$note"
	elif [ "$rc" -eq 77 ]; then
		record "$name" skip $((SECONDS - t0)) "$note"
	else
		record "$name" fail $((SECONDS - t0)) "$note"
	fi
}

# Leave a note for the summary line of the current stage.
note() {
	echo "$*" >>"$STAGE_NOTE"
}

# Files under version control matching the git pathspecs given (plus files
# not yet added, so that a local run checks new work too). Outside a git
# checkout, find is used.
repo_files() {
	if git -c safe.directory="$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -c safe.directory="$ROOT" ls-files --cached --others --exclude-standard -- "$@" |
			sort -u | while read -r f; do [ -f "$f" ] && echo "$f"; done
	else
		local args=() p
		for p in "$@"; do
			args+=(-o -path "./$p" -o -name "$p")
		done
		find . \( -path './build*' -o -path './.git' \) -prune -o -type f \
			\( -false "${args[@]}" \) -print | sed 's|^\./||' | sort
	fi
}

# Configure a meson build directory, reconfiguring or wiping an old one.
meson_setup() { # meson_setup DIR ARGS...
	local dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@" || meson setup --wipe "$dir" "$@"
	else
		rm -rf "$dir"
		meson setup "$dir" "$@"
	fi
}

# Test names registered in build-ci for a suite.
suite_tests() {
	meson test -C build-ci --no-rebuild --list 2>/dev/null | grep -E "^[^ ]*:$1 / " || true
}

# ---------------------------------------------------------------------------
# Stages.

stage_deps() {
	bash scripts/deps.sh
}

stage_format() {
	local f bad=() n=0
	if ! command -v clang-format >/dev/null; then
		note "(clang-format not installed)"
		return 1
	fi
	while read -r f; do
		n=$((n + 1))
		if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
			bad+=("$f")
		fi
	done < <(repo_files '*.c' '*.h')
	if [ "${#bad[@]}" -ne 0 ]; then
		echo "Not clang-formatted (fix with: clang-format -i FILE):"
		printf '  %s\n' "${bad[@]}"
		# Show the first offending lines of the first file.
		clang-format --dry-run "${bad[0]}" 2>&1 | head -n 20
		note "(${#bad[@]} of $n files)"
		return 1
	fi
	note "($n files)"
}

stage_spdx() {
	local f first second bad=() n=0
	while read -r f; do
		n=$((n + 1))
		first=$(sed -n 1p "$f")
		second=$(sed -n 2p "$f")
		if [[ "$first" == *"SPDX-License-Identifier: "* ]]; then
			continue
		fi
		if [[ "$first" == '#!'* && "$second" == *"SPDX-License-Identifier: "* ]]; then
			continue
		fi
		bad+=("$f")
	done < <(repo_files '*.c' '*.h' '*.sh' '*.py' '*.def' '*meson.build' \
		'meson_options.txt' '.ci/run')
	if [ "${#bad[@]}" -ne 0 ]; then
		echo "Missing an SPDX-License-Identifier line at the top:"
		printf '  %s\n' "${bad[@]}"
		note "(${#bad[@]} of $n files)"
		return 1
	fi
	note "($n files)"
}

stage_build() {
	meson_setup build-ci -Dwerror=true -Dtests=enabled && ninja -C build-ci
}

stage_unit() {
	meson test -C build-ci --suite unit --print-errorlogs
}

stage_asan() {
	local cc=${ASAN_CC:-cc}
	echo "ASAN_OPTIONS=$ASAN_OPTIONS"
	echo "UBSAN_OPTIONS=$UBSAN_OPTIONS"
	CC=$cc meson_setup build-asan -Db_sanitize=address,undefined -Db_lundef=false \
		-Dtests=enabled -Dbuildtype=debug &&
		ninja -C build-asan &&
		meson test -C build-asan --suite unit --print-errorlogs
}

stage_system() {
	local suites=() s
	for s in pcap integration; do
		if [ -n "$(suite_tests "$s")" ]; then
			suites+=(--suite "$s")
		else
			echo "suite $s: no tests registered"
		fi
	done
	if [ "${#suites[@]}" -eq 0 ]; then
		note "(no pcap or integration tests registered yet)"
		return 77
	fi
	# Hugepages for the --in-memory runs; the af_packet overlay test forces
	# --no-huge, so both memory modes are exercised on every machine.
	bash scripts/hugepages.sh 256 >/dev/null || true
	# A test that would skip (exit 77) fails instead: a skip is no pass here.
	MFLOWD_TEST_STRICT=1 meson test -C build-ci "${suites[@]}" --print-errorlogs
}

stage_fuzz() {
	local name file base seeds dict log art work rc failed=0 ran=0
	if [ "$FUZZ_SECONDS" -le 0 ]; then
		note "(FUZZ_SECONDS=0)"
		return 77
	fi
	if ! command -v clang >/dev/null; then
		note "(clang not installed)"
		return 1
	fi
	CC=clang meson_setup build-fuzz -Dfuzz=true || return 1
	# Every executable named fuzz_* is a libFuzzer target.
	while read -r name file; do
		[ -n "$name" ] || continue
		ninja -C build-fuzz "${file#"$ROOT/build-fuzz/"}" || {
			failed=$((failed + 1))
			continue
		}
		base=${name#fuzz_}
		# fuzz_underlay uses tests/fuzz/corpus; any later target tests/fuzz/corpus_<name>.
		seeds=tests/fuzz/corpus_$base
		[ "$base" = underlay ] && seeds=tests/fuzz/corpus
		dict=tests/fuzz/$base.dict
		work=build-fuzz/corpus-$base
		art=build-fuzz/artifacts-$base/
		log=build-fuzz/$name.log
		mkdir -p "$work" "$art"
		set -- -max_total_time="$FUZZ_SECONDS" -timeout=25 -rss_limit_mb=4096 \
			-print_final_stats=1 -artifact_prefix="$art"
		[ -f "$dict" ] && set -- "$@" -dict="$dict"
		set -- "$@" "$work"
		[ -d "$seeds" ] && set -- "$@" "$seeds"
		echo "$file $*"
		touch "$art.start"
		"$file" "$@" >"$log" 2>&1
		rc=$?
		ran=$((ran + 1))
		if [ "$rc" -ne 0 ]; then
			failed=$((failed + 1))
			echo "$name: FAILED (exit $rc); log $log; reproducer(s):"
			find "$art" -type f -newer "$art.start" -printf '  %p\n'
			# The report starts at the first sanitizer or harness message.
			awk '/runtime error|ERROR: |^fuzz_[a-z0-9_]+: / { p = 1 }
				p && n < 80 { print; n++ }' "$log"
		else
			grep -E '^#[0-9]+.*(DONE|pulse)' "$log" | tail -n 1
			grep -E '^(stat::|Done )' "$log"
		fi
	done < <(meson introspect build-fuzz --targets |
		jq -r '.[] | select(.type == "executable" and (.name | startswith("fuzz_")))
			| "\(.name) \(.filename[0])"')
	if [ "$ran" -eq 0 ] && [ "$failed" -eq 0 ]; then
		note "(no fuzz targets)"
		return 77
	fi
	note "($ran target(s), ${FUZZ_SECONDS}s each, $failed failed)"
	[ "$failed" -eq 0 ]
}

stage_bench() {
	local b
	for b in build-ci/bench/mflow-bench build-ci/bench/mflow-reorder-bench \
		build-ci/bench/mflow-gen; do
		if [ ! -x "$b" ]; then
			note "($b not built)"
			return 77
		fi
	done
	# Smoke only: every bench's quick mode once (bench/run_all.sh --quick), and
	# the report rendered into a scratch copy. A bench fails on wrong output
	# (drops, reordering, a run that did not complete), never on timing.
	bash bench/run_all.sh --quick --build build-ci --no-report &&
		/usr/bin/python3 bench/report.py --check
}

# ---------------------------------------------------------------------------

# Internal: run_stage calls this script again as "test.sh --stage FUNCTION".
if [ "${1:-}" = "--stage" ]; then
	case "${2:-}" in
	stage_*) "$2" ;;
	*)
		echo "test.sh: unknown stage '${2:-}'" >&2
		exit 2
		;;
	esac
	exit $?
fi

echo "mflowd test run: $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(nproc) cores, budget ${TEST_BUDGET_S}s"
if [ "$(id -u)" -ne 0 ]; then
	echo "warning: not root; deps and the integration tests need root (sudo bash scripts/test.sh)"
fi

run_stage deps 900 stage_deps
run_stage format 300 stage_format
run_stage spdx 60 stage_spdx
run_stage build 900 stage_build
[ "$LAST" = pass ] && BUILD_OK=1

if [ "$BUILD_OK" -eq 1 ]; then
	run_stage unit 900 stage_unit
else
	record unit fail 0 "(not run: build failed)"
fi
run_stage asan 1200 stage_asan
if [ "$BUILD_OK" -eq 1 ]; then
	run_stage pcap+integ 1200 stage_system
else
	record pcap+integ fail 0 "(not run: build failed)"
fi
run_stage fuzz $((FUZZ_SECONDS * 8 + 600)) stage_fuzz
if [ "$BUILD_OK" -eq 1 ]; then
	run_stage bench 900 stage_bench
else
	record bench skip 0 "(not run: build failed)"
fi

banner "summary"
printf '%s\n' "${SUMMARY[@]}"
echo "total $((SECONDS - START_S))s"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
