#!/bin/sh
# Every program reads the configuration and uses its rules, from any
# working directory: the configuration names `rules myrules`, a folder
# beside it holding one claim (garlic-flu), and medflagd -n, explain,
# scan, rules check|eval|backtest, medflagd with its workers, check and
# push all run from / (or name the file relatively) and judge with
# garlic-flu. MEDFLAG_CONF finds the file as -c does; MEDFLAG_RULES
# still overrides the rules of the offline commands.
B=${MF_BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
B=$TOP/$B
. tests/service-env.sh
fail() { echo "FAIL: $*"; [ -f "$D/medflagd.log" ] && cat "$D/medflagd.log"; exit 1; }

mf_env_start paths myrules "log_level info"
mkdir "$D/myrules" || exit 1
cp tests/integ/paths/garlic.rules rules/policy.conf rules/canary.jsonl \
    "$D/myrules/" &&
    cp -r rules/sources "$D/myrules/" || exit 1
POST="Raw garlic cured my flu in two days"

out=$(cd / && "$B/medflagd" -n -c "$CONF" 2>&1) ||
    fail "medflagd -n from /: $out"
echo "$out" | grep -q 'configuration OK' || fail "medflagd -n: $out"
out=$(cd / && MEDFLAG_CONF=$CONF "$B/medflag" explain "$POST" 2>&1)
echo "$out" | grep -q 'garlic-flu' || fail "explain with MEDFLAG_CONF: $out"
out=$(cd / && echo "{\"post_id\":\"s1\",\"body\":\"$POST\"}" |
    "$B/medflag" -c "$CONF" scan 2>&1)
echo "$out" | grep -q '"rule":"garlic-flu.cures"' || fail "scan: $out"
out=$(cd / && "$B/medflag" -c "$CONF" rules check 2>&1) ||
    fail "rules check: $out"
echo "$out" | grep -q '1 claims, 1 rules' || fail "rules check: $out"
printf '{"post_id":"e1","body":"%s","label":"flag"}\n' "$POST" \
    >"$D/labelled.jsonl"
out=$(cd / && "$B/medflag" -c "$CONF" rules eval "$D/labelled.jsonl" 2>&1)
echo "$out" | grep -q 'garlic-flu' || fail "rules eval: $out"
# backtest: the configured rules are the old ones; the shipped set as the
# new one drops garlic-flu.
out=$(cd / && "$B/medflag" -c "$CONF" rules backtest "$TOP/rules" \
    "$D/labelled.jsonl" 2>&1)
echo "$out" | grep -q 'garlic-flu' || fail "rules backtest: $out"
out=$(cd / && MEDFLAG_RULES=$TOP/rules "$B/medflag" -c "$CONF" explain \
    "$POST" 2>&1)
echo "$out" | grep -q 'garlic-flu' && fail "MEDFLAG_RULES ignored: $out"

# medflagd started with a relative -c, workers and clients from /.
(cd "$D" && exec "$B/medflagd" -c medflag.conf) 2>"$D/medflagd.log" &
MPID=$!
i=0
until (cd / && "$B/medflag" -c "$CONF" stats 2>/dev/null) |
    grep -q 'workers (2)'; do
	i=$((i + 1)); [ $i -gt 150 ] && fail "medflagd never had 2 workers"
	sleep 0.1
done
out=$(cd / && "$B/medflag" -c "$CONF" check --json "$POST" 2>&1)
echo "$out" | grep -q '"rule":"garlic-flu.cures"' || fail "check: $out"
out=$(cd / && echo "{\"post_id\":\"p1\",\"body\":\"$POST\"}" |
    MEDFLAG_CONF=$CONF "$B/medflag" push 2>&1)
echo "$out" | grep -q '"rule":"garlic-flu.cures"' || fail "push: $out"
echo "ok: every program reads the configuration and its rules from /"
