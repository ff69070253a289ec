#!/usr/bin/env bash
# Measures the Newtonsoft.Json 13 shim build by each compiler, as `mochi-dotnet invoke
# Newtonsoft.Json.dll JsonConvert.ToString 42` (release build; bind, generate, compile,
# start .NET 8, call) in a fresh shim cache:
#
#   dotnet-build-cold  no targeting pack anywhere (NUGET_PACKAGES and the shim cache empty)
#                      and an empty NuGet HTTP cache: restores Microsoft.NETCore.App.Ref 8
#                      from the machine's feed into the shim cache, then `dotnet build`;
#   dotnet-build-warm  the same cache with the shim removed (the targeting pack kept);
#   csc                the SDK's Roslyn (`dotnet exec csc.dll`), MOCHI_DOTNET_SHIM_COMPILER=csc;
#   mcs                Mono's mcs, MOCHI_DOTNET_SHIM_COMPILER=mcs;
#   cache-hit          the warm cache again: nothing compiled.
#
# Prints one line of wall times (seconds) per round, with the load average. Needs
# scripts/setup-test-tools.sh (the .NET 8 runtime and the 20-package corpus in .tools/),
# the .NET SDK and mcs.
#
#   scripts/bench-shim-build.sh          # 3 rounds, about a minute on 2 cores
#   ROUNDS=5 scripts/bench-shim-build.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
die() { printf 'bench-shim-build: error: %s\n' "$*" >&2; exit 1; }

[ -f .tools/env.sh ] || die "run scripts/setup-test-tools.sh first"
. .tools/env.sh
NJ="${NEWTONSOFT_DLL:-$(ls -d "$ROOT"/.tools/nuget-packages/newtonsoft.json/13.*/lib/net6.0/Newtonsoft.Json.dll 2>/dev/null | sort -V | tail -1)}"
[ -f "$NJ" ] || die "no Newtonsoft.Json 13 in .tools/nuget-packages (set NEWTONSOFT_DLL)"
command -v mcs >/dev/null || die "mcs is missing (apt-get install mono-mcs)"
dotnet --list-sdks | grep -q . || die "no .NET SDK"

cargo build --release -q -p mochi-dotnet --bin mochi-dotnet
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cp target/release/mochi-dotnet "$WORK/mochi-dotnet"
BIN="$WORK/mochi-dotnet"
export NUGET_PACKAGES="$WORK/empty-nuget"
unset MOCHI_DOTNET_SHIM_COMPILER

# Wall time of one invoke, in seconds; the call must print "42".
timed() {
    local s e
    s=$(date +%s.%N)
    "$@" "$BIN" invoke "$NJ" JsonConvert.ToString 42 >"$WORK/out" 2>"$WORK/err" || { cat "$WORK/err" >&2; exit 1; }
    e=$(date +%s.%N)
    grep -q '"42"' "$WORK/out" || die "unexpected output: $(cat "$WORK/out")"
    echo "$e - $s" | bc
}

for round in $(seq "${ROUNDS:-3}"); do
    rm -rf "$WORK"/c-* "$WORK/http-cache"
    cold=$(timed env NUGET_HTTP_CACHE_PATH="$WORK/http-cache" MOCHI_DOTNET_CACHE="$WORK/c-sdk")
    grep -q "with dotnet build" "$WORK/err" || die "not built by dotnet build: $(cat "$WORK/err")"
    grep -q "restored into the shim cache" "$WORK/err" || die "the targeting pack was not restored: $(cat "$WORK/err")"
    for d in "$WORK"/c-sdk/shims/*/; do
        [ "$(basename "$d")" = sdk ] || rm -rf "$d"
    done
    warm=$(timed env MOCHI_DOTNET_CACHE="$WORK/c-sdk")
    grep -q "with dotnet build" "$WORK/err" || die "not built by dotnet build"
    hit=$(timed env MOCHI_DOTNET_CACHE="$WORK/c-sdk")
    csc=$(timed env MOCHI_DOTNET_CACHE="$WORK/c-csc" MOCHI_DOTNET_SHIM_COMPILER=csc)
    grep -q "with csc" "$WORK/err" || die "not built by csc"
    mcs=$(timed env MOCHI_DOTNET_CACHE="$WORK/c-mcs" MOCHI_DOTNET_SHIM_COMPILER=mcs)
    grep -q "with mcs" "$WORK/err" || die "not built by mcs"
    echo "round $round: dotnet-build-cold=$cold dotnet-build-warm=$warm csc=$csc mcs=$mcs cache-hit=$hit load=$(cut -d' ' -f1 /proc/loadavg)"
done
