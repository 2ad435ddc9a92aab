#!/bin/sh
# `medflag scan` with --jobs and --stats: the same verdicts, in the order
# of the input, with 1, 2 and 3 jobs (tests/corpus/*.jsonl and lines that
# are not posts); a producer that waits for each verdict gets it (no
# batch holds it back); --stats prints its figures on stderr after the
# verdicts, --stats-only on stdout instead of them; a bad --jobs is
# refused with the place and the fix.
B=${MF_BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
B=$TOP/$B
fail() { echo "FAIL: $*"; exit 1; }
D=$(mktemp -d "${TMPDIR:-/tmp}/mfscan.XXXXXX") || exit 1
SPID=
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$D"' EXIT
trap 'exit 1' INT TERM

# The corpus, with lines that are not posts among them.
{
	cat tests/corpus/*.jsonl
	echo 'not json'
	echo '{"post_id":"no-body"}'
	echo
	head -n 50 tests/corpus/vaccines.jsonl
} >"$D/in.jsonl"
posts=$(grep -c . "$D/in.jsonl")

for j in 1 2 3; do
	"$B/medflag" scan --rules rules --jobs "$j" <"$D/in.jsonl" \
	    >"$D/out.$j" 2>"$D/err.$j" || fail "--jobs $j: exit $?"
	[ -s "$D/err.$j" ] && fail "--jobs $j wrote on stderr: $(cat "$D/err.$j")"
	n=$(wc -l <"$D/out.$j")
	[ "$n" = "$posts" ] || fail "--jobs $j: $n verdicts for $posts lines"
done
cmp -s "$D/out.1" "$D/out.2" || fail "--jobs 2 differs from --jobs 1"
cmp -s "$D/out.1" "$D/out.3" || fail "--jobs 3 differs from --jobs 1"
# In input order: the post ids of the verdicts are those of the lines.
sed -nE 's/^\{"post_id": ?"([^"]*)".*/\1/p; /^not json$/s/.*/-/p;
    /^\{"post_id":"no-body"\}$/s/.*/no-body/p' "$D/in.jsonl" >"$D/ids.in"
sed -nE 's/^\{"v":1,"post_id":"([^"]*)".*/\1/p; /^\{"v":1,"status"/s/.*/-/p' \
    "$D/out.2" >"$D/ids.out"
cmp -s "$D/ids.in" "$D/ids.out" || fail "verdicts out of input order"
grep -q '"error":"line [0-9]*: post: invalid JSON' "$D/out.2" ||
    fail "no error verdict for the line that is not JSON"

# A producer that sends one post and waits for its verdict.
mkfifo "$D/fifo" || fail "mkfifo"
"$B/medflag" scan --rules rules --jobs 2 <"$D/fifo" >"$D/live" &
SPID=$!
exec 3>"$D/fifo"
for k in 1 2 3; do
	echo "{\"post_id\":\"live-$k\",\"body\":\"vaccines cause autism\"}" >&3
	i=0
	until [ "$(grep -c "live-$k" "$D/live")" = 1 ]; do
		i=$((i + 1))
		[ $i -gt 250 ] && fail "no verdict for live-$k within 5 s"
		sleep 0.02
	done
done
exec 3>&-
wait "$SPID" || fail "scan on a pipe: exit $?"
SPID=

# --stats: the verdicts unchanged on stdout, the figures on stderr.
"$B/medflag" scan --rules rules --jobs 2 --stats <"$D/in.jsonl" \
    >"$D/out.s" 2>"$D/stats" || fail "--stats: exit $?"
cmp -s "$D/out.1" "$D/out.s" || fail "--stats changed the verdicts"
judged=$(sed -nE 's/^medflag scan: ([0-9]+) posts judged, ([0-9]+) rules, 2 jobs.*/\1/p' \
    "$D/stats")
ok=$(grep -c '"status":"ok"\|"status":"skipped"' "$D/out.1")
[ "$judged" = "$ok" ] || fail "--stats: '$judged' posts judged, $ok verdicts
$(cat "$D/stats")"
for w in "rules run per post" "prefilter pass rate" "JSON decode" \
    "normalize" "literal scan" "PCRE2 (rules)" "model" "verdict encode"; do
	grep -q "$w" "$D/stats" || fail "--stats: no '$w' in
$(cat "$D/stats")"
done
# The rule run on the most posts, and the literals that let it in.
grep -A1 'rules run on the most posts' "$D/stats" |
    grep -qE '^ +[0-9.]+ %  [a-z0-9.-]+  "' ||
    fail "--stats: no rule with its literals in
$(cat "$D/stats")"
# The rule that took the most time, with its runs and cost per run.
grep -A1 'rules that took the most time' "$D/stats" |
    grep -qE '^ +[0-9.]+ %  [a-z0-9.-]+  [1-9][0-9]* runs  [0-9.]+ us$' ||
    fail "--stats: no rule with its time in
$(cat "$D/stats")"
rate=$(sed -nE 's/.*prefilter pass rate +([0-9.]+) %.*/\1/p' "$D/stats")
awk "BEGIN { exit !($rate > 0 && $rate < 100) }" ||
    fail "--stats: prefilter pass rate '$rate'"

# --stats-only: the figures on stdout, no verdict.
"$B/medflag" scan --rules rules --stats-only <"$D/in.jsonl" >"$D/only" \
    2>"$D/err" || fail "--stats-only: exit $?"
grep -q '"post_id"' "$D/only" && fail "--stats-only printed verdicts"
grep -q 'prefilter pass rate' "$D/only" || fail "--stats-only: no figures"

# A bad --jobs: exit 2, the option named and the fix.
for bad in 0 -1 x 2x 100000; do
	"$B/medflag" scan --rules rules --jobs "$bad" </dev/null >/dev/null \
	    2>"$D/err"
	rc=$?
	[ $rc = 2 ] || fail "--jobs $bad: exit $rc"
	grep -q "^medflag scan: --jobs '$bad': not a number from 1 to" \
	    "$D/err" && grep -q 'hint: ' "$D/err" ||
	    fail "--jobs $bad: $(cat "$D/err")"
done
echo "ok: medflag scan, $posts lines: the same verdicts in order with 1, 2" \
    "and 3 jobs; --stats, --stats-only, --jobs checked"
