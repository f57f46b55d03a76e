# mod_usertrack in Rust: build, test, run, install, bench.
# Every target that needs system packages installs the missing ones first (scripts/install-deps.sh).

APXS      ?= $(shell command -v apxs 2>/dev/null || command -v apxs2 2>/dev/null || echo apxs)
CARGO     ?= cargo
PORT      ?= 8080
# Where cargo builds (CARGO_TARGET_DIR if set): every script and test loads the module from here.
TARGET_DIR := $(abspath $(or $(CARGO_TARGET_DIR),target))
MODULE_SO  ?= $(TARGET_DIR)/release/libmod_usertrack.so
export MODULE_SO

.PHONY: all build deps deps-deb deps-test deps-bench deps-soak test unit-test apache-test deb deb-test run install clean bench soak memcheck fuzz

all: build

deps:
	scripts/install-deps.sh build

deps-deb:
	scripts/install-deps.sh deb

deps-test:
	scripts/install-deps.sh test

deps-bench:
	scripts/install-deps.sh bench

deps-soak:
	scripts/install-deps.sh soak

build: deps
	$(CARGO) build --release --locked

# Unit, property and differential tests (cargo; tests/faults.rs loads the fault-injection build in
# $(TARGET_DIR)/fault/, never the release one), the Apache::Test suite against a real httpd,
# then the Debian package installed, upgraded and purged (skipped, saying why, without root or
# the Debian tools).
test: deps-test build
	$(CARGO) build --profile fault --features fault-injection --locked
	$(CARGO) test --release --locked
	scripts/check-demo.sh
	scripts/apache-test.sh
	scripts/deb-test.sh

unit-test: deps
	$(CARGO) test --release --locked --lib

apache-test: deps-test build
	scripts/apache-test.sh

# The Debian package, in target/debian/ (DEB_OUT_DIR=...): see README, "Install from the Debian package".
deb: deps-deb
	scripts/build-deb.sh

deb-test: deps-test build
	scripts/deb-test.sh

run: deps build
	scripts/run-demo.sh $(PORT)

# Installed as mod_usertrack_rs.so / usertrack_rs.{load,conf}: Debian's apache2 packages own
# mod_usertrack.so and usertrack.load, and an upgrade would silently put the stock module back.
install: build
	libexecdir=$$($(APXS) -q LIBEXECDIR) && \
	install -d $(DESTDIR)$$libexecdir && \
	install -m 644 $(MODULE_SO) $(DESTDIR)$$libexecdir/mod_usertrack_rs.so && \
	if [ -d $(DESTDIR)/etc/apache2/mods-available ]; then \
	  sed "s|@LIBEXECDIR@|$$libexecdir|" conf/usertrack.load > $(DESTDIR)/etc/apache2/mods-available/usertrack_rs.load && \
	  install -m 644 conf/usertrack.conf $(DESTDIR)/etc/apache2/mods-available/usertrack_rs.conf && \
	  echo "installed; enable with: a2dismod usertrack; a2enmod usertrack_rs && apache2ctl graceful"; \
	else \
	  echo "installed $$libexecdir/mod_usertrack_rs.so; load it with: LoadModule usertrack_module $$libexecdir/mod_usertrack_rs.so"; \
	fi

bench: deps-bench build
	scripts/bench.sh

# Not part of `make test`. Soak: wrk's mix of new, returning, hostile, cookieless and ClickPath visitors against the
# prefork, worker and event MPMs with graceful restarts (SOAK_SECONDS, default 300).
# Memcheck: httpd -X under valgrind, then with AddressSanitizer. See README, "Soak and memory checks".
soak: deps-soak build
	python3 bench/soak.py

memcheck: deps-soak
	scripts/memcheck.sh

# cargo-fuzz on every parser and decoder in core, FUZZ_SECONDS in all (default 240); needs
# nightly (or RUSTC_BOOTSTRAP=1) and installs cargo-fuzz if missing. Not part of `make test`.
fuzz:
	scripts/fuzz.sh

clean:
	$(CARGO) clean
	rm -rf t/logs t/conf/apache_test_config.pm run

# ClickPath's decoder (a [[bin]] target of this crate) and its man page (also the Debian
# package's), installed with the module.
BINDIR ?= /usr/local/bin
MANDIR ?= /usr/local/share/man
.PHONY: install-clickpath-decode
install: install-clickpath-decode
install-clickpath-decode: build
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 && \
	install -m 755 $(TARGET_DIR)/release/clickpath-decode $(DESTDIR)$(BINDIR)/clickpath-decode && \
	install -m 644 debian/clickpath-decode.1 $(DESTDIR)$(MANDIR)/man1/clickpath-decode.1
