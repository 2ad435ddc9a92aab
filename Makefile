# medflag - flags medical misinformation in forum posts for moderators.
# A plain GNU Makefile: `make`, `make check`, `make demo`, `make asan`,
# `make bench`, `make fuzz`, `make chaos`, `make install`, `make model`.

PREFIX     ?= /usr/local
DESTDIR    ?=
# Where the installed programs look for their files; compiled in (see
# $(PATHS_H)). PREFIX=/usr gives /etc and /var, as Debian does.
SYSCONFDIR ?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
DATADIR    ?= $(PREFIX)/share
LOCALSTATEDIR ?= $(if $(filter /usr,$(PREFIX)),/var,$(PREFIX)/var)
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
DOCDIR     ?= $(DATADIR)/doc/medflag
PKG_CONFIG ?= pkg-config
CC         ?= cc
BUILD      ?= build
CFLAGS     ?= -O2 -g
MSGPACK    := $(shell $(PKG_CONFIG) --exists msgpack-c 2>/dev/null && echo msgpack-c || echo msgpack)
DEPS       := libzmq libpcre2-8 hiredis $(MSGPACK) libutf8proc icu-uc icu-i18n \
              libpsl jansson
WARN       := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
              -Wwrite-strings -Wpointer-arith -Wformat=2 -Wvla
# `medflag http` and `medflag discourse` only: libmicrohttpd serves HTTP,
# libcurl calls Discourse's API (TLS included), libsodium's HMAC-SHA256
# checks webhook signatures.
HTTP_DEPS  := libmicrohttpd libcurl libsodium
HTTP_LIBS  := $(shell $(PKG_CONFIG) --libs $(HTTP_DEPS) 2>/dev/null)
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(DEPS) $(HTTP_DEPS) 2>/dev/null)
PKG_LIBS   := $(shell $(PKG_CONFIG) --libs $(DEPS) 2>/dev/null)
MF_CFLAGS  := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -D_GNU_SOURCE $(WARN) \
              -Ifilter -Iworkers -Itools -Itests -I$(BUILD)/gen $(PKG_CFLAGS) $(CFLAGS) -MMD -MP
LDLIBS     += $(PKG_LIBS) -lpthread -lm

# Debian packages that building and testing need; `make deps` installs the
# missing ones (as root) or prints the command. chromium and
# python3-websocket: the web console's test drives a real browser.
DEB_PKGS   := build-essential pkg-config libzmq3-dev libpcre2-dev \
              libhiredis-dev libmsgpack-dev libutf8proc-dev libicu-dev \
              libpsl-dev libjansson-dev libmicrohttpd-dev \
              libcurl4-openssl-dev libsodium-dev redis-server redis-tools \
              python3 python3-zmq python3-msgpack \
              chromium python3-websocket
FUZZ_PKGS  := clang libclang-rt-14-dev

LIB_SRC    := $(filter-out %_test.c,$(wildcard filter/*.c))
SVC_SRC    := $(filter-out workers/medflagd.c workers/worker.c %_test.c,$(wildcard workers/*.c))
CLI_SRC    := $(filter-out %_test.c,$(wildcard tools/*.c))
UNIT_SRC   := $(wildcard filter/*_test.c workers/*_test.c tools/*_test.c) tests/harness.c \
              tests/ahocorasick.c
INTEG_SRC  := $(wildcard tests/integ/*.c)
INTEG_UTIL := $(wildcard tests/integ_util.c)
FUZZ_SRC   := $(wildcard tests/fuzz/fuzz_*.c)

LIB        := $(BUILD)/libmedflag.a
SVC        := $(BUILD)/libmfsvc.a
BINS       := $(BUILD)/medflag $(if $(wildcard workers/medflagd.c),$(BUILD)/medflagd) \
              $(if $(wildcard workers/worker.c),$(BUILD)/medflag-worker)
INTEG_BINS := $(patsubst tests/integ/%.c,$(BUILD)/tests/integ/%,$(INTEG_SRC))
REPLAY     := $(patsubst tests/fuzz/fuzz_%.c,$(BUILD)/tests/replay_%,$(FUZZ_SRC))

# Keep intermediate objects (integration tests, fuzz replays): no rm at
# the end of make check, whose last line must be the test summary.
.SECONDARY:

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

.PHONY: FORCE all check check-all check-unit check-rules check-integ check-fuzz \
        deps fuzz-deps demo asan bench fuzz chaos install uninstall clean model

all: $(LIB) $(BINS) $(BUILD)/tests/unit $(INTEG_BINS) $(REPLAY)

# The directories of this build, rewritten only when they change, so that
# `make install PREFIX=/opt/medflag` recompiles what uses them and a plain
# `make` afterwards recompiles nothing else.
PATHS_H    := $(BUILD)/gen/mf_paths.h
$(PATHS_H): FORCE
	@mkdir -p $(@D)
	@printf '#define MF_SYSCONFDIR "%s"\n#define MF_DATADIR "%s"\n#define MF_LOCALSTATEDIR "%s"\n' \
	    '$(SYSCONFDIR)' '$(DATADIR)' '$(LOCALSTATEDIR)' >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi
$(BUILD)/workers/config.o $(BUILD)/tools/cli.o $(BUILD)/workers/medflagd.o: $(PATHS_H)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(MF_CFLAGS) -c -o $@ $<

$(LIB): $(call obj,$(LIB_SRC))
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(SVC): $(call obj,$(SVC_SRC)) $(LIB)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $(call obj,$(SVC_SRC))

$(BUILD)/medflag: $(call obj,$(CLI_SRC)) $(SVC) $(LIB)
	$(CC) $(CFLAGS) -o $@ $(call obj,$(CLI_SRC)) $(SVC) $(LIB) $(LDFLAGS) $(HTTP_LIBS) $(LDLIBS)

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
$(BUILD)/tests/replay_%: $(call obj,tests/fuzz/fuzz_%.c tests/fuzz/replay.c) $(LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $(call obj,tests/fuzz/fuzz_$*.c tests/fuzz/replay.c) $(LIB) $(LDFLAGS) $(LDLIBS)

# ---- tests ---------------------------------------------------------------

check: deps
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
asan: deps
	@$(MAKE) --no-print-directory BUILD=build/asan CFLAGS="$(ASAN_FLAGS)" \
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
# public corpora of ../shared/data relabelled by stance; the other half
# judges it (tests/rules/public.sh). Deterministic: tests/rules/model.sh
# trains it again and compares the bytes with rules/medflag.model.
SHARED      ?= ../shared/data
MODEL_OUT   ?= rules/medflag.model
MODEL_FOLDS ?= 5
MODEL_ARGS   = --rules rules --folds $(MODEL_FOLDS) --out $(MODEL_OUT) \
               tests/corpus/*.jsonl --part 0/2 \
               --labels tests/public/reddit-hm.labels $(SHARED)/public/reddit-hm.jsonl \
               --labels - $(SHARED)/public/covid-q.jsonl \
               --labels tests/public/constraint.labels --unlabelled negative \
               $(SHARED)/public/constraint.jsonl
model: $(BUILD)/medflag
	@test -f $(SHARED)/public/reddit-hm.jsonl || { echo "make model: \
	    $(SHARED)/public is missing (set SHARED=DIR)"; exit 1; }
	$(BUILD)/medflag learn train $(MODEL_ARGS)

# The library is instrumented for coverage (fuzzer-no-link); each
# tests/fuzz/fuzz_<name>.c is linked with libFuzzer into build/fuzz/bin/.
FUZZ_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer
FUZZ_CFLAGS := -O1 -g -fsanitize=fuzzer $(FUZZ_SAN)
fuzz: deps fuzz-deps
	@$(MAKE) --no-print-directory BUILD=build/fuzz CC=clang \
	    CFLAGS="-O1 -g -fsanitize=fuzzer-no-link $(FUZZ_SAN)" \
	    build/fuzz/libmedflag.a
	@mkdir -p build/fuzz/bin
	@for f in $(FUZZ_SRC); do n=$$(basename $$f .c); \
	    echo "fuzz: build/fuzz/bin/$$n"; \
	    clang $(filter-out -MMD -MP $(CFLAGS),$(MF_CFLAGS)) \
	        $(FUZZ_CFLAGS) -o build/fuzz/bin/$$n $$f \
	        build/fuzz/libmedflag.a $(LDLIBS) || exit 1; done
	@MF_FUZZ_SECONDS=$${MF_FUZZ_SECONDS:-60} sh tests/fuzz/run.sh build/fuzz/bin

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

# ---- install ---------------------------------------------------------------

install: $(LIB) $(BINS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	    $(DESTDIR)$(PREFIX)/include/medflag $(DESTDIR)$(DATADIR)/medflag/rules/sources \
	    $(DESTDIR)$(SYSCONFDIR)/medflag $(DESTDIR)$(SYSTEMDUNITDIR) $(DESTDIR)$(DOCDIR)
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 filter/medflag.h filter/alloc.h filter/buf.h filter/err.h \
	    filter/post.h filter/verdict.h filter/source.h filter/normalize.h \
	    filter/ruleset.h filter/match.h filter/wire.h filter/learn.h \
	    $(DESTDIR)$(PREFIX)/include/medflag/
	install -d $(DESTDIR)$(LOCALSTATEDIR)/run/medflag
	install -m 644 rules/*.rules rules/policy.conf rules/canary.jsonl \
	    rules/medflag.model $(DESTDIR)$(DATADIR)/medflag/rules/
	install -m 644 rules/sources/*.list $(DESTDIR)$(DATADIR)/medflag/rules/sources/
	install -d $(DESTDIR)$(DATADIR)/medflag/ui
	install -m 644 tools/ui/*.html tools/ui/*.css tools/ui/*.js $(DESTDIR)$(DATADIR)/medflag/ui/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@DEPS@|$(DEPS)|' medflag.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/medflag.pc
	@# The example configuration, unless there is one: that is the operator's.
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/medflag/medflag.conf ]; then \
	    echo "install: keeping $(DESTDIR)$(SYSCONFDIR)/medflag/medflag.conf"; \
	else install -m 644 etc/medflag/medflag.conf $(DESTDIR)$(SYSCONFDIR)/medflag/; fi
	for u in medflagd medflag-http; do \
	    sed -e 's|@BINDIR@|$(PREFIX)/bin|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
	        -e 's|@DATADIR@|$(DATADIR)|g' etc/systemd/$$u.service.in \
	        > $(DESTDIR)$(SYSTEMDUNITDIR)/$$u.service || exit 1; done
	install -m 644 README.md docs/*.md $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/bin/,$(notdir $(BINS)))
	rm -f $(DESTDIR)$(PREFIX)/lib/libmedflag.a $(DESTDIR)$(PREFIX)/lib/pkgconfig/medflag.pc
	rm -rf $(DESTDIR)$(PREFIX)/include/medflag $(DESTDIR)$(DATADIR)/medflag \
	    $(DESTDIR)$(DOCDIR)
	rm -f $(DESTDIR)$(SYSTEMDUNITDIR)/medflagd.service \
	    $(DESTDIR)$(SYSTEMDUNITDIR)/medflag-http.service
	@echo "uninstall: $(DESTDIR)$(SYSCONFDIR)/medflag is left as it is"

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
