#!/bin/sh
# Auto-demotion from the moderators' feedback, with a real medflagd (2
# workers) and redis: a rule whose precision falls under demote_below
# over demote_min_outcomes outcomes is demoted (said once), every worker
# judges it as shadow (stats, top, feedback --summary show it), until
# `medflag feedback --restore`; its precision then counts afresh.
B=${MF_BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
. tests/service-env.sh
fail() { echo "FAIL: $*"; exit 1; }

mf_env_start demote "$TOP/rules" "log_level info
demote_below 50
demote_min_outcomes 3"
mf_env_medflagd
mf_env_workers
M="$B/medflag -c $CONF"
R=vaccines-autism.causal
CLAIM="Vaccines cause autism. My son got the MMR jab and developed autism two weeks later. Do not vaccinate your kids."
# mode: the mode of rule $R's hit in the verdict on CLAIM, and its action.
mode() {
	$M check --json "$CLAIM" | /usr/bin/python3 -c 'import json, sys
v = json.load(sys.stdin)
m = [h["mode"] for h in v["hits"] if h["rule"] == sys.argv[1]]
print(m[0] if m else "none", v["action"])' "$R"
}
# demoted_in_stats: every worker's "demoted" from stats, space-separated.
demoted_in_stats() {
	$M stats --json | /usr/bin/python3 -c 'import json, sys
print(" ".join(w.get("demoted", "?") or "-" for w in
    json.load(sys.stdin)["workers"]))'
}

[ "$(mode)" = "enforce flag" ] || fail "before: $(mode)"
# One agreed, then overturned: 1 of 3 is 33%, but only at the 3rd outcome.
$M feedback p-1 agreed $R >/dev/null 2>"$D/fb1.log" || fail "feedback 1"
$M feedback p-2 overturned $R >/dev/null 2>"$D/fb2.log" || fail "feedback 2"
grep -q demoted "$D/fb1.log" "$D/fb2.log" && fail "demoted too early"
$M feedback p-3 overturned $R >/dev/null 2>"$D/fb3.log" || fail "feedback 3"
grep -q "rule $R: moderators agreed with 1 of its last 3 flags (33%, under demote_below 50%); demoted" \
    "$D/fb3.log" || fail "no word of the demotion: $(cat "$D/fb3.log")"
i=0
until [ "$(demoted_in_stats)" = "$R $R" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "stats: $(demoted_in_stats)"
	sleep 0.1
done
# Its hit is shadow, scored 0 (the model and other rules still count:
# the model alone may flag this post).
case $(mode) in "shadow "*) ;; *) fail "demoted: $(mode)" ;; esac
grep -q "rules demoted by the moderators' feedback, judged as shadow: $R" \
    "$D/medflagd.log" || fail "no log line from the workers"
$M top -n 1 | grep -q "demoted: $R" || fail "top: $($M top -n 1)"
$M feedback --summary | grep -Eq "^$R .* demoted\$" ||
    fail "summary: $($M feedback --summary)"
# A fourth outcome does not demote it twice (said once).
$M feedback p-4 overturned $R >/dev/null 2>"$D/fb4.log" || fail "feedback 4"
grep -q demoted "$D/fb4.log" && fail "demoted twice"

# A person restores it: enforced again, its precision counted afresh.
$M feedback --restore $R | grep -q "restored: $R is enforced again" ||
    fail "restore"
i=0
until [ "$(demoted_in_stats)" = "- -" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "stats after restore: $(demoted_in_stats)"
	sleep 0.1
done
[ "$(mode)" = "enforce flag" ] || fail "restored: $(mode)"
$M feedback p-5 overturned $R >/dev/null 2>"$D/fb5.log" || fail "feedback 5"
grep -q demoted "$D/fb5.log" && fail "demoted again at once after a restore"
$M feedback --restore $R 2>"$D/r2.log" && fail "restored a rule not demoted"
grep -q "rule $R is not demoted" "$D/r2.log" || fail "restore: $(cat "$D/r2.log")"
echo "ok: a rule under the moderators' bar is demoted to shadow until restored"
