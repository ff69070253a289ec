//! The C API and the command line share one code path: `mochi_dotnet_lock` and
//! `mochi-dotnet lock` write the same mochi.lock, byte for byte (shim hashes
//! included), for the same project, and `lock --check` of either accepts the
//! other's.

use std::ffi::{CStr, CString};
use std::path::Path;
use std::process::Command;

use fixtures::nupkg_builder::PackageBuilder;

/// Set in the child process that calls the C API: the manifest to lock.
const CHILD: &str = "MOCHI_TEST_CAPI_LOCK_MANIFEST";

const LIB: &str = r#"
namespace Same {
    public class Counter {
        public Counter(int start) { Value = start; }
        public int Value { get; set; }
        public int Add(int n) { Value += n; return Value; }
        public static string Name() { return "counter"; }
    }
}
"#;

const MANIFEST: &str = "[package]\nname = \"same\"\nversion = \"0.1.0\"\n\n[dotnet-dependencies]\n\"Same.Lib\" = { path = \"feed\" }\n\n[dotnet.capabilities]\nfs = true\nnet = true\n";

const NUGET_CONFIG: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n  <packageSources>\n    <clear />\n  </packageSources>\n</configuration>\n";

/// Not a test of its own: the body of the child process that locks through the
/// C API (does nothing without `MOCHI_TEST_CAPI_LOCK_MANIFEST`).
#[test]
fn child_capi_lock() {
    let Ok(manifest) = std::env::var(CHILD) else {
        return;
    };
    let manifest = CString::new(manifest).unwrap();
    let flags = bridge::capi::MOCHI_DOTNET_LOCK_OFFLINE | bridge::capi::MOCHI_DOTNET_LOCK_QUIET;
    // SAFETY: a NUL-terminated path.
    let status = unsafe { bridge::capi::mochi_dotnet_lock(manifest.as_ptr(), flags) };
    if status != 0 {
        let e = unsafe { CStr::from_ptr(bridge::capi::mochi_dotnet_last_error()) };
        panic!("mochi_dotnet_lock failed: {}", e.to_string_lossy());
    }
}

/// A project folder with the package in a folder feed, its own cache and HOME.
fn project(root: &Path, dll: &Path) -> std::path::PathBuf {
    let proj = root.join("proj");
    std::fs::create_dir_all(&proj).unwrap();
    let pkg = PackageBuilder::new("Same.Lib", "2.1.0")
        .file("lib/net8.0/Same.Lib.dll", std::fs::read(dll).unwrap())
        .build();
    fixtures::nupkg_builder::write_flat_feed(&proj.join("feed"), &[pkg]).unwrap();
    std::fs::write(proj.join("mochi.toml"), MANIFEST).unwrap();
    std::fs::write(proj.join("NuGet.config"), NUGET_CONFIG).unwrap();
    proj
}

fn isolated<'c>(cmd: &'c mut Command, root: &Path) -> &'c mut Command {
    cmd.env("MOCHI_DOTNET_CACHE", root.join("cache"))
        .env("HOME", root)
        .env("NUGET_PACKAGES", root.join("nuget-packages"))
        .env_remove("XDG_CACHE_HOME")
        .env_remove("MOCHI_DOTNET_CAPABILITIES")
}

fn cli(root: &Path, proj: &Path, args: &[&str]) {
    let out = isolated(&mut Command::new(env!("CARGO_BIN_EXE_mochi-dotnet")), root)
        .args(args)
        .current_dir(proj)
        .output()
        .expect("run mochi-dotnet");
    assert!(
        out.status.success(),
        "mochi-dotnet {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn capi(root: &Path, proj: &Path) {
    let out = isolated(&mut Command::new(std::env::current_exe().unwrap()), root)
        .args([
            "--exact",
            "capi_and_cli::child_capi_lock",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, proj.join("mochi.toml"))
        .output()
        .expect("run the C API child");
    assert!(
        out.status.success(),
        "the C API child failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_c_api_and_the_cli_write_the_same_lockfile() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(dll) = fixtures::assemblies::compile_cs(LIB, "Same.Lib", &tmp.path().join("asm"))
    else {
        panic!("mcs is not installed: run scripts/setup-test-tools.sh");
    };
    let dll = dll.expect("mcs compiles Same.Lib");

    let by_cli = tmp.path().join("cli");
    let cli_proj = project(&by_cli, &dll);
    cli(&by_cli, &cli_proj, &["lock", "--offline", "--quiet"]);
    let cli_lock = std::fs::read_to_string(cli_proj.join("mochi.lock")).unwrap();

    let by_capi = tmp.path().join("capi");
    let capi_proj = project(&by_capi, &dll);
    capi(&by_capi, &capi_proj);
    let capi_lock = std::fs::read_to_string(capi_proj.join("mochi.lock")).unwrap();

    assert!(
        cli_lock.contains("shim-sha256 = \""),
        "the CLI records the shim hash:\n{cli_lock}"
    );
    assert_eq!(
        capi_lock, cli_lock,
        "the C API and the CLI wrote different lockfiles for the same project"
    );

    // Each accepts the other's lockfile as up to date.
    std::fs::write(cli_proj.join("mochi.lock"), &capi_lock).unwrap();
    cli(
        &by_cli,
        &cli_proj,
        &["lock", "--check", "--offline", "--quiet"],
    );
}
