#!/usr/bin/env bash
# Seeds fuzz/corpus/<target> from real assemblies on this machine (the corpus
# folder is git-ignored). parse_file gets whole small assemblies; signature
# and custom_attribute get blobs extracted by the ecma335 test suite
# (crates/ecma335/tests/it/fuzz_seeds.rs) when it has been run with
# ECMA335_FUZZ_SEEDS pointing here.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$here/corpus/parse_file" "$here/corpus/signature" "$here/corpus/custom_attribute"
shopt -s nullglob
for f in /usr/lib/mono/4.5/Facades/*.dll /usr/lib/mono/4.5/*.dll; do
    size=$(stat -L -c %s "$f")
    if [ "$size" -le 80000 ]; then
        cp -L "$f" "$here/corpus/parse_file/$(basename "$f")"
    fi
done
echo "parse_file seeds: $(ls "$here/corpus/parse_file" | wc -l)"
if [ -z "$(ls -A "$here/corpus/signature")" ] || [ -z "$(ls -A "$here/corpus/custom_attribute")" ]; then
    (cd "$here/.." && ECMA335_FUZZ_SEEDS="$here/corpus" \
        cargo test -q -p ecma335 --test it -- --ignored --exact fuzz_seeds::write_fuzz_seeds)
fi
echo "signature seeds: $(ls "$here/corpus/signature" | wc -l)"
echo "custom_attribute seeds: $(ls "$here/corpus/custom_attribute" | wc -l)"
