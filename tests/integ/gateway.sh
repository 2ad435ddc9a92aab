#!/bin/sh
# The HTTP gateway and the forum adapters are medflag-gateway, and the
# medflag command links none of their libraries: build/medflag needs no
# libcurl, libmicrohttpd or libsodium (libsodium may come only as
# libzmq's own, for CURVE), medflag-gateway needs all three. `medflag
# http ARGS` runs the medflag-gateway beside it as `medflag-gateway
# [-c FILE] http ARGS`, with the same arguments and in the same
# process; the subcommands' --help comes from the gateway.
B=${MF_BUILD:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
B=$TOP/$B
fail() { echo "FAIL: $*"; exit 1; }
for t in readelf ldd; do
	command -v $t >/dev/null 2>&1 ||
	    { echo "SKIP: $t not found (make deps installs it)"; exit 77; }
done
[ -x "$B/medflag-gateway" ] || fail "$B/medflag-gateway was not built"
D=$(mktemp -d "${TMPDIR:-/tmp}/mfgateway.XXXXXX") || exit 1
trap 'rm -rf "$D"' EXIT
trap 'exit 1' INT TERM

# What each program links: its own NEEDED entries, then every library
# ldd loads for it.
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
needed "$B/medflag" >"$D/medflag.needed"
grep -qE '^lib(curl|microhttpd|sodium)\.' "$D/medflag.needed" &&
    fail "medflag links the gateway's libraries: $(cat "$D/medflag.needed")"
for l in libcurl libmicrohttpd libsodium; do
	needed "$B/medflag-gateway" | grep -q "^$l\." ||
	    fail "medflag-gateway does not link $l"
done
ldd "$B/medflag" >"$D/medflag.ldd" || fail "ldd $B/medflag"
grep -qE 'lib(curl|microhttpd)\.' "$D/medflag.ldd" &&
    fail "medflag loads libcurl or libmicrohttpd: $(cat "$D/medflag.ldd")"
if grep -q 'libsodium\.' "$D/medflag.ldd"; then
	zmq=$(sed -n 's/.*libzmq\.so[^ ]* => \([^ ]*\) .*/\1/p' "$D/medflag.ldd")
	[ -n "$zmq" ] && ldd "$zmq" | grep -q 'libsodium\.' ||
	    fail "medflag loads libsodium, and not as libzmq's ($zmq)"
fi

# The old spelling: the same help as the gateway's own, for each of
# its subcommands.
for sub in http discourse mediawiki; do
	"$B/medflag" "$sub" --help >"$D/via" 2>&1 || fail "medflag $sub --help: $(cat "$D/via")"
	"$B/medflag-gateway" "$sub" --help >"$D/own" 2>&1 ||
	    fail "medflag-gateway $sub --help: $(cat "$D/own")"
	cmp -s "$D/via" "$D/own" && head -n 1 "$D/via" | grep -q "^usage: medflag $sub" ||
	    fail "medflag $sub --help: $(cat "$D/via")"
done

# The gateway beside medflag gets -c FILE and every argument, in
# medflag's process.
mkdir "$D/bin" && cp "$B/medflag" "$D/bin/" || fail "cp $B/medflag"
cat >"$D/bin/medflag-gateway" <<'GW'
#!/bin/sh
echo "pid $$"
for a; do echo "arg $a"; done
GW
chmod +x "$D/bin/medflag-gateway"
out=$(sh -c 'echo "pid $$"; exec "$1" -c my.conf http --listen 127.0.0.1:1 \
    --timeout 50 -- "two words"' sh "$D/bin/medflag")
want="arg -c
arg my.conf
arg http
arg --listen
arg 127.0.0.1:1
arg --timeout
arg 50
arg --
arg two words"
[ "$(echo "$out" | sed -n 's/^pid //p' | uniq | wc -l)" = 1 ] ||
    fail "medflag http ran the gateway in another process: $out"
[ "$(echo "$out" | grep '^arg ')" = "$want" ] ||
    fail "medflag http passed other arguments: $out"
echo "ok: medflag links no gateway library, and medflag http runs medflag-gateway"
