#!/usr/bin/env bash
# `make fuzz`: runs every cargo-fuzz target in fuzz/ for a bounded time and fails on any crash.
#
#   FUZZ_SECONDS  total time, split evenly across the targets run (default 240)
#   FUZZ_TARGETS  the targets to run, space-separated (default: all, as `cargo fuzz list` gives)
#   FUZZ_MAX_LEN  libFuzzer's -max_len, the longest input tried (default 4096)
#   FUZZ_RSS_MB   libFuzzer's -rss_limit_mb (default 2048)
#
# Needs a nightly toolchain (`cargo +nightly`), or a stable one with RUSTC_BOOTSTRAP=1, and
# cargo-fuzz, which it installs with `cargo install cargo-fuzz --locked` if it is missing. The
# seeds in fuzz/corpus/<target>/ are read, never written: what a run adds goes to
# fuzz/target/corpus/<target>/, a crash to fuzz/artifacts/<target>/.
set -euo pipefail

cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-240}
FUZZ_MAX_LEN=${FUZZ_MAX_LEN:-4096}
FUZZ_RSS_MB=${FUZZ_RSS_MB:-2048}
# The fuzz crate builds into fuzz/target, never into the module's target directory.
unset CARGO_TARGET_DIR

die() {
    echo "make fuzz: $*" >&2
    exit 2
}

[[ $FUZZ_SECONDS =~ ^[0-9]+$ ]] || die "FUZZ_SECONDS must be a whole number of seconds, not '$FUZZ_SECONDS'"
command -v cargo >/dev/null || die "needs cargo (Rust, e.g. from rustup) on PATH"

# cargo-fuzz builds with -Zsanitizer, a nightly flag: nightly if there is one, else stable
# with RUSTC_BOOTSTRAP=1 (which lets a stable compiler accept nightly flags).
if cargo +nightly --version >/dev/null 2>&1; then
    toolchain=(+nightly)
    echo "make fuzz: using $(cargo +nightly --version)"
else
    toolchain=()
    export RUSTC_BOOTSTRAP=1
    echo "make fuzz: no nightly toolchain; using $(cargo --version) with RUSTC_BOOTSTRAP=1"
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "make fuzz: cargo-fuzz is missing; installing it with cargo install cargo-fuzz --locked"
    cargo install cargo-fuzz --locked ||
        die "could not install cargo-fuzz (needs crates.io and a C++ compiler); install it with 'cargo install cargo-fuzz --locked' and run again"
fi

if ! cargo "${toolchain[@]}" fuzz build; then
    if [[ ${#toolchain[@]} -eq 0 ]]; then
        die "the fuzz targets did not build with stable and RUSTC_BOOTSTRAP=1; install a nightly toolchain (rustup toolchain install nightly) and run again"
    fi
    die "the fuzz targets did not build (see above)"
fi

read -r -a targets <<<"${FUZZ_TARGETS:-$(cargo "${toolchain[@]}" fuzz list | tr '\n' ' ')}"
[[ ${#targets[@]} -gt 0 ]] || die "no fuzz targets"
seconds=$((FUZZ_SECONDS / ${#targets[@]}))
((seconds >= 1)) || seconds=1
echo "make fuzz: ${#targets[@]} targets, ${seconds} s each, -max_len=$FUZZ_MAX_LEN -rss_limit_mb=$FUZZ_RSS_MB"

mkdir -p fuzz/target/logs
summary=()
failed=()
for target in "${targets[@]}"; do
    [[ -d fuzz/corpus/$target ]] || die "no seed corpus fuzz/corpus/$target"
    mkdir -p "fuzz/target/corpus/$target"
    log=fuzz/target/logs/$target.log
    echo "make fuzz: $target for $seconds s (log: $log)"
    status=0
    cargo "${toolchain[@]}" fuzz run "$target" "fuzz/target/corpus/$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -max_len="$FUZZ_MAX_LEN" -rss_limit_mb="$FUZZ_RSS_MB" -timeout=10 \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    if ((status == 0)); then
        summary+=("$(printf '%-20s %6s s %12s executions  ok' "$target" "$seconds" "${runs:-?}")")
    else
        failed+=("$target")
        summary+=("$(printf '%-20s %6s s %12s executions  FAILED (exit %s)' "$target" "$seconds" "${runs:-?}" "$status")")
        echo "make fuzz: $target FAILED; the end of its log:" >&2
        tail -n 40 "$log" >&2
    fi
done

echo
echo "make fuzz: summary"
printf '  %s\n' "${summary[@]}"
if ((${#failed[@]} > 0)); then
    echo "make fuzz: ${#failed[@]} target(s) failed: ${failed[*]}; reproduce with: cargo +nightly fuzz run <target> fuzz/artifacts/<target>/<file>" >&2
    exit 1
fi
echo "make fuzz: no crash"
