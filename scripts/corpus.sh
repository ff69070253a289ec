#!/usr/bin/env bash
# Print the corpus of fixtures/corpus.txt, one absolute path a line, sorted, each
# file once (symlinks resolved for de-duplication; the first spelling is printed).
# Fails naming the pattern when one matches nothing (run scripts/setup-test-tools.sh).
#
#   scripts/corpus.sh | xargs .tools/reference-lister/lister --batch /tmp/out
set -euo pipefail
shopt -s globstar nullglob
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
declare -A seen=()
out=()
while IFS= read -r line || [ -n "$line" ]; do
    pat="${line%%#*}"; pat="${pat#"${pat%%[![:space:]]*}"}"; pat="${pat%"${pat##*[![:space:]]}"}"
    [ -z "$pat" ] && continue
    case "$pat" in /*) ;; *) pat="$ROOT/$pat" ;; esac
    # shellcheck disable=SC2206
    matches=($pat)
    files=()
    for f in "${matches[@]}"; do [ -f "$f" ] && files+=("$f"); done
    if [ ${#files[@]} -eq 0 ]; then
        echo "corpus.sh: pattern '$line' matched no file; run scripts/setup-test-tools.sh" >&2
        exit 1
    fi
    mapfile -t reals < <(readlink -f -- "${files[@]}")
    for i in "${!files[@]}"; do
        real="${reals[$i]}"
        if [ -z "${seen[$real]+x}" ]; then seen[$real]=1; out+=("${files[$i]}"); fi
    done
done <fixtures/corpus.txt
printf '%s\n' "${out[@]}" | LC_ALL=C sort
