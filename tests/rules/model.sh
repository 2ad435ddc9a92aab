#!/bin/sh
# rules/medflag.model is what `make model` gives: training is
# deterministic, so the shipped model is trained again from the open
# corpora, the expect lines and part 0 of the public corpora and the dev
# set, and the bytes must match. A rules edit that changes an expect line (or a new
# open post) needs `make model`; this says so. Without ../shared/data the
# test cannot run: under CI that is a failure (exit 77 counts as one).
B=${MF_BUILD:-build}
SHARED=${MF_SHARED_DATA:-../shared/data}
[ -f "$SHARED/public/reddit-hm.jsonl" ] && [ -f "$SHARED/dev/posts.jsonl" ] ||
	{ echo "no $SHARED/public or $SHARED/dev"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/mfmodel.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
make -s --no-print-directory BUILD="$B" SHARED="$SHARED" MODEL_FOLDS=1 \
    MODEL_OUT="$T/medflag.model" model >"$T/log" 2>&1 || { cat "$T/log"; exit 1; }
cat "$T/log"
cmp -s "$T/medflag.model" rules/medflag.model || {
	echo "FAIL: rules/medflag.model is not what \`make model\` trains"
	echo "  hint: run \`make model\` and commit rules/medflag.model"
	exit 1
}
echo "rules/medflag.model is what make model trains"
