#!/bin/sh
# The HTTP gateway and the forum adapters are medflag-gateway, the
# clients of medflagd that speak ZeroMQ are medflag-ctl, and the medflag
# command links none of their libraries: ldd build/medflag lists no
# libcurl, libmicrohttpd, libzmq or libsodium (not even libzmq's own,
# for CURVE); medflag-gateway needs the first three, medflag-ctl libzmq.
# `medflag http ARGS` runs the medflag-gateway beside it as
# `medflag-gateway [-c FILE] http ARGS`, and `medflag stats ARGS` the
# medflag-ctl beside it the same way, with the same arguments and in
# the same process. The gateway's subcommands' --help comes from the
# gateway; medflag answers that of medflag-ctl's itself, and a real
# `medflag stats` with no medflagd still says that it does not answer.
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
[ -x "$B/medflag-ctl" ] || fail "$B/medflag-ctl was not built"
D=$(mktemp -d "${TMPDIR:-/tmp}/mfgateway.XXXXXX") || exit 1
trap 'rm -rf "$D"' EXIT
trap 'exit 1' INT TERM

# What each program links: its own NEEDED entries, then every library
# ldd loads for it.
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
needed "$B/medflag" >"$D/medflag.needed"
grep -qE '^lib(curl|microhttpd|sodium|zmq)\.' "$D/medflag.needed" &&
    fail "medflag links the gateway's or ZeroMQ's libraries: $(cat "$D/medflag.needed")"
for l in libcurl libmicrohttpd libsodium; do
	needed "$B/medflag-gateway" | grep -q "^$l\." ||
	    fail "medflag-gateway does not link $l"
done
needed "$B/medflag-ctl" | grep -q '^libzmq\.' || fail "medflag-ctl does not link libzmq"
ldd "$B/medflag" >"$D/medflag.ldd" || fail "ldd $B/medflag"
grep -E 'lib(curl|microhttpd|sodium|zmq)\.' "$D/medflag.ldd" &&
    fail "medflag loads the libraries above: $(cat "$D/medflag.ldd")"

# The old spelling: the same help as the gateway's own, for each of
# its subcommands.
for sub in http discourse mediawiki; do
	"$B/medflag" "$sub" --help >"$D/via" 2>&1 || fail "medflag $sub --help: $(cat "$D/via")"
	"$B/medflag-gateway" "$sub" --help >"$D/own" 2>&1 ||
	    fail "medflag-gateway $sub --help: $(cat "$D/own")"
	cmp -s "$D/via" "$D/own" && head -n 1 "$D/via" | grep -q "^usage: medflag $sub" ||
	    fail "medflag $sub --help: $(cat "$D/via")"
done

# medflag-ctl's subcommands: medflag answers their --help, with
# medflag-ctl nowhere (its MF_BINDIR may hold an older one).
mkdir "$D/bin" && cp "$B/medflag" "$D/bin/" || fail "cp $B/medflag"
for sub in push check tail stats top reload feedback keygen; do
	"$D/bin/medflag" "$sub" --help >"$D/via" 2>&1 &&
	    head -n 1 "$D/via" | grep -q "^usage: medflag $sub" ||
	    fail "medflag $sub --help: $(cat "$D/via")"
done

# The gateway and medflag-ctl beside medflag get -c FILE and every
# argument, in medflag's process.
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
sed 's/^echo "pid/echo "ctl/' "$D/bin/medflag-gateway" >"$D/bin/medflag-ctl" &&
    chmod +x "$D/bin/medflag-ctl" || fail "$D/bin/medflag-ctl"
out=$(sh -c 'echo "ctl $$"; exec "$1" -c my.conf stats --json -- "two words"' \
    sh "$D/bin/medflag")
want="arg -c
arg my.conf
arg stats
arg --json
arg --
arg two words"
[ "$(echo "$out" | sed -n 's/^ctl //p' | uniq | wc -l)" = 1 ] ||
    fail "medflag stats ran medflag-ctl in another process: $out"
[ "$(echo "$out" | grep '^arg ')" = "$want" ] ||
    fail "medflag stats passed other arguments: $out"
for sub in push check tail top reload feedback keygen; do
	out=$("$D/bin/medflag" "$sub" x)
	[ "$(echo "$out" | grep '^arg ')" = "$(printf 'arg %s\narg x' "$sub")" ] ||
	    fail "medflag $sub ran no medflag-ctl: $out"
done

# The real one: with no medflagd, `medflag stats` says so as it always
# did (after its 5 s of waiting), and keygen makes a key pair.
printf 'control ipc://%s/control\n' "$D" >"$D/none.conf"
out=$("$B/medflag" -c "$D/none.conf" stats 2>&1) && fail "stats with no medflagd: exit 0: $out"
echo "$out" | grep -q "^medflag: control ipc://$D/control: no answer to 'stats'" &&
    echo "$out" | grep -q 'hint: is medflagd running?' ||
    fail "stats with no medflagd: $out"
"$B/medflag" keygen "$D/k" >/dev/null 2>&1 && [ -s "$D/k.key" ] && [ -s "$D/k.pub" ] ||
    fail "medflag keygen made no key pair"
echo "ok: medflag links no gateway or ZeroMQ library, and runs medflag-gateway and medflag-ctl"
