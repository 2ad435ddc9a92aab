#!/bin/sh
# The blind half of the corpus (tests/blind/: batches 1 and 2, 9,888
# posts), scored without showing a post: make check fails if a change to
# the rules or the model loses what they reach on posts nobody tuned on
# (docs/rules.md, "Measuring on posts nobody tuned on"; docs/learn.md).
# Rules and model today: precision 0.923, recall 0.805, 6.7% of hard
# negatives flagged, recall 0.784 in en (the weakest language), 45% of
# questions annotated, 93.5% of misinformation reaching a moderator and
# 26.3% of hard negatives (questions aside: the model's veto demotes a
# rule's flag to annotate, it does not silence it); the rules alone:
# precision 0.746, recall 0.582. The floors sit just under; the goals are
# 0.95, 0.85, 3%, 0.75, 60%, 90% and 10%, and the model must add 0.10 of
# recall.
B=${MF_BUILD:-build}
rc=0
T=$(mktemp "${TMPDIR:-/tmp}/mfblind.XXXXXX") || exit 1
"$B/medflag" rules eval --blind --quiet \
    --min-precision "${MF_BLIND_PRECISION:-0.915}" \
    --min-recall "${MF_BLIND_RECALL:-0.795}" \
    --max-negative-flag-rate "${MF_BLIND_NEGFLAG:-0.07}" \
    --min-lang-recall "${MF_BLIND_LANG_RECALL:-0.77}" \
    --min-question-annotate "${MF_BLIND_QANN:-0.44}" \
    --min-reach 0.93 --max-negative-reach 0.27 \
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
