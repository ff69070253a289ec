#!/usr/bin/env bash
# Measures our reader side by side with System.Reflection.Metadata (the reference
# lister), Mono.Cecil 0.11.6 and dnlib 4.5.0 (the peer readers), in one run, on
# CoreLib 10.x (the SDK's shared framework), CoreLib 8.0.x (.tools/dotnet8) and
# Newtonsoft.Json 13.0.4 (lib/net6.0, .tools/nuget-packages):
#
#   warm     the same public-surface walk in process, bytes already in memory:
#            criterion medians for ours (benches/benches/reader.rs), the median of
#            `lister --bench` / `peers --bench <lib>` (N walks after 3 warm-up) for the others;
#   process  the whole command (start, read, walk, write to /dev/null): hyperfine medians;
#   RSS      peak resident set of that command (/usr/bin/time -f %M, median of 3 runs).
#
# Prints a Markdown table (the README's "The reader, measured") on stdout, progress on
# stderr. Needs scripts/setup-test-tools.sh first, and hyperfine, jq, /usr/bin/time.
#
#   scripts/bench-reader.sh                      # about 5 minutes on 2 cores
#   BENCH_ITERATIONS=30 BENCH_RUNS=20 scripts/bench-reader.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
say() { printf 'bench-reader: %s\n' "$*" >&2; }
die() { printf 'bench-reader: error: %s\n' "$*" >&2; exit 1; }

[ -f .tools/env.sh ] || die "run scripts/setup-test-tools.sh first"
. .tools/env.sh
for tool in hyperfine jq /usr/bin/time cargo; do
    command -v "$tool" >/dev/null || die "$tool is missing (apt-get install hyperfine jq time)"
done
ITER="${BENCH_ITERATIONS:-30}"   # warm walks per managed reader
RUNS="${BENCH_RUNS:-20}"         # hyperfine runs per command (after 3 warm-up runs)
LISTER="${MOCHI_REFERENCE_LISTER:-$ROOT/.tools/reference-lister/lister}"
PEERS="${MOCHI_PEER_READERS:-$ROOT/.tools/peer-readers/peers}"
PKGS="${MOCHI_NUGET_PACKAGES:-$ROOT/.tools/nuget-packages}"
SDK_ROOT="${MOCHI_DOTNET_SDK_ROOT:-$(dirname "$(readlink -f "$(command -v dotnet)")")}"
[ -x "$LISTER" ] && [ -x "$PEERS" ] || die "no lister or peers launcher (scripts/setup-test-tools.sh)"

newest() { ls -d "$@" 2>/dev/null | sort -V | tail -n1; }
FW10="$(newest "$SDK_ROOT"/shared/Microsoft.NETCore.App/10.*)"
FW8="$(newest "$MOCHI_DOTNET8_ROOT"/shared/Microsoft.NETCore.App/8.0.*)"
[ -n "$FW10" ] || die "no Microsoft.NETCore.App 10.x under $SDK_ROOT/shared"
[ -n "$FW8" ] || die "no Microsoft.NETCore.App 8.0.x under $MOCHI_DOTNET8_ROOT/shared"
# id (criterion group) | label | file
SPECS=(
    "CoreLib-10|System.Private.CoreLib $(basename "$FW10")|$FW10/System.Private.CoreLib.dll"
    "CoreLib-8|System.Private.CoreLib $(basename "$FW8")|$FW8/System.Private.CoreLib.dll"
    "Newtonsoft.Json-13|Newtonsoft.Json 13.0.4 (lib/net6.0)|$PKGS/newtonsoft.json/13.0.4/lib/net6.0/Newtonsoft.Json.dll"
)
BENCH_FILES=""
for spec in "${SPECS[@]}"; do
    IFS='|' read -r id _ file <<<"$spec"
    [ -f "$file" ] || die "missing $file (scripts/setup-test-tools.sh)"
    BENCH_FILES+="$id=$file"$'\n'
done

load() { cut -d' ' -f1-3 /proc/loadavg; }
LOAD_BEFORE="$(load)"
say "load average before: $LOAD_BEFORE ($(nproc) cores)"

say "cargo build --release -p mochi-dotnet"
cargo build --release -q -p mochi-dotnet
BIN="$ROOT/target/release/mochi-dotnet"
say "criterion: benches/benches/reader.rs (listing, surface+json) on the three files"
log="$(mktemp)"; tmp="$(mktemp -d)"; trap 'rm -rf "$log" "$tmp"' EXIT
MOCHI_BENCH_FILES="$BENCH_FILES" cargo bench -p mochi-benches --bench reader -- \
    --warm-up-time 1 --measurement-time 4 '/(listing|surface\+json)$' >"$log" 2>&1 \
    || { cat "$log" >&2; die "cargo bench failed"; }

criterion_ms() { # <group> <function>: criterion's median, in ms
    jq -r '.median.point_estimate / 1e6' "target/criterion/$1/$2/new/estimates.json"
}
warm_ms() { # the median that `--bench` prints first
    "$@" | awk '{print $1}'
}
rss_mib() { # median peak RSS of 3 runs, MiB
    local i
    for i in 1 2 3; do
        /usr/bin/time -f '%M' -o "$tmp/rss" "$@" >/dev/null 2>&1 || die "failed: $*"
        cat "$tmp/rss"
    done | sort -n | sed -n 2p | awk '{printf "%.0f", $1 / 1024}'
}
fmt() { awk -v x="$1" 'BEGIN { if (x < 10) printf "%.2f", x; else printf "%.1f", x }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f×", a / b }'; }

ROWS=()
for spec in "${SPECS[@]}"; do
    IFS='|' read -r id label file <<<"$spec"
    size="$(( $(stat -c %s "$file") / 1024 )) KiB"
    say "$label: warm walks (lister, cecil, dnlib; $ITER each)"
    w_list="$(criterion_ms "$id" listing)"
    w_json="$(criterion_ms "$id" surface+json)"
    w_srm="$(warm_ms "$LISTER" --bench "$ITER" "$file")"
    w_cecil="$(warm_ms "$PEERS" --bench "$ITER" cecil "$file")"
    w_dnlib="$(warm_ms "$PEERS" --bench "$ITER" dnlib "$file")"

    say "$label: processes (hyperfine, $RUNS runs each) and peak RSS"
    cmds=("$BIN meta --list $file" "$BIN meta $file" "$LISTER $file" "$PEERS cecil $file" "$PEERS dnlib $file")
    hyperfine -N -w 3 -r "$RUNS" --style none --export-json "$tmp/hf.json" "${cmds[@]}" >/dev/null
    mapfile -t p < <(jq -r '.results[].median * 1000' "$tmp/hf.json")
    rss=()
    for c in "${cmds[@]}"; do
        read -r -a argv <<<"$c"
        rss+=("$(rss_mib "${argv[@]}")")
    done

    # reader | warm ms | process ms | RSS
    readers=("ours: listing|$w_list|${p[0]}|${rss[0]}"
             "ours: surface + JSON|$w_json|${p[1]}|${rss[1]}"
             "System.Reflection.Metadata|$w_srm|${p[2]}|${rss[2]}"
             "Mono.Cecil 0.11.6|$w_cecil|${p[3]}|${rss[3]}"
             "dnlib 4.5.0|$w_dnlib|${p[4]}|${rss[4]}")
    first=1
    for r in "${readers[@]}"; do
        IFS='|' read -r name w pr m <<<"$r"
        if [ "${name%%:*}" = ours ]; then wr="—"; prr="—"; else wr="$(ratio "$w" "$w_list")"; prr="$(ratio "$pr" "${p[0]}")"; fi
        if [ $first = 1 ]; then a="$label"; s="$size"; first=0; else a=""; s=""; fi
        ROWS+=("| $a | $s | $name | $(fmt "$w") ms | $wr | $(fmt "$pr") ms | $prr | $m MiB |")
    done
done
LOAD_AFTER="$(load)"
say "load average after: $LOAD_AFTER"

echo "| assembly | size | reader | warm walk | × ours | process | × ours | peak RSS |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
echo
echo "$(nproc) cores, load average $LOAD_BEFORE before and $LOAD_AFTER after;" \
     "managed readers on .NET $(basename "$FW8"); warm: criterion medians (ours)," \
     "medians of $ITER walks after 3 warm-up (others); process: hyperfine medians of $RUNS runs;" \
     "× ours: against ours (listing)."
