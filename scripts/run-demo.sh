#!/usr/bin/env bash
# `make run`: httpd with the module in the foreground on 127.0.0.1:PORT, printing the clickstream
# log as requests arrive. Ctrl-C stops it.
set -euo pipefail

port=${1:-8080}
repo=$(cd "$(dirname "$0")/.." && pwd)
module=${MODULE_SO:-${CARGO_TARGET_DIR:-$repo/target}/release/libmod_usertrack.so}
[ -f "$module" ] || { echo "run-demo.sh: $module not built; run 'make build'" >&2; exit 1; }

root=$(mktemp -d /tmp/usertrack-demo.XXXXXX)
chmod 755 "$root"
mkdir "$root/htdocs"
cat > "$root/htdocs/index.html" <<'HTML'
<!doctype html><title>mod_usertrack demo</title>
<p>Hello. Reload this page: the clickstream log shows the same visitor ID again.</p>
HTML
chmod -R a+rX "$root/htdocs"

user_lines=""
if [ "$(id -u)" -eq 0 ]; then user_lines=$'User www-data\nGroup www-data'; fi
sed -e "s|@ROOT@|$root|g" -e "s|@PORT@|$port|g" -e "s|@MODULE@|$module|g" \
    "$repo/conf/demo.conf.in" | awk -v user="$user_lines" '{ if ($0 == "@USER@") print user; else print }' \
    > "$root/httpd.conf"

stop() {
  if [ -f "$root/httpd.pid" ]; then kill -TERM "$(cat "$root/httpd.pid")" 2>/dev/null || true; fi
  for _ in $(seq 50); do [ -f "$root/httpd.pid" ] || break; sleep 0.1; done
  rm -rf "$root"
}
trap stop EXIT

/usr/sbin/apache2 -t -f "$root/httpd.conf" >/dev/null
cat <<MSG
mod_usertrack demo on http://127.0.0.1:$port/  (error log: $root/error.log; Ctrl-C stops)
Try, in another terminal:
  curl -si -c /tmp/jar http://127.0.0.1:$port/ | grep -i set-cookie   # first visit: a new ID
  curl -s -b /tmp/jar -o /dev/null http://127.0.0.1:$port/             # return visit: same ID logged
Clickstream log (%{cookie}n %r %t):
MSG
/usr/sbin/apache2 -f "$root/httpd.conf" -DFOREGROUND &
httpd_pid=$!
trap 'kill -TERM $httpd_pid 2>/dev/null || true' INT TERM
wait "$httpd_pid" || true
