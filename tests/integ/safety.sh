#!/bin/sh
# What keeps a deployment from running on rules it should not: the rule
# set hash covers content only (the same rules spelled "rules", "./rules/"
# or absolute hash the same).
B=${MF_BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
B=$TOP/$B
fail() { echo "FAIL: $*"; exit 1; }

hash_of() {
	"$B/medflag" rules check "$1" 2>&1 | sed -n 's/.*rule set \([0-9a-f]*\)$/\1/p'
}
h1=$(hash_of rules)
h2=$(hash_of ./rules/)
h3=$(cd / && hash_of "$TOP/rules")
[ -n "$h1" ] && [ "$h1" = "$h2" ] && [ "$h1" = "$h3" ] ||
    fail "one rule set, three hashes: '$h1' '$h2' '$h3'"
echo "ok: the rule set hash covers content only"
