#!/bin/sh
# `medflag rules check` on a directory with three planted errors prints
# three located errors and exits 1; on rules/ it exits 0.
B=${MF_BUILD:-build}
out=$("$B/medflag" rules check tests/rules/planted 2>&1); rc=$?
fail() { echo "FAIL: $*"; echo "$out"; exit 1; }
[ "$rc" = 1 ] || fail "exit status $rc, expected 1"
n=$(echo "$out" | grep -c ': error: ')
[ "$n" = 3 ] || fail "$n errors reported, expected 3"
echo "$out" | grep -q 'planted.rules:12:53: error: unknown pattern flag' ||
    fail "flag error not located"
echo "$out" | grep -q "planted.rules:17:3: error: unknown keyword 'socre'" ||
    fail "keyword error not located"
echo "$out" | grep -q 'planted.rules:23:.*: error: rule garlic-flu.broken: bad pattern' ||
    fail "pattern error not located"
echo "$out" | grep -q 'nothing was loaded' || fail "no summary line"
"$B/medflag" rules check rules >/dev/null 2>&1 || fail "rules/ does not pass"
echo "ok: 3 located errors, exit 1; rules/ passes"
