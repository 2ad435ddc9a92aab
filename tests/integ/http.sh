#!/bin/sh
# `medflag http` in front of a real medflagd (2 workers, redis): a claim
# through POST /v1/check comes back flagged; a post without post_id, a
# body that is not JSON, a GET on /v1/check, an unknown path and a body
# over 1 MiB get their 4xx with a JSON error naming the cause; a wrong
# method is 405 with Allow, HEAD works where GET does; feedback is stored
# (and a bad one refused); /metrics and /healthz answer, within a second
# and with medflag_up 0 when medflagd is stopped or gone; every request
# has an access log line, without post text; the web console is off
# unless configured. Requests are made with Python's urllib.
B=${MF_BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
. tests/service-env.sh
fail() { echo "FAIL: $*"; exit 1; }

mf_env_start http "$TOP/rules" "log_level info"
mf_env_medflagd
mf_env_workers
mf_env_http

# req METHOD PATH [BODY]: prints "STATUS BODY".
req() {
	/usr/bin/python3 - "$PORT" "$@" <<'PY'
import sys, urllib.request, urllib.error
port, method, path = sys.argv[1], sys.argv[2], sys.argv[3]
body = sys.argv[4].encode() if len(sys.argv) > 4 else None
if body == b"@big":
    body = b"a" * (2 << 20)
r = urllib.request.Request("http://127.0.0.1:%s%s" % (port, path),
    data=body, method=method)
try:
    with urllib.request.urlopen(r, timeout=20) as f:
        print(f.status, f.read().decode())
except urllib.error.HTTPError as e:
    allow = e.headers.get("Allow")
    print("%d %s%s" % (e.code, "allow=%s " % allow if allow else "",
        e.read().decode()))
PY
}
# timed METHOD PATH: prints "STATUS MS", then the body.
timed() {
	/usr/bin/python3 - "$PORT" "$@" <<'PY'
import sys, time, urllib.request, urllib.error
port, method, path = sys.argv[1], sys.argv[2], sys.argv[3]
r = urllib.request.Request("http://127.0.0.1:%s%s" % (port, path),
    method=method)
t0 = time.monotonic()
try:
    with urllib.request.urlopen(r, timeout=20) as f:
        st, body = f.status, f.read().decode()
except urllib.error.HTTPError as e:
    st, body = e.code, e.read().decode()
print(st, int((time.monotonic() - t0) * 1000))
print(body, end="")
PY
}
i=0
until req GET /healthz 2>/dev/null | grep -q '^200 '; do
	i=$((i + 1)); [ $i -gt 50 ] && fail "medflag http never answered"
	sleep 0.1
done

out=$(req POST /v1/check '{"post_id":"h-1","body":"The MMR jab gave my son autism."}')
echo "$out" | grep -q '^200 {.*"post_id":"h-1".*"action":"flag"' ||
    fail "check: $out"
echo "$out" | grep -q '"evidence":\["https://' || fail "check: no evidence: $out"
out=$(req POST /v1/check '{"body":"no id"}')
echo "$out" | grep -q '^400 {"error":"post_id: ' || fail "no post_id: $out"
out=$(req POST /v1/check 'nope')
echo "$out" | grep -q '^400 {"error":"post: invalid JSON' || fail "not JSON: $out"
out=$(req GET /v1/check)
echo "$out" | grep -q '^405 allow=POST {"error":' || fail "GET on check: $out"
out=$(req POST /metrics x)
echo "$out" | grep -q '^405 allow=GET, HEAD {"error":' || fail "POST on metrics: $out"
out=$(req HEAD /healthz)
[ "$out" = "200 " ] || fail "HEAD /healthz: $out"
out=$(req GET /ui/)
echo "$out" | grep -q '^404 {"error":"the web console is off' ||
    fail "console not off by default: $out"
out=$(req GET /v1/rules)
echo "$out" | grep -q '^404 {"error":"the web console is off' ||
    fail "console API not off by default: $out"
out=$(req GET /nothing)
echo "$out" | grep -q '^404 {"error":"no such path' || fail "unknown path: $out"
out=$(req POST /v1/check @big)
echo "$out" | grep -q '^413 {.*"status":"error","error":"post: larger than 1 MiB' ||
    fail "big body: $out"

out=$(req POST /v1/feedback '{"post_id":"h-1","outcome":"agreed","rules":["vaccines-autism.causal"]}')
echo "$out" | grep -q '^204 ' || fail "feedback: $out"
out=$(req POST /v1/feedback '{"post_id":"h-1","outcome":"maybe","rules":["x.y"]}')
echo "$out" | grep -q '^400 {"error":"outcome: ' || fail "bad feedback: $out"
out=$(req POST /v1/feedback '{"post_id":"h-1","outcome":"agreed","rules":["no-such.rule"]}')
echo "$out" | grep -q "^400 {\"error\":\"rules: 'no-such.rule' is not a rule of the running rule set" ||
    fail "feedback for an unknown rule: $out"
"$B/medflag" -c "$CONF" feedback --summary |
    grep -Eq '^vaccines-autism.causal +[0-9]+ +[0-9]+ +1 +0 +1.00$' ||
    fail "feedback not stored"

out=$(req GET /metrics)
echo "$out" | grep -q '^200 # HELP' || fail "metrics: $out"
echo "$out" | grep -Eq '^medflag_posts_in_total [1-9]' || fail "metrics count"
echo "$out" | grep -q '^medflag_workers_alive 2$' || fail "metrics workers"
echo "$out" | grep -q '^medflag_up 1$' || fail "metrics: medflag_up: $out"
out=$(req GET /healthz)
echo "$out" | grep -q '^200 {"ok":true' || fail "healthz: $out"
# One access line per request: address, method, known path, status,
# bytes, time; "-" for a path the gateway does not serve.
grep -Eq 'info medflag-http: access: 127\.0\.0\.1 "POST /v1/check" 200 [0-9]+ [0-9]+ ms$' "$D/http.log" &&
    grep -Eq 'access: 127\.0\.0\.1 "GET -" 404 [0-9]+ ' "$D/http.log" &&
    grep -Eq 'access: 127\.0\.0\.1 "HEAD /healthz" 200 ' "$D/http.log" ||
    fail "access log: $(cat "$D/http.log")"

# medflagd stopped (SIGSTOP), then gone: /healthz and /metrics still
# answer within a second, 503 and medflag_up 0.
kill -STOP "$MPID"
for what in stopped gone; do
	out=$(timed GET /metrics)
	ms=$(echo "$out" | sed -n '1s/^200 //p')
	[ -n "$ms" ] && [ "$ms" -lt 1000 ] && echo "$out" | grep -q '^medflag_up 0$' &&
	    ! echo "$out" | grep -q '^medflag_posts_in' ||
	    fail "metrics, medflagd $what: $out"
	out=$(timed GET /healthz)
	ms=$(echo "$out" | sed -n '1s/^503 //p')
	[ -n "$ms" ] && [ "$ms" -lt 1000 ] &&
	    echo "$out" | grep -q '^{"ok":false,"error":"medflagd did not answer' ||
	    fail "healthz, medflagd $what: $out"
	if [ $what = stopped ]; then
		kill -CONT "$MPID"; kill "$MPID"; wait "$MPID"; MPID=
	fi
done
grep -q 'The MMR jab' "$D/http.log" && fail "post text in the gateway's log"
echo "ok: the HTTP gateway checks, stores feedback, serves metrics"
