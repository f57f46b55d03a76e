#!/usr/bin/env bash
# Checks `make run`'s promise: the demo serves a page, and a second visit logs the same ID as
# the first, marked new (1) the first time and returning (0) the second. Run by `make test`.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
work=$(mktemp -d)
"$repo/scripts/run-demo.sh" "$port" > "$work/stdout" 2>&1 &
demo=$!
cleanup() { kill -TERM "$demo" 2>/dev/null || true; wait "$demo" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break
  kill -0 "$demo" 2>/dev/null || { cat "$work/stdout"; echo "check-demo: demo exited"; exit 1; }
  sleep 0.1
done
: > "$work/jar"
first=$(curl -s -D - -o /dev/null -c "$work/jar" "http://127.0.0.1:$port/" | tr -d '\r' | sed -n 's/^Set-Cookie: Apache=\([^;]*\);.*/\1/p')
curl -s -o /dev/null -b "$work/jar" "http://127.0.0.1:$port/"
[ -n "$first" ] || { echo "check-demo: FAIL: no Set-Cookie on the first visit"; exit 1; }

for _ in $(seq 50); do
  [ "$(grep -c "^$first [01] GET / " "$work/stdout" || true)" -ge 2 ] && break
  sleep 0.1
done
if [ "$(grep -c "^$first 1 GET / HTTP/1.1 \[" "$work/stdout" || true)" -eq 1 ] &&
   [ "$(grep -c "^$first 0 GET / HTTP/1.1 \[" "$work/stdout" || true)" -eq 1 ]; then
  echo "check-demo: ok: first visit logged $first as new, the second as returning"
  echo "1 passed, 0 failed"
else
  echo "check-demo: FAIL: expected two clickstream lines for $first; demo printed:"; cat "$work/stdout"
  echo "0 passed, 1 failed"; exit 1
fi
