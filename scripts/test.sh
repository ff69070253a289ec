#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine: installs the test tools
# (scripts/setup-test-tools.sh: mono-mcs, ilasm, the .NET 8 and 3.1 runtime
# wheels, the SRM reference lister, ...), checks formatting and the structural
# invariants of ARCHITECTURE.md (scripts/check-structure.sh), runs every test of
# the workspace, and prints one closing summary line. Exits non-zero on any
# failure. CI (.ci/run) calls exactly this.
set -uo pipefail
cd "$(dirname "$0")/.."

scripts/setup-test-tools.sh || { echo "setup failed"; exit 1; }
# shellcheck disable=SC1091
. .tools/env.sh

status=0
echo "== cargo fmt --check"
cargo fmt --all -- --check || { echo "formatting differs: run cargo fmt --all"; status=1; }

echo "== structure (scripts/check-structure.sh: module cycles, one owner per mechanism, hint format)"
scripts/check-structure.sh || { echo "structure check failed: see ARCHITECTURE.md, \"Invariants\""; status=1; }

echo "== cargo build (tests)"
cargo test --workspace --no-run || { echo "0 passed, 1 failed"; exit 1; }

mkdir -p target
log=target/test-output.txt
echo "== cargo test --workspace"
cargo test --workspace --no-fail-fast 2>&1 | tee "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

echo "== fuzz smoke (scripts/fuzz-smoke.sh, ${FUZZ_SECONDS:-15} s a target)"
FUZZ_SECONDS="${FUZZ_SECONDS:-15}" scripts/fuzz-smoke.sh || { echo "fuzz smoke failed"; status=1; }

read -r passed failed ignored < <(awk '/^test result:/ {
    for (i = 1; i <= NF; i++) {
      if ($(i+1) ~ /^passed;?$/) p += $i; if ($(i+1) ~ /^failed;?$/) f += $i; if ($(i+1) ~ /^ignored;?$/) g += $i
    } } END { print p+0, f+0, g+0 }' "$log")
if [ "$passed" -eq 0 ]; then echo "no test ran"; status=1; fi
[ "$failed" -eq 0 ] || status=1
echo
echo "$passed passed, $failed failed, $ignored skipped"
exit $status
