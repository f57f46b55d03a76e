# mod_usertrack in Rust: build, test, run, install, bench.
# Every target that needs system packages installs the missing ones first (scripts/install-deps.sh).

APXS      ?= $(shell command -v apxs 2>/dev/null || command -v apxs2 2>/dev/null || echo apxs)
CARGO     ?= cargo
PORT      ?= 8080
MODULE_SO := target/release/libmod_usertrack.so

.PHONY: all build deps deps-test deps-bench test unit-test apache-test run install clean bench

all: build

deps:
	scripts/install-deps.sh build

deps-test:
	scripts/install-deps.sh test

deps-bench:
	scripts/install-deps.sh bench

build: deps
	$(CARGO) build --release --locked

# Unit, property and differential tests (cargo), then the Apache::Test suite against a real httpd.
test: deps-test build
	$(CARGO) test --release --locked
	scripts/apache-test.sh

unit-test: deps
	$(CARGO) test --release --locked --lib

apache-test: deps-test build
	scripts/apache-test.sh

run: deps build
	scripts/run-demo.sh $(PORT)

install: build
	install -d $(DESTDIR)$$($(APXS) -q LIBEXECDIR)
	install -m 644 $(MODULE_SO) $(DESTDIR)$$($(APXS) -q LIBEXECDIR)/mod_usertrack.so
	@if [ -d $(DESTDIR)/etc/apache2/mods-available ]; then \
	  install -m 644 conf/usertrack.load conf/usertrack.conf $(DESTDIR)/etc/apache2/mods-available/; \
	  echo "installed; enable with: a2enmod usertrack && apache2ctl graceful"; \
	fi

bench: deps-bench build
	scripts/bench.sh

clean:
	$(CARGO) clean
	rm -rf t/logs t/conf/apache_test_config.pm run
