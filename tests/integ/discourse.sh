#!/bin/sh
# `medflag discourse` between a real medflagd (2 workers, redis) and a
# stand-in for Discourse's API (tests/fake_discourse.py). Webhooks are
# signed as Discourse signs them (HMAC-SHA256 of the body with the
# webhook's secret). A claim becomes a notify_moderators flag whose message
# names the claim, the rule, the matched words and the evidence; a hold
# verdict asks for the post to be hidden for review; an annotate verdict
# the model marks for review raises a plain flag saying so; an ordinary post, a
# private message and the adapter's own posts raise nothing; a wrong or
# missing signature is 401 and bad JSON 400 naming line and column; a
# flag Discourse refuses with 502 is raised again; a redelivered event
# gets the duplicate verdict and raises no second flag. Moderators'
# decisions (Reviewable Events) move the rules' precision. The forum's
# refusals are in German: an edit that keeps the claim is refused a second
# flag, known as flagged from the post's actions_summary, and its verdict
# goes to the moderators in a message; the bot's
# own posts are known whatever the case of its name; a hold from a user
# who is not staff becomes a plain flag, logged; the daily flag limit's
# 429 is waited out as its Retry-After says; a granular key is given up
# with the hint that only a global key flags. With medflagd down the
# webhook is 503 (Discourse delivers it again later); with medflagd in
# mode shadow no flag is raised; post text never reaches the adapter's
# log.
B=${MF_BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
. tests/service-env.sh
fail() { echo "FAIL: $*"; [ -f "$D/ad.log" ] && cat "$D/ad.log"; exit 1; }

mf_env_start discourse "$TOP/rules" "log_level info"
mf_env_medflagd
FPID= APID= APID2=
trap 'kill $APID $APID2 $FPID 2>/dev/null; mf_env_cleanup' EXIT
printf 'k-123\n' >"$D/api.key"
printf 's3cret-hook-of-medflag\n' >"$D/hook.secret"
/usr/bin/python3 tests/fake_discourse.py "$D/fd.port" "$D/flags.jsonl" \
    k-123 medflag-bot 303 &
FPID=$!
mf_env_until "the fake Discourse did not start" test -s "$D/fd.port"
W=http://127.0.0.1:$(cat "$D/fd.port")
# set JSON: the fake forum's settings (staff, locale, daily flag limit).
set_forum() {
	/usr/bin/python3 -c 'import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1] + "/_test/set",
    data=sys.argv[2].encode(), method="POST"), timeout=5).read()' "$W" "$1"
}
set_forum '{"locale": "de"}'	# its refusals in German
APORT=$(mf_env_port)
cat >>"$CONF" <<CONF
discourse_url http://127.0.0.1:$(cat "$D/fd.port")/
discourse_api_key_file $D/api.key
discourse_api_user medflag-bot
discourse_webhook_secret_file $D/hook.secret
discourse_listen 127.0.0.1:$APORT
CONF
mf_env_workers
"$B/medflag" -c "$CONF" discourse --timeout 3000 2>"$D/ad.log" &
APID=$!

# hook EVENT JSON [SECRET|-]: a webhook as Discourse sends it; prints
# "STATUS BODY". SECRET '-' sends no signature. Each delivery has an
# event id of its own, or $EVID.
hook() {
	/usr/bin/python3 - "$APORT" "$@" <<'PY'
import hashlib, hmac, sys, urllib.request, urllib.error
port, event, body = sys.argv[1], sys.argv[2], sys.argv[3].encode()
secret = sys.argv[4] if len(sys.argv) > 4 else "s3cret-hook-of-medflag"
import os, time
evid = os.environ.get("EVID") or str(time.time_ns() // 1000)
h = {"Content-Type": "application/json", "X-Discourse-Event": event,
     "X-Discourse-Event-Type": "post", "X-Discourse-Event-Id": evid,
     "X-Discourse-Instance": "http://forum.test"}
if secret != "-":
    h["X-Discourse-Event-Signature"] = "sha256=" + hmac.new(
        secret.encode(), body, hashlib.sha256).hexdigest()
r = urllib.request.Request("http://127.0.0.1:%s/v1/discourse" % port,
    data=body, headers=h, method="POST")
try:
    with urllib.request.urlopen(r, timeout=20) as f:
        print(f.status, f.read().decode())
except urllib.error.HTTPError as e:
    print(e.code, e.read().decode())
PY
}
# post ID TEXT [USER] [ARCHETYPE] [VERSION]: Discourse's post payload,
# last changed $AGE seconds ago (now).
post() {
	/usr/bin/python3 -c 'import json, os, sys, time
t = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() -
    int(os.environ.get("AGE", "0"))))
print(json.dumps({"post": {"id": int(sys.argv[1]), "raw": sys.argv[2],
    "created_at": t, "updated_at": t,
    "cooked": "<p>" + sys.argv[2] + "</p>", "post_number": 2,
    "post_type": 1, "version": int(sys.argv[5]), "topic_id": 7,
    "topic_slug": "jabs",
    "topic_title": "About jabs", "username": sys.argv[3],
    "topic_archetype": sys.argv[4], "deleted_at": None}}))' \
	    "$1" "$2" "${3:-alice}" "${4:-regular}" "${5:-1}"
}
health() {
	/usr/bin/python3 -c 'import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/healthz" % sys.argv[1],
    timeout=5).read().decode())' "$APORT"
}
i=0
until hook ping '{"ping":"OK"}' 2>/dev/null | grep -q '^200 {"ok":true}'; do
	i=$((i + 1)); [ $i -gt 50 ] && fail "medflag discourse never answered"
	sleep 0.1
done

MMR="The MMR jab gave my son autism."
out=$(EVID=9001 hook post_created "$(post 101 "$MMR")")
echo "$out" | grep -q '^200 {"post_id":101,"action":"flag",.*"flag":"queued"' ||
    fail "claim: $out"
out=$(hook post_created "$(post 102 "Nice weather today, going for a walk.")")
echo "$out" | grep -q '^200 {"post_id":102,"action":"none"' || fail "ordinary: $out"
out=$(hook post_created "$(post 202 "Stop taking insulin, cinnamon cures diabetes")")
echo "$out" | grep -q '"action":"hold"' || fail "hold: $out"
out=$(hook post_created "$(post 303 "$MMR")")
echo "$out" | grep -q '"flag":"queued"' || fail "retried: $out"
out=$(hook post_created "$(post 104 "$MMR" alice private_message)")
echo "$out" | grep -q '^200 {"ignored":"a private message"}' || fail "PM: $out"
out=$(hook post_created "$(post 105 "$MMR" medflag-bot)")
echo "$out" | grep -q '^200 {"ignored":"posted by medflag-bot' || fail "own: $out"
out=$(hook post_created "$(post 106 "$MMR")" wrong-secret)
echo "$out" | grep -q '^401 {"error":"X-Discourse-Event-Signature does not match' ||
    fail "bad signature: $out"
out=$(hook post_created "$(post 107 "$MMR")" -)
echo "$out" | grep -q '^401 {"error":"no X-Discourse-Event-Signature' ||
    fail "no signature: $out"
out=$(hook post_created '{"post": {"id": 1,')
echo "$out" | grep -q '^400 {"error":"body:1:' || fail "bad JSON: $out"
out=$(hook topic_created '{"topic": {"id": 7}}')
echo "$out" | grep -q '^200 {"ignored":"event topic_created' || fail "topic: $out"
# Post 101 delivered again under another event id: medflagd's dedup gives
# the same verdict, flagged duplicate, no new flag.
out=$(hook post_created "$(post 101 "$MMR")")
echo "$out" | grep -q '"action":"flag",.*"duplicate":true}' || fail "redelivery: $out"
# The same delivery replayed after medflagd restarted (its dedup, in
# memory, forgotten): not judged again, by its event id kept in redis
# (with its expiry, without text); a post last changed longer ago than
# discourse_replay_window_s is not judged either.
kill $MPID; wait $MPID; mf_env_medflagd; mf_env_workers
out=$(EVID=9001 hook post_created "$(post 101 "$MMR")")
echo "$out" | grep -q '^200 {"ignored":"event 9001 was judged before: a delivery replayed"}' ||
    fail "replayed: $out"
ttl=$(redis-cli -s "$D/redis.sock" TTL "medflag:event:discourse:$W:9001")
[ "$ttl" -gt 172000 ] && [ "$ttl" -le 172800 ] || fail "event ttl: $ttl"
[ "$(redis-cli -s "$D/redis.sock" GET "medflag:event:discourse:$W:9001")" = 1 ] ||
    fail "the event's record is not just a mark"
out=$(hook post_created "$(AGE=$((3 * 86400)) post 107 "$MMR")")
echo "$out" | grep -Eq '^200 \{"ignored":"the post was last changed 2592[0-9]{2} s ago, over discourse_replay_window_s' ||
    fail "stale: $out"

# The flags: 101 and 202 at once, 303 after Discourse's 502.
i=0
until [ "$(grep -c . "$D/flags.jsonl" 2>/dev/null)" = 3 ]; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "flags raised: $(cat "$D/flags.jsonl")"
	sleep 0.1
done
/usr/bin/python3 - "$D/flags.jsonl" <<'PY' || fail "flags: $(cat "$D/flags.jsonl")"
import json, sys
f = {int(x["id"]): x for x in map(json.loads, open(sys.argv[1]))}
assert sorted(f) == [101, 202, 303], sorted(f)
for i in f:
    assert f[i]["post_action_type_id"] == "7" and f[i]["flag_topic"] == "false"
m = f[101]["message"]
assert m.startswith("medflag: flag (score "), m
assert "claim `vaccines-autism` (" in m and "rule `vaccines-autism.causal`" in m, m
assert ': "MMR" "autism" "gave"\n' in m, m     # the words each match line found
assert "Counter-evidence:\n- https://" in m, m
assert "queue_for_review" not in f[101]
assert f[202]["queue_for_review"] == "true" and "insulin" in f[202]["message"]
PY
grep -q 'post 303: Discourse answered 502: Bad Gateway; trying again' "$D/ad.log" ||
    fail "no retry after 502"
out=$(health)
echo "$out" | grep -q '"judged":5,"flagged":2,"review":0,"held":1,"pending":0,"retries":1,"failed":0' ||
    fail "healthz: $out"
echo "$out" | grep -q '"bad_signature":2,"bad_request":1' || fail "healthz: $out"
# review_flag ID BODY WHY CLAIM: the post gets annotate, and a plain flag
# (not queued for review: only staff may) that says WHY it is for review
# and names CLAIM with its counter-evidence.
review_flag() {
	out=$(hook post_created "$(post "$1" "$2")")
	echo "$out" | grep -q "^200 {\"post_id\":$1,\"action\":\"annotate\",.*\"flag\":\"queued\"" ||
	    fail "review $1: $out"
	i=0
	until grep -q "\"id\": \"$1\"" "$D/flags.jsonl"; do
		i=$((i + 1)); [ $i -gt 100 ] && fail "no flag for review of $1: $(cat "$D/flags.jsonl")"
		sleep 0.1
	done
	/usr/bin/python3 - "$D/flags.jsonl" "$1" "$3" "$4" <<'PY' || fail "review flag $1: $(cat "$D/flags.jsonl")"
import json, sys
f = [x for x in map(json.loads, open(sys.argv[1])) if x.get("id") == sys.argv[2]]
assert len(f) == 1, f
m = f[0]["message"]
assert m.startswith("medflag: annotate (score "), m
assert ", for review: %s\n" % sys.argv[3] in m, m
assert "claim `%s`" % sys.argv[4] in m and "Counter-evidence:" in m, m
assert "queue_for_review" not in f[0]
PY
}
# A question near a claim, which no rule flags: annotate, and the model
# asks a moderator to look (review): a plain flag that says so.
review_flag 404 "Has anyone tried cinnamon instead of insulin for diabetes?" \
    "no rule flagged it, the model asks a moderator to look" insulin-stop
# /healthz counts the review flag among the flags, and apart.
out=$(health)
echo "$out" | grep -q '"judged":6,"flagged":3,"review":1,"held":1' ||
    fail "healthz after the review flag: $out"
# A claim in Italian, which medflag does not read: the rules find its
# words, and the post goes to review, not to a flag; the message says why.
review_flag 405 "Il vaccino MPR causa l'autismo: mio figlio ha smesso di parlare dopo la puntura, sono sicuro che sia stato il vaccino." \
    "written in a language medflag does not read, its rules found a claim's words" vaccines-autism
# Moderators' decisions on the flags (Reviewable Events): agreed and
# disagreed count for the rules of the flag's verdict, once; ignored and
# others' flags do not.
# reviewed POST_ID STATUS [USER]: a reviewable_transitioned_to payload.
reviewed() {
	/usr/bin/python3 -c 'import json, sys
print(json.dumps({"reviewable": {"id": int(sys.argv[1]) + 1000,
    "status": 1, "type": "ReviewableFlaggedPost", "post_id":
    int(sys.argv[1]), "topic_id": 7, "reviewable_scores": [
    {"id": 1, "score": 6.0, "status": 1, "user": {"id": 9,
     "username": "alice"}},
    {"id": 2, "score": 6.0, "status": int(sys.argv[2]), "user": {"id": 5,
     "username": sys.argv[3]}, "reviewed_by": {"id": 2,
     "username": "mod-anna"}}]}}))' "$1" "$2" "${3:-Medflag-Bot}"
}
out=$(hook reviewable_transitioned_to "$(reviewed 101 1)")
echo "$out" | grep -q '^200 {"post_id":101,"outcome":"agreed","recorded":true}' ||
    fail "agreed: $out"
out=$(hook reviewable_transitioned_to "$(reviewed 202 2)")
echo "$out" | grep -q '"outcome":"disagreed","recorded":true' || fail "disagreed: $out"
out=$(hook reviewable_transitioned_to "$(reviewed 101 1)")
echo "$out" | grep -q '"recorded":false' || fail "told twice: $out"
out=$(hook reviewable_transitioned_to "$(reviewed 303 3)")
echo "$out" | grep -q '"outcome":"ignored","recorded":false' || fail "ignored: $out"
out=$(hook reviewable_transitioned_to "$(reviewed 303 1 bob)")
echo "$out" | grep -q '^200 {"ignored":"no flag of discourse_api_user' ||
    fail "another's flag: $out"
"$B/medflag" -c "$CONF" feedback --summary >"$D/summary" 2>&1 ||
    fail "summary: $(cat "$D/summary")"
grep -Eq '^vaccines-autism\.causal +[0-9]+ +[0-9]+ +1 +0 ' "$D/summary" &&
    grep -Eq '^insulin-stop[a-z.-]* +[0-9]+ +[0-9]+ +0 +1 ' "$D/summary" ||
    fail "summary: $(cat "$D/summary")"

# An edit that keeps the claim: Discourse refuses a second flag (403, in
# German here); the post's actions_summary says it is flagged, so the
# verdict on the edit goes to the moderators in a message. The same edit
# delivered again is a duplicate: no second message.
out=$(hook post_edited "$(post 101 "$MMR Really." alice regular 2)")
echo "$out" | grep -q '"action":"flag",.*"duplicate":false,"flag":"queued"' ||
    fail "edited: $out"
i=0
until grep -q 'post 101: flagged already; the verdict on the edit went to the moderators' \
    "$D/ad.log"; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "a refused second flag"
	sleep 0.1
done
out=$(hook post_edited "$(post 101 "$MMR Really." alice regular 2)")
echo "$out" | grep -q '"duplicate":true}' || fail "edit redelivered: $out"
/usr/bin/python3 - "$D/flags.jsonl" <<'PY' || fail "message: $(cat "$D/flags.jsonl")"
import json, sys
m = [x for x in map(json.loads, open(sys.argv[1])) if x.get("pm")]
assert len(m) == 1, m
assert m[0]["target_recipients"] == "moderators", m
assert "post 101" in m[0]["title"] and "/p/101 was edited" in m[0]["raw"], m
assert "claim `vaccines-autism`" in m[0]["raw"], m
PY
# The bot's own posts, whatever the case of its name.
out=$(hook post_created "$(post 109 "$MMR" Medflag-Bot)")
echo "$out" | grep -q '^200 {"ignored":"posted by Medflag-Bot' || fail "own: $out"
# A hold from a user who is not staff: a plain flag, and the log says so.
set_forum '{"staff": false}'
out=$(hook post_created "$(post 204 "Stop taking insulin, cinnamon cures diabetes")")
echo "$out" | grep -q '"action":"hold"' || fail "hold: $out"
i=0
until grep -q '"id": "204"' "$D/flags.jsonl"; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "no plain flag for a hold: $(cat "$D/ad.log")"
	sleep 0.1
done
grep '"id": "204"' "$D/flags.jsonl" | grep -q queue_for_review &&
    fail "204 asked for review"
grep -q 'post 204: Discourse refused to hide it for review (Du darfst .*); raising a plain flag' \
    "$D/ad.log" || fail "no word of the plain flag"
# The daily flag limit: 429 with Retry-After; the flag waits that long.
set_forum '{"staff": true, "daily_limit": 1, "retry_after": 2}'
hook post_created "$(post 205 "$MMR")" >/dev/null
hook post_created "$(post 206 "$MMR")" >/dev/null
i=0
until grep -q '"id": "206"' "$D/flags.jsonl" && grep -q '"id": "205"' "$D/flags.jsonl"; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "rate limit: $(cat "$D/flags.jsonl")"
	sleep 0.1
done
grep -Eq 'post 20[56]: Discourse answered 429: .*; trying again in [12][0-9]{3} ms' \
    "$D/ad.log" || fail "no wait after 429"

# The forum down (a rebuild): the flag waits in redis, without the
# post's words, through a restart of the adapter, and is raised when the
# forum is back. With the retry horizon passed, it is given up.
set_forum '{"down": true}'
hook post_created "$(post 210 "$MMR")" 2>/dev/null | grep -q '"flag":"queued"' ||
    fail "210 not queued"
mf_env_until "no 503 for 210" \
    grep -q 'post 210: Discourse answered 503' "$D/ad.log"
kill $APID; wait $APID; rc=$?; APID=
[ $rc = 0 ] || fail "medflag discourse exited $rc after SIGTERM"
grep -q 'stopped with 1 action not taken by the forum: 1 kept in redis for the next run, 0 lost' \
    "$D/ad.log" || fail "210 not kept"
grep -Eq 'stopped: [0-9]+ webhooks, 13 judged, 8 flagged \(2 for review\), 1 hidden, 0 failed, 4 outcomes' "$D/ad.log" ||
    fail "no summary at exit"
kept=$(redis-cli -s "$D/redis.sock" --raw HGETALL "medflag:outbox:discourse:$W")
echo "$kept" | grep -q '"reason":"medflag: flag' || fail "kept: $kept"
echo "$kept" | grep -q 'MMR\|jab' && fail "post text in redis: $kept"
set_forum '{"down": false}'
cp "$CONF" "$D/short.conf"
echo "adapter_retry_s 3" >>"$D/short.conf"
"$B/medflag" -c "$D/short.conf" discourse --timeout 3000 2>"$D/ad3.log" &
APID=$!
i=0
until grep -q '"id": "210"' "$D/flags.jsonl"; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "210 after the restart: $(cat "$D/ad3.log")"
	sleep 0.1
done
grep -q 'outbox: 1 action kept from an earlier run' "$D/ad3.log" ||
    fail "not loaded: $(cat "$D/ad3.log")"
[ "$(redis-cli -s "$D/redis.sock" HLEN "medflag:outbox:discourse:$W")" = 0 ] ||
    fail "210 still in redis"
set_forum '{"down": true}'
i=0
until hook post_created "$(post 211 "$MMR")" 2>/dev/null | grep -q '"flag":"queued"'; do
	i=$((i + 1)); [ $i -gt 50 ] && fail "211: $(cat "$D/ad3.log")"
	sleep 0.1
done
i=0
until grep -q 'post 211: Discourse answered 503.*gave up after [0-9]* tries (adapter_retry_s passed)' \
    "$D/ad3.log"; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "211 never given up: $(cat "$D/ad3.log")"
	sleep 0.1
done
set_forum '{"down": false}'

# A webhook secret Discourse would refuse (under 12 characters): the
# adapter refuses it at start, naming the file.
printf 'short\n' >"$D/short.secret"
sed -e "s|^discourse_webhook_secret_file .*|discourse_webhook_secret_file $D/short.secret|" \
    "$CONF" >"$D/secret.conf"
"$B/medflag" -c "$D/secret.conf" discourse 2>"$D/secret.log" &&
    fail "a short secret was accepted"
grep -q "^$D/short.secret:1:1: error: discourse_webhook_secret_file: the secret has 5 characters" \
    "$D/secret.log" || fail "short secret: $(cat "$D/secret.log")"

# A granular key (or a wrong one): 403 error_type invalid_access, for the
# flag and for reading the post back; given up with the hint that only a
# global key can flag.
printf 'granular-posts-write\n' >"$D/granular.key"
APORT2=$(mf_env_port)
sed -e "s|^discourse_api_key_file .*|discourse_api_key_file $D/granular.key|" \
    -e "s|^discourse_listen .*|discourse_listen 127.0.0.1:$APORT2|" \
    "$CONF" >"$D/granular.conf"
"$B/medflag" -c "$D/granular.conf" discourse --timeout 3000 2>"$D/ad2.log" &
APID2=$!
i=0
until APORT=$APORT2 hook post_created "$(post 207 "$MMR")" 2>/dev/null |
    grep -q '"flag":"queued"'; do
	i=$((i + 1)); [ $i -gt 50 ] && fail "second adapter: $(cat "$D/ad2.log")"
	sleep 0.1
done
i=0
until grep -q 'post 207: .*gave up' "$D/ad2.log"; do
	i=$((i + 1)); [ $i -gt 100 ] && fail "granular key: $(cat "$D/ad2.log")"
	sleep 0.1
done
kill $APID2; wait $APID2; APID2=
grep -q 'post 207: Discourse answered 403: You are not permitted .*; reading the post back failed too; gave up after 1 try; hint: .*global one (no granular scope of Discourse covers flagging)' \
    "$D/ad2.log" || fail "granular key: $(cat "$D/ad2.log")"

# medflagd gone: 503, so that Discourse delivers the event again later.
kill "$MPID"; wait "$MPID"; MPID=
out=$(hook post_created "$(post 108 "$MMR")")
echo "$out" | grep -q '^503 {"error":"medflagd did not answer in 3000 ms"}' ||
    fail "medflagd down: $out"
# medflagd again, in mode shadow (detect only): the verdict says flag,
# the adapter raises none.
echo 'mode shadow' >>"$CONF"
mf_env_medflagd
mf_env_workers
nflags=$(grep -c . "$D/flags.jsonl")
out=$(hook post_created "$(post 109 "$MMR")")
echo "$out" | grep -q '^200 {"post_id":109,"action":"flag",.*"flag":"shadow"}' ||
    fail "mode shadow: $out"
# The webhook's answer comes after the flag is queued, if it is.
out=$(health)
echo "$out" | grep -q '"pending":0,' &&
    [ "$(grep -c . "$D/flags.jsonl")" = "$nflags" ] ||
    fail "a flag raised in mode shadow: $out $(cat "$D/flags.jsonl")"
kill $APID; wait $APID; rc=$?; APID=
[ $rc = 0 ] || fail "medflag discourse exited $rc after SIGTERM"
grep -Eq 'stopped: [0-9]+ webhooks, 2 judged, 1 flagged \(0 for review\), 0 hidden, 1 failed, 0 outcomes' "$D/ad3.log" ||
    fail "no summary at exit: $(cat "$D/ad3.log")"
cat "$D"/ad*.log | grep -q 'MMR jab\|cinnamon' && fail "post text in the adapter's log"
echo "ok: medflag discourse judges webhooks and raises flags that say why"
