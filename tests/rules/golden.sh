#!/bin/sh
# Golden cases (tests/rules/golden.py): verdicts of the shipped rules on
# fixed posts; a change shows up in review as a diff of golden.jsonl.
exec /usr/bin/python3 "$(dirname "$0")/golden.py" "$@"
