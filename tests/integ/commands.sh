#!/bin/sh
# The commands behave as commands do: --help on stdout with exit 0 for
# every command and subcommand (`rules check --help` is no directory,
# `sources load --help` connects nowhere), --version everywhere; `medflag
# check` exits 0 for none, 1 for annotate or more, 2 for an error; `push`
# exits 1 after a line that is not a post; check, push and tail say
# within 2 s that medflagd does not answer, and check and push keep
# trying until it does.
B=${MF_BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
B=$TOP/$B
. tests/service-env.sh
fail() { echo "FAIL: $*"; exit 1; }

mf_env_start commands "$TOP/rules" "log_level info"
# A Redis nobody listens on: `sources load --help` must not try it.
sed "s|^redis .*|redis unix://$D/nobody.sock|" "$CONF" >"$D/noredis.conf"

# help NAME CMD...: exit 0, "usage: NAME" first on stdout, stderr empty.
help() {
	want=$1; shift
	"$@" >"$D/out" 2>"$D/err"; rc=$?
	[ $rc = 0 ] || fail "$*: exit $rc: $(cat "$D/err")"
	head -n 1 "$D/out" | grep -q "^usage: $want" ||
	    fail "$*: stdout: $(head -n 3 "$D/out")"
	[ -s "$D/err" ] && fail "$*: stderr: $(cat "$D/err")"
	return 0
}
help "medflag \[-c FILE\]" "$B/medflag" --help
help "medflagd" "$B/medflagd" --help
help "medflag-worker" "$B/medflag-worker" --help
for sub in scan explain config push check tail stats top reload sources \
    feedback http discourse keygen; do
	help "medflag $sub" "$B/medflag" -c "$D/noredis.conf" "$sub" --help
done
for sub in check test eval backtest; do
	help "medflag rules check" "$B/medflag" rules "$sub" --help
done
help "medflag sources load" timeout 5 "$B/medflag" -c "$D/noredis.conf" \
    sources load --help
for cmd in "$B/medflag" "$B/medflagd" "$B/medflag-worker" \
    "$B/medflag scan" "$B/medflag rules check"; do
	out=$($cmd --version 2>&1) || fail "$cmd --version: $out"
	echo "$out" | grep -Eq '^medflag(d|-worker)? [0-9]+\.[0-9]+' ||
	    fail "$cmd --version: $out"
done

# No medflagd yet: each client says so within 2 s; check and push keep
# trying, and get their verdicts once medflagd starts.
echo '{"post_id":"w1","body":"hello there"}' >"$D/one.jsonl"
"$B/medflag" -c "$CONF" check --timeout $((30000 * MF_MULT)) 'plain words' \
    >"$D/check.out" 2>"$D/check.err" &
CPID=$!
"$B/medflag" -c "$CONF" push <"$D/one.jsonl" >"$D/push.out" \
    2>"$D/push.err" &
PPID2=$!
"$B/medflag" -c "$CONF" tail >/dev/null 2>"$D/tail.err" &
TPID=$!
trap 'kill $CPID $PPID2 $TPID 2>/dev/null; mf_env_cleanup' EXIT
sleep 2.6
for c in check push tail; do
	grep -q "medflag $c: medflagd does not answer on ipc://$D/" \
	    "$D/$c.err" || fail "$c said nothing in 2.6 s: $(cat "$D/$c.err")"
done
kill -0 $CPID && kill -0 $PPID2 || fail "check or push gave up"
kill $TPID
mf_env_medflagd
wait $CPID; rc=$?
[ $rc = 0 ] || fail "check after medflagd started: exit $rc: $(cat "$D/check.err")"
grep -q 'medflagd answers again' "$D/check.err" || fail "check: $(cat "$D/check.err")"
wait $PPID2 || fail "push after medflagd started: $(cat "$D/push.err")"
grep -q '"post_id":"w1"' "$D/push.out" || fail "push: no verdict"

# check's exit status, as spamc -c.
"$B/medflag" -c "$CONF" check 'Hello, my cat is cute' >/dev/null 2>&1
[ $? = 0 ] || fail "check of an ordinary post: not 0"
"$B/medflag" -c "$CONF" check 'Does the MMR vaccine cause autism?' \
    >"$D/out" 2>&1
rc=$?; [ $rc = 1 ] || fail "check of a question (annotate): exit $rc"
grep -q 'annotate' "$D/out" || fail "not annotate: $(cat "$D/out")"
"$B/medflag" -c "$CONF" check 'The MMR jab gave my son autism.' \
    >/dev/null 2>&1
rc=$?; [ $rc = 1 ] || fail "check of a claim (flag): exit $rc"
"$B/medflag" -c "$CONF" check >/dev/null 2>&1
rc=$?; [ $rc = 2 ] || fail "check without a text: exit $rc"

# push: 0 when every line is a post, 1 after one that is not.
printf '{"post_id":"g1","body":"hi"}\n' |
    "$B/medflag" -c "$CONF" push >/dev/null 2>&1 || fail "push of a good line"
printf '{"post_id":"g2","body":"hi"}\nnot json\n' |
    "$B/medflag" -c "$CONF" push >"$D/out" 2>/dev/null &&
    fail "push: exit 0 after a bad line"
[ "$(wc -l <"$D/out")" = 2 ] || fail "push: a verdict per line: $(cat "$D/out")"
echo "ok: help, version, exit statuses, and clients that say so"
