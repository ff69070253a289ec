#!/usr/bin/env bash
# Sets up, then runs the main job on the bundled example (examples/hello-json):
# packs Debian's Newtonsoft.Json into a local NuGet feed, locks the manifest
# (no .NET SDK involved), binds the package to Mochi, and calls it on the
# real .NET 8 runtime.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-test-tools.sh
# shellcheck disable=SC1091
. .tools/env.sh
cargo build --release -q -p mochi-dotnet
BIN="$PWD/target/release/mochi-dotnet"
EX=examples/hello-json

# A .nupkg is a zip: nuspec, lib/<tfm>/, [Content_Types].xml, _rels/.rels.
mkdir -p "$EX/feed"
python3 - "$EX/feed/Newtonsoft.Json.6.0.8.nupkg" <<'PY'
import sys, zipfile
nuspec = """<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>Newtonsoft.Json</id>
    <version>6.0.8</version>
    <authors>James Newton-King</authors>
    <description>Json.NET (Debian's build, packed by scripts/example.sh)</description>
  </metadata>
</package>
"""
types = """<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="nuspec" ContentType="application/octet" /><Default Extension="dll" ContentType="application/octet" /></Types>"""
rels = """<?xml version="1.0" encoding="utf-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Type="http://schemas.microsoft.com/packaging/2010/07/manifest" Target="/Newtonsoft.Json.nuspec" Id="R1" /></Relationships>"""
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for name, data in [("Newtonsoft.Json.nuspec", nuspec), ("[Content_Types].xml", types), ("_rels/.rels", rels)]:
        z.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), data)
    info = zipfile.ZipInfo("lib/net45/Newtonsoft.Json.dll", (2020, 1, 1, 0, 0, 0))
    z.writestr(info, open("/usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll", "rb").read())
PY

cd "$EX"
echo "== mochi-dotnet lock"
"$BIN" lock
cat mochi.lock
echo "== mochi-dotnet lock --check"
"$BIN" lock --check
echo "== mochi-dotnet bind Newtonsoft.Json"
"$BIN" bind Newtonsoft.Json --out dotnet_bindings
head -5 dotnet_bindings/SKIPPED.txt
grep -c '^extern fun' dotnet_bindings/*_extern.mochi
if "$BIN" help invoke >/dev/null 2>&1; then
  echo "== mochi-dotnet invoke"
  "$BIN" invoke Newtonsoft.Json JsonConvert.ToString '"quote \" me"'
fi
