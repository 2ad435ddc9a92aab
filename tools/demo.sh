#!/bin/sh
# make demo: the whole service on this machine. A private redis-server
# (temp dir, unix socket), the source lists loaded into it, medflagd with
# 2 workers, the project's example posts pushed through the check
# endpoint, the verdicts as a table (post, action, score, claims,
# evidence), one reading of `medflag top`, then a clean shutdown
# (SIGTERM) and the temp dir removed.
# SPDX-License-Identifier: MIT
B=${MF_BUILD:-build}
cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
for p in "$B/medflagd" "$B/medflag-worker" "$B/medflag"; do
	command -v "$p" >/dev/null 2>&1 || [ -x "$p" ] || {
		echo "demo: $p not found (run make)"
		exit 1
	}
done
. tests/service-env.sh
mf_env_start demo "$TOP/rules"
echo "medflag demo: $(wc -l < tools/demo-posts.jsonl) example posts, rules in rules/"
echo "redis-server, medflagd and 2 workers in $D"
"$B/medflag" -c "$D/medflag.conf" sources load rules/sources >"$D/sources.out" 2>&1 ||
	echo "demo: sources load failed; workers use rules/sources files"
mf_env_medflagd
i=0
until "$B/medflag" -c "$D/medflag.conf" stats --json 2>/dev/null |
    grep -q '"pid"'; do
	i=$((i + 1)); [ $i -gt 250 ] && { echo "demo: medflagd did not start:"; cat "$D/medflagd.log"; exit 1; }
	sleep 0.02
done
echo
"$B/medflag" -c "$D/medflag.conf" push < tools/demo-posts.jsonl >"$D/verdicts.jsonl" || {
	echo "demo: push failed"; exit 1; }
/usr/bin/python3 - "$D/verdicts.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows.sort(key=lambda v: v.get("post_id", ""))
print("%-12s %-8s %6s  %-34s %s" % ("post", "action", "score", "claims", "evidence"))
print("%-12s %-8s %6s  %-34s %s" % ("----", "------", "-----", "------", "--------"))
for v in rows:
    claims = ",".join(sorted({h.get("claim", "") for h in v.get("hits", [])})) or "-"
    ev = (v.get("evidence") or [""])[0]
    print("%-12s %-8s %6.1f  %-34s %s" % (v.get("post_id", "?"), v.get("action", "?"),
          v.get("score", 0.0), claims[:34], ev))
ws = sorted({v.get("worker", "") for v in rows})
print("\n%d verdicts, seq %s..%s, workers %s" % (len(rows),
      min(v.get("seq", 0) for v in rows), max(v.get("seq", 0) for v in rows), " ".join(ws)))
PY
# What an operator sees (rule hits arrive with the workers' heartbeats).
sleep 1.2
echo
echo "What an operator sees: $B/medflag -c medflag.conf top"
"$B/medflag" -c "$D/medflag.conf" top -n 1 | sed 's/^/  /'
kill -TERM "$MPID"
wait "$MPID"; rc=$?
MPID=
echo "medflagd stopped on SIGTERM (exit $rc)"
echo
echo "Why a post was flagged:  $B/medflag explain \"The MMR jab gave my son autism.\""
