#!/bin/sh
# `make deb` builds the Debian packages (debian/, debhelper) in a build
# directory of its own, and lintian finds no error in them (make deb
# fails otherwise). The medflag package, extracted with dpkg-deb -x and
# nothing else beside it, runs from /: its medflagd -n passes on its own
# configuration and rules, and its medflag explain judges with them.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
for t in dpkg-buildpackage dpkg-deb lintian dh; do
	command -v $t >/dev/null 2>&1 ||
	    { echo "SKIP: $t not found (make deb-deps installs it)"; exit 77; }
done
T=$(mktemp -d "${TMPDIR:-/tmp}/mfdeb.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 1' INT TERM

env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s deb BUILD="$T/build" \
    >"$T/deb.log" 2>&1 || { cat "$T/deb.log"; fail "make deb"; }
for p in medflag libmedflag0 libmedflag-dev; do
	set -- "$T"/build/deb/${p}_*.deb
	[ -f "$1" ] || fail "make deb made no $p package: $(ls "$T/build/deb")"
	dpkg-deb -x "$1" "$T/root" || fail "dpkg-deb -x $1"
done
R=$T/root
for f in usr/bin/medflagd usr/bin/medflag-worker usr/bin/medflag usr/bin/medflag-ctl \
    usr/bin/medflag-gateway \
    etc/medflag/medflag.conf etc/medflag/local.d \
    usr/share/medflag/rules/canary.jsonl lib/systemd/system/medflagd.service \
    usr/share/man/man8/medflagd.8.gz usr/include/medflag/medflag.h; do
	[ -e "$R/$f" ] || fail "the packages hold no /$f"
done
ls "$R"/usr/lib/*/libmedflag.so.0 >/dev/null 2>&1 || fail "libmedflag0 holds no libmedflag.so.0"
ls "$R"/usr/lib/*/pkgconfig/medflag.pc >/dev/null 2>&1 || fail "libmedflag-dev holds no medflag.pc"
[ -e /etc/medflag/medflag.conf ] || [ -e /usr/share/medflag/rules ] &&
    echo "note: medflag is installed on this machine; the test names its files"

# The package's own configuration, its rules named relative to it (they
# are /usr/share/medflag/rules once installed): nothing from this tree.
C=$R/etc/medflag/medflag.conf
grep -q '^#rules ' "$C" || fail "the packaged configuration: $(cat "$C")"
echo 'rules ../../usr/share/medflag/rules' >>"$C"
out=$(cd / && env -i PATH=/usr/bin:/bin "$R/usr/bin/medflagd" -n -c "$C" 2>&1) ||
    fail "packaged medflagd -n: $out"
echo "$out" | grep -q "^rules: $R/etc/medflag/../../usr/share/medflag/rules: [1-9][0-9]* rules" &&
    echo "$out" | grep -q '^canary: [1-9][0-9]* sample posts' &&
    echo "$out" | grep -q '^configuration OK$' || fail "packaged medflagd -n: $out"
out=$(cd / && env -i PATH=/usr/bin:/bin "$R/usr/bin/medflag" -c "$C" explain \
    "The MMR jab gave my son autism." 2>&1)
echo "$out" | grep -q '^verdict:  flag' &&
    echo "$out" | grep -q '^rule vaccines-autism.causal' ||
    fail "packaged medflag explain: $out"
out=$("$R/usr/bin/medflagd" --version) && [ "$out" = "medflagd $(sed -n \
    's/^#define MF_VERSION[^"]*"\(.*\)"/\1/p' filter/medflag.h)" ] ||
    fail "packaged medflagd --version: $out"
echo "ok: make deb builds packages lintian accepts, and the package runs by itself"
