#!/bin/sh
# What medflagd and its workers log: with the default `log stderr` every
# line starts with the time, the level and the component, and no prefix
# comes twice; a refused reload counts the errors and warnings it then
# lists, each named so; with `log json` every line is a JSON object with
# ts, level, component and msg; with `log syslog` nothing goes to
# stderr; with `log journald` every line is a datagram of journald's
# native protocol (to a stand-in for its socket) and none goes to stderr. Post text appears in no line, not even for posts that are not
# valid (the JSON reader's "near '...'" is cut).
B=${MF_BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
B=$TOP/$B
. tests/service-env.sh
fail() { echo "FAIL: $*"; [ -f "$D/medflagd.log" ] && tail -n 30 "$D/medflagd.log"; exit 1; }
MARK="Zyxwvut secret words of a patient"

mf_env_start logs r "log_level debug"
mkdir "$D/r" && cp rules/*.rules rules/policy.conf rules/canary.jsonl \
    "$D/r/" && cp -r rules/sources "$D/r/" || exit 1

wait_workers() {
	mf_env_workers 2 "$1"
}
# traffic CONF: good posts, a post whose JSON is broken, a post with a
# bad field and raw garbage on ingest, all carrying $MARK.
traffic() {
	printf '{"post_id":"ok-1","body":"%s"}\n{"post_id":"bad-1","body":"%s}\n' \
	    "$MARK" "$MARK" | "$B/medflag" -c "$1" push >/dev/null 2>&1
	/usr/bin/python3 - "$1" "$MARK" <<'PY'
import sys, zmq, msgpack
conf, mark = sys.argv[1], sys.argv[2]
ep = dict(l.split(None, 1) for l in open(conf) if l.strip() and " " in l)
ctx = zmq.Context()
s = ctx.socket(zmq.PUSH)
s.connect(ep["ingest"].strip())
s.send(msgpack.packb({"post_id": "bad-2", "body": mark,
                      "body_format": "papyrus"}))
s.send(b"\xc1" + mark.encode())
s.close(2000)
PY
}

# --- stderr ------------------------------------------------------------
mf_env_medflagd
wait_workers "$CONF"
traffic "$CONF"
printf 'rule broken.one\n  claim nope\n  match /(unclosed/\nend\n' >"$D/r/zz.rules"
"$B/medflag" -c "$CONF" reload >/dev/null 2>&1 && fail "broken rules reloaded"
rm "$D/r/zz.rules"
kill "$MPID"; wait "$MPID"; MPID=
L=$D/medflagd.log
bad=$(grep -Ev '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z (debug|info|warn|fatal) (medflagd|worker\[[0-9]+\]): ' "$L")
[ -z "$bad" ] || fail "lines without time, level, component: $bad"
grep -Eq 'medflagd: medflagd:|worker\[[0-9]+\]: worker\[|: : |post: post:' "$L" &&
    fail "a doubled prefix: $(grep -E 'medflagd: medflagd:|worker\[[0-9]+\]: worker\[|: : |post: post:' "$L")"
line=$(grep 'reload refused: ' "$L")
ne=$(echo "$line" | sed -En 's/.*refused: ([0-9]+) errors?, ([0-9]+) warnings?;.*/\1/p')
nw=$(echo "$line" | sed -En 's/.*refused: ([0-9]+) errors?, ([0-9]+) warnings?;.*/\2/p')
[ -n "$ne" ] && [ "$ne" = "$(grep -c 'zz.rules:[0-9:]*: error: ' "$L")" ] &&
    [ "$nw" = "$(grep -c 'zz.rules:[0-9:]*: warning: ' "$L")" ] ||
    fail "counts that are not counts: $line"
grep -q 'ready: 1 rules\|1 local workers\|1 verdicts' "$L" && fail "plurals"
grep -q "$MARK\|Zyxwvut" "$L" && fail "post text in the log: $(grep Zyxwvut "$L")"

# --- json --------------------------------------------------------------
sed 's/^log_level .*/log json/' "$CONF" >"$D/json.conf"
"$B/medflagd" -c "$D/json.conf" 2>"$D/json.log" &
MPID=$!
wait_workers "$D/json.conf"
traffic "$D/json.conf"
kill "$MPID"; wait "$MPID"; MPID=
/usr/bin/python3 - "$D/json.log" <<'PY' || fail "json log: $(head -n 3 "$D/json.log")"
import json, re, sys
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert set(o) == {"ts", "level", "component", "pid", "msg"}, o
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", o["ts"]), o
    assert o["level"] in ("debug", "info", "warn", "fatal"), o
    assert re.match(r"medflagd$|worker\[\d+\]$", o["component"]), o
    n += 1
assert n >= 3, n
PY
grep -q 'ready: ' "$D/json.log" || fail "json: no ready line"
grep -q "Zyxwvut" "$D/json.log" && fail "post text in the JSON log"

# --- syslog ------------------------------------------------------------
sed 's/^log_level .*/log syslog/' "$CONF" >"$D/syslog.conf"
"$B/medflagd" -c "$D/syslog.conf" 2>"$D/syslog.err" &
MPID=$!
wait_workers "$D/syslog.conf"
kill "$MPID"; wait "$MPID"; MPID=
[ -s "$D/syslog.err" ] && fail "log syslog wrote to stderr: $(cat "$D/syslog.err")"
# --- journald ----------------------------------------------------------
# A stand-in for journald's socket (it cannot run here) that keeps the
# datagrams of the native protocol it is sent, until medflagd is gone.
cp "$CONF" "$D/journald.conf" && echo 'log journald' >>"$D/journald.conf"
/usr/bin/python3 - "$D/journal.socket" "$D/journal.out" "$MF_MULT" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(0.5)
with open(sys.argv[2], "wb") as out:
    idle = 0
    while idle < 20 * int(sys.argv[3]):
        try:
            d = s.recv(65536)
        except socket.timeout:
            idle += 1
            continue
        idle = 0
        out.write(d + b"\x1e")
        out.flush()
PY
JPID=$!
mf_env_until "the journal stand-in never bound" test -S "$D/journal.socket"
MEDFLAG_JOURNAL_SOCKET=$D/journal.socket "$B/medflagd" -c "$D/journald.conf" \
    2>"$D/journald.err" &
MPID=$!
wait_workers "$D/journald.conf"
traffic "$D/journald.conf"
kill "$MPID"; wait "$MPID"; MPID=
wait "$JPID"
[ -s "$D/journald.err" ] && fail "log journald wrote to stderr: $(cat "$D/journald.err")"
/usr/bin/python3 - "$D/journal.out" <<'PY' || fail "journald: $(head -c 600 "$D/journal.out")"
import re, sys
n = idents = 0
seen = set()
for d in open(sys.argv[1], "rb").read().split(b"\x1e")[:-1]:
    f = dict(l.split(b"=", 1) for l in d.decode().encode().split(b"\n") if l)
    assert set(f) == {b"PRIORITY", b"SYSLOG_IDENTIFIER", b"MEDFLAG_COMPONENT",
                      b"MEDFLAG_LEVEL", b"MESSAGE"}, f
    assert f[b"PRIORITY"] in (b"3", b"4", b"6", b"7"), f
    seen.add((f[b"SYSLOG_IDENTIFIER"], f[b"MEDFLAG_COMPONENT"][:7]))
    assert b"Zyxwvut" not in d, d
    n += 1
assert n >= 3, n
assert (b"medflagd", b"medflag") in seen and \
    (b"medflag-worker", b"worker[") in seen, seen
PY
grep -q 'MESSAGE=ready: \|MESSAGE=info: ready: ' "$D/journal.out" ||
    fail "journald: no ready line: $(head -c 600 "$D/journal.out")"
# No journal to take the lines: they go to stderr, none is lost.
MEDFLAG_JOURNAL_SOCKET=$D/no-journal "$B/medflagd" -c "$D/journald.conf" \
    2>"$D/nojournal.err" &
MPID=$!
wait_workers "$D/journald.conf"
kill "$MPID"; wait "$MPID"; MPID=
grep -q ' info medflagd: ready: ' "$D/nojournal.err" ||
    fail "log journald without a journal: $(cat "$D/nojournal.err")"
echo "log carrier-pigeon" >>"$D/syslog.conf"
out=$("$B/medflagd" -n -c "$D/syslog.conf" 2>&1) && fail "-n took log carrier-pigeon"
echo "$out" | grep -q "unknown destination 'carrier-pigeon'" || fail "log key: $out"
echo "ok: log lines carry time, level, component; json; syslog; journald; no post text"
