#!/bin/sh
# tools/bench-service.sh - end-to-end service bench (tests/bench.sh runs it
# when present): a private redis-server, medflagd with 2 workers, and a
# pipelining DEALER client on the same machine. Measures posts/s through
# the check endpoint, then the latency (client round trip and medflagd's
# latency_us) at half that load. Targets (issue 6): 40,000 posts/s and
# p99 < 2 ms at 20,000 posts/s.
# Usage: tools/bench-service.sh [POSTS]   (default 50000)
# SPDX-License-Identifier: MIT
B=${MF_BUILD:-build}
cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
N=${1:-50000}
D=$(mktemp -d "${TMPDIR:-/tmp}/mfbench.XXXXXX") || exit 1
RPID= MPID=
cleanup() {
	[ -n "$MPID" ] && kill "$MPID" 2>/dev/null && wait "$MPID" 2>/dev/null
	[ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
redis-server --port 0 --unixsocket "$D/redis.sock" --save '' \
    --appendonly no --dir "$D" >"$D/redis.log" 2>&1 &
RPID=$!
cat >"$D/medflag.conf" <<CONF
ingest   ipc://$D/ingest
check    ipc://$D/check
verdicts ipc://$D/verdicts
control  ipc://$D/control
backend  ipc://$D/backend
rules    ${MF_BENCH_RULES:-$TOP/rules}
redis    unix://$D/redis.sock
workers  2
max_queue 100000
log_level warn
CONF
i=0
while [ ! -S "$D/redis.sock" ]; do
	i=$((i + 1)); [ $i -gt 200 ] && { echo "bench-service: no redis"; exit 1; }
	sleep 0.02
done
"$B/medflagd" -c "$D/medflag.conf" 2>"$D/medflagd.log" &
MPID=$!
/usr/bin/python3 - "$D" "$N" "$TOP/tools/demo-posts.jsonl" <<'PY'
import json, sys, time
import msgpack, zmq
d, n, posts_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
bodies = [json.loads(l)["body"] for l in open(posts_file) if l.strip()]
ctx = zmq.Context()
ctl = ctx.socket(zmq.DEALER); ctl.connect("ipc://%s/control" % d)
deadline = time.time() + 10
while True:
    ctl.send(b"health")
    if ctl.poll(500) and msgpack.unpackb(ctl.recv()).get("workers_alive", 0) >= 2:
        break
    if time.time() > deadline:
        sys.exit("bench-service: medflagd not healthy")
s = ctx.socket(zmq.DEALER); s.setsockopt(zmq.SNDHWM, 0); s.setsockopt(zmq.RCVHWM, 0)
s.connect("ipc://%s/check" % d)
msgs = [msgpack.packb({"v": 1, "post_id": "b-%d" % i, "body": bodies[i % len(bodies)]})
        for i in range(n)]

def drain(block_ms, sent_at, lat, blat):
    got = 0
    if not s.poll(block_ms):
        return 0
    while True:
        try:
            fr = s.recv_multipart(zmq.NOBLOCK)
        except zmq.Again:
            return got
        v = msgpack.unpackb(fr[-1])
        i = int(v["post_id"][2:])
        if sent_at is not None:
            lat.append(time.perf_counter() - sent_at[i])
            blat.append(v.get("latency_us", 0))
        got += 1

# Throughput: a window of 4000 outstanding posts.
t0 = time.perf_counter(); sent = got = 0
while got < n:
    while sent < n and sent - got < 4000:
        s.send_multipart([b"", msgs[sent]]); sent += 1
    got += drain(100, None, None, None)
el = time.perf_counter() - t0
rate = n / el
print("service throughput: %d posts in %.2f s = %.0f posts/s (2 workers, check endpoint, DEALER window 4000)" % (n, el, rate))

# Latency at half that load, paced.
target = rate / 2
m = min(n, int(target * 3))
sent_at = [0.0] * m
lat, blat = [], []
t0 = time.perf_counter(); sent = got = 0
while got < m:
    now = time.perf_counter()
    due = min(m, int((now - t0) * target) + 1)
    while sent < due:
        sent_at[sent] = time.perf_counter()
        s.send_multipart([b"", msgs[sent]]); sent += 1
    got += drain(0 if sent < m else 50, sent_at, lat, blat)
el = time.perf_counter() - t0
lat.sort(); blat.sort()
pct = lambda a, p: a[min(len(a) - 1, int(len(a) * p))]
print("latency at %.0f posts/s offered (%.0f achieved, %d posts): client p50 %.2f ms, p99 %.2f ms; medflagd latency_us p50 %d, p99 %d"
      % (target, m / el, m, pct(lat, .5) * 1e3, pct(lat, .99) * 1e3, pct(blat, .5), pct(blat, .99)))
PY
rc=$?
kill -TERM "$MPID" 2>/dev/null; wait "$MPID"; MPID=
exit $rc
