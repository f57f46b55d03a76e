#!/usr/bin/env bash
# Runs the Apache::Test integration suite (t/) against a real httpd with our module loaded.
#
#   scripts/apache-test.sh [t/TEST test files...]
#
# Pass 1: the whole suite (or the given .t files) with the prefork MPM (CGIs via mod_cgi).
# Pass 2: the tests in EVENT_TESTS again with the event MPM (CGIs via mod_cgid; skipped if
# test files were given).
# Pass 3: t/cookieless_day.t with the module built with `--features test-clock` (built here,
# into CARGO_TARGET_DIR's debug directory; never the release build), which lets a request move
# the cookieless clock to another day (skipped if test files were given, or MODULE_SO is stock).
#
# Before each pass the signing key files the suite's CookieSignKeyFile lines name are made in
# the work dir's t/keys (mode 0600, owned by the user running the suite): git cannot keep a
# file with mode 0600, and the module refuses world-readable key files.
#
# Environment:
#   MODULE_SO   module to load (default: target/release/libmod_usertrack.so in the repo);
#               MODULE_SO=/usr/lib/apache2/modules/mod_usertrack.so runs the suite against stock.
#   HTTPD       httpd binary (default /usr/sbin/apache2)
#   CLICKPATH_DECODE  the clickpath-decode binary t/clickpath/interop.t runs (default: the one
#               cargo built next to the module in target/release; its checks skip if missing)
#   APACHE_MODULES_DIR  stock modules (default /usr/lib/apache2/modules)
#   KEEP_WORKDIR=1      keep the temporary copy of t/ (always kept when a pass fails)
#   APACHE_TEST_MPM=event  run the given test files with the event MPM instead of prefork
#
# Apache::Test refuses to run as root: as root the suite runs as user usertrack-test
# (created if missing) in a temporary copy of t/ that this user owns.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
MODULE_SO=${MODULE_SO:-${CARGO_TARGET_DIR:-$repo/target}/release/libmod_usertrack.so}
CLICKPATH_DECODE=${CLICKPATH_DECODE:-${CARGO_TARGET_DIR:-$repo/target}/release/clickpath-decode}
HTTPD=${HTTPD:-/usr/sbin/apache2}
MODDIR=${APACHE_MODULES_DIR:-/usr/lib/apache2/modules}
TEST_USER=usertrack-test
PASS_TIMEOUT=${PASS_TIMEOUT:-300}
SAFE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# run again under the event MPM (threads, mod_cgid): minting, uniqueness, CGI-facing features,
# hostile requests, cookieless IDs across threads, ClickPath
EVENT_TESTS=(t/uniqueness.t t/uniqueness_legacy.t t/id_formats.t t/inject.t t/session.t t/hostile.t t/cookieless.t)
# (the glob is taken in the repository, so that the script works from any directory)
EVENT_TESTS+=($(cd "$repo" && echo t/clickpath/*.t))
# the cookieless clock moved to other days: a test build only
CLOCK_TESTS=(t/cookieless_day.t)

die() { echo "apache-test.sh: $*" >&2; exit 1; }

[ -f "$MODULE_SO" ] || die "module not found: $MODULE_SO (run cargo build --release first)"
[ -x "$HTTPD" ] || die "httpd not found: $HTTPD"
[ -f "$MODDIR/mod_mpm_prefork.so" ] || die "stock modules not found in $MODDIR"
perl -MApache::TestRun -e 1 2>/dev/null || die "Apache::Test missing (apt-get install libapache2-mod-perl2)"
perl -MLWP::UserAgent -e 1 2>/dev/null || die "LWP missing (apt-get install libwww-perl)"
MODULE_SO=$(realpath "$MODULE_SO")

work=$(mktemp -d /tmp/usertrack-apache-test.XXXXXX)
chmod 755 "$work"
cp -a "$repo/t" "$work/t"
# drop anything Apache::Test generated in the source tree (left over from manual runs)
rm -rf "$work/t/logs" "$work/t/conf/apache_test_config.pm" "$work/t/htdocs/index.html"
find "$work/t/conf" -maxdepth 1 -type f ! -name '*.in' -delete
cp "$MODULE_SO" "$work/mod_usertrack.so"
chmod 644 "$work/mod_usertrack.so"
decoder_env=
if [ -x "$CLICKPATH_DECODE" ]; then
  cp "$CLICKPATH_DECODE" "$work/clickpath-decode"
  chmod 755 "$work/clickpath-decode"
  decoder_env="CLICKPATH_DECODE=$work/clickpath-decode"
else
  echo "apache-test.sh: $CLICKPATH_DECODE not found: t/clickpath/interop.t skips its clickpath-decode checks" >&2
fi

# Signing keys (see the top): a.key and b.key one key each, ba.key = b then a (rotation:
# b signs, both verify). 32 random bytes, base64, one a line.
new_key() { head -c 32 /dev/urandom | base64 -w0; echo; }
mkdir -p "$work/t/keys"
key_a=$(new_key); key_b=$(new_key)
printf '# test key a\n%s' "$key_a" > "$work/t/keys/a.key"
printf '%s' "$key_b" > "$work/t/keys/b.key"
printf '# rotation: the first key signs, every key verifies\n\n%s\n%s\n' "$key_b" "$key_a" > "$work/t/keys/ba.key"
chmod 700 "$work/t/keys"
chmod 600 "$work/t/keys/"*.key

if [ "$(id -u)" -eq 0 ]; then
  if ! id -u "$TEST_USER" >/dev/null 2>&1; then
    useradd -M -d /nonexistent -s /bin/sh "$TEST_USER"
  fi
  chown -R "$TEST_USER": "$work"
  as_user() { runuser -u "$TEST_USER" -- "$@"; }
else
  as_user() { "$@"; }
fi

# run a command in the work dir as the test user with a clean environment
run_t() {
  (cd "$work" && as_user env -i PATH="$SAFE_PATH" HOME="$work" LANG=C.UTF-8 \
      APACHE_TEST_NO_STICKY_PREFERENCES=1 APACHE_TEST_COLOR=0 \
      USERTRACK_MODULE_SO="$work/mod_usertrack.so" USERTRACK_HTTPD="$HTTPD" $decoder_env ${PASS_ENV:-} "$@")
}

stop_server() {
  local pidfile="$work/t/logs/httpd.pid"
  [ -f "$pidfile" ] || return 0
  if [ -f "$work/t/conf/apache_test_config.pm" ]; then
    run_t timeout 60 perl t/TEST -stop >/dev/null 2>&1 || true
  fi
  if [ -f "$pidfile" ]; then
    local pid
    pid=$(cat "$pidfile" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
}

failed=()
cleanup() {
  stop_server
  if [ ${#failed[@]} -eq 0 ] && [ -z "${KEEP_WORKDIR:-}" ]; then
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  perl -MIO::Socket::INET -e '
    my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0,
                                  Listen => 1, ReuseAddr => 1) or die "no free port: $!\n";
    print $s->sockport, "\n";'
}

write_base_conf() { # $1 = mpm (prefork|event), $2 = file, $3 = module (default: the one under test)
  {
    echo "# base config inherited by Apache::Test (Debian has no httpd.conf)"
    echo "LoadModule mpm_$1_module $MODDIR/mod_mpm_$1.so"
    for m in authz_core authz_host authn_core auth_basic authn_file authz_user \
             mime dir alias include rewrite headers env setenvif filter info remoteip socache_shmcb; do
      echo "LoadModule ${m}_module $MODDIR/mod_$m.so"
    done
    # CGIs (t/htdocs/cgi): mod_cgi forks from a prefork child; threaded MPMs need mod_cgid
    if [ "$1" = prefork ]; then
      echo "LoadModule cgi_module $MODDIR/mod_cgi.so"
    else
      echo "LoadModule cgid_module $MODDIR/mod_cgid.so"
    fi
    echo "LoadModule usertrack_module ${3:-$work/mod_usertrack.so}"
    echo "TypesConfig /etc/mime.types"
  } > "$2"
}

check_error_log() { # $1 = label
  local log="$work/t/logs/error_log"
  [ -f "$log" ] || { echo "apache-test.sh: [$1] no error_log found" >&2; failed+=("$1: no error_log"); return; }
  cp "$log" "$work/error_log.$1"
  if grep -nE 'exit signal|panic|Segmentation fault|AH00052' "$log" >&2; then
    echo "apache-test.sh: [$1] crash or panic found in $log (see above)" >&2
    failed+=("$1: crash/panic in error_log")
  fi
}

run_pass() { # $1 = label, $2 = mpm, rest = test files; MODULE_FOR_PASS: another module
  local label=$1 mpm=$2; shift 2
  local conf="$work/base-$label.conf" port rc=0
  write_base_conf "$mpm" "$conf" "${MODULE_FOR_PASS:-}"
  [ "$(id -u)" -eq 0 ] && chown "$TEST_USER": "$conf"
  port=$(free_port)
  echo "=== apache-test.sh: $label pass ($mpm MPM, port $port, module ${MODULE_FOR_PASS:-$MODULE_SO})"
  run_t timeout "$PASS_TIMEOUT" perl t/TEST -clean >/dev/null 2>&1 || true
  run_t timeout "$PASS_TIMEOUT" perl t/TEST -httpd "$HTTPD" -httpd_conf "$conf" \
      -port "$port" -servername 127.0.0.1 -trace=error "$@" || rc=$?
  stop_server
  if [ "$rc" -ne 0 ]; then failed+=("$label pass: t/TEST exit status $rc"); fi
  check_error_log "$label"
}

if [ $# -gt 0 ]; then
  mpm=${APACHE_TEST_MPM:-prefork}
  run_pass "$mpm" "$mpm" "$@"
else
  run_pass prefork prefork
  run_pass event event "${EVENT_TESTS[@]}"
  case "$MODULE_SO" in
    "$MODDIR"/*) echo "apache-test.sh: the stock module has no test clock: ${CLOCK_TESTS[*]} skipped" ;;
    *)
      (cd "$repo" && cargo build --quiet --features test-clock) || die "cargo build --features test-clock failed"
      # named mod_usertrack.so: Apache::Test takes a module's name from its file's
      mkdir -p "$work/test-clock"
      cp "${CARGO_TARGET_DIR:-$repo/target}/debug/libmod_usertrack.so" "$work/test-clock/mod_usertrack.so"
      chmod 644 "$work/test-clock/mod_usertrack.so"
      [ "$(id -u)" -eq 0 ] && chown -R "$TEST_USER": "$work/test-clock"
      MODULE_FOR_PASS="$work/test-clock/mod_usertrack.so" PASS_ENV=USERTRACK_TEST_CLOCK=1 \
        run_pass clock prefork "${CLOCK_TESTS[@]}"
      ;;
  esac
fi

if [ ${#failed[@]} -ne 0 ]; then
  echo "apache-test.sh: FAILED: ${failed[*]}" >&2
  echo "apache-test.sh: logs kept in $work/t/logs and $work/error_log.*" >&2
  exit 1
fi
