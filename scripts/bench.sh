#!/usr/bin/env bash
# `make bench`: instructions per request (callgrind), throughput (wrk) and pure-core microbenchmarks
# (criterion), printed as one Markdown report and written to bench/RESULTS.md.
# The work is done by bench/bench.py (Python 3 standard library); see its --help for the knobs.
# Environment: MODULE_SO (our module, default target/release/libmod_usertrack.so), STOCK_SO, HTTPD,
# BENCH_N1/BENCH_N2 (callgrind request counts), BENCH_LAYOUTS (directory paddings the callgrind
# slopes are averaged over), BENCH_WRK_ROUNDS, BENCH_WRK_DURATION,
# BENCH_SKIP=callgrind,wrk,criterion,clickpath, BENCH_KEEP_DIR (keep server dirs and callgrind outputs),
# BENCH_ONLY=none,ours,... (callgrind columns to measure), BENCH_NGINX=0 / BENCH_H2=0 (leave out the
# nginx userid columns / the HTTP/2 rows), NGINX (default /usr/sbin/nginx),
# BENCH_CP_N1/BENCH_CP_N2/BENCH_CP_LAYOUTS (the ClickPath rows, bench/clickpath_bench.py).
# Every server is stopped on exit (bench.py stops its own; the trap below is a second net).
set -euo pipefail

cd "$(dirname "$0")/.."

for tool in python3 valgrind callgrind_annotate wrk cargo curl; do
  command -v "$tool" >/dev/null || { echo "bench.sh: $tool not found (run: make deps-bench)" >&2; exit 1; }
done
HTTPD=${HTTPD:-/usr/sbin/apache2}
[ -x "$HTTPD" ] || { echo "bench.sh: $HTTPD not found (run: make deps-bench)" >&2; exit 1; }
export HTTPD

py_pid=
BENCH_PIDS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/usertrack-bench-pids.XXXXXX")
export BENCH_PIDS_DIR
cleanup() {
  # bench.py stops the servers it starts (each in its own session) on exit, SIGINT and SIGTERM.
  # If it is still alive here (we were interrupted), ask it to, then make sure.
  if [ -n "$py_pid" ] && kill -0 "$py_pid" 2>/dev/null; then
    kill -TERM "$py_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$py_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$py_pid" 2>/dev/null || true
  fi
  # Servers bench.py could not stop (each is a process-group leader; one file per running server).
  for f in "$BENCH_PIDS_DIR"/*; do
    [ -e "$f" ] || continue
    pid=$(basename "$f")
    kill -TERM -- "-$pid" 2>/dev/null || true
    sleep 1
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  rm -rf "$BENCH_PIDS_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

python3 bench/bench.py --command "${BENCH_COMMAND:-make bench}" "$@" &
py_pid=$!
wait "$py_pid"

# The ClickPath rows (a 20 KB HTML page; bench/clickpath_bench.py), appended to the same results
# file as a "ClickPath" section. Skipped with BENCH_SKIP containing clickpath or callgrind.
results=bench/RESULTS.md
prev=
for arg in "$@"; do
  [ "$prev" = --out ] && results=$arg
  case $arg in --out=*) results=${arg#--out=} ;; esac
  prev=$arg
done
case ",${BENCH_SKIP:-}," in
  *,clickpath,* | *,callgrind,*) echo "bench.sh: ClickPath rows skipped (BENCH_SKIP)" >&2 ;;
  *)
    python3 bench/clickpath_bench.py --command "${BENCH_COMMAND:-make bench}" --out "$results" &
    py_pid=$!
    wait "$py_pid"
    ;;
esac
