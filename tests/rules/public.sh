#!/bin/sh
# The public corpora of ../shared/data/public (real posts nobody here
# wrote), relabelled by stance in tests/public/*.labels. The model learns
# from part 0 of 2 of each (make model), so they are judged on part 1,
# which it never saw (docs/rules.md, "Measuring on posts nobody tuned on";
# docs/learn.md). Today, rules and model: reddit-hm recall 0.380 at
# precision 0.843 (0.386 at 0.835 before the model learnt batch 14 of the
# forum corpus, 0.364 at 0.838 before batch 12, 0.380 at 0.814 before
# that; 0.353 at 0.833 before a second pass of rules from its open half;
# 0.364 at 0.838 before the first: each retrained model moves a few of
# its posts either way); COVID-Q 2 of 786 questions flagged (1 to 4 as
# the model was retrained, likewise); CONSTRAINT 0.855 of the flagged
# rows are claims (0.864 before batch 14; every
# flagged row labelled; the rest is mostly off-topic fake news:
# politics, celebrities). A second
# reader, blind to these labels, put it at 0.847; see the header of
# tests/public/constraint.labels. Every row of part 0 that
# CONSTRAINT marks fake is labelled, so the model learns that most fake
# news is not a health claim (0.755 -> 0.858 when it did) and what a
# claim in a tweet looks like. model-weight was chosen on the open half;
# these figures were looked at for 3, 4 and 5 (5 flagged 3 of COVID-Q's
# 786), so they are not wholly unseen. Floors just under; the goals are
# 0.35, 0.3% and 0.95. Without ../shared/data the test cannot run: under
# CI that is a failure (exit 77 counts as one).
B=${MF_BUILD:-build}
D=${MF_SHARED_DATA:-../shared/data}/public
[ -f "$D/reddit-hm.jsonl" ] || { echo "no $D/reddit-hm.jsonl"; exit 77; }
rc=0
"$B/medflag" rules eval --quiet --part 1/2 \
    --labels tests/public/reddit-hm.labels \
    --min-recall "${MF_REDDIT_RECALL:-0.35}" --min-precision 0.80 \
    "$D/reddit-hm.jsonl" || rc=1
"$B/medflag" rules eval --quiet --part 1/2 --max-flag-rate 0.0055 \
    "$D/covid-q.jsonl" || rc=1
"$B/medflag" rules eval --quiet --part 1/2 \
    --labels tests/public/constraint.labels --labelled-only \
    --min-precision 0.84 "$D/constraint.jsonl" || rc=1
exit $rc
