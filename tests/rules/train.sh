#!/bin/sh
# `medflag learn train --weight`: each post of the corpus files after it
# counts that much (a forum's own moderated posts over the shipped
# corpora). Two made-up corpora disagree about the same sentence; the one
# that weighs more decides what the model learns, and with the same
# weight neither does. A bad weight is refused and says what to write.
B=${MF_BUILD:-build}
T=$(mktemp -d "${TMPDIR:-/tmp}/mftrain.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; cat "$T/out" 2>/dev/null; exit 1; }

i=1
while [ $i -le 20 ]; do
	printf '{"post_id":"a%d","lang":"en","label":"misinfo","kind":"claim","family":"covid-food-cure","body":"the blue kettle water fixes it, day %d"}\n' $i $i >>"$T/a.jsonl"
	printf '{"post_id":"b%d","lang":"en","label":"reliable","kind":"legit","family":"covid-food-cure","body":"the blue kettle water fixes it, day %d"}\n' $i $i >>"$T/b.jsonl"
	i=$((i + 1))
done

# recall BAR ARGS...: the model trained on ARGS, its recall at p >= BAR
# on the claims of a.jsonl.
recall() {
	bar=$1
	shift
	rm -rf "$T/r" && cp -r rules "$T/r" || exit 1
	"$B/medflag" learn train --rules "$T/r" --folds 1 --expect-weight 0 \
	    --out "$T/r/medflag.model" "$@" >"$T/out" 2>&1 ||
	    fail "training with $*"
	"$B/medflag" learn eval --rules "$T/r" "$T/a.jsonl" >"$T/out" 2>&1 ||
	    fail "eval after $*"
	awk -v bar="$bar" '$1 == bar { print $3; exit }' "$T/out"
}

r=$(recall 0.50 --weight 5 "$T/a.jsonl" --weight 1 "$T/b.jsonl")
[ "$r" = "1.000" ] || fail "claims weighing 5: recall $r, want 1.000"
r=$(recall 0.50 "$T/a.jsonl" --weight 5 "$T/b.jsonl")
[ "$r" = "0.000" ] || fail "non-claims weighing 5: recall $r, want 0.000"
# One --weight holds for every file after it: 3 and 3, undecided.
r=$(recall 0.30 --weight 3 "$T/a.jsonl" "$T/b.jsonl")
[ "$r" = "1.000" ] || fail "equal weights: recall $r at p >= 0.3, want 1.000"
r=$(recall 0.70 --weight 3 "$T/a.jsonl" "$T/b.jsonl")
[ "$r" = "0.000" ] || fail "equal weights: recall $r at p >= 0.7, want 0.000"

for w in 0 -1 x 1001; do
	"$B/medflag" learn train --rules rules --out "$T/m" --weight "$w" \
	    "$T/a.jsonl" >"$T/out" 2>&1 && fail "--weight $w accepted"
	grep -q -- "--weight $w: a number above 0, at most 1000" "$T/out" ||
	    fail "--weight $w: no clear error"
done
[ -e "$T/m" ] && fail "a refused training wrote a model"
echo "learn train --weight: the heavier corpus decides; bad weights refused"
