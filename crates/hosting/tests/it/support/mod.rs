//! Shared by the integration tests and the benchmark: locate the .NET 8 runtime
//! of the test environment and build the ABI fixture shim — with `mcs`, or with
//! the compiler MOCHI_ABI_SHIM_COMPILER names (`csc`: the SDK's Roslyn through
//! `dotnet exec`; `dotnet`: `dotnet build --no-restore` of a project listing the
//! same references), so the same tests run against each compiler's output.
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

/// Which compiler builds the shims of this process (MOCHI_ABI_SHIM_COMPILER).
pub const COMPILER_VAR: &str = "MOCHI_ABI_SHIM_COMPILER";

pub fn shim_compiler() -> String {
    let c = std::env::var(COMPILER_VAR).unwrap_or_else(|_| "mcs".into());
    assert!(
        ["mcs", "csc", "dotnet"].contains(&c.as_str()),
        "{COMPILER_VAR}={c}: use mcs, csc or dotnet"
    );
    c
}

/// The .NET SDK of this machine: its `dotnet` and `sdk/<newest>` folder
/// (MOCHI_DOTNET_SDK_ROOT, else the `dotnet` on PATH), or why there is none.
pub fn sdk() -> Result<(PathBuf, PathBuf), String> {
    let dotnet = std::env::var_os("MOCHI_DOTNET_SDK_ROOT")
        .map(|r| PathBuf::from(r).join("dotnet"))
        .or_else(|| {
            std::env::split_paths(&std::env::var_os("PATH")?)
                .map(|d| d.join("dotnet"))
                .find(|p| p.is_file())
        })
        .ok_or("no `dotnet` on PATH and MOCHI_DOTNET_SDK_ROOT unset")?;
    let out = Command::new(&dotnet)
        .arg("--list-sdks")
        .output()
        .map_err(|e| format!("{}: {e}", dotnet.display()))?;
    // `10.0.401 [/usr/share/dotnet/sdk]`, oldest first.
    let line = String::from_utf8_lossy(&out.stdout)
        .lines()
        .last()
        .map(str::to_owned)
        .ok_or_else(|| format!("`{} --list-sdks` lists no SDK", dotnet.display()))?;
    let (version, dir) = line
        .trim()
        .split_once(" [")
        .ok_or_else(|| format!("unexpected --list-sdks line {line:?}"))?;
    Ok((
        dotnet,
        PathBuf::from(dir.trim_end_matches(']')).join(version),
    ))
}

/// The .NET 8 framework references of a direct compile: CoreLib, System.Private.Uri
/// and every public framework assembly.
fn framework_refs() -> Vec<PathBuf> {
    let fw = framework_dir();
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
    refs.insert(0, fw.join("System.Private.CoreLib.dll"));
    refs
}

/// Compiles a shim library with [`shim_compiler`] against the .NET 8 framework.
pub fn compile_shim(out: &Path, sources: &[PathBuf], extra_refs: &[PathBuf]) {
    match shim_compiler().as_str() {
        "mcs" => mcs(out, sources, extra_refs),
        "csc" => {
            let (dotnet, sdk) = sdk().unwrap_or_else(|e| panic!("{e}"));
            let mut cmd = Command::new(dotnet);
            cmd.arg("exec")
                .arg(sdk.join("Roslyn/bincore/csc.dll"))
                .args([
                    "-noconfig",
                    "-nologo",
                    "-target:library",
                    "-unsafe",
                    "-nostdlib",
                    "-nowarn:618,1702",
                    "-optimize+",
                ]);
            for r in framework_refs().iter().chain(extra_refs) {
                cmd.arg(format!("-r:{}", r.display()));
            }
            cmd.arg(format!("-out:{}", out.display())).args(sources);
            run_compiler(cmd, "csc", out);
        }
        _ => {
            // An SDK project with the same references, built without restoring.
            let (dotnet, _) = sdk().unwrap_or_else(|e| panic!("{e}"));
            let stem = out.file_stem().unwrap().to_string_lossy().into_owned();
            let work = tempfile::tempdir().unwrap();
            let proj_dir = work.path();
            let mut items = String::new();
            for src in sources {
                items.push_str(&format!("    <Compile Include=\"{}\" />\n", src.display()));
            }
            for r in framework_refs().iter().chain(extra_refs) {
                items.push_str(&format!(
                    "    <Reference Include=\"{}\" Private=\"false\" />\n",
                    r.display()
                ));
            }
            let proj = proj_dir.join(format!("{stem}.csproj"));
            std::fs::write(
                &proj,
                format!(
                    "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <PropertyGroup>\n    <TargetFramework>net8.0</TargetFramework>\n    \
                     <AssemblyName>{stem}</AssemblyName>\n    <AllowUnsafeBlocks>true</AllowUnsafeBlocks>\n    <Nullable>disable</Nullable>\n    \
                     <ImplicitUsings>disable</ImplicitUsings>\n    <EnableDefaultCompileItems>false</EnableDefaultCompileItems>\n    \
                     <DisableImplicitFrameworkReferences>true</DisableImplicitFrameworkReferences>\n    <SkipResolvePackageAssets>true</SkipResolvePackageAssets>\n    \
                     <GenerateRuntimeConfigurationFiles>false</GenerateRuntimeConfigurationFiles>\n    <GenerateDependencyFile>false</GenerateDependencyFile>\n    \
                     <NoWarn>$(NoWarn);CS0618;CS1702</NoWarn>\n  </PropertyGroup>\n  <ItemGroup>\n{items}  </ItemGroup>\n</Project>\n"
                ),
            )
            .unwrap();
            let mut cmd = Command::new(dotnet);
            cmd.arg("build")
                .arg(&proj)
                .args([
                    "-c",
                    "Release",
                    "--nologo",
                    "--no-restore",
                    "--disable-build-servers",
                    "-o",
                ])
                .arg(proj_dir.join("bin"))
                .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
                .env("DOTNET_NOLOGO", "1");
            let built = proj_dir.join("bin").join(format!("{stem}.dll"));
            run_compiler(cmd, "dotnet build", &built);
            std::fs::copy(&built, out).unwrap();
        }
    }
}

fn run_compiler(mut cmd: Command, name: &str, out: &Path) {
    let o = cmd.output().unwrap_or_else(|e| panic!("run {name}: {e}"));
    assert!(
        o.status.success() && out.is_file(),
        "{name} failed for {}:\n{}{}",
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
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "{name}-{}-{:016x}",
        shim_compiler(),
        h.finish()
    ));
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
            compile_shim(
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
        compile_shim(&tmp.join(format!("{assembly}.dll")), &srcs, &local);
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
