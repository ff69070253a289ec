//! The bridge static library from C: `tests/c/embed.c`, compiled with `cc`
//! against `include/mochi_dotnet.h` and linked with the real
//! `target/<profile>/libbridge.a`, calls `mochi_dotnet_meta` on Newtonsoft.Json,
//! locks and checks a project with a local feed, binds its package, then starts
//! .NET 8, loads the ABI fixture shim and the shims of two real libraries
//! (Newtonsoft.Json, .NET 8's System.Text.RegularExpressions; all built with
//! `mcs`) and the shim the bridge generates for the project's package, and
//! calls .NET methods through looked-up exports.
#![cfg(unix)]

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;

use fixtures::assemblies::dotnet8_root;
use fixtures::nupkg_builder::PackageBuilder;

const NEWTONSOFT: &str = "/usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll";

const TINY: &str = r#"
namespace Tiny {
    public class Greeter {
        public Greeter(string name) { Name = name; }
        public string Name { get; set; }
        public static int Twice(int x) { return x * 2; }
    }
}
"#;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `libbridge.a` of this build: cargo builds the `staticlib` crate type with the
/// library this test links, and places it in the profile folder, the parent of
/// the test binary's `deps/`.
fn static_library() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let lib = profile_dir.join("libbridge.a");
    if !lib.is_file() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["build", "-p", "bridge", "--lib"])
            .status()
            .expect("run cargo build -p bridge --lib");
        assert!(status.success(), "cargo build -p bridge --lib failed");
    }
    assert!(
        lib.is_file(),
        "{} does not exist: build it with `cargo build -p bridge --lib`",
        lib.display()
    );
    lib
}

fn require_tool(tool: &str, package: &str) {
    let found = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "`{tool}` is not installed or does not run: install it (Debian package {package})"
    );
}

fn mcs(framework: &Path, out: &Path, sources: &[PathBuf], refs: &[PathBuf]) {
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
        framework.join("System.Private.CoreLib.dll").display()
    ));
    let mut fw: Vec<PathBuf> = std::fs::read_dir(framework)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.ends_with(".dll")
                && (!n.starts_with("System.Private.") || n == "System.Private.Uri.dll")
                && !n.starts_with("Microsoft.VisualBasic")
        })
        .collect();
    fw.sort();
    for r in fw.iter().chain(refs) {
        cmd.arg(format!("-r:{}", r.display()));
    }
    cmd.arg(format!("-out:{}", out.display())).args(sources);
    let o = cmd.output().expect("run mcs (Debian package mono-mcs)");
    assert!(
        o.status.success() && out.is_file(),
        "mcs failed for {}:\n{}{}",
        out.display(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The newest .NET 8 framework folder under `dotnet_root`.
fn framework_dir(dotnet_root: &Path) -> PathBuf {
    let install = hosting::DotnetInstall::probe(dotnet_root).expect("probe the .NET 8 root");
    let version = hosting::FrameworkRequirement::net(8, 0)
        .select(&install.runtimes)
        .expect("a .NET 8 runtime")
        .clone();
    install.framework_dir(&version)
}

/// Runs `build` into a folder of the target's temp folder keyed by the content
/// of `inputs` and the framework, unless it exists already (built under a
/// private name, then renamed: concurrent runs never see half a build).
fn cached_build(
    name: &str,
    framework: &Path,
    inputs: &[PathBuf],
    build: impl FnOnce(&Path),
) -> PathBuf {
    let mut h = DefaultHasher::new();
    for p in inputs {
        p.file_name().hash(&mut h);
        std::fs::read(p)
            .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
            .hash(&mut h);
    }
    framework.hash(&mut h);
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("embed-{name}-{:016x}", h.finish()));
    if !dir.is_dir() {
        let tmp = dir.with_extension(format!("tmp{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).unwrap();
        build(&tmp);
        if std::fs::rename(&tmp, &dir).is_err() {
            let _ = std::fs::remove_dir_all(&tmp); // another process built it first
        }
    }
    dir
}

/// The shims the C program loads: the ABI fixture (fixtures/abi around the plain
/// fixture library) and the hand-written shims of two real libraries
/// (fixtures/abi/real): Newtonsoft.Json, copied beside its shim, and
/// System.Text.RegularExpressions of the .NET 8 shared framework. All with
/// hosting's ShimAbi.cs, built with `mcs`.
struct Shims {
    fixture: PathBuf,
    newtonsoft: PathBuf,
    regex: PathBuf,
}

fn shims(dotnet_root: &Path) -> Shims {
    let fw = framework_dir(dotnet_root);
    let abi = workspace().join("fixtures/abi");
    let shim_abi = shimabi::csharp_dir().join("ShimAbi.cs");

    let (lib_src, shim_src) = (abi.join("AbiFixture.cs"), abi.join("AbiFixtureShim.cs"));
    let inputs = [lib_src.clone(), shim_src.clone(), shim_abi.clone()];
    let fixture = cached_build("abi-fixture", &fw, &inputs, |tmp| {
        let lib = tmp.join("Mochi.Fixtures.Abi.dll");
        mcs(&fw, &lib, &[lib_src], &[]);
        let out = tmp.join("Mochi.Fixtures.Abi.Shim.dll");
        mcs(&fw, &out, &[shim_src, shim_abi.clone()], &[lib]);
    });

    let src = abi.join("real/NewtonsoftJsonShim.cs");
    let inputs = [src.clone(), shim_abi.clone(), PathBuf::from(NEWTONSOFT)];
    let newtonsoft = cached_build("newtonsoft", &fw, &inputs, |tmp| {
        let local = tmp.join("Newtonsoft.Json.dll");
        std::fs::copy(NEWTONSOFT, &local).unwrap();
        let out = tmp.join("Mochi.Shim.NewtonsoftJson.dll");
        mcs(&fw, &out, &[src, shim_abi.clone()], &[local]);
    });

    let src = abi.join("real/RegexShim.cs");
    let inputs = [src.clone(), shim_abi.clone()];
    let regex = cached_build("regex", &fw, &inputs, |tmp| {
        mcs(
            &fw,
            &tmp.join("Mochi.Shim.Regex.dll"),
            &[src, shim_abi.clone()],
            &[],
        );
    });

    Shims {
        fixture: fixture.join("Mochi.Fixtures.Abi.Shim.dll"),
        newtonsoft: newtonsoft.join("Mochi.Shim.NewtonsoftJson.dll"),
        regex: regex.join("Mochi.Shim.Regex.dll"),
    }
}

/// A project locking `Tiny.Lib 1.0.0` from a local folder feed (no network);
/// returns its manifest and the `Tiny.Lib` assembly.
fn project(root: &Path) -> (PathBuf, PathBuf) {
    let dll = fixtures::assemblies::compile_cs(TINY, "Tiny.Lib", &root.join("asm"))
        .expect("mcs is not installed: run scripts/setup-test-tools.sh")
        .expect("mcs compiles Tiny.Lib");
    let proj = root.join("proj");
    std::fs::create_dir_all(&proj).unwrap();
    let pkg = PackageBuilder::new("Tiny.Lib", "1.0.0")
        .file("lib/net8.0/Tiny.Lib.dll", std::fs::read(&dll).unwrap())
        .build();
    fixtures::nupkg_builder::write_flat_feed(&proj.join("feed"), &[pkg]).unwrap();
    std::fs::write(
        proj.join("mochi.toml"),
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\n\n[dotnet-dependencies]\n\"Tiny.Lib\" = { path = \"feed\" }\n\n[dotnet]\nframework = \"net8.0\"\n\n[dotnet.capabilities]\nfs = true\nnet = true\n",
    )
    .unwrap();
    std::fs::write(
        proj.join("NuGet.config"),
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n  <packageSources>\n    <clear />\n  </packageSources>\n</configuration>\n",
    )
    .unwrap();
    (proj.join("mochi.toml"), dll)
}

/// The shim the bridge generates for `Tiny.Lib` (package name `tiny`): bound,
/// generated and built with `mcs` by the same library code as `mochi-dotnet
/// invoke`/`sync`. Returns the shim assembly and its exports type.
fn generated_shim(tiny_dll: &Path, dotnet_root: &Path, cache: &Path) -> (PathBuf, String) {
    let input = shimbuild::ShimInput::from_assembly(tiny_dll, Some("tiny"))
        .unwrap_or_else(|e| panic!("{e}"));
    let generated = shimbuild::generate(&input).unwrap_or_else(|e| panic!("{e}"));
    let options = shimbuild::BuildOptions {
        cache_dir: cache.to_path_buf(),
        framework_dir: Some(framework_dir(dotnet_root)),
        compiler: Some(shimbuild::CompilerKind::Mcs),
        ..shimbuild::BuildOptions::default()
    };
    let built = shimbuild::compile::build(&generated.project, &generated.dlls, &options)
        .unwrap_or_else(|e| panic!("building the generated Tiny.Lib shim: {e}"));
    (built.assembly, built.exports_type)
}

/// The system libraries of the documented linking line (docs/embedding.md); the
/// compiler driver adds libc and libgcc_s itself.
const SYSTEM_LIBS: &[&str] = &["-lpthread", "-ldl", "-lm"];

#[test]
fn a_c_program_embeds_the_bridge_and_calls_dotnet_through_the_static_library() {
    require_tool("cc", "gcc (or build-essential)");
    require_tool("mcs", "mono-mcs");
    let lib = static_library();
    let root = dotnet8_root();
    assert!(
        Path::new(NEWTONSOFT).is_file(),
        "{NEWTONSOFT} is missing: install the Debian package libnewtonsoft-json5.0-cil"
    );
    let shims = shims(&root);

    let tmp = tempfile::tempdir().unwrap();
    let (manifest, tiny_dll) = project(tmp.path());
    let (tiny_shim, tiny_exports) = generated_shim(&tiny_dll, &root, &tmp.path().join("shims"));
    let proj = manifest.parent().unwrap();

    let exe = tmp.path().join("embed");
    let o = Command::new("cc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-O1"])
        .arg(format!("-I{}", workspace().join("include").display()))
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c/embed.c"))
        .arg(&lib)
        .args(SYSTEM_LIBS)
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("run cc");
    assert!(
        o.status.success(),
        "cc could not build tests/c/embed.c against {}:\n{}",
        lib.display(),
        String::from_utf8_lossy(&o.stderr)
    );

    let out_dir = tmp.path().join("bound");
    let run = Command::new(&exe)
        .arg(NEWTONSOFT)
        .arg(&manifest)
        .arg("Tiny.Lib")
        .arg(&out_dir)
        .arg(&root)
        .arg(&shims.fixture)
        .arg(&shims.newtonsoft)
        .arg(&shims.regex)
        .arg(&tiny_shim)
        .arg(&tiny_exports)
        .current_dir(proj)
        .env("MOCHI_DOTNET_CACHE", tmp.path().join("cache"))
        .env("HOME", tmp.path())
        .env("NUGET_PACKAGES", tmp.path().join("nuget-packages"))
        .env("DOTNET_ROOT", &root)
        .env_remove("XDG_CACHE_HOME")
        .output()
        .expect("run the embed program");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    println!("{stdout}{stderr}");
    assert!(
        run.status.success() && stdout.ends_with("embed: ok\n"),
        "embed failed ({}):\n{stdout}{stderr}",
        run.status
    );

    // What the C side was told matches what the library and the files say.
    let listing = bridge::ops::meta::render(
        Path::new(NEWTONSOFT),
        bridge::ops::meta::MetaFormat::Listing,
        Vec::new(),
    )
    .unwrap();
    let lines = listing.iter().filter(|&&b| b == b'\n').count();
    assert!(
        stdout.contains(&format!(
            "meta listing: {} bytes, {lines} lines\n",
            listing.len()
        )),
        "{stdout}"
    );
    let ext = std::fs::read_to_string(out_dir.join("tiny_lib_extern.mochi")).unwrap();
    assert!(
        ext.contains("extern fun mochi_tiny_lib_greeter_twice(x: int): int\n"),
        "{ext}"
    );
    let lock = std::fs::read_to_string(proj.join("mochi.lock")).unwrap();
    assert!(lock.contains("id = \"Tiny.Lib\""), "{lock}");
}
