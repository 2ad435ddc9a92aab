#!/bin/sh
# What keeps a deployment from running on rules it should not: the rule
# set hash covers content only (the same rules spelled "rules", "./rules/"
# or absolute hash the same); `make install` installs the canary sample;
# medflagd -n, start and reload refuse rules without canary.jsonl unless
# the configuration says `canary = off` (and -n says so), and refuse an
# empty rule set; the ready line counts the rules; a second medflagd on
# the same endpoints is refused and names the first one's pid.
B=${MF_BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
B=$TOP/$B
fail() { echo "FAIL: $*"; exit 1; }

hash_of() {
	"$B/medflag" rules check "$1" 2>&1 | sed -n 's/.*rule set \([0-9a-f]*\)$/\1/p'
}
h1=$(hash_of rules)
h2=$(hash_of ./rules/)
h3=$(cd / && hash_of "$TOP/rules")
[ -n "$h1" ] && [ "$h1" = "$h2" ] && [ "$h1" = "$h3" ] ||
    fail "one rule set, three hashes: '$h1' '$h2' '$h3'"

. tests/service-env.sh
mf_env_start safety r "log_level info"
mkdir "$D/r" && cp rules/*.rules rules/policy.conf rules/canary.jsonl \
    "$D/r/" && cp -r rules/sources "$D/r/" || exit 1

env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s install \
    BUILD="${MF_BUILD:-build}" DESTDIR="$D/inst" >"$D/install.log" 2>&1 ||
    { cat "$D/install.log"; fail "make install"; }
[ -n "$(find "$D/inst" -path '*/medflag/rules/canary.jsonl')" ] ||
    fail "make install left out rules/canary.jsonl"

out=$("$B/medflagd" -n -c "$CONF" 2>&1) || fail "medflagd -n: $out"
echo "$out" | grep -Eq '^rules: .*: [0-9]{3,} rules' ||
    fail "medflagd -n: no rule count: $out"
echo "$out" | grep -q '^canary: 46 sample posts' || fail "-n canary: $out"

# Without the canary: refused, and the way out named.
mv "$D/r/canary.jsonl" "$D/canary.jsonl"
out=$("$B/medflagd" -n -c "$CONF" 2>&1) && fail "-n took rules without canary"
echo "$out" | grep -q "no canary: canary.jsonl is missing" &&
    echo "$out" | grep -q "canary off" || fail "-n without canary: $out"
cp "$CONF" "$D/off.conf" && echo "canary = off" >>"$D/off.conf"
out=$("$B/medflagd" -n -c "$D/off.conf" 2>&1) ||
    fail "-n with canary off: $out"
echo "$out" | grep -q '^canary: off' || fail "-n hides canary off: $out"
mv "$D/canary.jsonl" "$D/r/canary.jsonl"

# An empty rule set.
mkdir "$D/empty" && cp rules/policy.conf rules/canary.jsonl "$D/empty/" &&
    cp -r rules/sources "$D/empty/" || exit 1
sed "s|^rules .*|rules $D/empty|" "$CONF" >"$D/empty.conf"
out=$("$B/medflagd" -n -c "$D/empty.conf" 2>&1) &&
    fail "-n took an empty rule set"
echo "$out" | grep -q 'the rule set is empty' || fail "empty: $out"

mf_env_medflagd
i=0
until grep -q 'ready: ' "$D/medflagd.log"; do
	i=$((i + 1)); [ $i -gt 150 ] && fail "medflagd never ready"
	sleep 0.1
done
grep -Eq 'ready: [0-9]{3,} rules, ruleset [0-9a-f]{16}' "$D/medflagd.log" ||
    fail "ready line: $(grep ready "$D/medflagd.log")"

# A second medflagd on the same endpoints.
out=$("$B/medflagd" -c "$CONF" 2>&1) && fail "a second medflagd started"
echo "$out" | grep -q "another medflagd (pid $MPID) serves these endpoints" ||
    fail "second medflagd: $out"
"$B/medflag" -c "$CONF" stats >/dev/null 2>&1 ||
    fail "the first medflagd stopped answering"

# Reload without the canary: refused, said in the log and the answer.
rm "$D/r/canary.jsonl"
out=$("$B/medflag" -c "$CONF" reload 2>&1) && fail "reload took no canary"
echo "$out" | grep -q 'no canary' || fail "reload answer: $out"
grep -q 'reload refused: 1 error, 0 warnings; keeping ruleset' "$D/medflagd.log" &&
    grep -q 'no canary: canary.jsonl is missing' "$D/medflagd.log" ||
    fail "reload log: $(cat "$D/medflagd.log")"
echo "ok: hash, canary, empty rule set, rule count and lock file"
