# medflag - flags medical misinformation in forum posts for moderators.
# A plain GNU Makefile: `make`, `make check`, `make demo`, `make asan`,
# `make bench`, `make fuzz`, `make chaos`, `make install`, `make deb`,
# `make model`.

PREFIX     ?= /usr/local
DESTDIR    ?=
# Where the installed programs look for their files; compiled in (see
# $(PATHS_H)). PREFIX=/usr gives /etc and /var, as Debian does.
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
DATADIR    ?= $(PREFIX)/share
LOCALSTATEDIR ?= $(if $(filter /usr,$(PREFIX)),/var,$(PREFIX)/var)
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
DOCDIR     ?= $(DATADIR)/doc/medflag
MANDIR     ?= $(DATADIR)/man
LIBDIR     ?= $(PREFIX)/lib
PKG_CONFIG ?= pkg-config
CC         ?= cc
BUILD      ?= build
CFLAGS     ?= -O2 -g
MSGPACK    := $(shell $(PKG_CONFIG) --exists msgpack-c 2>/dev/null && echo msgpack-c || echo msgpack)
DEPS       := libzmq libpcre2-8 hiredis $(MSGPACK) libutf8proc icu-uc icu-i18n \
              libpsl jansson
WARN       := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
              -Wwrite-strings -Wpointer-arith -Wformat=2 -Wvla
# medflag-gateway only (tools/gateways/: `medflag http`, `discourse`,
# `mediawiki`): libmicrohttpd serves HTTP, libcurl calls the forums' APIs
# (TLS included), libsodium's HMAC-SHA256 checks webhook signatures. The
# medflag command links none of them.
HTTP_DEPS  := libmicrohttpd libcurl libsodium
HTTP_LIBS  := $(shell $(PKG_CONFIG) --libs $(HTTP_DEPS) 2>/dev/null)
# The medflag command links no libzmq (nor the libsodium Debian's libzmq
# links for CURVE): its subcommands that speak ZeroMQ are medflag-ctl's.
# Without -lzmq, a ZeroMQ call that reaches its objects fails the link.
MF_LIBS    = $(filter-out -lzmq,$(LDLIBS))
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(DEPS) $(HTTP_DEPS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(DEPS) 2>/dev/null)
MF_CFLAGS  := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -D_GNU_SOURCE $(WARN) \
              -Ifilter -Iworkers -Itools -Itests -I$(BUILD)/gen $(PKG_CFLAGS) $(CFLAGS) -MMD -MP
LDLIBS     += $(PKG_LIBS) -lpthread -lm

# Debian packages that building and testing need; `make deps` installs the
# missing ones (as root) or prints the command. chromium and
# python3-websocket: the web console's test drives a real browser.
# mediawiki, php-cli and php-sqlite3: tests/integ/mediawiki.sh runs a
# wiki on SQLite under `php -S` (the package also pulls in a web server
# it does not use). iproute2 and nftables: tests/integ/multihost.py
# builds hosts from network namespaces and drops packets on their links.
DEB_PKGS   := build-essential pkg-config libzmq3-dev libpcre2-dev \
              libhiredis-dev libmsgpack-dev libutf8proc-dev libicu-dev \
              libpsl-dev libjansson-dev libmicrohttpd-dev \
              libcurl4-openssl-dev libsodium-dev redis-server redis-tools \
              python3 python3-zmq python3-msgpack mandoc \
              chromium python3-websocket \
              mediawiki php-cli php-sqlite3 iproute2 nftables
FUZZ_PKGS  := clang libclang-rt-14-dev
# `make deb` (and the test of its package, so `make check` too).
DEB_BUILD_PKGS := debhelper dpkg-dev fakeroot lintian

LIB_SRC    := $(filter-out %_test.c,$(wildcard filter/*.c))
SVC_SRC    := $(filter-out workers/medflagd.c workers/worker.c %_test.c,$(wildcard workers/*.c))
CLI_SRC    := $(filter-out %_test.c,$(wildcard tools/*.c))
# The subcommands that speak ZeroMQ to medflagd (reload is in stats.c),
# then what only they use: medflag-ctl (tools/medflag-ctl.c) runs them,
# medflag the rest (tools/medflag.c), and execs medflag-ctl for these.
CTL_CMD_SRC := $(wildcard $(addprefix tools/,push.c check.c tail.c stats.c \
              top.c feedback.c keygen.c))
CTL_SRC    := $(CTL_CMD_SRC) $(wildcard $(addprefix tools/,checker.c ctl.c \
              client.c))
MF_SRC     := $(filter-out $(CTL_SRC) tools/medflag-ctl.c,$(CLI_SRC))
GW_SRC     := $(filter-out %_test.c,$(wildcard tools/gateways/*.c))
UNIT_SRC   := $(wildcard filter/*_test.c workers/*_test.c tools/*_test.c) tests/harness.c \
              tests/ahocorasick.c
INTEG_SRC  := $(wildcard tests/integ/*.c)
INTEG_UTIL := $(wildcard tests/integ_util.c)
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)

LIB        := $(BUILD)/libmedflag.a
# The shared library: its own position-independent objects, so that the
# programs keep linking the static one as they always did. The soname's
# number changes when the ABI does, the file's with every release.
VERSION    := $(shell sed -n 's/^\#define MF_VERSION[^"]*"\(.*\)"/\1/p' filter/medflag.h)
SOMAJOR    := 0
SONAME     := libmedflag.so.$(SOMAJOR)
SOLIB      := $(BUILD)/libmedflag.so.$(VERSION)
SVC        := $(BUILD)/libmfsvc.a
# What the subcommands share (tools/ but the two main()s), for
# medflag-ctl and medflag-gateway: an archive, so that each links only
# the parts it uses.
CLILIB     := $(BUILD)/libmfcli.a
BINS       := $(BUILD)/medflag $(if $(CTL_CMD_SRC),$(BUILD)/medflag-ctl) \
              $(if $(wildcard workers/medflagd.c),$(BUILD)/medflagd) \
              $(if $(wildcard workers/worker.c),$(BUILD)/medflag-worker) \
              $(if $(GW_SRC),$(BUILD)/medflag-gateway)
INTEG_BINS := $(patsubst tests/integ/%.c,$(BUILD)/tests/integ/%,$(INTEG_SRC))
REPLAY     := $(patsubst tests/fuzz/fuzz_%.c,$(BUILD)/tests/replay_%,$(FUZZ_SRC))

# Keep intermediate objects (integration tests, fuzz replays): no rm at
# the end of make check, whose last line must be the test summary.
.SECONDARY:

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

.PHONY: FORCE all programs check check-all check-unit check-rules check-integ \
        check-fuzz deps fuzz-deps deb-deps demo asan bench fuzz chaos install \
        uninstall clean model deb litfreq

all: $(LIB) $(BINS) $(BUILD)/tests/unit $(INTEG_BINS) $(REPLAY)

# What `make install` installs, and nothing of the tests.
programs: $(LIB) $(SOLIB) $(BINS)

# The directories of this build, rewritten only when they change, so that
# `make install PREFIX=/opt/medflag` recompiles what uses them and a plain
# `make` afterwards recompiles nothing else.
PATHS_H    := $(BUILD)/gen/mf_paths.h
$(PATHS_H): FORCE
	@mkdir -p $(@D)
	@printf '#define MF_SYSCONFDIR "%s"\n#define MF_DATADIR "%s"\n#define MF_LOCALSTATEDIR "%s"\n#define MF_BINDIR "%s"\n' \
	    '$(SYSCONFDIR)' '$(DATADIR)' '$(LOCALSTATEDIR)' '$(PREFIX)/bin' >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(BUILD)/workers/config.o $(BUILD)/tools/cli.o $(BUILD)/workers/medflagd.o \
    $(BUILD)/tools/medflag.o: $(PATHS_H)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(MF_CFLAGS) -c -o $@ $<

$(LIB): $(call obj,$(LIB_SRC))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(MF_CFLAGS) -fPIC -c -o $@ $<

$(SOLIB): $(patsubst %.c,$(BUILD)/pic/%.o,$(LIB_SRC))
	$(CC) $(CFLAGS) -shared -Wl,-soname,$(SONAME) -Wl,--no-undefined \
	    -Wl,--as-needed -o $@ $^ $(LDFLAGS) $(LDLIBS)

$(SVC): $(call obj,$(SVC_SRC)) $(LIB)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $(call obj,$(SVC_SRC))

$(BUILD)/medflag: $(call obj,$(MF_SRC)) $(SVC) $(LIB)
	$(CC) $(CFLAGS) -o $@ $(call obj,$(MF_SRC)) $(SVC) $(LIB) $(LDFLAGS) $(MF_LIBS)

$(CLILIB): $(call obj,$(filter-out tools/medflag.c tools/medflag-ctl.c,$(CLI_SRC)))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

# The subcommands' objects by name: medflag-ctl.c refers to them weakly,
# which takes nothing from an archive.
$(BUILD)/medflag-ctl: $(call obj,tools/medflag-ctl.c $(CTL_CMD_SRC)) $(CLILIB) $(SVC) $(LIB)
	$(CC) $(CFLAGS) -o $@ $(call obj,tools/medflag-ctl.c $(CTL_CMD_SRC)) \
	    $(CLILIB) $(SVC) $(LIB) $(LDFLAGS) $(LDLIBS)

$(BUILD)/medflag-gateway: $(call obj,$(GW_SRC)) $(CLILIB) $(SVC) $(LIB)
	$(CC) $(CFLAGS) -o $@ $(call obj,$(GW_SRC)) $(CLILIB) $(SVC) $(LIB) \
	    $(LDFLAGS) $(HTTP_LIBS) $(LDLIBS)

$(BUILD)/medflagd: $(call obj,workers/medflagd.c) $(SVC) $(LIB)
	$(CC) $(CFLAGS) -o $@ $< $(SVC) $(LIB) $(LDFLAGS) $(LDLIBS)

$(BUILD)/medflag-worker: $(call obj,workers/worker.c) $(SVC) $(LIB)
	$(CC) $(CFLAGS) -o $@ $< $(SVC) $(LIB) $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/unit: $(call obj,$(UNIT_SRC)) $(SVC) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(call obj,$(UNIT_SRC)) $(SVC) $(LIB) $(LDFLAGS) $(LDLIBS)

$(BUILD)/tests/integ/%: $(BUILD)/tests/integ/%.o $(call obj,tests/harness.c $(INTEG_UTIL)) $(SVC) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(call obj,tests/harness.c $(INTEG_UTIL)) $(SVC) $(LIB) $(LDFLAGS) $(LDLIBS)

# A fuzz target built without libFuzzer replays its corpus (make check).
# $(SVC) for the backend codec (workers/proto.c); the others take only
# the library's objects from it.
$(BUILD)/tests/replay_%: $(call obj,tests/fuzz/fuzz_%.c tests/fuzz/replay.c) $(SVC) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(call obj,tests/fuzz/fuzz_$*.c tests/fuzz/replay.c) $(SVC) $(LIB) $(LDFLAGS) $(LDLIBS)

# ---- tests ---------------------------------------------------------------

check: deps deb-deps
	@$(MAKE) --no-print-directory check-all

check-all: all
	@MF_BUILD=$(BUILD) sh tests/run.sh

check-unit: all
	@MF_BUILD=$(BUILD) sh tests/run.sh unit

check-rules: all
	@MF_BUILD=$(BUILD) sh tests/run.sh rules

check-integ: all
	@MF_BUILD=$(BUILD) sh tests/run.sh integ

check-fuzz: all
	@MF_BUILD=$(BUILD) sh tests/run.sh fuzz

ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
              -fno-sanitize-recover=all
# A sanitized build starts and loads rules several times slower: the
# tests' waits scale by MF_TEST_TIMEOUT_MULT (tests/integ_util.h). A
# smaller quarantine than the 256 MB default keeps the memory figures
# of the tests (slowsubs.py) about the program; MF_SANITIZE tells a test
# that builds a program against libmedflag (install.sh) to link the
# sanitizer's runtime too.
asan: deps
	@MF_TEST_TIMEOUT_MULT=$${MF_TEST_TIMEOUT_MULT:-8} \
	    ASAN_OPTIONS=$${ASAN_OPTIONS:-quarantine_size_mb=16} \
	    MF_SANITIZE=address,undefined $(MAKE) --no-print-directory \
	    BUILD=build/asan CFLAGS="$(ASAN_FLAGS)" \
	    LDFLAGS="-fsanitize=address,undefined" check-all

bench: deps
	@$(MAKE) --no-print-directory all $(BUILD)/bench $(BUILD)/bench_service
	@MF_BUILD=$(BUILD) sh tests/bench.sh

$(BUILD)/bench: $(call obj,tests/bench.c) $(SVC) $(LIB)
	$(CC) $(CFLAGS) -o $@ $< $(SVC) $(LIB) $(LDFLAGS) $(LDLIBS)

$(BUILD)/bench_service: $(call obj,tests/bench_service.c) $(LIB)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

# The model beside the rules (docs/learn.md), trained from the open
# corpora, the rules' expect lines and one half (part 0 of 2) of the
# public corpora and the dev set of ../shared/data relabelled by stance
# (COVID-Q's questions count twice, the dev set's rows half:
# docs/learn.md); the other half judges it (tests/rules/public.sh).
# Deterministic: tests/rules/model.sh trains it again and compares the
# bytes with rules/medflag.model.
SHARED      ?= ../shared/data
MODEL_OUT   ?= rules/medflag.model
MODEL_FOLDS ?= 5
MODEL_ARGS   = --rules rules --folds $(MODEL_FOLDS) --out $(MODEL_OUT) \
               --bits 21 --runs 8 --expect-weight 0.5 \
               tests/corpus/*.jsonl --part 0/2 \
               --labels tests/public/reddit-hm.labels $(SHARED)/public/reddit-hm.jsonl \
               --weight 2 --labels - $(SHARED)/public/covid-q.jsonl --weight 1 \
               --labels tests/public/constraint.labels --unlabelled negative \
               $(SHARED)/public/constraint.jsonl \
               --weight 0.5 --labels tests/public/dev.labels \
               --unlabelled negative $(SHARED)/dev/posts.jsonl
model: $(BUILD)/medflag
	@test -f $(SHARED)/public/reddit-hm.jsonl -a \
	    -f $(SHARED)/dev/posts.jsonl || { echo "make model: \
	    $(SHARED)/public or dev is missing (set SHARED=DIR)"; exit 1; }
	$(BUILD)/medflag learn train $(MODEL_ARGS)

# How common each byte, byte pair and triple is in normalized health text,
# for the prefilter's choice of a rule's rarest part (filter/litfreq.c):
# counts from the public corpora, the dev set and the open corpora,
# never their text. Rebuild after the corpora change; `git diff` shows
# what moved.
LITFREQ_IN  = $(SHARED)/public/*.jsonl $(SHARED)/dev/posts.jsonl \
              tests/corpus/open-*.jsonl
litfreq: $(BUILD)/litfreq
	@test -f $(SHARED)/dev/posts.jsonl || { echo "make litfreq: \
	    $(SHARED) is missing (set SHARED=DIR)"; exit 1; }
	$(BUILD)/litfreq $(LITFREQ_IN) > filter/litfreq_table.c.tmp
	mv filter/litfreq_table.c.tmp filter/litfreq_table.c

$(BUILD)/litfreq: $(call obj,tests/litfreq.c) $(LIB)
	$(CC) $(CFLAGS) -o $@ $< $(LIB) $(LDFLAGS) $(LDLIBS)

# The libraries are instrumented for coverage (fuzzer-no-link); each
# tests/fuzz/fuzz_<name>.c is linked with libFuzzer into build/fuzz/bin/.
FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer
FUZZ_CFLAGS := -O1 -g -fsanitize=fuzzer $(FUZZ_SAN)
fuzz: deps fuzz-deps
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang \
	    CFLAGS="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)" \
	    build/fuzz/libmedflag.a build/fuzz/libmfsvc.a
	@mkdir -p build/fuzz/bin
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	    echo "fuzz: build/fuzz/bin/$$n"; \
	    clang $(filter-out -MMD -MP $(CFLAGS),$(MF_CFLAGS)) \
	        $(FUZZ_CFLAGS) -o build/fuzz/bin/$$n $$f \
	        build/fuzz/libmfsvc.a build/fuzz/libmedflag.a $(LDLIBS) || \
	        exit 1; done
	@FUZZ_SECONDS=$${FUZZ_SECONDS:-$${MF_FUZZ_SECONDS:-60}} \
	    sh tests/fuzz/run.sh build/fuzz/bin

chaos: deps
	@$(MAKE) --no-print-directory all
	@MF_BUILD=$(BUILD) sh tests/chaos.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@MF_BUILD=$(BUILD) sh tools/demo.sh

deps:
	@missing=; for p in $(DEB_PKGS); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | \
	    grep -q 'install ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then \
	        echo "deps: installing$$missing"; \
	        apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	            apt-get install -y -qq $$missing >/dev/null || exit 1; \
	    else \
	        echo "deps: missing Debian packages; run:"; \
	        echo "  sudo apt-get install -y$$missing"; exit 1; \
	    fi; \
	fi

fuzz-deps:
	@$(MAKE) --no-print-directory deps DEB_PKGS="$(FUZZ_PKGS)"

deb-deps:
	@$(MAKE) --no-print-directory deps DEB_PKGS="$(DEB_BUILD_PKGS)"

# ---- install ---------------------------------------------------------------

install: programs
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBDIR)/pkgconfig \
	    $(DESTDIR)$(PREFIX)/include/medflag $(DESTDIR)$(DATADIR)/medflag/rules/sources \
	    $(DESTDIR)$(SYSCONFDIR)/medflag/local.d $(DESTDIR)$(SYSTEMDUNITDIR) \
	    $(DESTDIR)$(DOCDIR)
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(LIB) $(DESTDIR)$(LIBDIR)/
	install -m 644 $(SOLIB) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(SOLIB)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libmedflag.so
	install -m 644 filter/medflag.h filter/alloc.h filter/buf.h filter/err.h \
	    filter/post.h filter/verdict.h filter/source.h filter/normalize.h \
	    filter/ruleset.h filter/match.h filter/wire.h filter/learn.h \
	    filter/feedback.h $(DESTDIR)$(PREFIX)/include/medflag/
	install -d $(DESTDIR)$(LOCALSTATEDIR)/run/medflag
	install -m 644 rules/*.rules rules/policy.conf rules/canary.jsonl \
	    rules/medflag.model $(DESTDIR)$(DATADIR)/medflag/rules/
	install -m 644 rules/sources/*.list $(DESTDIR)$(DATADIR)/medflag/rules/sources/
	install -d $(DESTDIR)$(DATADIR)/medflag/ui
	install -m 644 tools/gateways/ui/*.html tools/gateways/ui/*.css \
	    tools/gateways/ui/*.js $(DESTDIR)$(DATADIR)/medflag/ui/
	install -d $(DESTDIR)$(DATADIR)/medflag/corpus
	install -m 644 tests/corpus/*.jsonl $(DESTDIR)$(DATADIR)/medflag/corpus/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@VERSION@|$(VERSION)|' -e 's|@DEPS@|$(DEPS)|' medflag.pc.in \
	    > $(DESTDIR)$(LIBDIR)/pkgconfig/medflag.pc
	@# The example configuration, unless there is one: that is the operator's.
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/medflag/medflag.conf ]; then \
	    echo "install: keeping $(DESTDIR)$(SYSCONFDIR)/medflag/medflag.conf"; \
	else install -m 644 etc/medflag/medflag.conf $(DESTDIR)$(SYSCONFDIR)/medflag/; fi
	for u in medflagd medflag-http medflag-discourse; do \
	    sed -e 's|@BINDIR@|$(PREFIX)/bin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	        -e 's|@DATADIR@|$(DATADIR)|g' etc/systemd/$$u.service.in \
	        > $(DESTDIR)$(SYSTEMDUNITDIR)/$$u.service || exit 1; done
	install -m 644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 \
	    $(DESTDIR)$(MANDIR)/man8
	install -m 644 docs/man/medflag.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 docs/man/medflag.conf.5 docs/man/medflag.rules.5 \
	    $(DESTDIR)$(MANDIR)/man5/
	install -m 644 docs/man/medflagd.8 docs/man/medflag-gateway.8 \
	    $(DESTDIR)$(MANDIR)/man8/
	ln -sf medflagd.8 $(DESTDIR)$(MANDIR)/man8/medflag-worker.8
	ln -sf medflag.1 $(DESTDIR)$(MANDIR)/man1/medflag-ctl.1

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(notdir $(BINS)))
	rm -f $(DESTDIR)$(LIBDIR)/libmedflag.a $(DESTDIR)$(LIBDIR)/libmedflag.so* \
	    $(DESTDIR)$(LIBDIR)/pkgconfig/medflag.pc
	rm -rf $(DESTDIR)$(PREFIX)/include/medflag $(DESTDIR)$(DATADIR)/medflag \
	    $(DESTDIR)$(DOCDIR)
	rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/medflagd.service \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/medflag-http.service \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/medflag-discourse.service
	rm -f $(DESTDIR)$(MANDIR)/man1/medflag.1 \
	    $(DESTDIR)$(MANDIR)/man1/medflag-ctl.1 \
	    $(DESTDIR)$(MANDIR)/man5/medflag.conf.5 \
	    $(DESTDIR)$(MANDIR)/man5/medflag.rules.5 \
	    $(DESTDIR)$(MANDIR)/man8/medflagd.8 \
	    $(DESTDIR)$(MANDIR)/man8/medflag-gateway.8 \
	    $(DESTDIR)$(MANDIR)/man8/medflag-worker.8
	@echo "uninstall: $(DESTDIR)$(SYSCONFDIR)/medflag is left as it is"

# ---- Debian package ----------------------------------------------------------

# debian/ packaged from a copy of the sources in $(BUILD)/deb (of the
# tests only the corpus, which is installed), so that dpkg-buildpackage writes nowhere else; the .deb
# files land in $(BUILD)/deb, then lintian must find no error in them.
DEB_SRC := Makefile README.md medflag.pc.in filter workers tools rules etc \
           docs debian tests/corpus
deb: deb-deps
	@rm -rf $(BUILD)/deb && mkdir -p $(BUILD)/deb/src/medflag-$(VERSION)
	tar -cf - $(DEB_SRC) | tar -xf - -C $(BUILD)/deb/src/medflag-$(VERSION)
	cd $(BUILD)/deb/src/medflag-$(VERSION) && env -u MAKEFLAGS -u MFLAGS \
	    -u MAKELEVEL dpkg-buildpackage -b -us -uc -j2 \
	    >../build.log 2>&1 || { tail -40 ../build.log; exit 1; }
	mv $(BUILD)/deb/src/*.deb $(BUILD)/deb/
	lintian --fail-on error $(BUILD)/deb/*.deb
	@ls $(BUILD)/deb/*.deb

clean:
	rm -rf build

-include $(shell find $(BUILD) -path $(BUILD)/deb -prune -o -name '*.d' \
    -type f -print 2>/dev/null)
