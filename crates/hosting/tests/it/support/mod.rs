//! Shared by the integration tests and the benchmark: locate the .NET 8 runtime
//! of the test environment and build the ABI fixture shim with `mcs`.
#![allow(dead_code)]

use std::hash::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use hosting::{Runtime, RuntimeOptions, Shim};

pub const FIXTURE_SHIM: &str = "Mochi.Fixtures.Abi.Shim";
pub const EXPORTS: &str = "Mochi.Shim.AbiFixture.Exports";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// MOCHI_DOTNET8_ROOT, then DOTNET_ROOT, then the project's `.tools/dotnet8`.
pub fn dotnet8_root() -> PathBuf {
    for var in ["MOCHI_DOTNET8_ROOT", "DOTNET_ROOT"] {
        if let Some(v) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            let p = PathBuf::from(v);
            if p.join("shared/Microsoft.NETCore.App").is_dir() {
                return p;
            }
        }
    }
    let p = workspace().join(".tools/dotnet8");
    let p = std::fs::canonicalize(&p).unwrap_or(p);
    assert!(
        p.join("host/fxr").is_dir(),
        "no .NET 8 runtime: run scripts/setup-test-tools.sh (it fills .tools/dotnet8) or set MOCHI_DOTNET8_ROOT"
    );
    p
}

pub fn options() -> RuntimeOptions {
    RuntimeOptions::default().with_dotnet_root(dotnet8_root())
}

pub fn runtime() -> &'static Runtime {
    Runtime::start(&options()).expect("start the .NET 8 runtime")
}

/// The framework assembly folder of the newest 8.x runtime under the root.
pub fn framework_dir() -> PathBuf {
    let install = hosting::DotnetInstall::probe(&dotnet8_root()).unwrap();
    let v = hosting::FrameworkRequirement::net(8, 0)
        .select(&install.runtimes)
        .unwrap()
        .clone();
    install.framework_dir(&v)
}

/// mcs against the .NET 8 framework: CoreLib, System.Private.Uri and every public framework assembly.
pub fn mcs(out: &Path, sources: &[PathBuf], extra_refs: &[PathBuf]) {
    let fw = framework_dir();
    let mut cmd = Command::new("mcs");
    cmd.args([
        "-target:library",
        "-unsafe",
        "-nostdlib",
        "-nowarn:618",
        "-optimize+",
    ]);
    cmd.arg(format!(
        "-r:{}",
        fw.join("System.Private.CoreLib.dll").display()
    ));
    let mut refs: Vec<PathBuf> = std::fs::read_dir(&fw)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            // System.Private.Uri: net4x libraries see System.Uri forwarded there.
            n.ends_with(".dll")
                && (!n.starts_with("System.Private.") || n == "System.Private.Uri.dll")
                && !n.starts_with("Microsoft.VisualBasic")
        })
        .collect();
    refs.sort();
    for r in refs.iter().chain(extra_refs) {
        cmd.arg(format!("-r:{}", r.display()));
    }
    cmd.arg(format!("-out:{}", out.display()));
    cmd.args(sources);
    let o = cmd.output().expect("run mcs (Debian package mono-mcs)");
    assert!(
        o.status.success() && out.is_file(),
        "mcs failed for {}:\n{}{}",
        out.display(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// Runs `build` into a fresh folder keyed by the hash of `inputs` (and the
/// framework), unless that folder exists already; returns the folder. Built in a
/// private folder and renamed, so concurrent test binaries never see half a build.
pub fn cached_build(name: &str, inputs: &[PathBuf], build: impl FnOnce(&Path)) -> PathBuf {
    let mut h = DefaultHasher::new();
    for p in inputs {
        p.file_name().hash(&mut h);
        std::fs::read(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .hash(&mut h);
    }
    framework_dir().hash(&mut h);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{:016x}", h.finish()));
    if dir.is_dir() {
        return dir;
    }
    let mut tmp_name = dir.file_name().unwrap().to_owned();
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = dir.with_file_name(tmp_name);
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    build(&tmp);
    if std::fs::rename(&tmp, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&tmp); // another process won the race
    }
    dir
}

/// Builds fixtures/abi: the plain library, and the shim around it.
pub fn fixture_shim_path() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let ws = workspace();
        let lib_src = ws.join("fixtures/abi/AbiFixture.cs");
        let shim_src = ws.join("fixtures/abi/AbiFixtureShim.cs");
        let abi_src = shimabi::csharp_dir().join("ShimAbi.cs");
        let inputs = [lib_src.clone(), shim_src.clone(), abi_src.clone()];
        let dir = cached_build("abi-fixture", &inputs, |tmp| {
            let lib = tmp.join("Mochi.Fixtures.Abi.dll");
            mcs(&lib, &[lib_src], &[]);
            mcs(
                &tmp.join(format!("{FIXTURE_SHIM}.dll")),
                &[shim_src, abi_src],
                &[lib],
            );
        });
        dir.join(format!("{FIXTURE_SHIM}.dll"))
    })
}

/// A hand-written shim of a real library: `sources` + ShimAbi.cs compiled into
/// `<assembly>.dll` next to copies of `package_dlls` (where the shim's load context finds them).
pub fn real_library_shim(assembly: &str, sources: &[PathBuf], package_dlls: &[PathBuf]) -> PathBuf {
    let abi_src = shimabi::csharp_dir().join("ShimAbi.cs");
    let mut inputs: Vec<PathBuf> = sources.to_vec();
    inputs.push(abi_src.clone());
    inputs.extend(package_dlls.iter().cloned());
    let dir = cached_build(assembly, &inputs, |tmp| {
        let mut local = Vec::new();
        for dll in package_dlls {
            let to = tmp.join(dll.file_name().unwrap());
            std::fs::copy(dll, &to).unwrap();
            local.push(to);
        }
        let mut srcs = sources.to_vec();
        srcs.push(abi_src);
        mcs(&tmp.join(format!("{assembly}.dll")), &srcs, &local);
    });
    dir.join(format!("{assembly}.dll"))
}

pub fn fixtures_dir() -> PathBuf {
    workspace().join("fixtures/abi")
}

pub fn shim() -> &'static Shim {
    static SHIM: OnceLock<Shim> = OnceLock::new();
    SHIM.get_or_init(|| Shim::load(runtime(), fixture_shim_path()).expect("load the fixture shim"))
}
