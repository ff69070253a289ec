//! `sync` reports each package on its own (issue 10): a package whose shim
//! fails does not stop the others, which are still written and built, and the
//! error names every failure; a package without assemblies (a meta-package)
//! has no shim and is neither an error nor a `lock` warning.

use std::path::Path;
use std::process::Command;

use fixtures::assemblies::dotnet8_root;
use fixtures::nupkg_builder::PackageBuilder;

const NEWTONSOFT: &str = "/usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll";
const NUNIT: &str = "/usr/lib/cli/nunit.framework-2.6.3/nunit.framework.dll";

fn run(dir: &Path, cache: &Path, args: &[&str]) -> (bool, String) {
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
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_failing_package_does_not_stop_the_others() {
    for f in [NEWTONSOFT, NUNIT] {
        if !Path::new(f).is_file() {
            panic!("{f} missing (scripts/setup-test-tools.sh installs Debian's CLI libraries)");
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let proj = tmp.path().join("proj");
    let cache = tmp.path().join("cache");
    std::fs::create_dir_all(&proj).unwrap();
    let json = PackageBuilder::new("Newtonsoft.Json", "6.0.8")
        .file(
            "lib/netstandard2.0/Newtonsoft.Json.dll",
            std::fs::read(NEWTONSOFT).unwrap(),
        )
        .build();
    let lost = PackageBuilder::new("Lost.Pkg", "1.0.0")
        .file(
            "lib/netstandard2.0/nunit.framework.dll",
            std::fs::read(NUNIT).unwrap(),
        )
        .build();
    // A meta-package: no lib/, its dependencies carry the code.
    let meta = PackageBuilder::new("Meta.Pkg", "1.0.0")
        .dependency_group(
            Some("netstandard2.0"),
            &[("Newtonsoft.Json", "6.0.8"), ("Lost.Pkg", "1.0.0")],
        )
        .build();
    fixtures::nupkg_builder::write_flat_feed(&proj.join("feed"), &[json, lost, meta]).unwrap();
    std::fs::write(
        proj.join("mochi.toml"),
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\n\n[dotnet-dependencies]\n\"Meta.Pkg\" = { path = \"feed\" }\n\n[dotnet]\nframework = \"net8.0\"\n\n[dotnet.capabilities]\nfs = true\nnet = true\n",
    )
    .unwrap();
    std::fs::write(
        proj.join("NuGet.config"),
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n  <packageSources>\n    <clear />\n  </packageSources>\n</configuration>\n",
    )
    .unwrap();

    let (ok, err) = run(&proj, &cache, &["lock", "--offline"]);
    assert!(ok, "lock: {err}");
    assert!(
        !err.contains("warning"),
        "a meta-package is no warning: {err}"
    );
    let lock = std::fs::read_to_string(proj.join("mochi.lock")).unwrap();
    assert_eq!(lock.matches("shim-sha256").count(), 2, "{lock}");

    // Lost.Pkg leaves the package cache: its shim cannot be made.
    std::fs::remove_dir_all(cache.join("index/lost.pkg")).unwrap();
    let (ok, err) = run(&proj, &cache, &["sync"]);
    assert!(!ok, "sync must fail when a shim fails:\n{err}");
    assert!(err.contains("error: 1 of 2 package shims failed:"), "{err}");
    assert!(
        err.contains("  - Lost.Pkg 1.0.0: Lost.Pkg 1.0.0 is locked but not in the package cache"),
        "{err}"
    );
    assert!(
        err.contains("the other 1 were written and built: Newtonsoft.Json"),
        "{err}"
    );
    // The shim built before or after the failure is there and reported.
    assert!(err.contains("Newtonsoft.Json: "), "{err}");
    assert!(err.contains("; built "), "{err}");
    assert!(
        proj.join("dotnet_shim/newtonsoft_json/Exports.cs")
            .is_file(),
        "{err}"
    );
    assert!(
        err.contains("note: Meta.Pkg: no shim: Meta.Pkg 1.0.0 ships no assemblies for net8.0 (a meta-package: its dependencies carry the code)"),
        "{err}"
    );
    assert!(
        err.contains(
            "hint: bind the packages that carry its code instead: Lost.Pkg, Newtonsoft.Json"
        ) || err.contains(
            "hint: bind the packages that carry its code instead: Newtonsoft.Json, Lost.Pkg"
        ),
        "{err}"
    );
    let builds = std::fs::read_to_string(cache.join("shims/builds.log")).unwrap();
    assert_eq!(builds.lines().count(), 1, "{builds}");

    // bind says the same for the meta-package.
    let (ok, err) = run(&proj, &cache, &["bind", "Meta.Pkg", "--out", "out"]);
    assert!(!ok);
    assert!(
        err.starts_with("error: Meta.Pkg 1.0.0 ships no assemblies for net8.0"),
        "{err}"
    );
}
