#!/bin/sh
# The public corpora of ../shared/data/public (real posts nobody here
# wrote) and the dev set of ../shared/data/dev (rumours of early 2020),
# relabelled by stance in tests/public/*.labels. The model learns from
# part 0 of 2 of each (make model), so they are judged on part 1, which
# it never saw (docs/rules.md, "Measuring on posts nobody tuned on";
# docs/learn.md). Today, rules and model: reddit-hm recall 0.364 at
# precision 0.848 (67 of 184 claims; between 0.342 and 0.375 with the
# models of the last few commits: each model retrained for new expect
# lines or open posts moves posts across the flag line both ways, at
# probabilities 0.80 to 0.89, and the Reddit titles sit near it; the
# shipped model averages eight runs to move fewer); COVID-Q 1 of 786
# questions flagged; CONSTRAINT 0.888 of the flagged rows are claims
# (292 of 329; every flagged row labelled, see the header of
# tests/public/constraint.labels); the dev set precision 0.921, recall
# 0.460 (of the rows labelled health claims: half of its false rows are
# not about health).
# Before the model learned the dev set: reddit-hm 0.380 at 0.843,
# COVID-Q 2, CONSTRAINT 0.855 (0.864 before batch 14 of the forum
# corpus; every flagged row labelled; the rest is mostly off-topic fake
# news: politics, celebrities, a case in some town). Each retrained model
# moves a few posts either way (reddit-hm 0.353 to 0.386, COVID-Q 1 to
# 4). A second reader, blind to the CONSTRAINT labels, put the flagged
# rows at 0.847 claims where these labels said 0.861; see the header of
# tests/public/constraint.labels. model-weight was chosen on the open
# half; these figures were looked at for 3, 4 and 5 (5 flagged 3 of
# COVID-Q's 786), so they are not wholly unseen. Floors just under; the
# goals are 0.35, 0.3% and 0.95. Without ../shared/data the test cannot
# run: under CI that is a failure (exit 77 counts as one).
B=${MF_BUILD:-build}
S=${MF_SHARED_DATA:-../shared/data}
D=$S/public
[ -f "$D/reddit-hm.jsonl" ] || { echo "no $D/reddit-hm.jsonl"; exit 77; }
[ -f "$S/dev/posts.jsonl" ] || { echo "no $S/dev/posts.jsonl"; exit 77; }
rc=0
"$B/medflag" rules eval --quiet --part 1/2 \
    --labels tests/public/reddit-hm.labels \
    --min-recall "${MF_REDDIT_RECALL:-0.34}" --min-precision 0.80 \
    "$D/reddit-hm.jsonl" || rc=1
"$B/medflag" rules eval --quiet --part 1/2 --max-flag-rate 0.0055 \
    "$D/covid-q.jsonl" || rc=1
"$B/medflag" rules eval --quiet --part 1/2 \
    --labels tests/public/constraint.labels --labelled-only \
    --min-precision 0.87 "$D/constraint.jsonl" || rc=1
"$B/medflag" rules eval --quiet --part 1/2 \
    --labels tests/public/dev.labels \
    --min-precision 0.88 --min-recall 0.45 "$S/dev/posts.jsonl" || rc=1
exit $rc
