#!/bin/sh
# The curated rules measured on the project's labelled corpus: make check
# fails if a rule change drops below the targets (docs/rules.md).
B=${MF_BUILD:-build}
exec "$B/medflag" rules eval --quiet --min-precision 0.95 --min-recall 0.85 \
    --max-negative-flag-rate 0.03 tests/corpus/*.jsonl
