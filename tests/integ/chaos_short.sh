#!/bin/sh
# tests/integ/chaos_short.sh - the short chaos suite in `make check`:
# every fault of `make chaos` on 12,000 posts in about a minute.
# SPDX-License-Identifier: MIT
TOP=$(cd "$(dirname "$0")/../.." && pwd)
MF_CHAOS_SHORT=1 exec sh "$TOP/tests/chaos.sh"
