#!/bin/sh
# tests/bench.sh - `make bench`: the filter benchmark (tests/bench.c) on
# generated rule sets of 100, 1,000 and 5,000 rules and on rules/, the
# memory of a worker holding 5,000 rules (in a process of its own), and,
# when medflagd is built, the service benchmark.
# Every figure is printed with its target and PASS or MISS.
# SPDX-License-Identifier: MIT

B=${MF_BUILD:-build}
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP" || exit 1

echo "== medflag bench ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores," \
    "load $(cut -d' ' -f1-3 /proc/loadavg))"
"$B/bench" -n "${MF_BENCH_POSTS:-20000}" -r rules || exit 1

echo
echo "== worker memory"
out=$("$B/bench" -m 5000) || exit 1
echo "$out"
rss=$(echo "$out" | sed -nE 's/.*RSS ([0-9.]+) MB.*/\1/p')
if [ -n "$rss" ] && awk "BEGIN { exit !($rss < 64) }"; then
	echo "    worker with 5,000 rules: $rss MB, target < 64 MB   PASS"
else
	echo "    worker with 5,000 rules: $rss MB, target < 64 MB   MISS"
fi

# ---- service benchmark (end to end through medflagd) ----------------------
# Runs only when medflagd is built and tools/bench-service.sh exists; that
# script owns its figures and targets.
if [ -x "$B/medflagd" ] && [ -f tools/bench-service.sh ]; then
	echo
	echo "== service (medflagd)"
	MF_BUILD="$B" sh tools/bench-service.sh || exit 1
else
	echo
	echo "== service (medflagd): skipped (needs $B/medflagd and" \
	    "tools/bench-service.sh)"
fi
