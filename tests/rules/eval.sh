#!/bin/sh
# The curated rules and the model measured on the project's labelled
# corpus (tests/corpus/: the hand-written posts, the open half of the
# blind corpus, batches 1 to 5, 9 and 12 to 22, and batches 7, 8 and 10
# whole): make check fails if a change drops below the floors
# (docs/rules.md). The model is trained on this corpus, so with it the
# figures are those of its training set (1.000 / 0.998); the rules alone
# reach 0.789 / 0.795 with 21.6% of hard negatives flagged (their newest
# phrasings lean on the model's veto for debunks, reports and mockery).
# Both are held just under.
B=${MF_BUILD:-build}
rc=0
"$B/medflag" rules eval --quiet --min-precision 0.99 --min-recall 0.95 \
    --max-negative-flag-rate 0.01 tests/corpus/*.jsonl || rc=1
"$B/medflag" rules eval --quiet --no-model --min-precision 0.78 \
    --min-recall 0.74 --max-negative-flag-rate 0.22 tests/corpus/*.jsonl ||
    rc=1
# Why claims went unflagged adds up to those unflagged, and with the
# rules alone nothing is the model's doing.
"$B/medflag" rules eval --quiet --no-model tests/corpus/*.jsonl |
    awk '/^  misinfo / { fn = $3 }
	/^misinformation not flagged:/ { gsub(/[;,]/, ""); n = $4
	    sum = $8 + $16 + $23; vet = $16 }
	END { if (n == "" || n != fn || sum != n || vet != 0) {
	    print "eval.sh: misses by cause " sum " of " n " (" fn
	    " unflagged), vetoed " vet; exit 1 } }' || rc=1
# Per kind: a kind of hard negative has no precision, recall or reach of
# its own, only the shares of it flagged and reaching a moderator (no
# fewer reach than are flagged); the claims' row has figures.
"$B/medflag" rules eval --quiet --no-model --by kind tests/corpus/*.jsonl |
    awk '$1 == "sarcasm" && NF == 10 { s = ($4 $5 $6 == "---" &&
	    $8 ~ /%$/ && $9 ~ /%$/ && $9 + 0 >= $8 + 0 && $8 + 0 > 0) }
	$1 == "claim" && NF == 10 { c = ($5 ~ /^[01][.][0-9]+$/ &&
	    $8 == "-" && $9 == "-") }
	END { if (!s || !c) { print "eval.sh: the table by kind"; exit 1 } }' ||
    rc=1
exit $rc
