//! Shared by the 20-package gate (`package_gate.rs`) and its headline calls
//! (`headline_calls.rs`): projects that lock real packages from the machine's
//! NuGet registry as configured (no test feed), one package cache per test
//! binary, shims built once per compiler and loaded into the one .NET 8
//! runtime of the process.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use nuget::PackageCache;
use project::Lockfile;
use project::closure::ClosureError;
use shimbuild::{BuildOptions, BuiltShim, CompilerKind, Generated, ShimError, ShimInput};

/// The pinned corpus (fixtures/corpus-packages/corpus-packages.csproj): the
/// newest version the registry serves for net8.0 of each package.
pub const PINS: &[(&str, &str)] = &[
    ("Newtonsoft.Json", "13.0.4"),
    ("Serilog", "4.4.0"),
    ("Serilog.Sinks.Console", "6.1.1"),
    ("Serilog.Sinks.File", "7.0.0"),
    ("Microsoft.Extensions.DependencyInjection", "11.0.0"),
    ("System.Text.Json", "11.0.0"),
    ("Dapper", "2.1.86"),
    ("Microsoft.Data.Sqlite", "10.0.15"),
    ("NUnit", "5.0.0"),
    ("xunit.assert", "2.9.3"),
    ("FluentAssertions", "7.2.2"),
    ("AutoMapper", "14.0.0"),
    ("MediatR", "5.1.0"),
    ("FluentValidation", "12.2.0"),
    ("Polly", "8.9.1"),
    ("Bogus", "35.6.5"),
    ("Moq", "4.21.0"),
    ("RestSharp", "114.1.0"),
    ("StackExchange.Redis", "3.4.35"),
    ("Npgsql", "10.0.3"),
    ("Microsoft.EntityFrameworkCore", "9.0.23"),
    ("Microsoft.EntityFrameworkCore.Sqlite", "9.0.23"),
    ("Microsoft.Extensions.Http", "11.0.0"),
    ("AWSSDK.Core", "4.1.1"),
];

pub fn pin(id: &str) -> &'static str {
    PINS.iter()
        .find(|(i, _)| *i == id)
        .map(|(_, v)| *v)
        .unwrap_or_else(|| panic!("{id} is not pinned"))
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn tmp_root() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
}

/// The package cache of this test binary (content-addressed and locked, so
/// the gate and the headline calls may share it; a later run finds it warm).
pub fn package_cache_dir() -> PathBuf {
    tmp_root().join("gate-packages")
}

pub fn package_cache() -> PackageCache {
    PackageCache::open(package_cache_dir()).unwrap_or_else(|e| panic!("{e}"))
}

/// The .NET 8 installation of the test environment (`MOCHI_DOTNET8_ROOT`).
pub fn dotnet8_root() -> PathBuf {
    fixtures::assemblies::dotnet8_root()
}

pub fn framework_dir() -> PathBuf {
    fixtures::assemblies::dotnet8_framework_dir()
}

/// One project folder per name, made afresh once per process.
pub fn project(name: &str, packages: &[&str]) -> PathBuf {
    let dir = tmp_root()
        .join(format!("gate-projects-{}", std::process::id()))
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut toml = String::from(
        "[package]\nname = \"gate\"\nversion = \"0.1.0\"\n\n[dotnet]\nframework = \"net8.0\"\n\n[dotnet-dependencies]\n",
    );
    for id in packages {
        toml.push_str(&format!("\"{id}\" = \"={}\"\n", pin(id)));
    }
    toml.push_str("\n[dotnet.capabilities]\nfs = true\nnet = true\n");
    std::fs::write(dir.join("mochi.toml"), toml).unwrap();
    dir
}

/// Runs `mochi-dotnet` in `dir` as a user would: the machine's NuGet
/// configuration, this binary's package cache.
pub fn cli(dir: &Path, args: &[&str]) -> (bool, String, String, Duration) {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_mochi-dotnet"))
        .args(args)
        .current_dir(dir)
        .env("MOCHI_DOTNET_CACHE", package_cache_dir())
        .env("MOCHI_DOTNET8_ROOT", dotnet8_root())
        .env("DOTNET_ROOT", dotnet8_root())
        .env_remove("XDG_CACHE_HOME")
        .output()
        .expect("run mochi-dotnet");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        start.elapsed(),
    )
}

/// `cli`, failing the test with the output when the command fails.
pub fn cli_ok(dir: &Path, args: &[&str]) -> (String, String, Duration) {
    let (ok, out, err, t) = cli(dir, args);
    assert!(
        ok,
        "mochi-dotnet {} failed in {}:\n{err}\n{out}",
        args.join(" "),
        dir.display()
    );
    (out, err, t)
}

pub fn lockfile(dir: &Path) -> Lockfile {
    Lockfile::load(&dir.join("mochi.lock")).unwrap_or_else(|e| panic!("{e}"))
}

/// Where the shims of this binary are built by `compiler`: emptied once per
/// process (so every shim is compiled in each run), except the SDK's
/// restored targeting pack (`sdk/`).
pub fn shim_cache(compiler: CompilerKind) -> PathBuf {
    static DIRS: OnceLock<Mutex<BTreeMap<&'static str, PathBuf>>> = OnceLock::new();
    let name = compiler.name();
    let mut dirs = DIRS.get_or_init(Default::default).lock().unwrap();
    dirs.entry(name)
        .or_insert_with(|| {
            let dir = tmp_root().join(format!(
                "gate-shims-{}-{}",
                env!("CARGO_CRATE_NAME"),
                name.replace(' ', "-")
            ));
            if let Ok(rd) = std::fs::read_dir(&dir) {
                for e in rd.flatten() {
                    if e.file_name() != "sdk" {
                        let p = e.path();
                        let _ = std::fs::remove_dir_all(&p).or_else(|_| std::fs::remove_file(&p));
                    }
                }
            }
            std::fs::create_dir_all(&dir).unwrap();
            dir
        })
        .clone()
}

/// A locked package's generated shim.
/// Why a locked package has no generated shim.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error(transparent)]
    Closure(#[from] ClosureError),
    #[error(transparent)]
    Shim(#[from] ShimError),
}

pub fn generate(dir: &Path, id: &str) -> Result<Generated, GenerateError> {
    let lock = lockfile(dir);
    let locked = lock
        .get(id)
        .unwrap_or_else(|| panic!("{id} is not in {}/mochi.lock", dir.display()))
        .clone();
    let manifest = project::Manifest::load(&dir.join("mochi.toml")).unwrap();
    let closure = project::closure::package_assemblies(&lock, &locked, None, &package_cache())?;
    let input = ShimInput::from_package(
        &closure.id,
        &closure.version,
        &closure.own,
        &closure.dependencies,
        &closure.native,
    )?
    .with_dotnet(&manifest.dotnet.monomorphise, None);
    Ok(shimbuild::generate(&input)?)
}

/// Builds a generated shim with `compiler` into this binary's cache for it.
pub fn build(
    generated: &Generated,
    compiler: CompilerKind,
) -> Result<(BuiltShim, Duration), shimbuild::BuildError> {
    let opts = BuildOptions {
        cache_dir: shim_cache(compiler),
        framework_dir: Some(framework_dir()),
        compiler: Some(compiler),
        ..BuildOptions::default()
    };
    let start = Instant::now();
    let built = shimbuild::compile::build(&generated.project, &generated.dlls, &opts)?;
    Ok((built, start.elapsed()))
}

/// Whether the SDK is present (the gate needs it, and says so when it is missing).
pub fn sdk_present() -> bool {
    shimbuild::compile::find_sdk(&BuildOptions::default()).is_ok()
}

/// The process's .NET 8 runtime.
pub fn runtime() -> &'static hosting::Runtime {
    hosting::Runtime::start(&hosting::RuntimeOptions::default().with_dotnet_root(dotnet8_root()))
        .unwrap_or_else(|e| panic!("start .NET 8: {e}"))
}
