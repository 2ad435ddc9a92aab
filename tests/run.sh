#!/bin/sh
# tests/run.sh [unit|rules|integ|fuzz|docs ...] - runs the test suites and ends
# with one line "N passed, N failed" over all of them. Under CI=true a
# skipped test counts as a failure.
# SPDX-License-Identifier: MIT

B=${MF_BUILD:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
export MF_TOP="$TOP" MF_BUILD="$B"
# The Python tests import tests/mfdeploy.py: no __pycache__ in the tree.
export PYTHONDONTWRITEBYTECODE=1
cd "$TOP" || exit 1
passed=0 failed=0 skipped=0
sections=${*:-unit rules integ fuzz docs}
log=$(mktemp -d "${TMPDIR:-/tmp}/mfcheck.XXXXXX")
trap 'rm -rf "$log"' EXIT INT TERM
# Every test's temporary files under this run's folder, removed with it:
# also what a medflagd that a test kills on purpose cannot remove itself
# (its lock file, the private folder of its local workers' socket).
mkdir "$log/tmp" && export TMPDIR="$log/tmp"

# count NAME STATUS: one test result from an exit status (0/77/other).
count() {
	case $2 in
	0)	passed=$((passed + 1)); echo "ok   $1" ;;
	77)	if [ "${CI:-}" = true ]; then
			failed=$((failed + 1)); echo "FAIL $1 (skipped under CI)"
		else
			skipped=$((skipped + 1)); echo "skip $1"
		fi ;;
	*)	failed=$((failed + 1)); echo "FAIL $1 (exit $2)" ;;
	esac
}

# suite NAME CMD...: a harness binary whose last line is "N passed, N failed".
suite() {
	name=$1; shift
	"$@" >"$log/out" 2>&1; rc=$?
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log/out" | tail -n 1)
	if [ -z "$line" ]; then
		cat "$log/out"; count "$name" "$rc"; return
	fi
	p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
	s=$(echo "$line" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + ${s:-0}))
	if [ "$f" != 0 ] || [ "$rc" != 0 ]; then
		cat "$log/out"
		[ "$f" = 0 ] && failed=$((failed + 1))
	fi
	echo "$name: $line"
}

# single NAME CMD...: one test, judged by exit status; output shown on failure.
single() {
	name=$1; shift
	"$@" >"$log/out" 2>&1; rc=$?
	[ "$rc" != 0 ] && cat "$log/out"
	count "$name" "$rc"
}

for s in $sections; do
	case $s in
	unit)
		suite unit "$B/tests/unit" ;;
	rules)
		single "rules check rules/" "$B/medflag" rules check rules
		for t in tests/rules/*.sh; do
			[ -f "$t" ] && single "rules $(basename "$t")" sh "$t"
		done ;;
	integ)
		for t in "$B"/tests/integ/*; do
			[ -x "$t" ] && suite "integ $(basename "$t")" "$t"
		done
		for t in tests/integ/*.py; do
			[ -f "$t" ] && single "integ $(basename "$t")" /usr/bin/python3 "$t"
		done
		for t in tests/integ/*.sh; do
			[ -f "$t" ] && single "integ $(basename "$t")" sh "$t"
		done ;;
	fuzz)
		for r in "$B"/tests/replay_*; do
			[ -x "$r" ] || continue
			n=${r##*/replay_}
			single "fuzz replay $n" "$r" "tests/fuzz/corpus/$n"
		done ;;
	docs)
		single "docs internals.sh" sh tests/internals.sh ;;
	esac
done
if [ "$skipped" != 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ]
