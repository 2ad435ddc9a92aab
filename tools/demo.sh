#!/bin/sh
# make demo: the project's example posts judged by the shipped rules,
# printed as a table (post, action, score, claims, evidence).
B=${MF_BUILD:-build}
cd "$(dirname "$0")/.." || exit 1
echo "medflag demo: $(wc -l < tools/demo-posts.jsonl) example posts, rules in rules/"
echo
"$B/medflag" scan --table < tools/demo-posts.jsonl || exit 1
echo
echo "Why a post was flagged:  $B/medflag explain \"The MMR jab gave my son autism.\""
