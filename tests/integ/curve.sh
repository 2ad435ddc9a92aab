#!/bin/sh
# CURVE on every endpoint: redis-server, medflagd with its own key and
# allow lists, 2 local workers (on medflagd's key), and the medflag tool
# as clients with other keys. An allowed producer gets a verdict; a key on
# no list, a producer asking the operators' endpoint, and a client without
# CURVE get nothing, and medflagd logs the refusals; a bad allow-list line
# stops medflagd -n with its place.
B=${MF_BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
. tests/service-env.sh
fail() { echo "FAIL: $*"; [ -n "$D" ] && sed -n 1,30p "$D/medflagd.log"; exit 1; }

mf_env_start curve "$TOP/rules" "log_level info
curve_secret_key CURVE_DIR/server.key
curve_allow CURVE_DIR/allow"
sed -i "s|CURVE_DIR|$D|g" "$CONF"
mkdir "$D/allow"
for k in server producer operator stranger; do
	(cd "$D" && "$TOP/$B/medflag" keygen "$k" >/dev/null 2>&1) ||
	    fail "keygen $k"
done
[ "$(stat -c %a "$D/server.key")" = 600 ] || fail "server.key is not 0600"
# Keys never start with '=' or '#', which medflag.conf would read as a
# separator or a comment: 200 pairs (of old, about 1 pair in 50 did, and
# this test failed then when medflagd's own key did).
i=0
while [ $i -lt 200 ]; do
	(cd "$D" && "$TOP/$B/medflag" keygen "k$i" >/dev/null 2>&1) ||
	    fail "keygen k$i"
	for f in "$D/k$i.pub" "$D/k$i.key"; do
		tail -n 1 "$f" | grep -q '^[#=]' && fail "a key starts with = or #: $f"
	done
	i=$((i + 1))
done
{ echo "# producers"; grep -v '^#' "$D/producer.pub"; } >"$D/allow/producers.keys"
echo "$(grep -v '^#' "$D/operator.pub")  # the on-call operator" \
    >"$D/allow/operators.keys"
out=$("$B/medflagd" -n -c "$CONF" 2>&1) || fail "medflagd -n refuses the keys: $out"
mf_env_medflagd

# Tools on this host may use medflagd's own key file: stats as operator.
i=0
until "$B/medflag" -c "$CONF" stats 2>/dev/null | grep -q 'workers (2)'; do
	i=$((i + 1))
	[ $i -gt $((100 * MF_MULT)) ] && fail "medflagd with CURVE never had 2 workers"
	sleep 0.1
done

# Client configurations: the same endpoints, their own keys.
SPUB=$(tail -n 1 "$D/server.pub")
client() {
	grep -v '^curve_' "$CONF" >"$D/$1.conf"
	printf 'curve_server_key %s\ncurve_client_key %s/%s.key\n' "$SPUB" \
	    "$D" "$1" >>"$D/$1.conf"
}
client producer; client operator; client stranger
grep -v '^curve_' "$CONF" >"$D/plain.conf"

out=$("$B/medflag" -c "$D/producer.conf" check --timeout 10000 \
    'The MMR jab gave my son autism.')
[ $? = 1 ] || fail "allowed producer: no verdict"
echo "$out" | grep -q 'flag' || fail "allowed producer: verdict without a flag: $out"
"$B/medflag" -c "$D/operator.conf" stats >/dev/null 2>&1 ||
    fail "allowed operator: no stats"
# check exits 0 or 1 with a verdict (none, or annotate and up), 2 without.
"$B/medflag" -c "$D/stranger.conf" check --timeout 2000 'hello' \
    >/dev/null 2>&1
[ $? = 2 ] || fail "a key on no list got a verdict"
"$B/medflag" -c "$D/producer.conf" stats >/dev/null 2>&1 &&
    fail "a producer's key read the operators' endpoint"
"$B/medflag" -c "$D/plain.conf" stats >/dev/null 2>&1 &&
    fail "a client without CURVE read stats"
grep -q 'CURVE: refused' "$D/medflagd.log" || fail "refusals not logged"

# SIGHUP re-reads the allow lists: the stranger becomes a producer.
grep -v '^#' "$D/stranger.pub" >>"$D/allow/producers.keys"
kill -HUP "$MPID"
i=0
until grep -q 'CURVE: allow lists reloaded: 3 keys' "$D/medflagd.log"; do
	i=$((i + 1))
	[ $i -gt $((50 * MF_MULT)) ] && fail "SIGHUP did not reload the allow lists"
	sleep 0.1
done
"$B/medflag" -c "$D/stranger.conf" check --timeout 10000 'hello' \
    >/dev/null 2>&1
[ $? != 2 ] || fail "a key added to producers.keys got no verdict"
kill -TERM "$MPID"; wait "$MPID"; MPID=

# A bad line in an allow list: medflagd -n names it.
echo "not-a-key" >>"$D/allow/operators.keys"
out=$("$B/medflagd" -n -c "$CONF" 2>&1) && fail "medflagd -n took a bad key"
echo "$out" | grep -q "$D/allow/operators.keys:2:1: error: not a CURVE public key" ||
    fail "bad key not located: $out"
echo "ok: CURVE lets in allowed keys by role and refuses the rest"
