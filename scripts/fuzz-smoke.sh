#!/usr/bin/env bash
# Runs each ecma335 fuzz target briefly (FUZZ_SECONDS, default 20 s each) on
# the stable toolchain and fails on any crash, timeout or out-of-memory.
# Longer runs: docs/fuzzing.md.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${FUZZ_SECONDS:-20}"

# cargo-fuzz goes into the project's .tools/cargo (git-ignored), not into ~/.cargo.
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    export PATH="$root/.tools/cargo/bin:$PATH"
    if ! command -v cargo-fuzz >/dev/null 2>&1; then
        echo "fuzz-smoke: installing cargo-fuzz into .tools/cargo (cargo install --locked)"
        cargo install cargo-fuzz --locked --root "$root/.tools/cargo"
    fi
fi

cd "$root/fuzz"
./seed-corpus.sh

# libFuzzer runs on stable through RUSTC_BOOTSTRAP (no nightly here).
export RUSTC_BOOTSTRAP=1
declare -A max_len=([parse_file]=81920 [signature]=4096 [custom_attribute]=4096)
for target in parse_file signature custom_attribute; do
    echo "== $target (${seconds}s)"
    log="$(mktemp)"
    if ! cargo fuzz run -O "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 \
        -max_len="${max_len[$target]}" -print_final_stats=1 >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        echo "fuzz target $target failed; the input is in fuzz/artifacts/$target" >&2
        exit 1
    fi
    grep -E '^(Done|stat::number_of_executed_units)' "$log" || true
    rm -f "$log"
done
