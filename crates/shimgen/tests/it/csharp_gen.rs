//! The C# shim generator: deterministic text, snapshots of the binding
//! fixture and of Newtonsoft.Json, and compilation of the same generated
//! project by each compiler: `dotnet build` (offline, against the .NET 8
//! targeting pack), the SDK's Roslyn `csc` and Mono's `mcs` (against the .NET 8
//! runtime's assemblies). No stand-in for `dotnet`: the SDK tests skip only on a
//! machine without one, and fail when MOCHI_DOTNET_SDK_ROOT says there is one.

use crate::common;
use fixtures::assert_snapshot;

use std::collections::BTreeMap;

use shimgen::plan::ItemKind;
use std::path::{Path, PathBuf};

use shimbuild::{BuildOptions, CompilerKind};
use shimgen::BindOptions;
use shimgen::csharp::{self, ShimOptions};

fn mcs_available() -> bool {
    std::process::Command::new("mcs")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn build_options(cache: &Path) -> Option<BuildOptions> {
    options_for(cache, CompilerKind::Mcs)
}

/// Whether this machine has a .NET SDK; with MOCHI_DOTNET_SDK_ROOT set (the
/// test environment found one) its absence is a failure, not a skip.
fn sdk_available() -> bool {
    match shimbuild::compile::find_sdk(&BuildOptions::default()) {
        Ok(_) => true,
        Err(why) => {
            assert!(
                std::env::var_os("MOCHI_DOTNET_SDK_ROOT").is_none(),
                "MOCHI_DOTNET_SDK_ROOT is set but {why}"
            );
            eprintln!("skipped: {why}");
            false
        }
    }
}

/// Options that force `kind`, or `None` (with a note) when this machine lacks it.
fn options_for(cache: &Path, kind: CompilerKind) -> Option<BuildOptions> {
    let fw = common::framework_dir()?;
    let available = match kind {
        CompilerKind::Mcs => mcs_available(),
        CompilerKind::DotnetSdk | CompilerKind::Csc => sdk_available(),
    };
    available.then(|| BuildOptions {
        cache_dir: cache.to_path_buf(),
        framework_dir: Some(fw),
        compiler: Some(kind),
        ..BuildOptions::default()
    })
}

const COMPILERS: [CompilerKind; 3] = [
    CompilerKind::DotnetSdk,
    CompilerKind::Csc,
    CompilerKind::Mcs,
];

/// What the test fixtures compile against: the .NET 8 targeting pack when
/// the SDK can provide it (so the fixture references System.Runtime, as a
/// NuGet package does), else the runtime's own assemblies.
fn fixture_reference_dir() -> Option<PathBuf> {
    if let Ok(sdk) = shimbuild::compile::find_sdk(&BuildOptions::default()) {
        let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("shimgen-sdk-refs");
        if let Some(r) = shimbuild::compile::find_targeting_pack(Some(&sdk), &cache)
            .or_else(|| shimbuild::compile::restore_targeting_pack(&sdk, &cache).ok())
        {
            return Some(r.dir);
        }
    }
    common::framework_dir()
}

/// fixtures/abi/AbiFixture.cs compiled by mcs against `refs`.
fn abi_fixture_dll_against(dir: &Path, refs: &Path) -> PathBuf {
    let out = dir.join("Mochi.Fixtures.Abi.dll");
    let mut cmd = std::process::Command::new("mcs");
    cmd.args([
        "-target:library",
        "-unsafe",
        "-nostdlib",
        "-nowarn:618,1702",
    ]);
    for r in shimbuild::compile::framework_references(refs).unwrap() {
        cmd.arg(format!("-r:{}", r.display()));
    }
    cmd.arg(format!("-out:{}", out.display()))
        .arg(common::repo_root().join("fixtures/abi/AbiFixture.cs"));
    let st = cmd.status().expect("mcs (apt-get install mono-mcs)");
    assert!(st.success());
    out
}

fn abi_fixture_dll(dir: &Path) -> Option<PathBuf> {
    mcs_available().then(|| abi_fixture_dll_against(dir, &fixture_reference_dir().unwrap()))
}

fn abi_fixture_project(dll: &Path) -> csharp::ShimProject {
    let (_, out) = common::bind_file(
        dll,
        "Mochi.Fixtures.Abi",
        BindOptions {
            package: "abi_fixture".into(),
            ..Default::default()
        },
    );
    csharp::generate(
        &out.plan,
        &ShimOptions {
            package_dlls: vec!["Mochi.Fixtures.Abi.dll".into()],
            ..ShimOptions::default()
        },
    )
}

/// The public static methods of the built shim's `Exports` type, read back
/// from the assembly.
fn exported_methods(assembly: &Path, exports_type: &str) -> Vec<String> {
    let surface = ecma335::read_surface_file(assembly).unwrap();
    let t = surface
        .types
        .iter()
        .find(|t| &*t.name == exports_type)
        .unwrap_or_else(|| panic!("{exports_type} not in {}", assembly.display()));
    let mut names: Vec<String> = t.methods.iter().map(|m| m.name.to_string()).collect();
    names.sort();
    names
}

/// The same generated project, built by `dotnet build`, the SDK's `csc` and
/// `mcs`: each exports every entry point, writes the runtimeconfig, puts the
/// package DLL beside the shim, is cached (a second build compiles nothing)
/// and says which compiler built it and why. The Roslyn builds are
/// deterministic: two builds in different folders give the same bytes.
#[test]
fn abi_fixture_shim_builds_with_each_compiler() {
    let dir = tempfile::tempdir().unwrap();
    let dll = abi_fixture_dll(dir.path()).expect("mcs and the .NET 8 framework");
    let project = abi_fixture_project(&dll);
    assert!(
        project.not_generated.is_empty(),
        "{:?}",
        project.not_generated
    );
    let mut reference: Option<Vec<String>> = None;
    for kind in COMPILERS {
        let cache = dir.path().join(format!("cache-{kind:?}"));
        let Some(opts) = options_for(&cache, kind) else {
            continue;
        };
        let t = std::time::Instant::now();
        let built = shimbuild::compile::build(&project, std::slice::from_ref(&dll), &opts)
            .unwrap_or_else(|e| panic!("{}: {e}", kind.name()));
        eprintln!(
            "{}: {:.2} s: {}",
            kind.name(),
            t.elapsed().as_secs_f64(),
            built.compiler_detail
        );
        assert!(!built.cache_hit);
        assert_eq!(built.compiler, kind.name());
        if kind == CompilerKind::DotnetSdk {
            assert!(
                built
                    .compiler_detail
                    .contains("compiling against the targeting pack Microsoft.NETCore.App.Ref 8."),
                "{}",
                built.compiler_detail
            );
        }
        assert!(
            built.compiler_detail.contains("forced by the caller")
                && built.compiler_detail.contains("compiling against "),
            "{}",
            built.compiler_detail
        );
        assert!(built.assembly.is_file());
        assert!(built.dropped.is_empty(), "{:?}", built.dropped);
        let bin = built.assembly.parent().unwrap();
        assert!(
            bin.join("Mochi.Fixtures.Abi.dll").is_file(),
            "package DLL beside the shim"
        );
        assert_eq!(
            std::fs::read_to_string(bin.join("Mochi.Shim.AbiFixture.runtimeconfig.json")).unwrap(),
            project
                .file("Mochi.Shim.AbiFixture.runtimeconfig.json")
                .unwrap(),
            "the shim's runtimeconfig is written"
        );
        assert!(
            !built.dir.join("obj").exists(),
            "intermediate files removed"
        );
        let methods = exported_methods(&built.assembly, &built.exports_type);
        for ep in &project.exported {
            assert!(methods.contains(ep), "{}: {ep} missing", kind.name());
        }
        match &reference {
            None => reference = Some(methods),
            Some(r) => assert_eq!(&methods, r, "{} exports differ", kind.name()),
        }
        let again = shimbuild::compile::build(&project, std::slice::from_ref(&dll), &opts).unwrap();
        assert!(again.cache_hit);
        assert_eq!(again.compiler, kind.name());
        assert_eq!(again.compiler_detail, built.compiler_detail);
        let log = std::fs::read_to_string(cache.join("builds.log")).unwrap();
        assert_eq!(
            log.lines().count(),
            1,
            "the second build compiled again: {log}"
        );
        if kind != CompilerKind::Mcs {
            let other = dir.path().join(format!("cache2-{kind:?}"));
            let opts2 = BuildOptions {
                cache_dir: other,
                ..opts.clone()
            };
            let second =
                shimbuild::compile::build(&project, std::slice::from_ref(&dll), &opts2).unwrap();
            assert_ne!(second.dir, built.dir);
            assert!(
                std::fs::read(&second.assembly).unwrap() == std::fs::read(&built.assembly).unwrap(),
                "{} output is not deterministic",
                kind.name()
            );
        }
    }
}

/// Without a forced compiler the SDK's `dotnet build` is chosen when an SDK
/// is installed, and the reason says so (mcs as the fallback without an SDK
/// is checked through the CLI, whose PATH a test can control).
#[test]
fn the_compiler_is_chosen_automatically_and_says_why() {
    if std::env::var_os("MOCHI_DOTNET_SHIM_COMPILER").is_some() {
        eprintln!("skipped: MOCHI_DOTNET_SHIM_COMPILER forces a compiler");
        return;
    }
    let c = shimbuild::compile::find_compiler(&BuildOptions::default()).unwrap();
    if sdk_available() {
        assert_eq!(c.kind, CompilerKind::DotnetSdk, "{c:?}");
        let sdk = c.sdk.as_ref().unwrap();
        assert!(c.reason.contains("a .NET SDK is installed"), "{}", c.reason);
        assert!(c.reason.contains(&sdk.version), "{}", c.reason);
        assert!(
            c.describe().starts_with("dotnet build (.NET SDK "),
            "{}",
            c.describe()
        );
        assert!(sdk.csc_dll().is_file(), "{}", sdk.csc_dll().display());
    } else {
        assert!(c.reason.contains("no .NET SDK"), "{}", c.reason);
    }
}

/// `dotnet build` compiles against Microsoft.NETCore.App.Ref 8.x: restored
/// once into the shim cache when the machine has it nowhere else.
#[test]
fn the_targeting_pack_is_restored_once_into_the_cache() {
    if !sdk_available() {
        return;
    }
    let sdk = shimbuild::compile::find_sdk(&BuildOptions::default()).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let t = std::time::Instant::now();
    let refs = shimbuild::compile::restore_targeting_pack(&sdk, cache.path())
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "restored in {:.2} s: {}",
        t.elapsed().as_secs_f64(),
        refs.description
    );
    assert!(
        refs.dir
            .starts_with(cache.path().join("sdk/packages/microsoft.netcore.app.ref"))
    );
    assert!(refs.dir.ends_with("ref/net8.0"), "{}", refs.dir.display());
    assert!(refs.dir.join("System.Runtime.dll").is_file());
    assert!(
        refs.description.contains("Microsoft.NETCore.App.Ref 8."),
        "{}",
        refs.description
    );
    // A second call finds it without restoring.
    let again = shimbuild::compile::restore_targeting_pack(&sdk, cache.path()).unwrap();
    assert_eq!(again, refs);
    let found = shimbuild::compile::find_targeting_pack(Some(&sdk), cache.path()).unwrap();
    assert!(found.dir.join("System.Runtime.dll").is_file());
}

/// A package compiled against a runtime's implementation assemblies (it
/// references System.Private.CoreLib, which no targeting pack has) is
/// compiled by `dotnet build` against the .NET 8 runtime's assemblies, and the
/// reason says so.
#[test]
fn dotnet_build_uses_the_runtime_for_a_package_built_against_it() {
    let dir = tempfile::tempdir().unwrap();
    let Some(opts) = options_for(&dir.path().join("cache"), CompilerKind::DotnetSdk) else {
        return;
    };
    assert!(mcs_available(), "mcs (apt-get install mono-mcs)");
    let fw = common::framework_dir().unwrap();
    let dll = abi_fixture_dll_against(dir.path(), &fw);
    assert_eq!(
        shimbuild::compile::references_runtime_internals(std::slice::from_ref(&dll))
            .map(|(_, n)| n)
            .as_deref(),
        Some("System.Private.CoreLib")
    );
    let built = shimbuild::compile::build(&abi_fixture_project(&dll), &[dll], &opts)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        built.compiler_detail.contains(&format!(
            "the .NET 8 runtime's assemblies ({})",
            fw.display()
        )) && built
            .compiler_detail
            .contains("Mochi.Fixtures.Abi.dll references System.Private.CoreLib"),
        "{}",
        built.compiler_detail
    );
}

fn fixture_mono() -> BTreeMap<String, Vec<Vec<String>>> {
    let mut m = BTreeMap::new();
    m.insert(
        "Fixture.Box`1".to_string(),
        vec![
            vec!["System.String".to_string()],
            vec!["System.Int32".to_string()],
        ],
    );
    m.insert(
        "Fixture.Generic::Echo``1".to_string(),
        vec![vec!["Fixture.Circle".to_string()]],
    );
    m
}

/// The binding fixture: snapshot of every generated file, determinism, and
/// the generated C# compiles with mcs against .NET 8 (generics included).
#[test]
fn bindings_fixture_shim_snapshot_and_compile() {
    let dir = tempfile::tempdir().unwrap();
    let Some((cs, _il)) = common::build_fixtures(dir.path()) else {
        eprintln!("skipped: mcs, ilasm or the .NET 8 framework is missing");
        return;
    };
    let (_, out) = common::bind_file(
        &cs,
        "Fixture.Bindings",
        BindOptions {
            package: "fx".into(),
            version: "1.0.0".into(),
            monomorphise: fixture_mono(),
            ..Default::default()
        },
    );
    let opts = ShimOptions {
        package_dlls: vec!["Bindings.dll".into()],
        ..ShimOptions::default()
    };
    let project = csharp::generate(&out.plan, &opts);
    // Deterministic: the same plan gives the same bytes and hash.
    assert_eq!(project, csharp::generate(&out.plan, &opts));
    assert_eq!(project.sha256, csharp::shim_sha256(&project.files));
    let paths: Vec<&str> = project.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "Exports.cs",
            "Mochi.Shim.Fx.csproj",
            "Mochi.Shim.Fx.runtimeconfig.json",
            "ShimAbi.cs"
        ]
    );
    assert_eq!(project.file("ShimAbi.cs"), Some(csharp::SHIM_ABI_CS));
    let exports = project.file("Exports.cs").unwrap();
    // Every item with an entry point is exported, except nested lists (no ABI form).
    let with_ep = out
        .plan
        .items
        .iter()
        .filter(|i| i.entry_point.is_some())
        .count();
    assert_eq!(
        project.exported.len() + project.not_generated.len(),
        with_ep
    );
    let ng: Vec<&str> = project
        .not_generated
        .iter()
        .map(|(e, _)| e.as_str())
        .collect();
    assert_eq!(ng, ["mochi_fx_collections_jagged"]);
    for ep in &project.exported {
        assert!(
            exports.contains(&format!("[UnmanagedCallersOnly(EntryPoint = \"{ep}\")]")),
            "{ep}"
        );
    }
    assert_eq!(
        exports.matches("catch (Exception mochi__e)").count(),
        project.exported.len(),
        "every export catches"
    );
    // mcs limits: no string concatenation with `+` in generated code.
    assert!(!exports.contains("\" + "), "string + in generated code");
    assert_snapshot!("fixture_exports_cs", exports);
    assert_snapshot!(
        "fixture_csproj",
        project.file("Mochi.Shim.Fx.csproj").unwrap()
    );
    assert_snapshot!(
        "fixture_runtimeconfig",
        project.file("Mochi.Shim.Fx.runtimeconfig.json").unwrap()
    );

    let Some(bopts) = build_options(&dir.path().join("cache")) else {
        return;
    };
    let built =
        shimbuild::compile::build(&project, &[cs], &bopts).unwrap_or_else(|e| panic!("{e}"));
    assert!(built.assembly.is_file());
}

/// `[dotnet.runtime] roll-forward` reaches the shim's runtimeconfig (and the
/// project's `RollForward`), so it is part of `shim-sha256`; without it the
/// runtimeconfig leaves .NET's default (Minor).
#[test]
fn roll_forward_is_written_into_the_runtimeconfig() {
    let dir = tempfile::tempdir().unwrap();
    let Some(dll) = abi_fixture_dll(dir.path()) else {
        return;
    };
    let plain = abi_fixture_project(&dll);
    let rc = "Mochi.Shim.AbiFixture.runtimeconfig.json";
    assert!(!plain.file(rc).unwrap().contains("rollForward"));
    let (_, out) = common::bind_file(
        &dll,
        "Mochi.Fixtures.Abi",
        BindOptions {
            package: "abi_fixture".into(),
            ..Default::default()
        },
    );
    let major = csharp::generate(
        &out.plan,
        &ShimOptions {
            package_dlls: vec!["Mochi.Fixtures.Abi.dll".into()],
            roll_forward: Some("LatestMajor".into()),
        },
    );
    let text = major.file(rc).unwrap();
    let doc: serde_json::Value = serde_json::from_str(text).unwrap();
    assert_eq!(
        doc["runtimeOptions"]["rollForward"], "LatestMajor",
        "{text}"
    );
    assert_eq!(doc["runtimeOptions"]["framework"]["version"], "8.0.0");
    assert_eq!(doc["runtimeOptions"]["tfm"], "net8.0");
    assert!(
        major
            .file("Mochi.Shim.AbiFixture.csproj")
            .unwrap()
            .contains("<RollForward>LatestMajor</RollForward>")
    );
    assert_ne!(major.sha256, plain.sha256);
    assert_eq!(major.file("Exports.cs"), plain.file("Exports.cs"));
}

const NEWTONSOFT: &str = "/usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll";

/// A slice of Newtonsoft.Json (Debian's 6.0.8): JObject.Parse, SelectToken,
/// ToString, JsonConvert.ToString overloads; the whole shim compiles with mcs.
#[test]
fn newtonsoft_shim_slice_snapshot_and_full_compile() {
    if !Path::new(NEWTONSOFT).is_file() {
        eprintln!("skipped: {NEWTONSOFT} missing");
        return;
    }
    let (_, out) = common::bind_file(
        Path::new(NEWTONSOFT),
        "Newtonsoft.Json",
        BindOptions {
            package: "json".into(),
            ..Default::default()
        },
    );
    let mut slice = out.plan.clone();
    slice.items.retain(|i| {
        let a = i.alias.as_str();
        a == "JObject_Parse"
            || a.starts_with("JToken_SelectToken")
            || a.starts_with("JToken_ToString")
            || a.starts_with("JsonConvert_ToString")
            || (a.starts_with("JObject_") && i.kind == ItemKind::Upcast)
            || a == "JToken_get_Type"
            || a == "JToken_get_Item_object"
    });
    assert!(slice.items.len() > 30, "{}", slice.items.len());
    let project = csharp::generate(
        &slice,
        &ShimOptions {
            package_dlls: vec!["Newtonsoft.Json.dll".into()],
            ..ShimOptions::default()
        },
    );
    assert!(
        project.not_generated.is_empty(),
        "{:?}",
        project.not_generated
    );
    assert_snapshot!(
        "newtonsoft_slice_exports_cs",
        project.file("Exports.cs").unwrap()
    );

    let full = csharp::generate(
        &out.plan,
        &ShimOptions {
            package_dlls: vec!["Newtonsoft.Json.dll".into()],
            ..ShimOptions::default()
        },
    );
    assert!(full.not_generated.len() < 10, "{:?}", full.not_generated);
    let dir = tempfile::tempdir().unwrap();
    let Some(bopts) = build_options(&dir.path().join("cache")) else {
        return;
    };
    let built = shimbuild::compile::build(&full, &[PathBuf::from(NEWTONSOFT)], &bopts)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(built.assembly.is_file());
}

/// Compiler errors name the compiler, why it was chosen, its output and the
/// kept generated file, whichever compiler failed.
#[test]
fn compile_errors_surface_with_the_generated_file() {
    let dir = tempfile::tempdir().unwrap();
    let dll = abi_fixture_dll(dir.path()).expect("mcs and the .NET 8 framework");
    let (_, out) = common::bind_file(
        &dll,
        "Mochi.Fixtures.Abi",
        BindOptions {
            package: "abi_fixture".into(),
            ..Default::default()
        },
    );
    // Without the package DLL as a reference, the compiler cannot resolve its types.
    let project = csharp::generate(&out.plan, &ShimOptions::default());
    for kind in COMPILERS {
        let cache = dir.path().join(format!("cache-{kind:?}"));
        let Some(opts) = options_for(&cache, kind) else {
            continue;
        };
        let e = shimbuild::compile::build(&project, &[], &opts)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(&format!("{} failed to compile the shim ", kind.name())),
            "{e}"
        );
        assert!(e.contains("Exports.cs(") && e.contains("error CS"), "{e}");
        assert!(
            e.contains(&format!("the compiler: {}", kind.name()))
                && e.contains("forced by the caller"),
            "{e}"
        );
        let kept = cache.join(format!(
            "failed-{}",
            shimbuild::compile::cache_key(&project, &[]).unwrap()
        ));
        assert!(kept.join("Exports.cs").is_file(), "{e}");
        assert!(e.contains(&kept.display().to_string()), "{e}");
    }
}

#[test]
fn no_compiler_is_a_clear_error() {
    let msg = shimbuild::BuildError::NoCompiler {
        why: "no .NET SDK: no `dotnet` on PATH; no `csc` and no `mcs` on PATH".into(),
    }
    .to_string();
    assert!(
        msg.contains("install the .NET SDK")
            && msg.contains("mono-mcs")
            && msg.contains("no `dotnet` on PATH"),
        "{msg}"
    );
    let msg = shimbuild::BuildError::UnknownCompiler("gcc".into()).to_string();
    assert!(msg.contains("\"gcc\"") && msg.contains("`dotnet`"), "{msg}");
}

/// Real libraries beyond the fixtures: the shim of each compiles with mcs
/// (`cargo test -p shimgen --test it -- --ignored csharp_gen::corpus`).
#[test]
#[ignore = "slow: binds and compiles shims of framework assemblies"]
fn corpus_shims_compile_with_mcs() {
    let Some(fw) = common::framework_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // SHIM_CORPUS_DIR keeps the generated projects (failed ones as failed-<key>/).
    let root = std::env::var_os("SHIM_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| dir.path().to_path_buf());
    let Some(opts) = build_options(&root.join("cache")) else {
        return;
    };
    let mut failures = Vec::new();
    for (name, path) in [
        ("System.Collections", fw.join("System.Collections.dll")),
        ("System.Linq", fw.join("System.Linq.dll")),
        ("System.Console", fw.join("System.Console.dll")),
        ("System.Private.Uri", fw.join("System.Private.Uri.dll")),
        (
            "System.Text.RegularExpressions",
            fw.join("System.Text.RegularExpressions.dll"),
        ),
        ("System.Text.Json", fw.join("System.Text.Json.dll")),
        ("System.Net.Http", fw.join("System.Net.Http.dll")),
        (
            "System.Private.CoreLib",
            fw.join("System.Private.CoreLib.dll"),
        ),
        (
            "nunit.framework",
            PathBuf::from("/usr/lib/cli/nunit.framework-2.6.3/nunit.framework.dll"),
        ),
    ] {
        if !path.is_file() {
            continue;
        }
        let (_, out) = common::bind_file(&path, name, BindOptions::default());
        let project = csharp::generate(&out.plan, &ShimOptions::default());
        let framework = path
            .parent()
            .is_some_and(|d| d.join("System.Private.CoreLib.dll").is_file());
        let dlls = if framework {
            vec![]
        } else {
            vec![path.clone()]
        };
        let project = if framework {
            project
        } else {
            csharp::generate(
                &out.plan,
                &ShimOptions {
                    package_dlls: vec![path.file_name().unwrap().to_string_lossy().into_owned()],
                    ..ShimOptions::default()
                },
            )
        };
        eprintln!(
            "{name}: {} exports, {} not generated",
            project.exported.len(),
            project.not_generated.len()
        );
        match shimbuild::compile::build(&project, &dlls, &opts) {
            Ok(b) => {
                eprintln!("  built; {} dropped by the compiler", b.dropped.len());
                for (ep, why) in &b.dropped {
                    eprintln!("    {ep}: {why}");
                }
            }
            Err(e) => failures.push(format!("{name}: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// An export the compiler rejects is dropped from the built assembly (and
/// reported); the rest of the shim still builds. Each compiler's error format
/// (MSBuild's, Roslyn's, mcs's) is read.
#[test]
fn rejected_exports_are_dropped_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let dll = abi_fixture_dll(dir.path()).expect("mcs and the .NET 8 framework");
    let mut project = abi_fixture_project(&dll);
    // Break two exports the way an inaccessible type would.
    for f in &mut project.files {
        if f.path == "Exports.cs" {
            f.text = f
                .text
                .replace(
                    "global::Mochi.Fixtures.Abi.Calc.AddLong(",
                    "global::Mochi.Fixtures.Abi.Calc.NoSuchMethod(",
                )
                .replace(
                    "global::Mochi.Fixtures.Abi.Text.Reverse(",
                    "global::Mochi.Fixtures.Abi.Text.Missing(",
                );
        }
    }
    project.sha256 = csharp::shim_sha256(&project.files);
    for kind in COMPILERS {
        let Some(opts) = options_for(&dir.path().join(format!("cache-{kind:?}")), kind) else {
            continue;
        };
        let built = shimbuild::compile::build(&project, std::slice::from_ref(&dll), &opts)
            .unwrap_or_else(|e| panic!("{e}"));
        let dropped: Vec<&str> = built.dropped.iter().map(|(e, _)| e.as_str()).collect();
        assert_eq!(
            dropped,
            [
                "mochi_abi_fixture_calc_add_long",
                "mochi_abi_fixture_text_reverse"
            ],
            "{}",
            kind.name()
        );
        assert!(
            built.dropped[0].1.starts_with("CS0117: "),
            "{}: {:?}",
            kind.name(),
            built.dropped
        );
        assert!(built.assembly.is_file());
        let kept = std::fs::read_to_string(built.dir.join("Exports.cs")).unwrap();
        assert!(kept.contains("// dropped by the build: mochi_abi_fixture_calc_add_long: CS0117"));
        assert!(kept.contains("public static int mochi_abi_fixture_calc_add("));
        // A cache hit reports the same drops.
        let again = shimbuild::compile::build(&project, std::slice::from_ref(&dll), &opts).unwrap();
        assert!(again.cache_hit);
        assert_eq!(again.dropped, built.dropped);
    }
}
