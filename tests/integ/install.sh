#!/bin/sh
# An installed medflag runs by itself: `make install` into a fresh temp
# prefix (its own build directory, so build/ keeps its paths) installs
# the programs, the shared and static library with a medflag.pc that
# links, the rules with canary.jsonl, the labelled corpus, the example
# configuration and local.d/ (both kept on a second install), the
# documentation, the manual pages (no mandoc warning) and systemd units
# with the prefix's paths and their sandbox. Then, from / and without -c
# or any MEDFLAG_* variable: medflagd -n, explain and rules eval on the
# installed files; medflagd with check, push and tail (through the
# installed medflag-ctl), a second medflagd refused, a 3 MB post,
# invalid UTF-8, `medflag http` through the installed medflag-gateway,
# and reloads of a broken and of a catch-all rule refused; local.d's
# overrides and `medflag config`; and mode shadow. Log lines carry
# time, level and component, no post text.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
fail() { echo "FAIL: $*"; [ -f "$T/medflagd.log" ] && cat "$T/medflagd.log"; exit 1; }
command -v redis-server >/dev/null 2>&1 ||
    { echo "SKIP: redis-server not found (make deps installs it)"; exit 77; }
command -v mandoc >/dev/null 2>&1 ||
    { echo "SKIP: mandoc not found (make deps installs it)"; exit 77; }
T=$(mktemp -d "${TMPDIR:-/tmp}/mfinstall.XXXXXX") || exit 1
RPID= MPID=
trap '[ -n "$MPID" ] && kill $MPID; [ -n "$RPID" ] && kill $RPID; wait; rm -rf "$T"' EXIT
trap 'exit 1' INT TERM
P=$T/prefix
unset MEDFLAG_CONF MEDFLAG_RULES

# The installed medflagd from /, with the installed configuration, until
# its worker is ready (20 s at most).
start_medflagd() {
	(cd / && exec "$P/bin/medflagd") 2>"$T/medflagd.log" &
	MPID=$!
	i=0
	until (cd / && "$P/bin/medflag" stats 2>/dev/null) | grep -q 'workers (1)'; do
		i=$((i + 1)); [ $i -gt 200 ] && fail "installed medflagd never had a worker"
		sleep 0.1
	done
}

inst() {
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -j2 install \
	    PREFIX="$P" BUILD="$T/build" >"$T/install.log" 2>&1 ||
	    { cat "$T/install.log"; fail "make install PREFIX=$P"; }
}
inst
for f in bin/medflagd bin/medflag-worker bin/medflag bin/medflag-ctl \
    bin/medflag-gateway \
    etc/medflag/medflag.conf \
    share/medflag/rules/canary.jsonl share/medflag/rules/policy.conf \
    share/medflag/rules/sources/vetted.list share/doc/medflag/operations.md \
    share/medflag/ui/index.html share/medflag/ui/console.js \
    lib/systemd/system/medflagd.service lib/systemd/system/medflag-http.service \
    lib/systemd/system/medflag-discourse.service \
    var/run/medflag share/man/man1/medflag.1 share/man/man1/medflag-ctl.1 \
    share/man/man8/medflagd.8 share/man/man8/medflag-gateway.8 \
    share/man/man5/medflag.conf.5 share/man/man5/medflag.rules.5; do
	[ -e "$P/$f" ] || fail "make install left out $f"
done
# The manual pages: no mandoc warning, and man finds them by name.
for m in "$P"/share/man/man*/*; do
	out=$(mandoc -T lint -W warning "$m" 2>&1) || fail "mandoc -T lint $m: $out"
done
for m in medflag medflag-ctl medflagd medflag-gateway medflag.conf medflag.rules; do
	MANPATH=$P/share/man man -w "$m" >/dev/null 2>&1 ||
	    fail "man -w $m finds no page under $P/share/man"
done
U=$P/lib/systemd/system
grep -qx "ExecStart=$P/bin/medflagd -c $P/etc/medflag/medflag.conf" \
    "$U/medflagd.service" || fail "medflagd.service: $(grep Exec "$U/medflagd.service")"
grep -qx "ExecStartPre=$P/bin/medflagd -n -c $P/etc/medflag/medflag.conf" \
    "$U/medflagd.service" || fail "medflagd.service runs no -n first"
grep -q "^ExecStart=$P/bin/medflag-gateway -c $P/etc/medflag/medflag.conf http " \
    "$U/medflag-http.service" || fail "medflag-http.service: ExecStart"
grep -qx "ExecStart=$P/bin/medflag-gateway -c $P/etc/medflag/medflag.conf discourse" \
    "$U/medflag-discourse.service" || fail "medflag-discourse.service: ExecStart"
for u in medflagd medflag-http medflag-discourse; do
	for k in DynamicUser=yes ProtectSystem=strict ProtectHome=yes \
	    PrivateTmp=yes NoNewPrivileges=yes CapabilityBoundingSet= \
	    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6'; do
		grep -qx "$k" "$U/$u.service" || fail "$u.service: no $k"
	done
	grep -q '@[A-Z]*@' "$U/$u.service" && fail "$u.service: @VAR@ left"
	if command -v systemd-analyze >/dev/null 2>&1; then
		systemd-analyze verify "$U/$u.service" >"$T/verify" 2>&1 ||
		    grep -q 'not executable\|No such file' "$T/verify" ||
		    fail "systemd-analyze verify $u: $(cat "$T/verify")"
	fi
done

# The labelled corpus, for `rules eval` on the installed rules.
for c in tests/corpus/*.jsonl; do
	cmp -s "$c" "$P/share/medflag/corpus/${c##*/}" ||
	    fail "make install left out or changed the corpus file ${c##*/}"
done
out=$(cd / && "$P/bin/medflag" rules eval "$P/share/medflag/corpus/vaccines.jsonl" 2>&1) &&
    echo "$out" | grep -q '^posts [1-9][0-9]* (misinfo' || fail "rules eval on the installed corpus: $out"

# From /, nothing given: the installed configuration and rules.
out=$(cd / && "$P/bin/medflagd" -n 2>&1) || fail "installed medflagd -n: $out"
echo "$out" | grep -q "^rules: $P/share/medflag/rules: [0-9]* rules" &&
    echo "$out" | grep -q '^canary: 46 sample posts' &&
    echo "$out" | grep -q '^configuration OK$' || fail "medflagd -n: $out"
out=$(cd / && "$P/bin/medflag" explain "The MMR jab gave my son autism." 2>&1)
echo "$out" | grep -q '^verdict:  flag' || fail "installed explain: $out"
out=$(cd / && "$P/bin/medflagd" --version) && [ "$out" = "medflagd 0.1.0" ] ||
    fail "medflagd --version: $out"

# The library: a program built with nothing but pkg-config and the
# installed prefix links the shared libmedflag (its soname), includes
# the system's <err.h> beside <medflag/medflag.h>, and judges as explain.
for f in lib/libmedflag.a lib/libmedflag.so "lib/$(readlink "$P/lib/libmedflag.so")" \
    include/medflag/medflag.h; do
	[ -e "$P/$f" ] || fail "make install left out $f"
done
cat >"$T/prog.c" <<'PROG'
#include <err.h>
#include <stdio.h>

#include <medflag/medflag.h>

int
main(int argc, char **argv)
{
	mf_diags_t	 diags = {0};
	mf_err_t	 e = {0};
	mf_ruleset_t	*rs;
	mf_scanner_t	*sc;
	mf_post_t	*post;
	mf_verdict_t	*v = NULL;

	if (argc != 3)
		errx(2, "usage: prog RULES TEXT");
	if ((rs = mf_ruleset_load(argv[1], NULL, 0, &diags)) == NULL)
		errx(1, "%s: %zu errors", argv[1], diags.errors);
	if ((sc = mf_scanner_new(&e)) == NULL ||
	    (post = mf_post_new("p-1", argv[2])) == NULL ||
	    mf_scan(sc, rs, NULL, post, 0, &v, &e) != 0)
		errx(1, "scan: %s", e.msg);
	printf("%s %s %zu\n", MF_VERSION, mf_action_name(v->action),
	    mf_ruleset_size(rs));
	mf_verdict_destroy(&v);
	mf_post_destroy(&post);
	mf_scanner_destroy(&sc);
	mf_ruleset_destroy(&rs);
	mf_diags_free(&diags);
	return 0;
}
PROG
PKG_CONFIG_PATH=$P/lib/pkgconfig
export PKG_CONFIG_PATH
# Under make asan the library is sanitized: the program links the
# sanitizer's runtime too (MF_SANITIZE), or it cannot load it.
cc -std=c11 -Wall -Werror ${MF_SANITIZE:+-fsanitize=$MF_SANITIZE} \
    $(pkg-config --cflags medflag) -o "$T/prog" "$T/prog.c" \
    $(pkg-config --libs medflag) -Wl,-rpath,"$P/lib" >"$T/cc.log" 2>&1 ||
    fail "a program with pkg-config medflag: $(cat "$T/cc.log")"
unset PKG_CONFIG_PATH
readelf -d "$T/prog" | grep -q 'NEEDED.*\[libmedflag\.so\.0\]' ||
    fail "the program does not use the shared libmedflag.so.0"
ver=$("$P/bin/medflag" --version | sed 's/^medflag //')
out=$(cd / && "$T/prog" "$P/share/medflag/rules" "The MMR jab gave my son autism.") &&
    [ "${out% *}" = "$ver flag" ] && [ "${out##* }" -gt 0 ] ||
    fail "the program: $out (medflag $ver)"

# The service: the installed configuration names a private redis and
# ipc:// endpoints (no fixed ports), and a second install keeps it.
redis-server --port 0 --unixsocket "$T/redis.sock" --save '' \
    --appendonly no --dir "$T" >"$T/redis.log" 2>&1 &
RPID=$!
cat >>"$P/etc/medflag/medflag.conf" <<CONF
# added by tests/integ/install.sh
ingest   ipc://$T/ingest
check    ipc://$T/check
verdicts ipc://$T/verdicts
control  ipc://$T/control
backend  ipc://$T/backend
redis    unix://$T/redis.sock
workers  1
CONF
inst
grep -q 'added by tests/integ/install.sh' "$P/etc/medflag/medflag.conf" ||
    fail "a second make install replaced the configuration"
start_medflagd
out=$(cd / && "$P/bin/medflag" check "The MMR jab gave my son autism." 2>&1)
rc=$?
[ $rc = 1 ] && echo "$out" | grep -q 'flag' ||
    fail "installed check: exit $rc: $out"
out=$(cd / && "$P/bin/medflag" check "Any tips for a long-haul flight with a toddler?" 2>&1)
rc=$?
[ $rc = 0 ] || fail "installed check of an ordinary post: exit $rc: $out"

# A second medflagd on the same endpoints is refused and names the
# first; a 3 MB post is an error verdict at once (exit 2); invalid UTF-8
# is repaired and flagged; --help is on stdout with exit 0.
out=$(cd / && timeout 20 "$P/bin/medflagd" 2>&1) && fail "a second medflagd started"
echo "$out" | grep -q "another medflagd (pid $MPID) serves these endpoints" ||
    fail "second medflagd: $out"
head -c 3000000 /dev/zero | tr '\0' 'a' >"$T/big.txt"
t0=$(date +%s)
out=$(cd / && "$P/bin/medflag" check - <"$T/big.txt" 2>&1)
rc=$?
[ $rc = 2 ] && [ $(($(date +%s) - t0)) -le 2 ] &&
    echo "$out" | grep -q 'larger than 1 MiB' || fail "check of 3 MB: exit $rc: $out"
out=$(cd / && printf 'The MMR jab gave my son autism \377\n' |
    "$P/bin/medflag" check --json - 2>&1)
echo "$out" | grep -q '"invalid_utf8"' || fail "check of invalid UTF-8: $out"
out=$(cd / && "$P/bin/medflag" rules check --help 2>/dev/null) &&
    echo "$out" | grep -q '^usage: medflag rules' || fail "rules check --help: $out"
# `medflag http` runs the installed medflag-gateway, with the same
# arguments.
out=$(cd / && "$P/bin/medflag" http --help 2>&1) &&
    echo "$out" | grep -q '^usage: medflag http' || fail "medflag http --help: $out"

# push: JSON Lines in, one verdict per line out; tail replays them from
# the journal.
printf '%s\n' '{"post_id":"i-1","body":"The MMR jab gave my son autism."}' \
    '{"post_id":"i-2","body":"Any tips for a long-haul flight with a toddler?"}' \
    >"$T/posts.jsonl"
out=$(cd / && "$P/bin/medflag" push <"$T/posts.jsonl" 2>"$T/push.err")
rc=$?
[ $rc = 0 ] && [ "$(echo "$out" | grep -c '"post_id":"i-[12]"')" = 2 ] &&
    echo "$out" | grep '"post_id":"i-1"' | grep -q '"action":"flag"' ||
    fail "installed push: exit $rc: $out $(cat "$T/push.err")"
seq=$(cd / && "$P/bin/medflag" stats --json | sed -n 's/.*"seq":\([0-9]*\).*/\1/p')
out=$(cd / && timeout 20 "$P/bin/medflag" tail --since 1 --count "$seq" --json 2>&1)
echo "$out" | grep -q '"post_id":"i-1"' && echo "$out" | grep -q '"post_id":"i-2"' ||
    fail "installed tail --since 1: $out"

# Reloads from local.d: a rule that does not compile and a catch-all
# rule (score 9 on "the|a|i|you") are both refused, the running rules
# stay.
rs0=$(cd / && "$P/bin/medflag" stats --json | sed -n 's/.*"ruleset":"\([0-9a-f]*\)".*/\1/p')
L=$P/etc/medflag/local.d
printf 'rule vaccines-autism.broken\n  score 6\n  match /(unclosed/\nend\n' \
    >"$L/broken.rules"
out=$(cd / && "$P/bin/medflag" reload 2>&1) && fail "a reload with a broken rule passed: $out"
echo "$out" | grep -q "$L/broken.rules:3:[0-9]*: error: " ||
    fail "reload with a broken rule: $out"
rm "$L/broken.rules"
cat >"$L/catchall.rules" <<'RULES'
rule vaccines-autism.everything
  score 9
  match /\b(the|a|i|you)\b/
  expect match "you"
end
RULES
out=$(cd / && "$P/bin/medflag" reload 2>&1) && fail "a reload with a catch-all rule passed: $out"
echo "$out" | grep -q 'canary' || fail "reload with a catch-all rule: $out"
rm "$L/catchall.rules"
rs1=$(cd / && "$P/bin/medflag" stats --json | sed -n 's/.*"ruleset":"\([0-9a-f]*\)".*/\1/p')
[ -n "$rs0" ] && [ "$rs0" = "$rs1" ] || fail "the ruleset changed: $rs0 -> $rs1"
grep -q 'warn medflagd: reload refused' "$T/medflagd.log" ||
    fail "medflagd did not log the refused reloads"
out=$(cd / && "$P/bin/medflag" reload 2>&1) || fail "a reload of the good rules: $out"
kill $MPID; wait $MPID; MPID=
bad=$(grep -Ev '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z (debug|info|warn|fatal) (medflagd|worker\[[0-9]+\]): ' "$T/medflagd.log")
[ -z "$bad" ] || fail "log lines without time, level, component: $bad"
grep -q 'MMR jab\|toddler' "$T/medflagd.log" && fail "post text in medflagd's log"
# Local overrides: local.d/ beside the installed configuration changes a
# key, turns a curated rule off and adds a rule with its own vetted
# source; the programs from / follow it, `medflag config` says where each
# value came from, and a reinstall leaves local.d/ as it was.
L=$P/etc/medflag/local.d
[ -d "$L" ] || fail "make install made no $L"
mkdir -p "$L/sources"
echo 'log_level warn' >"$L/50-site.conf"
cat >"$L/site.rules" <<'RULES'
override vaccines-autism.causal off
claim garlic-flu
  title      Garlic cures the flu
  fact       No trial has found that garlic cures influenza.
  evidence   https://health.example.org/garlic
  tier       misleading
end
rule garlic-flu.cures
  score      6
  match      /\bgarlic\b/
  match      /\bflu\b/
  near       40
  expect     match   "Garlic cures the flu."
  expect     nomatch "Nothing about it here."
end
RULES
echo health.example.org >"$L/sources/vetted-site.list"
cp -R "$L" "$T/local.before"
inst
diff -r "$T/local.before" "$L" >/dev/null || fail "make install changed $L"
out=$(cd / && "$P/bin/medflag" explain "The MMR jab gave my son autism. Garlic cures the flu." 2>&1)
echo "$out" | grep -q '^rule garlic-flu.cures  (enforce' &&
    ! echo "$out" | grep -q '^rule vaccines-autism.causal' ||
    fail "explain with local.d: $out"
conf=$(cd / && "$P/bin/medflag" config 2>&1) || fail "medflag config: $conf"
echo "$conf" | grep -q "^log_level  *warn  *# $L/50-site.conf:1$" &&
    echo "$conf" | grep -q "^workers  *1  *# $P/etc/medflag/medflag.conf:[0-9]*$" &&
    echo "$conf" | grep -q "^ingest  *ipc://$T/ingest  *# $P/etc/medflag/medflag.conf:[0-9]*$" &&
    echo "$conf" | grep -q '^heartbeat_ms  *1000  *# default$' &&
    echo "$conf" | grep -q "^override vaccines-autism.causal mode off	# was enforce; $L/site.rules:1$" &&
    echo "$conf" | grep -q "^# rule garlic-flu.cures: added, $L/site.rules:8$" ||
    fail "medflag config: $conf"
h1=$(echo "$conf" | sed -n 's/^# rules: .*ruleset \([0-9a-f]*\)$/\1/p')
out=$(cd / && "$P/bin/medflagd" -n 2>&1) || fail "medflagd -n with local.d: $out"
echo "$out" | grep -q "ruleset $h1\$" || fail "medflagd -n and config disagree ($h1): $out"
echo 'override no-such.rule score 1' >>"$L/site.rules"
out=$(cd / && "$P/bin/medflagd" -n 2>&1) &&
    fail "medflagd -n passed an override of a rule that does not exist"
n=$(wc -l <"$L/site.rules")
echo "$out" | grep -q "^$L/site.rules:$n:1: error: override: no rule 'no-such.rule'" ||
    fail "medflagd -n: $out"
sed -i '$d' "$L/site.rules"

# mode shadow (detect only), from local.d: medflagd says so, and a post
# it would flag comes back with that action, flagged shadow, and check
# exits 0, so that a hook acting on the status does nothing.
echo 'mode shadow' >"$L/60-shadow.conf"
out=$(cd / && "$P/bin/medflagd" -n 2>&1) && echo "$out" | grep -q '^mode: shadow: detect only' ||
    fail "medflagd -n in mode shadow: $out"
start_medflagd
grep -q 'warn medflagd: mode shadow: detect only' "$T/medflagd.log" ||
    fail "medflagd does not log mode shadow"
out=$(cd / && "$P/bin/medflag" check --json "Garlic cures the flu." 2>"$T/check.err")
rc=$?
[ $rc = 0 ] && echo "$out" | grep -q '"action": *"flag"' &&
    echo "$out" | grep -q '"flags": *\[[^]]*"shadow"' &&
    grep -q 'mode shadow (detect only): flag is what would be done' "$T/check.err" ||
    fail "check in mode shadow: exit $rc: $out $(cat "$T/check.err")"
kill $MPID; wait $MPID; MPID=
rm "$L/60-shadow.conf"
echo "ok: make install gives a medflag that runs from / by itself"
