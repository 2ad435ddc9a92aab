#!/bin/sh
# tests/fuzz/run.sh [BINDIR] - runs each libFuzzer binary BINDIR/fuzz_<name>
# (built by `make fuzz`) for FUZZ_SECONDS (or MF_FUZZ_SECONDS; default 60)
# seconds, starting from tests/fuzz/corpus/<name>/. Inputs the fuzzer
# finds interesting go to build/fuzz/corpus/<name>/ while it runs; at the
# end those that reach code the kept corpus does not (libFuzzer's -merge)
# are added to tests/fuzz/corpus/<name>/, to be committed, so the next run
# and `make check`'s replay start from all that was reached. Crash, leak,
# timeout and out-of-memory inputs are copied there too. Exits 1 if any
# fuzzer found a problem.
# SPDX-License-Identifier: MIT

TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
BIN=${1:-build/fuzz/bin}
SECS=${FUZZ_SECONDS:-${MF_FUZZ_SECONDS:-60}}
status=0 ran=0

for bin in "$BIN"/fuzz_*; do
	[ -x "$bin" ] || continue
	name=${bin##*/fuzz_}
	seeds=tests/fuzz/corpus/$name
	work=build/fuzz/corpus/$name
	art=build/fuzz/artifacts/$name
	log=build/fuzz/$name.log
	mkdir -p "$seeds" "$work" "$art"
	echo "fuzz $name: ${SECS}s from $(ls "$seeds" | wc -l) seeds"
	# New interesting inputs go to the first directory (the scratch
	# corpus); the committed seeds are only read.
	"$bin" -max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$art/" \
	    "$work" "$seeds" >"$log" 2>&1
	rc=$?
	ran=$((ran + 1))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	echo "fuzz $name: exit $rc, ${execs:-?} runs, corpus $(ls "$work" | wc -l) (log $log)"
	new=0
	for a in "$art"/crash-* "$art"/leak-* "$art"/timeout-* "$art"/oom-*; do
		[ -f "$a" ] || continue
		b=${a##*/}
		[ -f "$seeds/$b" ] && continue
		cp "$a" "$seeds/$b"
		new=$((new + 1))
		echo "fuzz $name: new $b -> $seeds/$b"
	done
	# Keep what reaches new code; file names are content hashes.
	before=$(ls "$seeds" | wc -l)
	"$bin" -merge=1 -timeout=10 -rss_limit_mb=2048 "$seeds" "$work" \
	    >"$log.merge" 2>&1 ||
	    echo "fuzz $name: merge failed (log $log.merge)"
	echo "fuzz $name: kept corpus $before -> $(ls "$seeds" | wc -l) inputs in $seeds"
	if [ "$rc" != 0 ] || [ "$new" != 0 ]; then
		grep -E 'ERROR|SUMMARY|==[0-9]+==' "$log" | head -n 20
		status=1
	fi
done
if [ "$ran" = 0 ]; then
	echo "fuzz: no fuzz_* binaries in $BIN; run make fuzz" >&2
	exit 1
fi
exit $status
