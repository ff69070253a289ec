#!/usr/bin/env bash
# Cross-checks the referee: runs the SRM reference lister (.NET 8) and the independent
# Mono.Cecil lister (fixtures/reference-lister/CecilLister.cs, on Mono) over the whole
# corpus and compares their listings byte for byte. Prints the differing files.
# Needs scripts/setup-test-tools.sh first.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/.tools/reference-lister/cecil"
CECIL="$(ls /usr/lib/mono/gac/Mono.Cecil/0.11*/Mono.Cecil.dll | head -n1)"
[ -x "$ROOT/.tools/reference-lister/lister" ] || { echo "run scripts/setup-test-tools.sh first" >&2; exit 1; }
mkdir -p "$OUT"
mcs -optimize+ -r:"$CECIL" -out:"$OUT/CecilLister.exe" "$ROOT/fixtures/reference-lister/CecilLister.cs" >/dev/null
cp -f "$CECIL" "$OUT/"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
"$ROOT/scripts/corpus.sh" | grep -v '\.exe$' >"$tmp/files"
xargs -a "$tmp/files" -d '\n' "$ROOT/.tools/reference-lister/lister" --batch "$tmp/srm" >"$tmp/srm.status"
MONO_PATH="$OUT" xargs -a "$tmp/files" -d '\n' mono "$OUT/CecilLister.exe" --batch "$tmp/cecil" >"$tmp/cecil.status"
grep -v $'\tok$' "$tmp/srm.status" "$tmp/cecil.status" || true
n=0; total=0
for f in "$tmp"/srm/*.txt; do
    total=$((total + 1))
    b="$(basename "$f")"
    if ! cmp -s "$f" "$tmp/cecil/$b"; then
        n=$((n + 1))
        echo "differs: $b ($(diff "$f" "$tmp/cecil/$b" | grep -c '^[<>]') lines)"
    fi
done
echo "cross-check: $total files, $n differ between SRM and Cecil"
[ "$n" -eq 0 ]
