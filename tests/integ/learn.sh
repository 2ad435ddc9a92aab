#!/bin/sh
# Moderators teach the model. A model trained on the open corpora alone
# (the forum's own posts are new to it) judges real forum posts
# (reddit-hm of ../shared/data, labelled by stance in tests/public); 200
# outcomes on one half (part 0 of 2), sent with the post's text through
# `medflag feedback -` as a forum adapter would, teach it. Then, on the
# other half, held back, the model's precision is higher; `learn status`
# counts 200 lessons by their teacher; the workers adopt the lessons (the
# posts the moderators overturned get lower probabilities from
# `medflag check`); and no taught text is in Redis or on disk.
B=${MF_BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
. tests/service-env.sh
fail() { echo "FAIL: $*"; exit 1; }
DATA=${MF_SHARED_DATA:-../shared/data}/public/reddit-hm.jsonl
LABELS=tests/public/reddit-hm.labels
[ -f "$DATA" ] || { echo "no $DATA"; exit 77; }

R=$(mktemp -d "${TMPDIR:-/tmp}/mflearnrules.XXXXXX") || exit 1
cp -r rules/. "$R/"
"$B/medflag" learn train --folds 1 --rules "$R" --out "$R/medflag.model" \
    tests/corpus/*.jsonl >"$R/train.log" || fail "training"
mf_env_start learn "$R" "log_level info"
trap 'mf_env_cleanup; rm -rf "$R"' EXIT
mf_env_medflagd
mf_env_workers

# precision P: the held-back half's precision at p >= P, taught so far;
# P "mean": its mean over the bars from 0.5 (the veto) to 0.95. One bar
# moves by a post or two as 200 lessons of both kinds are taught: at 0.5
# the lessons lift recall as much as precision (0.527 -> 0.543, 0.497
# -> 0.493 with the model of ab8eb51); the mean and the review line
# (0.7, where the model sends a post to a moderator) must rise.
precision() {
	"$B/medflag" -c "$CONF" learn eval --rules "$R" --taught \
	    --labels "$LABELS" --part 1/2 "$DATA" |
	    awk -v bar="$1" '/^all/ { on = 1 } on && $1 == bar { print $2; exit }
	    on && bar == "mean" && $1 + 0 >= 0.5 { s += $2; n++ }
	    on && /^  family hint/ { if (bar == "mean" && n) print s / n; exit }'
}
p5=$(precision 0.50); p7=$(precision 0.70); pm=$(precision mean)
[ -n "$p5" ] && [ -n "$p7" ] && [ -n "$pm" ] ||
    fail "learn eval printed no figures"

# The probes: the lessons the moderators overturn that the model calls a
# claim now (one post alone may move either way as 200 lessons of both
# kinds are taught; together they must move down).
/usr/bin/python3 tests/lessons.py "$DATA" "$LABELS" overturned |
/usr/bin/python3 -c '
import json, subprocess, sys
medflag, conf = sys.argv[1:3]
for line in sys.stdin:
    pid, text = json.loads(line)
    v = json.loads(subprocess.run([medflag, "-c", conf, "check", "--json",
        "-"], input=text.encode(), capture_output=True).stdout)
    p = [h.get("probability", 0) for h in v.get("hits", [])
         if h["rule"] == "model"]
    if p and p[0] >= 0.5:
        print(pid, p[0])
' "$B/medflag" "$CONF" >"$D/probe"
[ -s "$D/probe" ] || fail "no overturned post the model calls a claim"

# The lessons, as a forum adapter sends them: JSON Lines on a pipe.
/usr/bin/python3 tests/lessons.py "$DATA" "$LABELS" feedback |
"$B/medflag" -c "$CONF" feedback - 2>"$D/feedback.log" ||
    { cat "$D/feedback.log"; fail "feedback -"; }
grep -q "200 recorded, 0 bad" "$D/feedback.log" ||
    { cat "$D/feedback.log"; fail "not 200 recorded"; }

q5=$(precision 0.50); q7=$(precision 0.70); qm=$(precision mean)
echo "held-back precision at p >= 0.5: $p5 -> $q5; at p >= 0.7: $p7 -> $q7;" \
    "mean from 0.5 to 0.95: $pm -> $qm"
awk "BEGIN { exit !($qm > $pm && $q7 > $p7) }" ||
    fail "precision did not rise"

"$B/medflag" -c "$CONF" learn status >"$D/status" || fail "learn status"
grep -q "outcomes taught: 200;" "$D/status" || { cat "$D/status"; fail "status count"; }
grep -Eq "by test-mod +200" "$D/status" || { cat "$D/status"; fail "status teacher"; }
grep -q "precision of its claims" "$D/status" || { cat "$D/status"; fail "status precision"; }

# The workers adopt the lessons (they poll Redis every second or so).
i=0
until [ "$(grep -c 'weights taught by moderators' "$D/medflagd.log")" -ge 2 ]; do
	i=$((i + 1)); [ $i -gt 100 ] && { tail "$D/medflagd.log"; fail "workers did not adopt the lessons"; }
	sleep 0.1
done
/usr/bin/python3 tests/lessons.py "$DATA" "$LABELS" overturned |
/usr/bin/python3 -c '
import json, subprocess, sys
probes, medflag, conf = sys.argv[1:4]
before = dict((l.split()[0], float(l.split()[1])) for l in open(probes))
after = {}
for pid, text in map(json.loads, sys.stdin):
    if pid not in before:
        continue
    v = json.loads(subprocess.run([medflag, "-c", conf, "check", "--json",
        "-"], input=text.encode(), capture_output=True).stdout)
    after[pid] = ([h.get("probability", 0) for h in v.get("hits", [])
                   if h["rule"] == "model"] or [0])[0]
b = sum(before.values()) / len(before)
a = sum(after.values()) / max(len(after), 1)
down = sum(after[p] < before[p] for p in after)
print("%d probes: mean probability %.3f -> %.3f, %d lower" % (len(after),
    b, a, down))
sys.exit(0 if len(after) == len(before) and a < b and 2 * down > len(after)
         else 1)
' "$D/probe" "$B/medflag" "$CONF" || fail "the probes did not move"

# No taught text anywhere: every Redis value, and every file the run
# wrote (the rule files copied from rules/ may share a phrase with a post).
/usr/bin/python3 tests/lessons.py "$DATA" "$LABELS" snippets >"$D/snips.json"
nothing='
import json, os, sys
snips = [json.loads(l) for l in open(sys.argv[1])]
d, r = sys.argv[2:4]
dump = sys.stdin.read()
assert len(dump) > 1000, "nothing read from Redis"
bad = [s for s in snips if s in dump]
for top in (d, r):
    for root, _, files in os.walk(top):
        for f in files:
            p = os.path.join(root, f)
            if p.endswith("snips.json") or not os.path.isfile(p):
                continue
            # Rule files copied in from rules/ came with the project.
            q = os.path.join("rules", os.path.relpath(p, r))
            if top == r and os.path.isfile(q) and \
                    open(q, "rb").read() == open(p, "rb").read():
                continue
            b = open(p, "rb").read().decode("utf-8", "replace")
            bad += [p + ": " + s for s in snips if s in b]
print("%d taught texts looked for in Redis (%d bytes) and on disk: %d found"
      % (len(snips), len(dump), len(bad)))
sys.exit(1 if bad else 0)
'
for k in $(redis-cli -s "$D/redis.sock" --scan); do
	case $(redis-cli -s "$D/redis.sock" type "$k") in
	hash)	redis-cli -s "$D/redis.sock" hgetall "$k" ;;
	list)	redis-cli -s "$D/redis.sock" lrange "$k" 0 -1 ;;
	string)	redis-cli -s "$D/redis.sock" get "$k" ;;
	stream)	redis-cli -s "$D/redis.sock" xrange "$k" - + ;;
	set)	redis-cli -s "$D/redis.sock" smembers "$k" ;;
	zset)	redis-cli -s "$D/redis.sock" zrange "$k" 0 -1 ;;
	esac
done | /usr/bin/python3 -c "$nothing" "$D/snips.json" "$D" "$R" ||
    fail "taught text found"
echo "ok"
