//! End-to-end: the real `mochi-dotnet` binary against the in-tree loopback NuGet v3
//! registry, with real assemblies (compiled with mcs) read by the ecma335 reader.
//!
//! Each test gets its own project folder, cache, HOME and NuGet.config (`<clear/>`,
//! one source: the registry), so nothing on the machine leaks in.

use fixtures::assert_snapshot;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use fixtures::nupkg_builder::{BuiltPackage, PackageBuilder};
use fixtures::registry::Registry;

/// Three small real assemblies with different public surfaces, compiled once.
fn assemblies() -> Option<&'static [Vec<u8>; 3]> {
    static ASMS: OnceLock<Option<[Vec<u8>; 3]>> = OnceLock::new();
    ASMS.get_or_init(|| {
        // Removed when this closure returns: only the bytes are kept.
        let dir = tempfile::tempdir().expect("tempdir");
        let build = |name: &str, src: &str| -> Option<Vec<u8>> {
            let path = fixtures::assemblies::compile_cs(src, name, dir.path())?
                .expect("mcs compiles the fixture");
            Some(std::fs::read(path).expect("read compiled assembly"))
        };
        let a = build("One", "namespace Fx { public class One { public int Value; public string Name() { return \"one\"; } } }")?;
        let b = build("Two", "namespace Fx { public class Two { public static long Add(long a, long b) { return a + b; } } }")?;
        let c = build("Three", "namespace Fx { public interface IThree { void Run(); } public enum Color { Red, Green } }")?;
        Some([a, b, c])
    })
    .as_ref()
}

macro_rules! require_assemblies {
    () => {
        match assemblies() {
            Some(a) => a,
            None => {
                panic!("mcs is not installed: run scripts/setup-test-tools.sh")
            }
        }
    };
}

/// The diamond with framework-specific groups:
///
/// ```text
/// Shop.App 1.0.0   net8.0: Shop.Left >= 1.0, Shop.Right >= 1.0, Shop.Net >= 1.0
///                  netstandard2.0: Shop.Left >= 1.0
///                  net472: Shop.Legacy >= 1.0
/// Shop.Left 1.0.0  -> Shop.Base >= 1.0
/// Shop.Right 1.0.0 -> Shop.Base [1.1, 2.0)
/// Shop.Base 1.0.0, 1.1.0, 1.2.0, 2.0.0
/// Shop.Net 1.0.0   (lib/netcoreapp3.1 and lib/netstandard2.0)
/// Shop.Legacy 1.0.0 (lib/net45 only)
/// ```
fn shop(asm: &[Vec<u8>; 3]) -> Vec<BuiltPackage> {
    let mut out = vec![
        PackageBuilder::new("Shop.App", "1.0.0")
            .dependency_group(
                Some("net8.0"),
                &[
                    ("Shop.Left", "1.0.0"),
                    ("Shop.Right", "1.0.0"),
                    ("Shop.Net", "1.0.0"),
                ],
            )
            .dependency_group(Some(".NETStandard2.0"), &[("Shop.Left", "1.0.0")])
            .dependency_group(Some(".NETFramework4.7.2"), &[("Shop.Legacy", "1.0.0")])
            .file("lib/net8.0/Shop.App.dll", asm[0].clone())
            .file("lib/netstandard2.0/Shop.App.dll", asm[1].clone())
            .file("lib/net472/Shop.App.dll", asm[2].clone())
            .build(),
        PackageBuilder::new("Shop.Left", "1.0.0")
            .dependency_group(Some(".NETStandard2.0"), &[("Shop.Base", "1.0.0")])
            .file("lib/netstandard2.0/Shop.Left.dll", asm[1].clone())
            .build(),
        PackageBuilder::new("Shop.Right", "1.0.0")
            .dependency_group(Some(".NETStandard2.0"), &[("Shop.Base", "[1.1.0, 2.0.0)")])
            .file("lib/netstandard2.0/Shop.Right.dll", asm[2].clone())
            .build(),
        PackageBuilder::new("Shop.Net", "1.0.0")
            .file("lib/netcoreapp3.1/Shop.Net.dll", asm[0].clone())
            .file("lib/netstandard2.0/Shop.Net.dll", asm[1].clone())
            .build(),
        PackageBuilder::new("Shop.Legacy", "1.0.0")
            .file("lib/net45/Shop.Legacy.dll", asm[2].clone())
            .build(),
    ];
    for v in ["1.0.0", "1.1.0", "1.2.0", "2.0.0"] {
        out.push(
            PackageBuilder::new("Shop.Base", v)
                .file(
                    "lib/netstandard2.0/Shop.Base.dll",
                    asm[(v.as_bytes()[2] - b'0') as usize % 3].clone(),
                )
                .build(),
        );
    }
    out
}

struct Project {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    cache: PathBuf,
    home: PathBuf,
    caps_db: Option<PathBuf>,
}

const MANIFEST: &str = r#"# The shop demo.
[package]
name = "shop"   # keep this name
version = "0.1.0"

[dotnet-dependencies]
"Shop.App" = "^1.0"

[dotnet]
framework = "net8.0"

[dotnet.capabilities]
net = true
fs = true
"#;

impl Project {
    fn new(registry: &Registry, manifest: &str) -> Project {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("proj");
        let cache = tmp.path().join("cache");
        let home = tmp.path().join("home");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(dir.join("mochi.toml"), manifest).unwrap();
        Project::write_config(&dir, &registry.index_url());
        Project {
            _tmp: tmp,
            dir,
            cache,
            home,
            caps_db: None,
        }
    }

    fn write_config(dir: &Path, source: &str) {
        std::fs::write(
            dir.join("NuGet.config"),
            format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n  <packageSources>\n    <clear />\n    <add key=\"loopback\" value=\"{source}\" />\n  </packageSources>\n</configuration>\n"
            ),
        )
        .unwrap();
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_mochi-dotnet"));
        c.args(args)
            .current_dir(&self.dir)
            .env("MOCHI_DOTNET_CACHE", &self.cache)
            .env("HOME", &self.home)
            .env("NUGET_PACKAGES", self.home.join("nuget-packages"))
            .env_remove("XDG_CACHE_HOME");
        match &self.caps_db {
            Some(p) => c.env("MOCHI_DOTNET_CAPABILITIES", p),
            None => c.env_remove("MOCHI_DOTNET_CAPABILITIES"),
        };
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run mochi-dotnet")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            out.status.success(),
            "mochi-dotnet {args:?} failed:\n{stderr}"
        );
        stderr
    }

    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(
            !out.status.success(),
            "mochi-dotnet {args:?} should fail; stderr:\n{stderr}"
        );
        stderr
    }

    fn lock_text(&self) -> String {
        std::fs::read_to_string(self.dir.join("mochi.lock")).unwrap()
    }

    fn set_lock_text(&self, text: &str) {
        std::fs::write(self.dir.join("mochi.lock"), text).unwrap();
    }

    fn manifest(&self) -> String {
        std::fs::read_to_string(self.dir.join("mochi.toml")).unwrap()
    }

    fn set_manifest(&self, text: &str) {
        std::fs::write(self.dir.join("mochi.toml"), text).unwrap();
    }
}

/// The lockfile with the registry's ephemeral port replaced, for snapshots.
fn portable(text: &str, registry: &Registry) -> String {
    text.replace(&registry.base_url(), "http://registry")
}

fn field<'a>(lock: &'a str, id: &str, key: &str) -> &'a str {
    let start = lock
        .find(&format!("id = \"{id}\""))
        .unwrap_or_else(|| panic!("{id} in lock"));
    let rest = &lock[start..];
    let line = rest
        .lines()
        .find(|l| l.starts_with(&format!("{key} = ")))
        .unwrap_or_else(|| panic!("{key} of {id}"));
    line[key.len() + 3..].trim_matches('"')
}

#[test]
fn diamond_with_framework_groups_locks_to_the_golden_file() {
    let asm = require_assemblies!();
    let registry = Registry::start(&shop(asm)).unwrap();
    let p = Project::new(&registry, MANIFEST);
    let stderr = p.ok(&["lock"]);
    assert!(stderr.contains("wrote"), "{stderr}");
    let lock = p.lock_text();
    assert_snapshot!("shop_net8", portable(&lock, &registry));

    // Diamond: Left wants Base >= 1.0, Right wants [1.1, 2.0): the lowest for both.
    assert_eq!(field(&lock, "Shop.Base", "version"), "1.1.0");
    // Framework-specific group: net8.0 pulls Shop.Net, never Shop.Legacy.
    assert!(lock.contains("id = \"Shop.Net\"") && !lock.contains("Shop.Legacy"));
    assert_eq!(field(&lock, "Shop.App", "assets-framework"), "net8.0");
    assert_eq!(
        field(&lock, "Shop.Net", "assets-framework"),
        "netcoreapp3.1"
    );
    assert_eq!(
        field(&lock, "Shop.Left", "assets-framework"),
        "netstandard2.0"
    );

    // Re-locking writes nothing: same bytes, file untouched.
    let stderr = p.ok(&["lock"]);
    assert!(stderr.contains("unchanged"), "{stderr}");
    assert_eq!(p.lock_text(), lock);

    // Same graph on another machine (fresh cache) gives the same bytes.
    let q = Project::new(&registry, MANIFEST);
    q.ok(&["lock", "--quiet"]);
    assert_eq!(q.lock_text(), lock);

    // net472: the .NET Framework group and assets.
    let r = Project::new(&registry, &MANIFEST.replace("net8.0", "net472"));
    r.ok(&["lock"]);
    let lock472 = r.lock_text();
    assert_snapshot!("shop_net472", portable(&lock472, &registry));
    assert!(lock472.contains("Shop.Legacy") && !lock472.contains("Shop.Net\""));
    assert_eq!(field(&lock472, "Shop.App", "assets-framework"), "net472");
}

#[test]
fn check_passes_on_a_fresh_lock_and_names_every_drift() {
    let asm = require_assemblies!();
    let registry = Registry::start(&shop(asm)).unwrap();
    let p = Project::new(&registry, MANIFEST);
    p.ok(&["lock", "--quiet"]);
    let good = p.lock_text();
    let stderr = p.ok(&["lock", "--check"]);
    assert!(
        stderr.contains("up to date (5 packages verified)"),
        "{stderr}"
    );

    // 1. A recorded metadata hash that does not match the assemblies.
    let meta = field(&good, "Shop.Left", "metadata-sha256").to_string();
    p.set_lock_text(&good.replacen(&meta, &"0".repeat(64), 1));
    let e = p.fails(&["lock", "--check"]);
    assert!(
        e.contains("Shop.Left: `metadata-sha256` is recorded as 0000"),
        "{e}"
    );
    assert!(e.contains("run `mochi-dotnet lock`"), "{e}");

    // 2. A recorded nupkg hash that does not match the package.
    let sha = field(&good, "Shop.Right", "nupkg-sha512").to_string();
    p.set_lock_text(&good.replacen(&sha, &"a".repeat(128), 1));
    let e = p.fails(&["lock", "--check"]);
    assert!(
        e.contains("Shop.Right: `nupkg-sha512` is recorded as aaaa"),
        "{e}"
    );

    // 3. The cached package bytes changed under the lock.
    p.set_lock_text(&good);
    let nupkg = p.cache.join(&sha).join("package.nupkg");
    let bytes = std::fs::read(&nupkg).unwrap();
    let mut tampered = bytes.clone();
    tampered.extend_from_slice(b"tamper");
    std::fs::write(&nupkg, &tampered).unwrap();
    let e = p.fails(&["lock", "--check"]);
    assert!(
        e.contains(&format!("Shop.Right: `nupkg-sha512` is recorded as {sha}")),
        "{e}"
    );
    std::fs::write(&nupkg, &bytes).unwrap();
    p.ok(&["lock", "--check", "--quiet"]);

    // 4. A framework change in mochi.toml.
    p.set_manifest(&MANIFEST.replace("net8.0", "net6.0"));
    let e = p.fails(&["lock", "--check"]);
    assert!(
        e.contains("Shop.App: `target-framework` is recorded as net8.0 but is now net6.0"),
        "{e}"
    );
    assert!(
        e.contains("Shop.App: `assets-framework` is recorded as net8.0 but is now netstandard2.0"),
        "{e}"
    );
    p.set_manifest(MANIFEST);

    // 5. A per-package framework override.
    p.set_manifest(&MANIFEST.replace(
        "\"Shop.App\" = \"^1.0\"",
        "\"Shop.App\" = { version = \"^1.0\", framework = \"netstandard2.0\" }",
    ));
    let e = p.fails(&["lock", "--check"]);
    assert!(
        e.contains("Shop.App: `target-framework` is recorded as net8.0 but is now netstandard2.0"),
        "{e}"
    );
    p.set_manifest(MANIFEST);

    // 6. The manifest's range no longer admits the locked version.
    p.set_manifest(&MANIFEST.replace("\"^1.0\"", "\"[2.0,3.0)\""));
    let e = p.fails(&["lock", "--check"]);
    assert!(
        e.contains("mochi.lock no longer matches mochi.toml: mochi.toml requires Shop.App [2.0.0, 3.0.0), but mochi.lock has Shop.App 1.0.0"),
        "{e}"
    );
    p.set_manifest(MANIFEST);

    // 7. A dependency added to mochi.toml but not locked.
    p.set_manifest(&MANIFEST.replace(
        "\"Shop.App\" = \"^1.0\"",
        "\"Shop.App\" = \"^1.0\"\n\"Shop.Legacy\" = \"1.0\"",
    ));
    let e = p.fails(&["lock", "--check"]);
    assert!(
        e.contains("mochi.lock no longer matches mochi.toml: mochi.toml requires Shop.Legacy [1.0.0, ), which is not in mochi.lock"),
        "{e}"
    );
    p.set_manifest(MANIFEST);

    // 8. A package in mochi.lock the graph no longer needs, and a version edited by hand.
    let extra = "\n[[dotnet-package]]\nid = \"Zz.Unused\"\nversion = \"1.0.0\"\nsource = \"x\"\nnupkg-sha512 = \"00\"\nmetadata-sha256 = \"00\"\ncapabilities-declared = []\ntarget-framework = \"net8.0\"\nassets-framework = \"none\"\ndependencies = []\n";
    p.set_lock_text(&format!("{good}{extra}"));
    let e = p.fails(&["lock", "--check"]);
    assert!(
        e.contains("Zz.Unused 1.0.0: in mochi.lock but no longer needed"),
        "{e}"
    );
    p.set_lock_text(&good.replace(
        "id = \"Shop.App\"\nversion = \"1.0.0\"",
        "id = \"Shop.App\"\nversion = \"1.0\"",
    ));
    // 1.0 and 1.0.0 are the same NuGet version; only the spelling drifts.
    let e = p.fails(&["lock", "--check"]);
    assert!(
        e.contains("Shop.App: `version` is recorded as 1.0 but is now 1.0.0"),
        "{e}"
    );

    // The CLI's lock records each package's shim-sha256 (the generated C# shim,
    // docs/shims.md): a recorded hash that differs is drift, and lock rewrites it.
    let at = good
        .find("shim-sha256 = \"")
        .expect("lock records shim hashes")
        + 15;
    let real = good[at..at + 64].to_string();
    let bogus = good.replacen(&real, &"5".repeat(64), 1);
    p.set_lock_text(&bogus);
    let e = p.fails(&["lock", "--check"]);
    assert!(
        e.contains(&format!(
            "`shim-sha256` is recorded as {} but is now {real}",
            "5".repeat(64)
        )),
        "{e}"
    );
    p.ok(&["lock", "--quiet"]);
    assert_eq!(p.lock_text(), good, "lock restores the real shim hash");

    // 9. A new capability in the capability database.
    p.set_lock_text(&good);
    let db = p.dir.join("caps.toml");
    std::fs::write(
        &db,
        "schema = 1\nrevision = 2\n[[package]]\nid = \"Shop.Left\"\nversions = \"[1.0,)\"\ncapabilities = [\"net\"]\n",
    )
    .unwrap();
    let mut with_db = Project {
        caps_db: Some(db),
        ..p
    };
    let e = with_db.fails(&["lock", "--check"]);
    assert!(
        e.contains("Shop.Left: `capabilities-declared` is recorded as [fs, net] but is now [net]"),
        "{e}"
    );

    // 10. A capability taken away in mochi.toml.
    with_db.caps_db = None;
    with_db.set_manifest(&MANIFEST.replace("net = true", "net = false"));
    let e = with_db.fails(&["lock", "--check"]);
    assert!(e.contains("capability audit failed"), "{e}");
    assert!(e.contains("--accept-capability=net"), "{e}");

    // 11. No lockfile at all.
    with_db.set_manifest(MANIFEST);
    std::fs::remove_file(with_db.dir.join("mochi.lock")).unwrap();
    let e = with_db.fails(&["lock", "--check"]);
    assert!(e.contains("mochi.lock does not exist"), "{e}");
}

#[test]
fn capability_audit_and_accept_capability() {
    let asm = require_assemblies!();
    let registry = Registry::start(&shop(asm)).unwrap();
    let manifest = MANIFEST.replace("net = true\nfs = true\n", "net = false # not yet\n");
    let p = Project::new(&registry, &manifest);
    let e = p.fails(&["lock"]);
    assert!(
        e.contains(
            "5 packages need `fs` and `net`: they are not in the capability database, so each counts as needing every capability (Shop.App 1.0.0, Shop.Base 1.1.0, Shop.Left 1.0.0, Shop.Net 1.0.0, Shop.Right 1.0.0)"
        ),
        "{e}"
    );
    assert!(
        e.contains("fix: run `mochi-dotnet lock --accept-capability=fs --accept-capability=net`"),
        "{e}"
    );
    assert!(
        !p.dir.join("mochi.lock").exists(),
        "nothing written on failure"
    );

    let out = p.ok(&["lock", "--accept-capability=net", "--accept-capability=fs"]);
    assert!(out.contains("updated mochi.toml"), "{out}");
    let m = p.manifest();
    assert!(
        m.starts_with("# The shop demo.\n[package]\nname = \"shop\"   # keep this name\n"),
        "{m}"
    );
    assert!(
        m.contains("[dotnet.capabilities]\nnet = true # not yet\nfs = true\n"),
        "{m}"
    );
    assert!(p.dir.join("mochi.lock").exists());
    p.ok(&["lock", "--check"]);
}

#[test]
fn offline_lock_from_a_warm_cache() {
    let asm = require_assemblies!();
    let registry = Registry::start(&shop(asm)).unwrap();
    let p = Project::new(&registry, MANIFEST);
    p.ok(&["lock", "--quiet"]);
    let online = p.lock_text();
    drop(registry);
    std::fs::remove_file(p.dir.join("mochi.lock")).unwrap();
    let out = p.ok(&["lock", "--offline"]);
    assert!(out.contains("wrote"), "{out}");
    assert_eq!(
        p.lock_text(),
        online,
        "offline lock from the cache gives the same bytes"
    );
    p.ok(&["lock", "--check", "--offline"]);

    // A package that is not in the cache is named.
    p.set_manifest(&MANIFEST.replace(
        "\"Shop.App\" = \"^1.0\"",
        "\"Shop.App\" = \"^1.0\"\n\"Shop.Legacy\" = \"1.0\"",
    ));
    let e = p.fails(&["lock", "--offline"]);
    assert!(e.contains("Shop.Legacy"), "{e}");
}

#[test]
fn two_concurrent_locks_agree() {
    let asm = require_assemblies!();
    let registry = Registry::start(&shop(asm)).unwrap();
    let p = Project::new(&registry, MANIFEST);
    // Same project, same cache, at the same time.
    let a = p.command(&["lock", "--quiet"]).spawn().unwrap();
    let b = p.command(&["lock", "--quiet"]).spawn().unwrap();
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    assert!(a.status.success(), "{}", String::from_utf8_lossy(&a.stderr));
    assert!(b.status.success(), "{}", String::from_utf8_lossy(&b.stderr));
    let lock = p.lock_text();
    p.ok(&["lock", "--check"]);
    // Every package was downloaded once despite two processes.
    assert_eq!(registry.hits("shop.base.1.1.0.nupkg"), 1);
    let leftovers: Vec<_> = std::fs::read_dir(&p.dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let q = Project::new(&registry, MANIFEST);
    q.ok(&["lock", "--quiet"]);
    assert_eq!(q.lock_text(), lock);
}

#[test]
fn add_edits_the_manifest_and_locks() {
    let asm = require_assemblies!();
    let registry = Registry::start(&shop(asm)).unwrap();
    let p = Project::new(&registry, MANIFEST);
    let out = p.ok(&["add", "Shop.Base"]);
    assert!(out.contains("added Shop.Base = \"^2.0.0\""), "{out}");
    let m = p.manifest();
    assert!(
        m.contains("\"Shop.App\" = \"^1.0\"\n\"Shop.Base\" = \"^2.0.0\"\n"),
        "{m}"
    );
    assert!(m.starts_with("# The shop demo.\n"), "{m}");
    // A direct dependency wins, but Right caps Base below 2.0: a warning, not a failure.
    assert!(
        out.contains("warning: Shop.Base 2.0.0 (from mochi.toml) is outside [1.1.0, 2.0.0)"),
        "{out}"
    );
    assert_eq!(field(&p.lock_text(), "Shop.Base", "version"), "2.0.0");

    // An explicit range replaces the entry in place.
    p.ok(&["add", "shop.base@[1.2.0]"]);
    let m = p.manifest();
    assert!(m.contains("\"Shop.Base\" = \"[1.2.0]\"\n"), "{m}");
    assert_eq!(field(&p.lock_text(), "Shop.Base", "version"), "1.2.0");

    // A failing add leaves mochi.toml as it was.
    let before = p.manifest();
    let e = p.fails(&["add", "No.Such.Package@1.0"]);
    assert!(
        e.contains("No.Such.Package") && e.contains("mochi.toml was restored"),
        "{e}"
    );
    assert_eq!(p.manifest(), before);
    let e = p.fails(&["add", "Bad Id"]);
    assert!(e.contains("not a NuGet package id"), "{e}");
}

#[test]
fn manifest_errors_point_at_the_line_through_the_cli() {
    let asm = require_assemblies!();
    let registry = Registry::start(&shop(asm)).unwrap();
    let p = Project::new(
        &registry,
        &MANIFEST.replace(
            "framework = \"net8.0\"",
            "framework = \"net8.0\"\nbrige = \"nativeaot\"",
        ),
    );
    let e = p.fails(&["lock"]);
    assert!(
        e.contains("mochi.toml:11:1: unknown key `brige` in [dotnet]"),
        "{e}"
    );
}

#[test]
fn resolution_conflict_through_the_cli_names_both_paths() {
    let asm = require_assemblies!();
    let mut pkgs = shop(asm);
    pkgs.push(
        PackageBuilder::new("Shop.Strict", "1.0.0")
            .dependency_group(Some(".NETStandard2.0"), &[("Shop.Base", "[2.0.0, 3.0.0)")])
            .file("lib/netstandard2.0/Shop.Strict.dll", asm[0].clone())
            .build(),
    );
    let registry = Registry::start(&pkgs).unwrap();
    let p = Project::new(
        &registry,
        &MANIFEST.replace(
            "\"Shop.App\" = \"^1.0\"",
            "\"Shop.App\" = \"^1.0\"\n\"Shop.Strict\" = \"1.0\"",
        ),
    );
    let e = p.fails(&["lock"]);
    assert!(e.contains("version conflict on Shop.Base"), "{e}");
    assert!(
        e.contains("mochi.toml → Shop.App 1.0.0 → Shop.Right 1.0.0 requires [1.1.0, 2.0.0)"),
        "{e}"
    );
    assert!(
        e.contains("mochi.toml → Shop.Strict 1.0.0 requires [2.0.0, 3.0.0)"),
        "{e}"
    );
    assert!(e.contains("[dotnet-dependencies]: \"Shop.Base\" = "), "{e}");
}

#[test]
fn path_dependency_from_a_local_folder_feed() {
    let asm = require_assemblies!();
    let registry = Registry::start(&shop(asm)).unwrap();
    let local = PackageBuilder::new("Local.Tool", "0.3.0")
        .dependency_group(None, &[("Shop.Base", "[1.2.0, )")])
        .file("lib/netstandard2.1/Local.Tool.dll", asm[2].clone())
        .build();
    let p = Project::new(
        &registry,
        &MANIFEST.replace(
            "\"Shop.App\" = \"^1.0\"",
            "\"Shop.App\" = \"^1.0\"\n\"Local.Tool\" = { path = \"feed\" }",
        ),
    );
    fixtures::nupkg_builder::write_flat_feed(&p.dir.join("feed"), &[local]).unwrap();
    p.ok(&["lock"]);
    let lock = p.lock_text();
    assert_eq!(field(&lock, "Local.Tool", "version"), "0.3.0");
    assert_eq!(
        field(&lock, "Local.Tool", "source"),
        "./feed",
        "no absolute path in mochi.lock"
    );
    assert_eq!(
        field(&lock, "Local.Tool", "assets-framework"),
        "netstandard2.1"
    );
    // Cousins: Left wants >= 1.0, Right [1.1, 2.0), Local.Tool >= 1.2: the lowest for all.
    assert_eq!(field(&lock, "Shop.Base", "version"), "1.2.0");
    p.ok(&["lock", "--check"]);
}

#[test]
fn transient_server_faults_are_retried_and_persistent_ones_fail_clearly() {
    use fixtures::registry::Fault;
    let asm = require_assemblies!();
    let registry = Registry::start(&shop(asm)).unwrap();

    // Two 503s on one download, a reset on a version list: retried, the lock succeeds.
    registry.inject("shop.left.1.0.0.nupkg", Fault::Status(503), Some(2));
    registry.inject("/flat/shop.right/index.json", Fault::Reset, Some(1));
    let p = Project::new(&registry, MANIFEST);
    p.ok(&["lock", "--quiet"]);
    p.ok(&["lock", "--check"]);
    let good = p.lock_text();

    // A download that keeps failing: the error names the package and the URL, nothing
    // is written, and the cache holds no partial entry for it.
    registry.clear_faults();
    registry.inject("shop.right.1.0.0.nupkg", Fault::Status(500), None);
    let q = Project::new(&registry, MANIFEST);
    let e = q.fails(&["lock"]);
    assert!(e.contains("cannot fetch Shop.Right 1.0.0"), "{e}");
    assert!(e.contains("shop.right.1.0.0.nupkg"), "{e}");
    assert!(!q.dir.join("mochi.lock").exists());
    let sha = field(&good, "Shop.Right", "nupkg-sha512");
    assert!(
        !q.cache.join(sha).exists(),
        "no cache entry for the failed package"
    );

    // Truncated bytes are caught, retried, and never trusted.
    registry.clear_faults();
    registry.inject("shop.right.1.0.0.nupkg", Fault::Truncate(100), Some(1));
    q.ok(&["lock", "--quiet"]);
    assert_eq!(q.lock_text(), good);
}

#[test]
fn a_republished_package_is_refused_against_the_recorded_hash() {
    let asm = require_assemblies!();
    let registry = Registry::start(&shop(asm)).unwrap();
    let p = Project::new(&registry, MANIFEST);
    p.ok(&["lock", "--quiet"]);
    let good = p.lock_text();

    // The source now serves other bytes for the same Shop.Left 1.0.0.
    let evil = PackageBuilder::new("Shop.Left", "1.0.0")
        .dependency_group(Some(".NETStandard2.0"), &[("Shop.Base", "1.0.0")])
        .file("lib/netstandard2.0/Shop.Left.dll", asm[0].clone())
        .build();
    registry.add_package(&evil);
    // A machine with a cold cache re-locks the committed mochi.lock.
    let q = Project::new(&registry, MANIFEST);
    q.set_lock_text(&good);
    let e = q.fails(&["lock"]);
    assert!(e.contains("cannot fetch Shop.Left 1.0.0"), "{e}");
    assert!(e.contains("mochi.lock records a different SHA-512"), "{e}");
    assert_eq!(q.lock_text(), good, "mochi.lock untouched");
}

#[test]
fn real_assemblies_of_the_test_environment_lock_and_check() {
    let packages = fixtures::graphs::real_packages();
    assert!(
        !packages.is_empty(),
        "no real assemblies installed: run scripts/setup-test-tools.sh"
    );
    let registry = Registry::start(&packages).unwrap();
    // .NET Framework-only packages need their own framework; netstandard ones fit net8.0.
    // (Zip entry names are stored uncompressed, so the folder shows in the bytes.)
    let mut deps = String::new();
    for p in &packages {
        let fx_only = p.bytes.windows(9).any(|w| w == b"lib/net45")
            || p.bytes.windows(9).any(|w| w == b"lib/net40");
        if fx_only {
            deps.push_str(&format!(
                "\"{}\" = {{ version = \"{}\", framework = \"net48\" }}\n",
                p.id, p.version
            ));
        } else {
            deps.push_str(&format!("\"{}\" = \"{}\"\n", p.id, p.version));
        }
    }
    let manifest =
        format!("[dotnet-dependencies]\n{deps}\n[dotnet.capabilities]\nnet = true\nfs = true\n");
    let p = Project::new(&registry, &manifest);
    p.ok(&["lock", "--quiet"]);
    let lock = p.lock_text();
    for pkg in &packages {
        let meta = field(&lock, &pkg.id, "metadata-sha256");
        assert_eq!(meta.len(), 64, "{}: {meta}", pkg.id);
        assert_ne!(
            meta, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "{} has assemblies",
            pkg.id
        );
        assert_eq!(field(&lock, &pkg.id, "nupkg-sha512"), pkg.sha512_hex());
    }
    if packages.iter().any(|p| p.id == "Newtonsoft.Json") {
        assert_eq!(field(&lock, "Newtonsoft.Json", "assets-framework"), "net45");
        assert_eq!(field(&lock, "Newtonsoft.Json", "target-framework"), "net48");
        assert_eq!(
            field(&lock, "Newtonsoft.Json", "capabilities-declared"),
            "[]"
        );
    }
    p.ok(&["lock", "--check"]);
}

#[test]
fn package_source_mapping_from_nuget_config_is_honoured() {
    let asm = require_assemblies!();
    let trusted = Registry::start(&shop(asm)).unwrap();
    // Another source offers an older Shop.App: dependency confusion, unless mapped away.
    let other = Registry::start(&[PackageBuilder::new("Shop.App", "0.9.0")
        .file("lib/netstandard2.0/Shop.App.dll", asm[2].clone())
        .build()])
    .unwrap();
    let manifest = MANIFEST.replace("\"^1.0\"", "\"0.9\"");
    let p = Project::new(&trusted, &manifest);
    let config = |mapping: &str| {
        format!(
            "<configuration>\n  <packageSources>\n    <clear />\n    <add key=\"trusted\" value=\"{}\" />\n    <add key=\"other\" value=\"{}\" />\n  </packageSources>\n{mapping}</configuration>\n",
            trusted.index_url(),
            other.index_url()
        )
    };
    std::fs::write(p.dir.join("NuGet.config"), config("")).unwrap();
    p.ok(&["lock", "--quiet"]);
    assert_eq!(field(&p.lock_text(), "Shop.App", "version"), "0.9.0");

    std::fs::remove_file(p.dir.join("mochi.lock")).unwrap();
    std::fs::write(
        p.dir.join("NuGet.config"),
        config(
            "  <packageSourceMapping>\n    <packageSource key=\"trusted\">\n      <package pattern=\"Shop.*\" />\n    </packageSource>\n  </packageSourceMapping>\n",
        ),
    )
    .unwrap();
    // Only the trusted source may serve Shop.*: 0.9 resolves to its lowest, 1.0.0.
    p.ok(&["lock", "--quiet"]);
    let lock = p.lock_text();
    assert_eq!(field(&lock, "Shop.App", "version"), "1.0.0");
    assert_eq!(field(&lock, "Shop.App", "source"), trusted.index_url());
}
