#!/usr/bin/env bash
# The structural invariants of ARCHITECTURE.md that a grep can see, checked on the
# production sources (crates/*/src; tests and fixtures are free):
#   - no import cycle between the files of any crate (check-module-cycles.py);
#   - one atomic write and one file lock: `.persist(` and `fs4::` only in crates/fsutil;
#   - one place naming the environment: no `env::var("LITERAL")` outside crates/envvars;
#   - no `include_str!`/`include_bytes!` reaching into another crate's folder;
#   - one hint format: a hint starts a line of its own, indented two spaces
#     (`\n  hint: `), never `\nhint:`;
#   - clap and anyhow only in the front end (crates/cli), libraries use thiserror.
# Exits non-zero and names the offending lines.
set -uo pipefail
cd "$(dirname "$0")/.."
status=0

python3 scripts/check-module-cycles.py || status=1

check() {
    local what="$1" pattern="$2" allowed="$3"
    local hits
    hits=$(grep -rnE --include='*.rs' "$pattern" crates/*/src | grep -vE "$allowed" || true)
    if [ -n "$hits" ]; then
        echo "$what:"
        echo "$hits" | sed 's/^/  /'
        status=1
    fi
}

check "atomic writes outside crates/fsutil (use fsutil::write_atomic / AtomicFile)" \
    '\.persist\(' '^crates/fsutil/'
check "file locks outside crates/fsutil (use fsutil::LockedFile)" \
    'fs4::' '^crates/fsutil/'
check "environment variables named outside crates/envvars (add a constant there)" \
    'env::var(_os)?\("|\.get\("[A-Z][A-Z0-9_]+"\)' '^crates/envvars/'
check "include_str!/include_bytes! reaching into another crate" \
    'include_(str|bytes)!\("\.\./\.\./' '^$'
check "a hint not on its own line, indented two spaces (write \\n  hint: )" \
    '\\nhint:' '^$'

# Code, not comments, and dependencies of every crate but the CLI.
front=$(grep -rnE --include='*.rs' 'anyhow::|clap::|derive\([^)]*(Parser|Subcommand)' crates/*/src \
    | grep -vE '^[^:]+:[0-9]+:[[:space:]]*//' | grep -v '^crates/cli/' || true)
deps=$(grep -lE '^(anyhow|clap)[ .=]' crates/*/Cargo.toml | grep -v '^crates/cli/' || true)
if [ -n "$front$deps" ]; then
    echo "clap or anyhow outside crates/cli (libraries use thiserror; the CLI parses arguments):"
    printf '%s\n' $front $deps | sed 's/^/  /'
    status=1
fi

if [ "$status" -eq 0 ]; then
    echo "structure: ok"
fi
exit $status
