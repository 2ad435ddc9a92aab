# tests/service-env.sh - sourced by the shell tests of tests/integ/,
# tests/bench-service.sh and tools/demo.sh (make demo):
# a private deployment in a temp dir. After 'mf_env_start NAME RULES
# [EXTRA_CONF_LINES]': $D is the dir, $CONF its medflag.conf (ipc://
# endpoints in $D, unix-socket redis), $RPID the redis-server; the EXIT
# trap stops medflagd ($MPID, once started) and redis and removes $D.
# 'mf_env_medflagd' starts medflagd with its stderr in $D/medflagd.log;
# 'mf_env_http' the HTTP gateway on a free loopback port ($PORT, $HPID),
# its stderr in $D/http.log, stopped with the rest.
# SPDX-License-Identifier: MIT

RPID= MPID= HPID= D=
# make asan sets MF_TEST_TIMEOUT_MULT: a sanitized medflagd starts several
# times slower, and every wait here is that many times longer.
MF_MULT=$(awk -v m="${MF_TEST_TIMEOUT_MULT:-1}" \
    'BEGIN { m = int(m); print (m > 1 ? m : 1) }')
mf_env_cleanup() {
	[ -n "$HPID" ] && kill "$HPID" 2>/dev/null
	[ -n "$MPID" ] && kill "$MPID" 2>/dev/null && wait "$MPID" 2>/dev/null
	[ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null
	[ -n "$D" ] && rm -rf "$D"
}

mf_env_start() {
	command -v redis-server >/dev/null 2>&1 || {
		echo "$1: redis-server not found (make deps installs it)"; exit 1; }
	D=$(mktemp -d "${TMPDIR:-/tmp}/mf$1.XXXXXX") || exit 1
	CONF=$D/medflag.conf
	trap mf_env_cleanup EXIT
	trap 'exit 1' INT TERM
	redis-server --port 0 --unixsocket "$D/redis.sock" --save '' \
	    --appendonly no --dir "$D" >"$D/redis.log" 2>&1 &
	RPID=$!
	cat >"$CONF" <<CONF
ingest   ipc://$D/ingest
check    ipc://$D/check
verdicts ipc://$D/verdicts
control  ipc://$D/control
backend  ipc://$D/backend
rules    $2
redis    unix://$D/redis.sock
workers  2
${3:-}
CONF
	i=0
	while [ ! -S "$D/redis.sock" ]; do
		i=$((i + 1))
		[ $i -gt $((250 * MF_MULT)) ] && {
			echo "$1: redis-server did not start"; exit 1; }
		sleep 0.02
	done
}

mf_env_medflagd() {
	"$B/medflagd" -c "$CONF" 2>"$D/medflagd.log" &
	MPID=$!
}

# 'mf_env_port [udp]': prints a free TCP (or UDP) port on loopback, below
# the kernel's ephemeral range (tests/mfdeploy.py, free_port()).
mf_env_port() {
	/usr/bin/python3 tests/mfdeploy.py port "$@"
}

mf_env_http() {
	PORT=$(mf_env_port)
	"$B/medflag" -c "$CONF" http --listen "127.0.0.1:$PORT" \
	    2>"$D/http.log" &
	HPID=$!
}

# 'mf_env_until WHAT CMD...': runs CMD every 0.1 s until it succeeds;
# after 10 s (times MF_MULT) says "FAIL: WHAT" and exits 1.
mf_env_until() {
	_what=$1 _i=0
	shift
	until "$@"; do
		_i=$((_i + 1))
		[ $_i -gt $((100 * MF_MULT)) ] && { echo "FAIL: $_what"
		    exit 1; }
		sleep 0.1
	done
}

# 'mf_env_workers [N] [CONF]': waits (up to 30 s, times MF_MULT) until
# medflagd of CONF ($CONF) reports N workers (2); says so and exits 1 if
# it never does.
mf_env_workers() {
	_n=${1:-2} _i=0
	until "$B/medflag" -c "${2:-$CONF}" stats 2>/dev/null |
	    grep -q "workers ($_n)"; do
		_i=$((_i + 1))
		[ $_i -gt $((300 * MF_MULT)) ] && {
			echo "FAIL: medflagd never had $_n workers"; exit 1; }
		sleep 0.1
	done
}
