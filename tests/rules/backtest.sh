#!/bin/sh
# `medflag rules backtest`: a candidate rule set in a temp dir (rules/ with
# one rule's score raised, one rule removed, one rule added) against rules/
# over tests/corpus: the changes it must report (the added and removed
# rules, the moved posts by id, the action moves summed), no post text,
# --fail-on-regression, a located bad line; and no change for rules/
# against itself.
B=${MF_BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/mfbt.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; echo "$out"; exit 1; }

# The same rules: nothing changes.
out=$("$B/medflag" rules backtest --rules rules rules tests/corpus/*.jsonl) ||
    fail "exit status $? for rules/ against itself"
echo "$out" | grep -q ': 0 changed (0.0%)' || fail "rules/ changed itself"
echo "$out" | grep -q "no rule's hits changed" || fail "hits moved"

# The candidate.
cp -r rules "$T/cand"
f=$T/cand/covid.rules
awk '
	/^rule covid-5g.cause$/ { inrule = 1 }
	inrule && /^  score / { print "  score      9"; inrule = 0; next }
	{ print }' rules/covid.rules >"$f"
grep -q '^  score      9' "$f" || fail "could not edit covid-5g.cause"
# Remove mask-harm.co2 (a whole rule ... end block).
awk '
	/^rule mask-harm.co2$/ { skip = 1 }
	!skip { print }
	skip && /^end$/ { skip = 0 }' "$f" >"$f.new" && mv "$f.new" "$f"
grep -q '^rule mask-harm.co2$' "$f" && fail "could not remove mask-harm.co2"
cat >>"$f" <<'RULE'

rule covid-5g.backtest-probe
  claim      covid-5g
  score      1
  match      /\bwuhan\b/
  mode       shadow
  expect     match    "it started in wuhan"
end
RULE
"$B/medflag" rules check "$T/cand" >/dev/null 2>&1 ||
    { out=$("$B/medflag" rules check "$T/cand" 2>&1); fail "candidate does not load"; }

out=$("$B/medflag" rules backtest --all --rules rules "$T/cand" \
    tests/corpus/*.jsonl) || fail "exit status $?"
echo "$out" | grep -q 'rules whose hits changed' || fail "no rules section"
echo "$out" | grep -Eq '^  covid-5g.backtest-probe +0 -> +[1-9][0-9]*  \(new rule\)$' ||
    fail "the added rule is not reported as new"
echo "$out" | grep -Eq '^  mask-harm.co2 +[1-9][0-9]* -> +0  \(rule removed\)$' ||
    fail "the removed rule is not reported"
# Every post the raised rule moves from flag to hold is listed, by id.
n=$(echo "$out" | grep -c '^  tests/corpus/.* flag     -> hold ')
[ "$n" -ge 1 ] || fail "no flag -> hold move listed"
echo "$out" | grep -Eq "^  flag +-> hold +$n\$" || fail "flag -> hold count $n not summed"
# Posts are named, never quoted.
echo "$out" | grep -q '"' && fail "post text in the output"
# A labelled regression fails the run with --fail-on-regression.
if echo "$out" | grep -q 'lost [1-9]\|new false positives [1-9]'; then
	"$B/medflag" rules backtest --fail-on-regression --rules rules \
	    "$T/cand" tests/corpus/*.jsonl >/dev/null &&
	    fail "--fail-on-regression passed a regression"
fi
# Bad input: named by file and line, and the run fails.
printf '{"post_id":"a","body":"x"}\nnot json\n' >"$T/bad.jsonl"
out=$("$B/medflag" rules backtest --rules rules rules "$T/bad.jsonl" 2>&1) &&
    fail "a bad line did not fail the run"
echo "$out" | grep -q "$T/bad.jsonl:2: error: " || fail "bad line not located"
echo "ok: backtest reports the added, removed and rescored rules"
