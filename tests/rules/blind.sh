#!/bin/sh
# The blind half of the corpus (tests/blind/: batches 1 to 5 of claim
# families, 22,198 posts, batch 9 for the twelve weakest families, 600,
# batch 12 from new voices, 1,248, batch 13 for covid-vaccine-injury,
# 48, batch 14 of headlines and link posts, 1,663, batch 15 for
# covid-vaccine-injury again, 200, batch 16 of posts written around a
# filter, 832, batch 17 of mockery and irony on both sides, 832, batch
# 18 of tweets and headlines, 416, batch 19 of long posts that are not
# claims, 416, batch 20 of tweets on a myth's topic that are not claims,
# 416, batch 21 for covid-vaccine-injury and pharma-hides-cure, 80,
# batch 22 for the 28 families and languages whose rules were written
# from the open half's misses that day, 280, and 1,486 ordinary posts,
# 300 of them pandemic chatter with no health claim),
# scored without showing a post: make check fails if a change to the
# rules or the model loses what they reach on posts nobody tuned on
# (docs/rules.md, "Measuring on posts nobody tuned on"; docs/learn.md).
# Rules and model today: precision 0.969, recall 0.884 (the rules alone
# 0.695), 2.8% of hard negatives flagged (414 of 14,642), recall 0.873
# in de (the weakest language), 74.4% of questions annotated, 93.4% of
# misinformation reaching a moderator, 91.6% of that with its own claim
# named (84.8% with the family hint of before), and 7.8% of hard
# negatives (questions aside), 0.3% of ordinary posts flagged and 3.0%
# reaching a moderator (1.1% and 5.9% before model-near). The
# floors sit just under; the goals are 0.95, 0.85, 3%, 0.75, 60%, 90%
# and 10%, and the model must add 0.10 of recall.
B=${MF_BUILD:-build}
rc=0
T=$(mktemp "${TMPDIR:-/tmp}/mfblind.XXXXXX") || exit 1
"$B/medflag" rules eval --blind --quiet \
    --min-precision "${MF_BLIND_PRECISION:-0.96}" \
    --min-recall "${MF_BLIND_RECALL:-0.870}" \
    --max-negative-flag-rate "${MF_BLIND_NEGFLAG:-0.031}" \
    --min-lang-recall "${MF_BLIND_LANG_RECALL:-0.85}" \
    --min-question-annotate "${MF_BLIND_QANN:-0.70}" \
    --min-reach 0.91 --max-negative-reach 0.08 \
    --max-ordinary-flag-rate 0.007 --max-ordinary-reach 0.035 \
    --min-claim-named 0.90 \
    tests/blind/*.jsonl >"$T" || rc=1
cat "$T"
with=$(sed -n 's/^precision [0-9.]*  recall \([0-9.]*\).*/\1/p' "$T")
rm -f "$T"
without=$("$B/medflag" rules eval --blind --quiet --no-model \
    tests/blind/*.jsonl | sed -n 's/^precision [0-9.]*  recall \([0-9.]*\).*/\1/p')
echo "recall with the model $with, the rules alone $without"
awk "BEGIN { exit !($with >= $without + 0.10) }" || {
	echo "FAIL: the model adds less than 0.10 of recall"; rc=1; }
exit $rc
