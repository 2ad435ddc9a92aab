#!/bin/sh
# tests/bench-service.sh - end-to-end service bench (tests/bench.sh runs it
# when present): a private redis-server, medflagd with 2 workers, and the
# C load generator build/bench_service (tests/bench_service.c) on the same
# machine, all in a temporary directory with ipc:// endpoints.
#   (a) max throughput: a DEALER pipelining posts on check (window 2000)
#       for MF_BENCH_SECONDS (5) s; then the same through ingest -> PUB
#   (b) check latency paced at 20,000 posts/s and at half the max
#   (c) the floor: the same paced client against an echo server, and
#       through a relay in front of it, with no medflag code
# Each figure is printed with its target and PASS or MISS, with
# the CPU seconds taken by the client, medflagd, the workers and Redis.
# Usage: tests/bench-service.sh      MF_BENCH_RULES=DIR uses other rules
# SPDX-License-Identifier: MIT
B=${MF_BUILD:-build}
cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
SECS=${MF_BENCH_SECONDS:-5}
C="$B/bench_service"
[ -x "$C" ] || { echo "bench-service: $C missing (make $C)"; exit 1; }
. tests/service-env.sh
mf_env_start bench "${MF_BENCH_RULES:-$TOP/rules}" "max_queue 100000
log_level warn"
mf_env_medflagd

# CPU seconds (user + system) of a list of pids, from /proc.
cpu_of() {
	t=0
	for p in "$@"; do
		[ -r "/proc/$p/stat" ] || continue
		v=$(sed 's/.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')
		t=$((t + v))
	done
	echo "$t"
}
TICK=$(getconf CLK_TCK)
NCPU=$(nproc)
WPIDS=
# Ticks the whole machine spent busy (user, nice, system, irq, softirq).
busy() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
snap() { echo "$(cpu_of "$MPID") $(cpu_of $WPIDS) $(cpu_of "$RPID") $(busy)"; }
field() { echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
verdict() { awk "BEGIN { exit !($1) }" && echo PASS || echo MISS; }
FAIL=0

# run NAME ARGS...: one client run; prints its line and the CPU split.
run() {
	name=$1; shift
	before=$(snap)
	out=$("$C" "$@") || FAIL=1
	after=$(snap)
	echo "$out" >"$D/$name.out"
	set -- $before $after
	cb=$(field "$out" client_cpu_s)
	el=$(field "$out" seconds)
	awk -v m=$(($5 - $1)) -v w=$(($6 - $2)) -v r=$(($7 - $3)) \
	    -v b=$(($8 - $4)) -v c="$cb" -v t="$TICK" -v el="$el" \
	    -v n="$NCPU" 'BEGIN {
		printf "    cpu over %.1f s: client %.2f s, medflagd %.2f s, " \
		    "workers %.2f s, redis %.2f s (of %.1f core-s); " \
		    "machine %.0f%% busy\n", el, c, m / t, w / t, r / t,
		    el * n, 100 * b / (t * el * n) }'
}

echo "service: medflagd, 2 workers, redis, client on $(nproc) cores;" \
    "rules ${MF_BENCH_RULES:-rules/}; ipc:// endpoints;" \
    "load $(cut -d' ' -f1-3 /proc/loadavg)"
# Wait for both workers, and warm up (page cache, JIT, allocator).
"$C" -e "ipc://$D/check" -C "ipc://$D/control" -W 2 -t 1 >/dev/null || {
	echo "bench-service: medflagd not healthy"; sed -n 1,20p "$D/medflagd.log"
	exit 1; }
WPIDS=$(pgrep -P "$MPID" | tr '\n' ' ')

run max -e "ipc://$D/check" -t "$SECS" -w 2000
MAX=$(field "$(cat "$D/max.out")" posts_s)
printf "  check, full speed (window 2000, %s s):  %6d posts/s   target >= 40000  %s\n" \
    "$SECS" "$MAX" "$(verdict "$MAX >= 40000")"
sed 's/^/    /' "$D/max.out"
run ingest -m ingest -e "ipc://$D/ingest" -v "ipc://$D/verdicts" -t "$SECS" -w 2000
ING=$(field "$(cat "$D/ingest.out")" posts_s)
printf "  ingest -> verdicts PUB, full speed:      %6d posts/s\n" "$ING"
sed 's/^/    /' "$D/ingest.out"

lat() {
	rate=$1
	run "lat$rate" -e "ipc://$D/check" -t "$SECS" -r "$rate"
	o=$(cat "$D/lat$rate.out")
	p50=$(field "$o" p50_us); p99=$(field "$o" p99_us)
	printf "  check latency at %5d posts/s:  p50 %5.2f ms  p90 %5.2f ms  p99 %6.2f ms  max %6.2f ms\n" \
	    "$rate" "$(awk "BEGIN{print $p50/1000}")" \
	    "$(awk "BEGIN{print $(field "$o" p90_us)/1000}")" \
	    "$(awk "BEGIN{print $p99/1000}")" \
	    "$(awk "BEGIN{print $(field "$o" max_us)/1000}")"
	printf "    of which inside medflagd (arrival to verdict):  p50 %5.2f ms  p99 %6.2f ms\n" \
	    "$(awk "BEGIN{print $(field "$o" svc_p50_us)/1000}")" \
	    "$(awk "BEGIN{print $(field "$o" svc_p99_us)/1000}")"
	echo "$o" | sed 's/^/    /'
}
lat 20000
P99=$(field "$(cat "$D/lat20000.out")" p99_us)
printf "  p99 at 20000 posts/s: %.2f ms   target < 2 ms  %s\n" \
    "$(awk "BEGIN{print $P99/1000}")" "$(verdict "$P99 < 2000")"
HALF=$(awk "BEGIN { printf \"%d\", $MAX / 2 }")
[ "$HALF" -gt 0 ] && lat "$HALF"

kill -TERM "$MPID" 2>/dev/null; wait "$MPID"; MPID=

# The floor under those figures: the same paced client against an echo
# server (one ZeroMQ round trip between two processes, no medflag code),
# then through a relay in front of it (two round trips, the shape of a
# check: client -> medflagd -> worker and back).
floor() {
	b0=$(busy); s0=$(cpu_of "$EPID" "$XPID")
	o=$("$C" -e "$2" -t "$SECS" -r 20000)
	b1=$(busy); s1=$(cpu_of "$EPID" "$XPID")
	printf "  floor, %-32s p50 %5.2f ms  p99 %6.2f ms\n" \
	    "$1 at 20000/s:" "$(awk "BEGIN{print $(field "$o" p50_us)/1000}")" \
	    "$(awk "BEGIN{print $(field "$o" p99_us)/1000}")"
	awk -v c="$(field "$o" client_cpu_s)" -v s=$((s1 - s0)) \
	    -v b=$((b1 - b0)) -v t="$TICK" -v el="$(field "$o" seconds)" \
	    -v n="$NCPU" 'BEGIN {
		printf "    cpu over %.1f s: client %.2f s, echo and relay " \
		    "%.2f s; machine %.0f%% busy\n", el, c, s / t,
		    100 * b / (t * el * n) }'
}
"$C" -m echo -e "ipc://$D/echo" &
EPID=$!
"$C" -m relay -e "ipc://$D/relay" -b "ipc://$D/echo" &
XPID=$!
sleep 0.3
floor "echo server" "ipc://$D/echo"
floor "relay + echo server" "ipc://$D/relay"
kill -TERM "$EPID" "$XPID" 2>/dev/null; wait "$EPID" "$XPID"
exit $FAIL
