#!/bin/sh
# The blind half of the corpus (tests/blind/), scored without showing a
# post: make check fails if a rule change loses what the rules reached on
# posts nobody tuned on (docs/rules.md, "Measuring on posts nobody tuned
# on"). The figures are floors just under what the rules reach today
# (precision 0.773, recall 0.601, 17.6% of hard negatives flagged, recall
# 0.548 in de, the weakest language, 32% of questions annotated), not the
# goals: 0.95, 0.85, 3%, 0.75 and 60% (issue of the blind corpus).
B=${MF_BUILD:-build}
exec "$B/medflag" rules eval --blind --quiet \
    --min-precision "${MF_BLIND_PRECISION:-0.76}" \
    --min-recall "${MF_BLIND_RECALL:-0.59}" \
    --max-negative-flag-rate "${MF_BLIND_NEGFLAG:-0.19}" \
    --min-lang-recall "${MF_BLIND_LANG_RECALL:-0.53}" \
    --min-question-annotate "${MF_BLIND_QANN:-0.30}" \
    tests/blind/*.jsonl
