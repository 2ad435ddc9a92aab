#!/bin/sh
# tests/chaos.sh - `make chaos`: the fault suite of tests/chaos.py against
# a real deployment (about 5 minutes; MF_CHAOS_SHORT=1 for about one).
# Exit 0 pass, 1 fail (a post lost a verdict somewhere), 77 skip.
# SPDX-License-Identifier: MIT
TOP=$(cd "$(dirname "$0")/.." && pwd)
export MF_TOP="$TOP" MF_BUILD="${MF_BUILD:-build}"
cd "$TOP" || exit 1
exec /usr/bin/python3 tests/chaos.py
