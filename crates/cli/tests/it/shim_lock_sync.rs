//! `lock` records `shim-sha256`, `lock --check` verifies it, `sync` writes and
//! builds the shims of locked packages without touching mochi.lock, and
//! `invoke` takes a locked package id — with Debian's Newtonsoft.Json 6.0.8
//! packed (as lib/netstandard2.0, so net8.0 takes it) in a local folder feed.

use std::path::Path;
use std::process::Command;

use fixtures::assemblies::dotnet8_root;
use fixtures::nupkg_builder::PackageBuilder;

const NEWTONSOFT: &str = "/usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll";

fn run(dir: &Path, cache: &Path, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_mochi-dotnet"))
        .args(args)
        .current_dir(dir)
        .env("MOCHI_DOTNET_CACHE", cache)
        .env("HOME", dir)
        .env("NUGET_PACKAGES", dir.join("nuget-packages"))
        .env("DOTNET_ROOT", dotnet8_root())
        .env("MOCHI_DOTNET_SHIM_COMPILER", "mcs")
        .env_remove("XDG_CACHE_HOME")
        .output()
        .expect("run mochi-dotnet");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn shim_line(lock: &str) -> String {
    lock.lines()
        .find(|l| l.starts_with("shim-sha256 = "))
        .unwrap_or_else(|| panic!("no shim-sha256 in mochi.lock:\n{lock}"))
        .to_string()
}

#[test]
fn lock_records_and_checks_shim_sha256_sync_builds_invoke_by_id() {
    if !Path::new(NEWTONSOFT).is_file() {
        eprintln!("skipped: {NEWTONSOFT} missing");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let proj = tmp.path().join("proj");
    let cache = tmp.path().join("cache");
    std::fs::create_dir_all(&proj).unwrap();
    let pkg = PackageBuilder::new("Newtonsoft.Json", "6.0.8")
        .file(
            "lib/netstandard2.0/Newtonsoft.Json.dll",
            std::fs::read(NEWTONSOFT).unwrap(),
        )
        .build();
    fixtures::nupkg_builder::write_flat_feed(&proj.join("feed"), &[pkg]).unwrap();
    std::fs::write(
        proj.join("mochi.toml"),
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\n\n[dotnet-dependencies]\n\"Newtonsoft.Json\" = { path = \"feed\" }\n\n[dotnet]\nframework = \"net8.0\"\n\n[dotnet.capabilities]\nfs = true\nnet = true\n",
    )
    .unwrap();
    std::fs::write(
        proj.join("NuGet.config"),
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n  <packageSources>\n    <clear />\n  </packageSources>\n</configuration>\n",
    )
    .unwrap();

    // lock records shim-sha256; --check recomputes it.
    let (ok, _, err) = run(&proj, &cache, &["lock", "--offline", "-q"]);
    assert!(ok, "lock: {err}");
    let lock_path = proj.join("mochi.lock");
    let locked = std::fs::read_to_string(&lock_path).unwrap();
    let line = shim_line(&locked);
    assert_eq!(line.len(), "shim-sha256 = \"\"".len() + 64, "{line}");
    let (ok, _, err) = run(&proj, &cache, &["lock", "--check", "--offline", "-q"]);
    assert!(ok, "check: {err}");

    // sync: dotnet_shim/<pkg>/ written and built; mochi.lock untouched.
    let (ok, _, err) = run(&proj, &cache, &["sync"]);
    assert!(ok, "sync: {err}");
    assert!(err.contains("compiled"), "{err}");
    // The compiler, and why, before it runs.
    assert!(
        err.contains("note: building Mochi.Shim.NewtonsoftJson with mcs (")
            && err.contains("MOCHI_DOTNET_SHIM_COMPILER=mcs"),
        "{err}"
    );
    let shim_dir = proj.join("dotnet_shim/newtonsoft_json");
    for f in [
        "Exports.cs",
        "ShimAbi.cs",
        "Mochi.Shim.NewtonsoftJson.csproj",
        "Mochi.Shim.NewtonsoftJson.runtimeconfig.json",
        "lib/Newtonsoft.Json.dll",
    ] {
        assert!(shim_dir.join(f).is_file(), "{f} missing");
    }
    let hash = line.trim_start_matches("shim-sha256 = ").trim_matches('"');
    assert!(err.contains(hash), "sync reports the locked hash: {err}");
    assert!(!err.contains("differs"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&lock_path).unwrap(),
        locked,
        "sync does not touch mochi.lock"
    );
    let csproj =
        std::fs::read_to_string(shim_dir.join("Mochi.Shim.NewtonsoftJson.csproj")).unwrap();
    assert!(
        csproj.contains("<HintPath>lib/Newtonsoft.Json.dll</HintPath>")
            && !csproj.contains("PackageReference"),
        "{csproj}"
    );
    let (ok, _, err) = run(&proj, &cache, &["sync"]);
    assert!(
        ok && err.contains("cached"),
        "a second sync builds nothing: {err}"
    );
    let builds = std::fs::read_to_string(cache.join("shims/builds.log")).unwrap();
    assert_eq!(builds.lines().count(), 1, "{builds}");

    // invoke by locked package id.
    let (ok, out, err) = run(
        &proj,
        &cache,
        &[
            "invoke",
            "Newtonsoft.Json",
            "JObject.Parse",
            r#"{"k":[true]}"#,
            "+",
            "JToken.SelectToken",
            "k[0]",
            "+",
            "JToken.ToString",
        ],
    );
    assert!(ok, "invoke: {err}");
    assert_eq!(out.trim(), r#""True""#);

    // A tampered shim-sha256 is drift for --check.
    let tampered = locked.replace(hash, &"0".repeat(64));
    std::fs::write(&lock_path, &tampered).unwrap();
    let (ok, _, err) = run(&proj, &cache, &["lock", "--check", "--offline", "-q"]);
    assert!(!ok, "check must fail on a wrong shim-sha256");
    assert!(err.contains("shim-sha256"), "{err}");
    // lock repairs it.
    let (ok, _, err) = run(&proj, &cache, &["lock", "--offline", "-q"]);
    assert!(ok, "{err}");
    assert_eq!(std::fs::read_to_string(&lock_path).unwrap(), locked);

    // [dotnet.runtime] roll-forward is in the shim's runtimeconfig, so in
    // shim-sha256: changing it is drift until `lock` records the new hash.
    let manifest = std::fs::read_to_string(proj.join("mochi.toml")).unwrap();
    std::fs::write(
        proj.join("mochi.toml"),
        format!("{manifest}\n[dotnet.runtime]\nroll-forward = \"LatestMajor\"\n"),
    )
    .unwrap();
    let (ok, _, err) = run(&proj, &cache, &["lock", "--check", "--offline", "-q"]);
    assert!(!ok && err.contains("shim-sha256"), "{err}");
    let (ok, _, err) = run(&proj, &cache, &["lock", "--offline", "-q"]);
    assert!(ok, "{err}");
    let relocked = std::fs::read_to_string(&lock_path).unwrap();
    assert_ne!(shim_line(&relocked), line);
    let (ok, _, err) = run(&proj, &cache, &["sync"]);
    assert!(ok && !err.contains("differs"), "sync: {err}");
    let rc = std::fs::read_to_string(shim_dir.join("Mochi.Shim.NewtonsoftJson.runtimeconfig.json"))
        .unwrap();
    assert!(rc.contains("\"rollForward\": \"LatestMajor\""), "{rc}");
}
