#!/bin/sh
# `medflag mediawiki` against a real MediaWiki (Debian's mediawiki
# package): a wiki on SQLite in a temp dir, served by `php -S` on a free
# loopback port, its RC feed sending JSON datagrams to the adapter over
# UDP; a real medflagd (2 workers, redis). Edits through the API: a claim,
# a debunk, a question, a claim added to an old page, an edit of a page
# with an old claim that adds none, an obfuscated claim, the bot's own
# edit, a talk page, a question the model marks for review (the flag
# tag). Asserts on list=recentchanges&rcprop=tags and the tag
# log (reason, user); the tags are made by the adapter; with the periodic
# read an hour away, only the feed can have told it of the edits. An
# undone edit (mw-reverted) and a tag removed by an administrator move
# `medflag feedback --summary` (agreed, overturned). Then:
# SIGTERM ends it with a summary; an edit made while it is down is judged
# by --once from the cursor, which activates a tag deactivated meanwhile; a datagram that is not a change is logged
# and ignored; a wrong bot password stops it with a hint; no post text in
# its log. Kills only what it started.
B=${MF_BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
. tests/service-env.sh
MW=/usr/share/mediawiki
for f in /usr/bin/php "$MW/maintenance/install.php"; do
	[ -e "$f" ] || { echo "SKIP: $f is missing (make deps installs" \
	    "mediawiki, php-cli and php-sqlite3)"; exit 77; }
done
php -m | grep -qi '^pdo_sqlite$' || { echo "SKIP: PHP has no pdo_sqlite" \
    "(make deps installs php-sqlite3)"; exit 77; }

mf_env_start mediawiki "$TOP/rules" "log_level info"
WPID= APID=
trap 'kill $APID $WPID 2>/dev/null; wait $APID $WPID 2>/dev/null
mf_env_cleanup' EXIT
fail() {
	echo "FAIL: $*"
	for l in "$D"/mw*.log; do [ -f "$l" ] && echo "--- $l" && cat "$l"; done
	exit 1
}
mf_env_medflagd

# The wiki: installed into $D/wiki, its LocalSettings.php there too.
WPORT=$(mf_env_port) UPORT=$(mf_env_port udp)
W=http://127.0.0.1:$WPORT
A=$W/api.php
mkdir -p "$D/wiki/db"
export MW_CONFIG_FILE="$D/wiki/LocalSettings.php"
php "$MW/maintenance/install.php" --dbtype sqlite --dbpath "$D/wiki/db" \
    --dbname wiki --server "$W" --scriptpath "" --confpath "$D/wiki" \
    --pass medflag-admin-pw-1 --lang en "Medflag Test" Admin \
    >"$D/install.log" 2>&1 || fail "install.php: $(tail -5 "$D/install.log")"
cat >>"$MW_CONFIG_FILE" <<PHP
\$wgRCFeeds['medflag'] = [ 'formatter' => 'JSONRCFeedFormatter',
    'uri' => 'udp://127.0.0.1:$UPORT' ];
\$wgEnableBotPasswords = true;
# MediaWiki 1.39's action=managetags asks for deletechangetags too, for
# every operation (ApiManageTags::execute).
foreach ( [ 'managechangetags', 'deletechangetags' ] as \$r ) {
	\$wgGrantPermissions['managetags'][\$r] = true;
	\$wgGroupPermissions['bot'][\$r] = true;
}
\$wgGroupPermissions['*']['noratelimit'] = true;
PHP
php "$MW/maintenance/createAndPromote.php" --bot Medflag medflag-bot-pw-1 \
    >>"$D/install.log" 2>&1 || fail "createAndPromote: $(tail -3 "$D/install.log")"
BOTPW=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
php "$MW/maintenance/createBotPassword.php" --appid medflag \
    --grants basic,editpage,managetags Medflag "$BOTPW" \
    >>"$D/install.log" 2>&1 || fail "createBotPassword: $(tail -3 "$D/install.log")"
printf '%s\n' "$BOTPW" >"$D/bot.pass"
php -S "127.0.0.1:$WPORT" -t "$MW" >"$D/php.log" 2>&1 &
WPID=$!
api() { /usr/bin/python3 tests/mediawiki_api.py "$A" "$@"; }
i=0
until api tags >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "php -S: $(tail -5 "$D/php.log")"
	sleep 0.1
done
mf_env_workers

cat >>"$CONF" <<CONF
mediawiki_api $A
mediawiki_user Medflag@medflag
mediawiki_password_file $D/bot.pass
mediawiki_rc_listen 127.0.0.1:$UPORT
mediawiki_poll_ms 3600000
mediawiki_state_file $D/cursor
CONF
CLAIM="Vaccines cause autism. My son got the MMR jab and developed autism two weeks later. Do not vaccinate your kids."
DEBUNK="Studies of millions of children found no link between vaccines and autism."
QUESTION="Is it true that vaccines cause autism? I would like to see the studies."
PLAIN="Type 2 diabetes is managed with diet, exercise and medicine."
INSULIN="Stop taking insulin, cinnamon cures diabetes."
REVIEW="Has anyone tried cinnamon instead of insulin for diabetes?"
OBFUSCATED="Vacc1nes c@use aut1sm. My son got the M M R jab and developed autism. Do not vaccinate your kids."

# Before the adapter's first start: not judged (it starts from now).
r0=$(api edit Old "$CLAIM") || fail "edit"
sleep 1.1
"$B/medflag" -c "$CONF" mediawiki 2>"$D/mw.log" &
APID=$!
i=0
until grep -q 'logged in to' "$D/mw.log" 2>/dev/null; do
	i=$((i + 1)); [ $i -gt 150 ] && fail "medflag mediawiki did not log in"
	kill -0 $APID 2>/dev/null || fail "medflag mediawiki exited"
	sleep 0.1
done
grep -q 'change tag medflag-flag created' "$D/mw.log" &&
    grep -q 'change tag medflag-hold created' "$D/mw.log" ||
    fail "the tags were not made"
api defined | grep -q '"medflag-flag": true, "medflag-hold": true' ||
    fail "tags: $(api defined)"

claim=$(api edit Vaccines "== Safety ==
$CLAIM") &&
debunk=$(api edit Studies "$DEBUNK") &&
question=$(api edit Questions "$QUESTION") &&
plain=$(api edit Diabetes "$PLAIN") &&
added=$(api edit Diabetes "$PLAIN
$INSULIN") &&
noclaim=$(api edit Vaccines "== Safety ==
$CLAIM

See also [[Studies]].") &&
own=$(api edit Studies "$CLAIM" Medflag@medflag "$BOTPW") &&
talk=$(api edit "Talk:Vaccines" "$CLAIM") &&
review=$(api edit Cinnamon "$REVIEW") &&
obf=$(api edit Obfuscated "$OBFUSCATED") || fail "edits refused"

i=0
until api tags | grep -q "\"$obf\": \[\"medflag-flag\"\]"; do
	i=$((i + 1)); [ $i -gt 300 ] && fail "no tag on $obf: $(api tags)"
	sleep 0.1
done
api tags | /usr/bin/python3 -c 'import json, sys
t = json.load(sys.stdin)
want = dict(zip(sys.argv[1::2], sys.argv[2::2]))
for rev, tags in sorted(t.items()):
    mine = [x for x in tags if x.startswith("medflag-")]
    assert mine == ([want[rev]] if want.get(rev) else []), (rev, tags)
' "$r0" "" "$claim" medflag-flag "$debunk" "" "$question" "" "$plain" "" \
    "$added" medflag-hold "$noclaim" "" "$own" "" "$talk" "" \
    "$review" medflag-flag "$obf" medflag-flag || fail "tags: $(api tags)"
api taglog | /usr/bin/python3 -c 'import json, sys
t = json.load(sys.stdin)
c = t[sys.argv[1]]
assert c["user"] == "Medflag" and c["added"] == ["medflag-flag"], c
r = c["comment"]
assert r.startswith("medflag flag (score "), r
assert "claim vaccines-autism (" in r and "rule vaccines-autism." in r, r
assert "counter-evidence https://" in r and len(r) <= 480, r
assert "insulin-stop" in t[sys.argv[2]]["comment"], t[sys.argv[2]]
r = t[sys.argv[3]]["comment"]
assert r.startswith("medflag annotate (score ") and ", for review; " in r, r
' "$claim" "$added" "$review" || fail "tag log: $(api taglog)"

# Patrollers: an edit undone (MediaWiki tags it mw-reverted) counts as
# agreed, a tag removed by someone as overturned, for the rules of the
# verdict; `medflag feedback --summary` shows it.
undo=$(api undo Diabetes "$added" Admin medflag-admin-pw-1) || fail "undo"
# mw-reverted is applied by a job: the wiki's job runner (cron, systemd).
php "$MW/maintenance/runJobs.php" --type revertedTagUpdate >>"$D/install.log" 2>&1 ||
    fail "runJobs: $(tail -3 "$D/install.log")"
api untag "$claim" medflag-flag Admin medflag-admin-pw-1 || fail "untag"
i=0
until grep -q "revision $added: reverted: agreed for " "$D/mw.log" &&
    grep -q "revision $claim: Admin removed its tag: overturned for " "$D/mw.log"; do
	i=$((i + 1)); [ $i -gt 150 ] && fail "no outcomes: $(api tags)"
	sleep 0.1
done
"$B/medflag" -c "$CONF" feedback --summary >"$D/summary" 2>&1 ||
    fail "summary: $(cat "$D/summary")"
grep -Eq '^insulin-stop[a-z.-]* +[0-9]+ +[0-9]+ +1 +0 ' "$D/summary" &&
    grep -Eq '^vaccines-autism[a-z.-]* +[0-9]+ +[0-9]+ +0 +1 ' "$D/summary" ||
    fail "summary: $(cat "$D/summary")"

# A datagram that is not a change: logged, ignored.
/usr/bin/python3 -c 'import socket, sys
socket.socket(type=socket.SOCK_DGRAM).sendto(b"hello", ("127.0.0.1",
    int(sys.argv[1])))' "$UPORT"
mf_env_until "a bad datagram was not reported" \
    grep -q "is not a change of JSONRCFeedFormatter" "$D/mw.log"
kill $APID; wait $APID; rc=$?; APID=
[ $rc = 0 ] || fail "exit status $rc after SIGTERM"
grep -Eq 'stopped: 8 judged, 3 tagged medflag-flag \(1 for review\), 1 tagged medflag-hold, 0 failed; 2 outcomes; [0-9]+ datagrams; cursor [0-9]+ ' \
    "$D/mw.log" || fail "no summary"

# Down while an edit is made: --once judges it from the cursor. A tag
# deactivated meanwhile is activated again.
late=$(api edit Garlic "$INSULIN") || fail "edit"
api deactivate medflag-hold Medflag@medflag "$BOTPW" || fail "deactivate"
# The wiki answers from its tag cache for a moment after a change.
hold_gone() { ! api defined | grep -q '"medflag-hold"'; }
mf_env_until "medflag-hold still active: $(api defined)" hold_gone
"$B/medflag" -c "$CONF" mediawiki --once 2>"$D/mw2.log" ||
    fail "--once: $(cat "$D/mw2.log")"
grep -q 'change tag medflag-hold activated' "$D/mw2.log" ||
    fail "not activated: $(cat "$D/mw2.log")"
grep -q 'stopped: 1 judged, 0 tagged medflag-flag (0 for review), 1 tagged medflag-hold' \
    "$D/mw2.log" || fail "--once: $(cat "$D/mw2.log")"
api tags | grep -q "\"$late\": \[\"medflag-hold\"\]" || fail "$late: $(api tags)"

# A wrong bot password: exit 1, with the wiki's reason and a hint.
printf 'wrong\n' >"$D/bot.pass"
"$B/medflag" -c "$CONF" mediawiki --once 2>"$D/mw3.log" &&
    fail "a wrong password was accepted"
grep -q 'hint: check mediawiki_user and the bot password' "$D/mw3.log" ||
    fail "wrong password: $(cat "$D/mw3.log")"

cat "$D"/mw*.log | grep -qi 'vaccinate\|cinnamon\|autism two' &&
    fail "post text in the log"
echo "ok: medflag mediawiki tags a real wiki's revisions from its RC feed"
