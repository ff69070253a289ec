#!/usr/bin/env bash
# Install the test tools of docs/test-environment.md into .tools/ (git-ignored).
#
# Idempotent and non-interactive; says what it installs and where. Needs Debian's
# archive and a NuGet v3 feed (nuget.org or the machine's configured mirror). The
# .NET SDK 10 is used when it is on PATH; on a machine without one, the SDK is
# installed into .tools/dotnet-sdk by Microsoft's dotnet-install script.
# A second run with everything present does no network access and takes about 1 s.
#
#   scripts/setup-test-tools.sh          # install what is missing
#   . .tools/env.sh                      # MOCHI_* variables, DOTNET_ROOT, PATH
#
# Layout produced (see docs/test-environment.md):
#   .tools/nuget-packages/    packages restored from the feed (fixtures/tools, fixtures/corpus-packages)
#   .tools/dotnet8/           .NET 8.0.34 from the runtime pack: dotnet, host/fxr/8.0.34, shared/Microsoft.NETCore.App/8.0.34
#   .tools/dotnet31/          .NET Core 3.1.3 from the runtime pack, same layout
#   .tools/dotnet10           a link to the SDK's root (its 10.x shared frameworks are corpus)
#   .tools/pythonnet/         Python.Runtime.dll (netstandard2.0) from the pythonnet package
#   .tools/py/                a Python venv (its pip carries native PE launchers for the corpus)
#   .tools/reference-lister/  the System.Reflection.Metadata reference lister (built by the SDK)
#   .tools/peer-readers/      Mono.Cecil 0.11.6 and dnlib 4.5.0 walkers (benchmarks)
#   .tools/env.sh             environment for tests and benches
set -euo pipefail
export CI="${CI:-true}" DEBIAN_FRONTEND=noninteractive
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${MOCHI_TOOLS_DIR:-$ROOT/.tools}"   # override only to test the script itself
mkdir -p "$TOOLS"
PKGS="$TOOLS/nuget-packages"
RUNTIME8=8.0.34
RUNTIME31=3.1.3

say() { printf 'setup-test-tools: %s\n' "$*"; }
die() { printf 'setup-test-tools: error: %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo -n); fi

# ---- apt packages -------------------------------------------------------------------
# mono-mcs/mono-devel: the no-SDK shim compiler (tested fallback), ilasm and Mono's
# class libraries (corpus); the lib*-cil packages: Debian's CLI libraries (corpus);
# redis-server/postgresql: real servers for the package gate tests.
APT_PACKAGES=(mono-mcs mono-devel libnewtonsoft-json5.0-cil libnunit-framework2.6.3-cil
              libmono-cecil-cil libdnlib2.1-cil unzip curl ca-certificates hyperfine gcc g++
              redis-server postgresql)
if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
    APT_PACKAGES+=(python3 python3-venv)
fi
missing=()
for p in "${APT_PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    command -v apt-get >/dev/null 2>&1 || die "missing packages ${missing[*]} and no apt-get (Debian 12 expected)"
    say "apt: installing ${missing[*]} (system-wide, with apt-get)"
    "${SUDO[@]}" apt-get update -qq </dev/null
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
    # Debian starts the services it installs; the tests start their own on loopback.
    for svc in redis-server postgresql; do
        if [[ " ${missing[*]} " == *" $svc "* ]] && command -v systemctl >/dev/null 2>&1; then
            "${SUDO[@]}" systemctl disable --now "$svc" >/dev/null 2>&1 || true
        fi
    done
else
    say "apt: all ${#APT_PACKAGES[@]} packages present"
fi

# ---- the .NET SDK ----------------------------------------------------------------------
has_sdk10() { "$1" --list-sdks 2>/dev/null | grep -q '^10\.'; }
DOTNET="$(command -v dotnet || true)"
if [ -n "$DOTNET" ] && has_sdk10 "$DOTNET"; then
    DOTNET="$(readlink -f "$DOTNET")"
    say "dotnet: SDK $("$DOTNET" --version) at $(dirname "$DOTNET")"
elif [ -x "$TOOLS/dotnet-sdk/dotnet" ] && has_sdk10 "$TOOLS/dotnet-sdk/dotnet"; then
    DOTNET="$TOOLS/dotnet-sdk/dotnet"
    say "dotnet: SDK $("$DOTNET" --version) at .tools/dotnet-sdk"
else
    say "dotnet: no .NET SDK 10 on PATH; installing one into .tools/dotnet-sdk (dotnet-install.sh, channel 10.0)"
    inst="$TOOLS/dotnet-install.sh"
    curl -fsSL --retry 3 -o "$inst" https://dot.net/v1/dotnet-install.sh \
        || die "could not download dotnet-install.sh; install the .NET SDK 10 (https://dot.net) and run again"
    bash "$inst" --channel 10.0 --install-dir "$TOOLS/dotnet-sdk" --no-path </dev/null \
        || die "dotnet-install.sh failed; install the .NET SDK 10 (https://dot.net) and run again"
    DOTNET="$TOOLS/dotnet-sdk/dotnet"
fi
SDK_ROOT="$(dirname "$DOTNET")"

# ---- packages from the NuGet feed --------------------------------------------------------
# Each project is restored out of tree (its obj/ under .tools/restore) into one packages
# folder; a stamp of the project file skips the restore when nothing changed.
restore() { # <project file>
    local src="$1" name stamp dir
    name="$(basename "$src" .csproj)"
    dir="$TOOLS/restore/$name"
    stamp="$(sha256sum "$src" | cut -d' ' -f1)"
    if [ "$(cat "$dir/stamp" 2>/dev/null)" = "$stamp" ]; then
        say "restore $name: up to date"
        return
    fi
    say "restore $name: dotnet restore into .tools/nuget-packages"
    mkdir -p "$dir"
    cp "$src" "$dir/$name.csproj"
    if ! "$DOTNET" restore "$dir/$name.csproj" --packages "$PKGS" -v quiet </dev/null >"$dir/restore.log" 2>&1; then
        cat "$dir/restore.log" >&2
        die "dotnet restore of $src failed (is a NuGet feed configured? dotnet nuget list source)"
    fi
    echo "$stamp" >"$dir/stamp"
}
restore "$ROOT/fixtures/tools/test-tools.csproj"
restore "$ROOT/fixtures/corpus-packages/corpus-packages.csproj"

# ---- runtime layouts from the runtime packs --------------------------------------------
# A runtime pack holds the shared framework (lib/<tfm> + native/) and libhostfxr.so; with
# the SDK's `dotnet` muxer beside them that is a complete private .NET installation.
layout() { # <target dir> <version>
    local target="$1" version="$2" pack fw tmp
    pack="$PKGS/microsoft.netcore.app.runtime.linux-x64/$version/runtimes/linux-x64"
    fw="shared/Microsoft.NETCore.App/$version"
    if [ -f "$target/$fw/System.Private.CoreLib.dll" ] && [ -f "$target/host/fxr/$version/libhostfxr.so" ] \
        && [ -x "$target/dotnet" ]; then
        say "$(basename "$target"): present (.NET $version)"
        return
    fi
    [ -d "$pack" ] || die "runtime pack $version missing under $PKGS (restore of fixtures/tools/test-tools.csproj)"
    say "$(basename "$target"): assembling .NET $version from the runtime pack"
    tmp="$(mktemp -d "$TOOLS/.layout.XXXXXX")"
    mkdir -p "$tmp/$fw" "$tmp/host/fxr/$version"
    cp -p "$pack"/lib/*/* "$tmp/$fw/"
    cp -p "$pack"/native/* "$tmp/$fw/"
    mv "$tmp/$fw/libhostfxr.so" "$tmp/host/fxr/$version/"
    # The SDK's muxer: any recent one starts an older framework through that hostfxr.
    cp -p "$SDK_ROOT/dotnet" "$tmp/dotnet"
    chmod -R u+rwX,go-w,go+rX "$tmp"
    rm -rf "$target"
    mv "$tmp" "$target"
}
layout "$TOOLS/dotnet8" "$RUNTIME8"
layout "$TOOLS/dotnet31" "$RUNTIME31"

# ---- corpus pieces -----------------------------------------------------------------------
# The SDK's own shared frameworks (10.x) are corpus too; one stable path to them.
if [ "$(readlink "$TOOLS/dotnet10" 2>/dev/null)" != "$SDK_ROOT" ]; then
    ln -sfn "$SDK_ROOT" "$TOOLS/dotnet10"
    say "dotnet10: linked to $SDK_ROOT"
fi
if [ ! -f "$TOOLS/pythonnet/Python.Runtime.dll" ]; then
    mkdir -p "$TOOLS/pythonnet"
    cp "$PKGS/pythonnet/3.2.1/lib/netstandard2.0/Python.Runtime.dll" "$TOOLS/pythonnet/"
    say "pythonnet: Python.Runtime.dll copied"
fi
# pip vendors Windows launchers (native PE32/PE32+ files): the corpus's non-managed cases.
if [ ! -x "$TOOLS/py/bin/python" ]; then
    say "python: creating venv .tools/py (no download)"
    python3 -m venv "$TOOLS/py" </dev/null || die "python3 -m venv failed (install python3-venv)"
fi

# ---- programs built by the SDK (reference lister, peer readers) ---------------------------
TOOLS="$TOOLS" DOTNET="$DOTNET" DOTNET8_ROOT="$TOOLS/dotnet8" "$ROOT/scripts/build-dotnet-tools.sh"

# ---- env.sh ------------------------------------------------------------------------------
env_text="# Generated by scripts/setup-test-tools.sh; source it: . .tools/env.sh
export MOCHI_DOTNET8_ROOT=\"$TOOLS/dotnet8\"
export MOCHI_DOTNET31_ROOT=\"$TOOLS/dotnet31\"
export MOCHI_DOTNET_SDK_ROOT=\"$SDK_ROOT\"
export MOCHI_NUGET_PACKAGES=\"$PKGS\"
export MOCHI_PYTHONNET_DIR=\"$TOOLS/pythonnet\"
export MOCHI_REFERENCE_LISTER=\"$TOOLS/reference-lister/lister\"
export MOCHI_PEER_READERS=\"$TOOLS/peer-readers/peers\"
export DOTNET_ROOT=\"$TOOLS/dotnet8\"
export PATH=\"$SDK_ROOT:\$PATH\"
"
if [ "$(cat "$TOOLS/env.sh" 2>/dev/null)" != "${env_text%$'\n'}" ]; then
    printf '%s' "$env_text" >"$TOOLS/env.sh"
    say "wrote .tools/env.sh"
fi
say "ready (. .tools/env.sh)"
