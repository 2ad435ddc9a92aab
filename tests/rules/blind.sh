#!/bin/sh
# The blind half of the corpus (tests/blind/), scored without showing a
# post: make check fails if a rule change loses what the rules reached on
# posts nobody tuned on (docs/rules.md, "Measuring on posts nobody tuned
# on"). The figures are floors under today's, not the goals.
B=${MF_BUILD:-build}
exec "$B/medflag" rules eval --blind --quiet \
    --min-precision "${MF_BLIND_PRECISION:-0.95}" \
    --min-recall "${MF_BLIND_RECALL:-0.85}" \
    --max-negative-flag-rate "${MF_BLIND_NEGFLAG:-0.03}" \
    --min-lang-recall "${MF_BLIND_LANG_RECALL:-0.75}" \
    --min-question-annotate "${MF_BLIND_QANN:-0.60}" \
    tests/blind/*.jsonl
