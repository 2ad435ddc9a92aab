#!/bin/sh
# One behaviour for awkward posts, whichever way they come in: a post
# over 1 MiB gets medflagd's error verdict ("post: larger than 1 MiB
# ...") at once from check (on stdin, also over the 2 MiB at
# which libzmq would drop the connection), push, scan and HTTP (413);
# invalid UTF-8, raw or as an unpaired \udcXX escape in JSON, is repaired
# and the verdict is judged and flagged invalid_utf8 by each of them.
B=${MF_BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
B=$TOP/$B
. tests/service-env.sh
fail() { echo "FAIL: $*"; exit 1; }
BIG='post: larger than 1 MiB (1048576 bytes), the most medflag judges'

mf_env_start inputs "$TOP/rules" "log_level warn"
mf_env_medflagd
mf_env_workers
mf_env_http

# Posts, written by Python: big.jsonl (1.5 MiB and 3 MiB bodies),
# big.txt (3 MiB), bad.jsonl (raw invalid bytes; an unpaired escape),
# bad.txt (the claim with invalid bytes).
/usr/bin/python3 - "$D" <<'PY'
import json, sys
d = sys.argv[1]
with open(d + "/big.jsonl", "w") as f:
    for i, n in ((1, 3 << 19), (2, 3 << 20)):
        f.write(json.dumps({"post_id": "big-%d" % i, "body": "x" * n}) + "\n")
with open(d + "/big.txt", "w") as f:
    f.write("y" * (3 << 20))
claim = b"The MMR jab gave my son autism \xff\xfe, caf\xc3"
with open(d + "/bad.jsonl", "wb") as f:
    f.write(b'{"post_id":"u-1","body":"' + claim + b'"}\n')
    f.write(b'{"post_id":"u-2","body":"The MMR jab gave my son autism '
            b'\\udc80 ok"}\n')
with open(d + "/bad.txt", "wb") as f:
    f.write(claim)
PY

# req PATH FILE: POSTs the file, prints "STATUS BODY".
req() {
	/usr/bin/python3 - "$PORT" "$@" <<'PY'
import sys, urllib.request, urllib.error
port, path, name = sys.argv[1:4]
r = urllib.request.Request("http://127.0.0.1:%s%s" % (port, path),
    data=open(name, "rb").read(), method="POST")
try:
    with urllib.request.urlopen(r, timeout=20) as f:
        print(f.status, f.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
PY
}
i=0
until /usr/bin/python3 -c "import urllib.request as u;
u.urlopen('http://127.0.0.1:$PORT/healthz', timeout=1)" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 50 ] && fail "medflag http never answered"
	sleep 0.1
done

# --- over 1 MiB --------------------------------------------------------
t0=$(date +%s)
# (An argument holds at most 128 KiB: check TEXT cannot be over 1 MiB.)
out=$(head -c 1100000 "$D/big.txt" | "$B/medflag" -c "$CONF" check --json -)
rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "\"status\":\"error\",\"error\":\"$BIG\"" ||
    fail "check - over 1 MiB: exit $rc: $(echo "$out" | cut -c1-300)"
out=$("$B/medflag" -c "$CONF" check --json - <"$D/big.txt"); rc=$?
[ $rc = 2 ] && echo "$out" | grep -q "\"error\":\"$BIG\"" ||
    fail "check - over 2 MiB: exit $rc: $(echo "$out" | cut -c1-300)"
[ $(($(date +%s) - t0)) -le 3 ] || fail "check took its time over big posts"
out=$("$B/medflag" -c "$CONF" push <"$D/big.jsonl" 2>/dev/null) &&
    fail "push: exit 0 after posts over 1 MiB"
[ "$(echo "$out" | grep -c "\"status\":\"error\",\"error\":\"$BIG\"")" = 2 ] ||
    fail "push over 1 MiB: $(echo "$out" | cut -c1-300)"
echo "$out" | grep -q '"post_id":"big-2"' || fail "push: post id lost"
out=$("$B/medflag" -c "$CONF" scan <"$D/big.jsonl")
[ "$(echo "$out" | grep -c "\"status\":\"error\",\"error\":\"$BIG\"")" = 2 ] ||
    fail "scan over 1 MiB: $(echo "$out" | cut -c1-300)"
head -n 1 "$D/big.jsonl" >"$D/big1.json"
out=$(req /v1/check "$D/big1.json")
echo "$out" | grep -q "^413 {.*\"status\":\"error\",\"error\":\"$BIG\"" ||
    fail "HTTP over 1 MiB: $(echo "$out" | cut -c1-300)"

# --- invalid UTF-8 -----------------------------------------------------
# flagged LABEL OUTPUT [COUNT]: judged (a flag) and marked invalid_utf8.
flagged() {
	n=$(echo "$2" | grep '"action":"flag"' | grep -c '"invalid_utf8"')
	[ "$n" = "${3:-1}" ] || fail "$1: $(echo "$2" | cut -c1-400)"
}
flagged scan "$("$B/medflag" -c "$CONF" scan <"$D/bad.jsonl")" 2
flagged push "$("$B/medflag" -c "$CONF" push <"$D/bad.jsonl" 2>/dev/null)" 2
flagged "check TEXT" "$("$B/medflag" -c "$CONF" check --json "$(cat "$D/bad.txt")")"
flagged "check -" "$("$B/medflag" -c "$CONF" check --json - <"$D/bad.txt")"
head -n 1 "$D/bad.jsonl" >"$D/bad1.json"
out=$(req /v1/check "$D/bad1.json")
echo "$out" | grep -q '^200 ' || fail "HTTP invalid UTF-8: $out"
flagged HTTP "$out"
tail -n 1 "$D/bad.jsonl" >"$D/bad2.json"
flagged "HTTP \\udc80" "$(req /v1/check "$D/bad2.json")"
grep -q 'MMR jab' "$D/medflagd.log" "$D/http.log" && fail "post text in a log"
echo "ok: big posts and invalid UTF-8 alike through check, push, scan, HTTP"
