#!/usr/bin/env bash
# Measures the reader against the System.Reflection.Metadata reference lister
# on the same three files: warm in-process walks (criterion vs `lister --bench`),
# whole processes (hyperfine) and peak memory (/usr/bin/time). Prints a
# Markdown table for the README. Needs scripts/setup-test-tools.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."
. .tools/env.sh
FW="$MOCHI_DOTNET8_ROOT/shared/Microsoft.NETCore.App/8.0.4"
FILES=("$FW/System.Private.CoreLib.dll" /usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll "$FW/System.Collections.dll")
NAMES=(System.Private.CoreLib Newtonsoft.Json System.Collections)

cargo build --release -q -p bridge
cargo bench -q -p mochi-benches --bench reader -- --warm-up-time 1 --measurement-time 4 >/dev/null 2>&1 || \
  cargo bench -p mochi-benches --bench reader -- --warm-up-time 1 --measurement-time 4
BIN=target/release/mochi-dotnet

median_ms() { # criterion estimates.json -> median in ms
  python3 -c "import json,sys; print('%.2f' % (json.load(open(sys.argv[1]))['median']['point_estimate']/1e6))" "$1"
}

echo "| assembly | size | ours: listing walk (warm) | SRM: listing walk (warm) | ratio | ours: surface + JSON (warm) | ours: process | SRM: process | ratio | ours: peak RSS (JSON) |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for i in 0 1 2; do
  f=${FILES[$i]}; n=${NAMES[$i]}
  size=$(( $(stat -c %s "$f") / 1024 ))
  ours_list=$(median_ms "target/criterion/$n/listing/new/estimates.json")
  ours_json=$(median_ms "target/criterion/$n/surface+json/new/estimates.json")
  srm=$("$MOCHI_REFERENCE_LISTER" --bench 30 "$f" | awk '{print $1}')
  hf=$(mktemp)
  hyperfine -N -w 3 -r 20 --export-json "$hf" "$BIN meta --list $f" "$MOCHI_REFERENCE_LISTER $f" >/dev/null 2>&1
  read -r p_ours p_srm < <(python3 -c "import json,sys; r=json.load(open(sys.argv[1]))['results']; print('%.1f %.1f' % (r[0]['median']*1e3, r[1]['median']*1e3))" "$hf")
  rss=$( { /usr/bin/time -f "%M" "$BIN" meta "$f" >/dev/null; } 2>&1 )
  r1=$(python3 -c "print('%.1fx' % ($srm/$ours_list))")
  r2=$(python3 -c "print('%.1fx' % ($p_srm/$p_ours))")
  echo "| $n | ${size} KiB | ${ours_list} ms | ${srm} ms | $r1 | ${ours_json} ms | ${p_ours} ms | ${p_srm} ms | $r2 | $((rss/1024)) MiB |"
done
