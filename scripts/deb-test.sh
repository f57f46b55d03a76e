#!/usr/bin/env bash
# `make deb-test`, run by `make test`: builds the Debian package twice (a previous and a current
# version), checks it with lintian, then installs it on this machine and takes it through what an
# admin does: install, a request that gets the cookie, upgrade with an edited usertrack_rs.conf,
# remove, install while the stock usertrack module is enabled, purge; and ClickPath's decoder,
# /usr/bin/clickpath-decode, with its man page.
#
# It runs on the machine itself, not in a debootstrap root: a chroot needs apache2, apache2-dev,
# debhelper and a Rust toolchain of its own (several hundred MB to fetch and cache for a test of
# minutes), and the maintainer scripts under test are plain apt/dpkg/a2enmod work that a
# throwaway root would only mirror. The price is care with the machine, which other tests use:
#   - it skips (exit 0, saying why) without root, without the tools, or when the package or
#     `make install`'s files are already there, rather than replace an admin's install;
#   - the stock apache2 packages are never changed: the test checks that the stock module's files
#     are the same at the end, and puts the stock usertrack module back as it was (enabled or not),
#     with a2enmod's state in /var/lib/apache2/module;
#   - no service is started: a policy-rc.d stops the maintainer scripts from (re)starting apache2
#     (one is put in place if the machine has none, and removed after); the only httpd is a
#     private one on 127.0.0.1 and a free port, stopped on every exit;
#   - the package is purged on every exit (trap), also after a failure.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
package=libapache2-mod-usertrack-rs
conf_dir=/etc/apache2/mods-available
decoder=/usr/bin/clickpath-decode   # ClickPath's decoder, and its man page
decoder_man_page=/usr/share/man/man1/clickpath-decode.1.gz

skip() { echo "deb-test: SKIP: $*"; exit 0; }
# Installed, or removed with its conffiles left: anything but "unknown/not-installed".
package_present() { dpkg-query -W -f='${db:Status-Abbrev}' "$package" 2>/dev/null | grep -qv '^un'; }

[ "$(id -u)" -eq 0 ] || skip "installing a package needs root (run: sudo make deb-test)"
for tool in dh dh_apache2 dpkg-checkbuilddeps lintian apt-get a2enmod a2query apache2ctl apxs curl python3; do
  command -v "$tool" >/dev/null || skip "$tool not found (scripts/install-deps.sh test installs the tools)"
done
! package_present || skip "$package is already on this machine; the test would upgrade and purge it"
libexecdir=$(apxs -q LIBEXECDIR)
for file in "$libexecdir/mod_usertrack_rs.so" "$conf_dir/usertrack_rs.load" "$conf_dir/usertrack_rs.conf" "$decoder"; do
  [ ! -e "$file" ] || skip "$file is there (from make install?); the package would take it over"
done

work=$(mktemp -d /tmp/usertrack-deb-test.XXXXXX)
chmod 755 "$work"   # apt reads the .deb files as user _apt; httpd's children read htdocs
trap 'rm -rf "$work"' EXIT   # until the machine is changed: then cleanup() below
passed=0 failed=0
ok()   { passed=$((passed + 1)); echo "deb-test: ok: $*"; }
fail() { failed=$((failed + 1)); echo "deb-test: FAIL: $*" >&2; }
check() { local what=$1; shift; if "$@"; then ok "$what"; else fail "$what"; fi; }
die() { echo "deb-test: $*" >&2; exit 1; }

# --- what the test changes, saved to be put back ---------------------------------------------
stock_files=("$libexecdir/mod_usertrack.so" "$conf_dir/usertrack.load")
md5sum "${stock_files[@]}" > "$work/stock.md5"
stock_was_enabled=no
[ -e /etc/apache2/mods-enabled/usertrack.load ] && stock_was_enabled=yes
# what is enabled, as names and link targets (a link a2enmod made again has a new time)
enabled_modules() { find /etc/apache2/mods-enabled -mindepth 1 -printf '%f -> %l\n' | sort; }
enabled_modules > "$work/mods-enabled.before"
# usertrack_rs.load's "# Depends:" modules, which a2enmod enables with it: disabled again on
# exit unless they were enabled before.
dependencies_not_enabled=()
for dependency in $(sed -n 's/^# Depends: *//p' "$repo/conf/usertrack.load"); do
  [ -e "/etc/apache2/mods-enabled/$dependency.load" ] || dependencies_not_enabled+=("$dependency")
done
cp -a /var/lib/apache2/module "$work/a2enmod-state"
policy=/usr/sbin/policy-rc.d
our_policy=no
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# deb-test.sh: no service starts while the test installs packages\nexit 101\n' > "$policy"
  chmod 755 "$policy"
  our_policy=yes
fi
httpd_pid=""

stop_httpd() {
  [ -n "$httpd_pid" ] || return 0
  kill -TERM "$httpd_pid" 2>/dev/null || true
  wait "$httpd_pid" 2>/dev/null || true
  httpd_pid=""
}

cleanup() {
  local status=$?
  stop_httpd
  if package_present; then
    apt_get purge "$package" > "$work/cleanup-purge.log" 2>&1 || dpkg --purge "$package" || true
  fi
  if [ "$stock_was_enabled" = yes ]; then a2enmod -q usertrack; else a2dismod -q -f usertrack; fi > /dev/null 2>&1 || true
  for dependency in "${dependencies_not_enabled[@]}"; do a2dismod -q -f "$dependency" > /dev/null 2>&1 || true; done
  rm -rf /var/lib/apache2/module && cp -a "$work/a2enmod-state" /var/lib/apache2/module
  [ "$our_policy" = no ] || rm -f "$policy"
  if ! enabled_modules | diff "$work/mods-enabled.before" - >&2; then
    echo "deb-test: FAIL: /etc/apache2/mods-enabled is not as before the test (diff above)" >&2
    status=1
  fi
  md5sum --quiet -c "$work/stock.md5" || { echo "deb-test: FAIL: the stock module's files changed" >&2; status=1; }
  rm -rf "$work"
  exit "$status"
}
# apt-get as in CI: no questions (a conffile prompt would read EOF and fail), wait for the lock.
apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=120 "$@" < /dev/null; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# Runs apt-get, keeping its output in $work/$1.log; shows it if apt-get fails.
apt_logged() {
  local log="$work/$1.log"; shift
  apt_get "$@" > "$log" 2>&1 || { cat "$log" >&2; die "apt-get $* failed"; }
}
installed_version() { dpkg-query -W -f='${Version}' "$package"; }
rs_enabled() { a2query -q -m usertrack_rs; }
rs_links_gone() { [ ! -e /etc/apache2/mods-enabled/usertrack_rs.load ] && [ ! -e /etc/apache2/mods-enabled/usertrack_rs.conf ]; }
# apache2ctl -M reads the system configuration (it checks it, starts nothing).
module_listed() { apache2ctl -M 2>/dev/null | grep -qx ' usertrack_module (shared)'; }
module_not_listed() { apache2ctl -M > "$work/modules" 2>&1 && ! grep -q usertrack_module "$work/modules"; }
stock_enabled() { [ -e /etc/apache2/mods-enabled/usertrack.load ]; }
# The spec's worked example (clickpath.md §3.6) and what it holds, as the decoder prints it:
# server_id, creation_time, server_pid, seq_number.
example_id='s9NNNd:vAYsyaINNTSaB7INNNNNMsMyq*.CF!vq*.InoJ'
example_fields=$'127.0.0.1\n1121948895 (2005-07-21 12:28:15 UTC)\n24909\n55023'
decoded_fields() { "$decoder" "$example_id" | sed -n 's/^\(server_id\|creation_time\|server_pid\|seq_number\): *//p'; }
decoder_gone() { [ ! -e "$decoder" ] && [ ! -e "$decoder_man_page" ]; }
# Some minimal images tell dpkg not to install man pages (path-exclude in /etc/dpkg/dpkg.cfg.d).
man_pages_excluded() { grep -qs '^path-exclude[= ]*/usr/share/man' /etc/dpkg/dpkg.cfg /etc/dpkg/dpkg.cfg.d/*; }

# --- build: a previous and a current version ----------------------------------------------------
version=$("$repo/scripts/deb-version.sh")
previous="$version~previous"   # "~" sorts before anything: an upgrade to $version
for v in "$previous" "$version"; do
  echo "deb-test: building $package $v"
  DEB_VERSION=$v DEB_OUT_DIR="$work/deb-$v" "$repo/scripts/build-deb.sh" > "$work/build.log" 2>&1 ||
    { tail -n 40 "$work/build.log" >&2; die "scripts/build-deb.sh failed"; }
done
arch=$(dpkg --print-architecture)
old_deb="$work/deb-$previous/${package}_${previous}_$arch.deb"
new_deb="$work/deb-$version/${package}_${version}_$arch.deb"

# --- the package itself --------------------------------------------------------------------------
# Run as root, lintian adds that this is not recommended: that line is dropped.
if lintian --fail-on error "$new_deb" > "$work/lintian" 2>&1; then ok "lintian: no errors"; else fail "lintian found errors"; fi
grep -v 'running with root privileges' "$work/lintian" | sed 's/^/deb-test:   lintian: /' || true

dpkg-deb -c "$new_deb" | awk '{ print $NF }' > "$work/contents"
has_file() { grep -qx "./${1#/}" "$work/contents"; }
# dh_compress gzips documents over 4 KB: either form is the document.
has_doc() { has_file "/usr/share/doc/$package/$1" || has_file "/usr/share/doc/$package/$1.gz"; }
check "ships the module as $libexecdir/mod_usertrack_rs.so" has_file "$libexecdir/mod_usertrack_rs.so"
check "ships usertrack_rs.load and usertrack_rs.conf" \
  eval 'has_file $conf_dir/usertrack_rs.load && has_file $conf_dir/usertrack_rs.conf'
check "ships README, SECURITY.md and copyright in /usr/share/doc/$package" eval \
  'has_file /usr/share/doc/$package/README.md.gz && has_doc SECURITY.md && has_file /usr/share/doc/$package/copyright'
check "ships $decoder and its man page" eval 'has_file $decoder && has_file $decoder_man_page'
check "ships none of the stock module's files" \
  eval '! grep -E "/(mod_usertrack\.so|usertrack\.(load|conf))$" "$work/contents"'
dpkg-deb --ctrl-tarfile "$new_deb" | tar -xO ./conffiles | sort > "$work/conffiles"
check "usertrack_rs.load and .conf are its conffiles" \
  diff -u <(printf '%s\n' "$conf_dir/usertrack_rs.conf" "$conf_dir/usertrack_rs.load") "$work/conffiles"

# --- install (stock usertrack disabled): enabled by apache2-maintscript-helper -------------------
a2dismod -q -f usertrack > /dev/null 2>&1 || true
apt_logged install install "$old_deb"
check "install: $previous installed" eval '[ "$(installed_version)" = "$previous" ]'
check "install: usertrack_rs enabled" rs_enabled
check "install: apache2ctl -M lists usertrack_module" module_listed
check "install: $decoder is there" test -x "$decoder"
check "install: clickpath-decode decodes the spec's example ID (2005-07-21 12:28:15 UTC, pid 24909, counter 55023, 127.0.0.1)" \
  diff -u <(echo "$example_fields") <(decoded_fields)
if ! dpkg-query -W -f='${db:Status-Abbrev}' man-db 2>/dev/null | grep -q '^ii' || ! command -v man > /dev/null; then
  echo "deb-test: skip: man -w clickpath-decode (man-db is not installed)"
elif man_pages_excluded; then
  echo "deb-test: skip: man -w clickpath-decode (dpkg is told not to install man pages: /etc/dpkg/dpkg.cfg.d)"
else
  check "install: man -w clickpath-decode finds its page" eval 'man -aw clickpath-decode 2>/dev/null | grep -qx "$decoder_man_page"'
fi

# --- a request to a private httpd that loads the installed module with the installed files ------
# The admin's edit: tracking on (the shipped usertrack_rs.conf has it commented out).
sed -i 's/^\([[:space:]]*\)# CookieTracking on$/\1# deb-test: edited by the admin\n\1CookieTracking on/' \
  "$conf_dir/usertrack_rs.conf"
grep -q 'deb-test: edited by the admin' "$conf_dir/usertrack_rs.conf" || die "could not edit usertrack_rs.conf"
mkdir -p "$work/httpd/htdocs"
echo 'hello' > "$work/httpd/htdocs/index.html"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$work/httpd/httpd.conf" <<CONF
ServerRoot "$work/httpd"
ServerName 127.0.0.1
Listen 127.0.0.1:$port
PidFile "$work/httpd/httpd.pid"
ErrorLog "$work/httpd/error.log"
User www-data
Group www-data
LoadModule mpm_event_module $libexecdir/mod_mpm_event.so
LoadModule authz_core_module $libexecdir/mod_authz_core.so
Include /etc/apache2/mods-enabled/usertrack_rs.load
Include /etc/apache2/mods-enabled/usertrack_rs.conf
DocumentRoot "$work/httpd/htdocs"
<Directory "$work/httpd/htdocs">
    Require all granted
</Directory>
CONF
/usr/sbin/apache2 -f "$work/httpd/httpd.conf" -DFOREGROUND > "$work/httpd/stdout" 2>&1 &
httpd_pid=$!
for _ in $(seq 100); do   # up to 10 s
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  kill -0 "$httpd_pid" 2>/dev/null || { cat "$work/httpd/stdout" "$work/httpd/error.log" >&2 || true; die "httpd exited"; }
  sleep 0.1
done
curl -s -m 10 -D "$work/headers" -o /dev/null "http://127.0.0.1:$port/" || true
check "a request gets the tracking cookie" grep -qiE '^Set-Cookie: Apache=[0-9a-f]+\.[0-9a-f]+; path=/' "$work/headers"
stop_httpd

# --- upgrade: the admin's usertrack_rs.conf is kept ---------------------------------------------
apt_logged upgrade install "$new_deb"
check "upgrade: $version installed" eval '[ "$(installed_version)" = "$version" ]'
check "upgrade: the edited usertrack_rs.conf is kept" grep -q 'deb-test: edited by the admin' "$conf_dir/usertrack_rs.conf"
check "upgrade: usertrack_rs still enabled" rs_enabled

# --- remove: disabled, conffiles kept -------------------------------------------------------------
apt_logged remove remove "$package"
check "remove: usertrack_rs disabled" eval '! rs_enabled && rs_links_gone'
check "remove: the module and the decoder are gone, the conffiles stay" \
  eval '[ ! -e "$libexecdir/mod_usertrack_rs.so" ] && decoder_gone && [ -e "$conf_dir/usertrack_rs.conf" ]'
check "remove: apache2ctl -M works and lists no usertrack_module" module_not_listed

# --- install while the stock module is enabled: installed, not enabled, told what to do ----------
a2enmod -q usertrack > /dev/null
apt_logged conflict install "$new_deb"
check "conflict: installed all the same" eval '[ "$(installed_version)" = "$version" ]'
check "conflict: the install says how to switch" \
  grep -q 'To switch to usertrack_rs, run: a2dismod usertrack && a2enmod usertrack_rs' "$work/conflict.log"
check "conflict: usertrack_rs not enabled, stock usertrack still is" eval '! rs_enabled && stock_enabled'
check "conflict: a2enmod usertrack_rs refuses, naming the stock module" eval \
  '! a2enmod usertrack_rs > "$work/a2enmod" 2>&1 && grep -q "Module usertrack is enabled - cannot proceed due to conflicts" "$work/a2enmod"'
a2dismod -q usertrack > /dev/null
a2enmod -q usertrack_rs > /dev/null
check "conflict: after a2dismod usertrack, a2enmod usertrack_rs enables it" eval 'rs_enabled && module_listed'

# --- purge: conffiles and a2enmod's state go ------------------------------------------------------
apt_logged purge purge "$package"
check "purge: the package is gone" eval '! package_present'
check "purge: $decoder and its man page are gone" decoder_gone
check "purge: the conffiles are gone" eval '[ ! -e "$conf_dir/usertrack_rs.load" ] && [ ! -e "$conf_dir/usertrack_rs.conf" ]'
check "purge: no usertrack_rs link or a2enmod state left" \
  eval 'rs_links_gone && [ -z "$(find /var/lib/apache2/module -name usertrack_rs)" ]'

echo "deb-test: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
