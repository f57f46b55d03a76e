#!/usr/bin/env bash
# `make memcheck`: httpd -X through the whole request mix (bench/memcheck.py), twice:
#   1. under valgrind memcheck, with the module built with symbols (cargo build --profile profiling);
#   2. with AddressSanitizer: the module built by the nightly toolchain with -Zsanitizer=address,
#      httpd (not instrumented) run with the shared ASan runtime in LD_PRELOAD. Skipped, saying
#      why, if the nightly toolchain or the runtime is missing (MEMCHECK_ASAN=0 skips it too).
# Environment: MEMCHECK_QUICK=1 (a reduced mix), MEMCHECK_KEEP_DIR, HTTPD, CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO=${CARGO:-cargo}
TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
for tool in python3 valgrind "$CARGO"; do
  command -v "$tool" >/dev/null || { echo "memcheck.sh: $tool not found (run: scripts/install-deps.sh soak)" >&2; exit 1; }
done

rc=0
"$CARGO" build --profile profiling --locked
python3 bench/memcheck.py --so "$TARGET_DIR/profiling/libmod_usertrack.so" || rc=1

if [ "${MEMCHECK_ASAN:-1}" = 0 ]; then
  echo "memcheck.sh: AddressSanitizer run skipped (MEMCHECK_ASAN=0)"
  exit $rc
fi
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "memcheck.sh: AddressSanitizer run skipped: it needs the nightly toolchain (rustup toolchain install nightly)"
  exit $rc
fi
if [ ! -e /usr/lib/x86_64-linux-gnu/libasan.so.8 ] && ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.asan-x86_64.so >/dev/null 2>&1; then
  echo "memcheck.sh: AddressSanitizer run skipped: no shared ASan runtime (apt-get install libasan8)"
  exit $rc
fi
# --target keeps RUSTFLAGS off the build script (bindgen) and puts the build in its own directory.
RUSTFLAGS="-Zsanitizer=address" "$CARGO" +nightly build --locked --target x86_64-unknown-linux-gnu
python3 bench/memcheck.py --asan --so "$TARGET_DIR/x86_64-unknown-linux-gnu/debug/libmod_usertrack.so" || rc=1
[ "$rc" -eq 0 ] && echo "memcheck.sh: valgrind and AddressSanitizer runs passed" || echo "memcheck.sh: FAILED" >&2
exit $rc
