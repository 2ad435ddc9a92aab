#!/bin/sh
# tests/chaos.sh - `make chaos`: the fault suite of tests/chaos.py against
# a real deployment (about 5 minutes; MF_CHAOS_SHORT=1 for about one), then
# its combined case (Redis frozen, then medflagd killed, with a subscriber
# down; chaos.py --combined, about 20 s).
# Exit 0 pass, 1 fail (a post lost a verdict somewhere), 77 skip.
# SPDX-License-Identifier: MIT
TOP=$(cd "$(dirname "$0")/.." && pwd)
export MF_TOP="$TOP" MF_BUILD="${MF_BUILD:-build}"
cd "$TOP" || exit 1
/usr/bin/python3 tests/chaos.py
suite=$?
/usr/bin/python3 tests/chaos.py --combined
combined=$?
for rc in $suite $combined; do
	[ "$rc" != 0 ] && [ "$rc" != 77 ] && exit 1
done
[ "$suite" = 77 ] || [ "$combined" = 77 ] && exit 77
exit 0
