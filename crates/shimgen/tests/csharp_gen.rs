//! The C# shim generator: deterministic text, snapshots of the binding
//! fixture and of Newtonsoft.Json, and compilation with mcs against .NET 8
//! (the same generated text `dotnet build` would compile).

mod common;

use std::collections::BTreeMap;

use shimgen::plan::ItemKind;
use std::path::{Path, PathBuf};

use shimgen::BindOptions;
use shimgen::build::{BuildOptions, CompilerKind};
use shimgen::csharp::{self, ShimOptions};

fn mcs_available() -> bool {
    std::process::Command::new("mcs")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn build_options(cache: &Path) -> Option<BuildOptions> {
    let fw = common::framework_dir()?;
    mcs_available().then(|| BuildOptions {
        cache_dir: cache.to_path_buf(),
        framework_dir: Some(fw),
        dotnet: None,
        compiler: Some(CompilerKind::Mcs),
    })
}

fn abi_fixture_dll(dir: &Path) -> Option<PathBuf> {
    let fw = common::framework_dir()?;
    let out = dir.join("Mochi.Fixtures.Abi.dll");
    let mut cmd = std::process::Command::new("mcs");
    cmd.args(["-target:library", "-unsafe", "-nostdlib", "-nowarn:618"]);
    for r in shimgen::build::framework_references(&fw).unwrap() {
        cmd.arg(format!("-r:{}", r.display()));
    }
    cmd.arg(format!("-out:{}", out.display()))
        .arg(common::repo_root().join("fixtures/abi/AbiFixture.cs"));
    let st = cmd.status().ok()?;
    assert!(st.success());
    Some(out)
}

#[test]
fn abi_fixture_shim_compiles_with_mcs() {
    let dir = tempfile::tempdir().unwrap();
    let Some(opts) = build_options(&dir.path().join("cache")) else {
        eprintln!("skipped: mcs or the .NET 8 framework is missing");
        return;
    };
    let dll = abi_fixture_dll(dir.path()).unwrap();
    let (_, out) = common::bind_file(
        &dll,
        "Mochi.Fixtures.Abi",
        BindOptions {
            package: "abi_fixture".into(),
            ..Default::default()
        },
    );
    let project = csharp::generate(
        &out.plan,
        &ShimOptions {
            package_dlls: vec!["Mochi.Fixtures.Abi.dll".into()],
        },
    );
    assert!(
        project.not_generated.is_empty(),
        "{:?}",
        project.not_generated
    );
    let built = shimgen::build::build(&project, std::slice::from_ref(&dll), &opts)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!built.cache_hit);
    assert!(built.assembly.is_file());
    assert!(built.dropped.is_empty(), "{:?}", built.dropped);
    let again = shimgen::build::build(&project, &[dll], &opts).unwrap();
    assert!(again.cache_hit);
    let log = std::fs::read_to_string(dir.path().join("cache/builds.log")).unwrap();
    assert_eq!(
        log.lines().count(),
        1,
        "the second build compiled again: {log}"
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
    insta::assert_snapshot!("fixture_exports_cs", exports);
    insta::assert_snapshot!(
        "fixture_csproj",
        project.file("Mochi.Shim.Fx.csproj").unwrap()
    );
    insta::assert_snapshot!(
        "fixture_runtimeconfig",
        project.file("Mochi.Shim.Fx.runtimeconfig.json").unwrap()
    );

    let Some(bopts) = build_options(&dir.path().join("cache")) else {
        return;
    };
    let built = shimgen::build::build(&project, &[cs], &bopts).unwrap_or_else(|e| panic!("{e}"));
    assert!(built.assembly.is_file());
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
        },
    );
    assert!(
        project.not_generated.is_empty(),
        "{:?}",
        project.not_generated
    );
    insta::assert_snapshot!(
        "newtonsoft_slice_exports_cs",
        project.file("Exports.cs").unwrap()
    );

    let full = csharp::generate(
        &out.plan,
        &ShimOptions {
            package_dlls: vec!["Newtonsoft.Json.dll".into()],
        },
    );
    assert!(full.not_generated.len() < 10, "{:?}", full.not_generated);
    let dir = tempfile::tempdir().unwrap();
    let Some(bopts) = build_options(&dir.path().join("cache")) else {
        return;
    };
    let built = shimgen::build::build(&full, &[PathBuf::from(NEWTONSOFT)], &bopts)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(built.assembly.is_file());
}

/// Compiler errors name the compiler, its output and the kept generated file.
#[test]
fn compile_errors_surface_with_the_generated_file() {
    let dir = tempfile::tempdir().unwrap();
    let Some(opts) = build_options(&dir.path().join("cache")) else {
        return;
    };
    let dll = abi_fixture_dll(dir.path()).unwrap();
    let (_, out) = common::bind_file(
        &dll,
        "Mochi.Fixtures.Abi",
        BindOptions {
            package: "abi_fixture".into(),
            ..Default::default()
        },
    );
    // Without the package DLL as a reference, mcs cannot resolve its types.
    let project = csharp::generate(&out.plan, &ShimOptions::default());
    let e = shimgen::build::build(&project, &[], &opts)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("mcs failed to compile the shim "), "{e}");
    assert!(e.contains("Exports.cs(") && e.contains("error CS"), "{e}");
    let kept = dir.path().join("cache").join(format!(
        "failed-{}",
        shimgen::build::cache_key(&project, &[]).unwrap()
    ));
    assert!(kept.join("Exports.cs").is_file(), "{e}");
    assert!(e.contains(&kept.display().to_string()), "{e}");
}

#[test]
fn no_compiler_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let opts = BuildOptions {
        cache_dir: dir.path().to_path_buf(),
        framework_dir: None,
        dotnet: Some(dir.path().join("no-dotnet")),
        compiler: Some(CompilerKind::Csc),
    };
    // A forced compiler that is absent is named; the default search names what to install.
    if std::process::Command::new("csc")
        .arg("-help")
        .output()
        .is_err()
    {
        let e = shimgen::build::find_compiler(&opts)
            .unwrap_err()
            .to_string();
        assert!(e.contains("`csc` is not available"), "{e}");
    }
    let msg = shimgen::build::BuildError::NoCompiler.to_string();
    assert!(
        msg.contains("install the .NET 8 SDK") && msg.contains("mono-mcs"),
        "{msg}"
    );
}

/// Real libraries beyond the fixtures: the shim of each compiles with mcs
/// (`cargo test -p shimgen --test csharp_gen -- --ignored corpus`).
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
                },
            )
        };
        eprintln!(
            "{name}: {} exports, {} not generated",
            project.exported.len(),
            project.not_generated.len()
        );
        match shimgen::build::build(&project, &dlls, &opts) {
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
/// reported); the rest of the shim still builds.
#[test]
fn rejected_exports_are_dropped_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let Some(opts) = build_options(&dir.path().join("cache")) else {
        return;
    };
    let dll = abi_fixture_dll(dir.path()).unwrap();
    let (_, out) = common::bind_file(
        &dll,
        "Mochi.Fixtures.Abi",
        BindOptions {
            package: "abi_fixture".into(),
            ..Default::default()
        },
    );
    let mut project = csharp::generate(
        &out.plan,
        &ShimOptions {
            package_dlls: vec!["Mochi.Fixtures.Abi.dll".into()],
        },
    );
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
    let built = shimgen::build::build(&project, std::slice::from_ref(&dll), &opts)
        .unwrap_or_else(|e| panic!("{e}"));
    let dropped: Vec<&str> = built.dropped.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(
        dropped,
        [
            "mochi_abi_fixture_calc_add_long",
            "mochi_abi_fixture_text_reverse"
        ]
    );
    assert!(
        built.dropped[0].1.starts_with("CS0117: "),
        "{:?}",
        built.dropped
    );
    assert!(built.assembly.is_file());
    let kept = std::fs::read_to_string(built.dir.join("Exports.cs")).unwrap();
    assert!(kept.contains("// dropped by the build: mochi_abi_fixture_calc_add_long: CS0117"));
    assert!(kept.contains("public static int mochi_abi_fixture_calc_add("));
    // A cache hit reports the same drops.
    let again = shimgen::build::build(&project, &[dll], &opts).unwrap();
    assert!(again.cache_hit);
    assert_eq!(again.dropped, built.dropped);
}

/// The SDK path: a `dotnet` whose `--list-sdks` prints an SDK is preferred and
/// run as `dotnet build <csproj> -c Release --nologo -o <bin>`. The stand-in
/// records its arguments and compiles with mcs (this machine has no SDK).
#[cfg(unix)]
#[test]
fn dotnet_sdk_is_preferred_and_run_as_dotnet_build() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let Some(fw) = common::framework_dir() else {
        return;
    };
    if !mcs_available() {
        return;
    }
    let refs: Vec<String> = shimgen::build::framework_references(&fw)
        .unwrap()
        .iter()
        .map(|r| format!("-r:{}", r.display()))
        .collect();
    let log = dir.path().join("dotnet-args.txt");
    let fake = dir.path().join("dotnet");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\nif [ \"$1\" = --list-sdks ]; then echo '8.0.100 [/fake/sdk]'; exit 0; fi\necho \"$@\" > '{log}'\nproj=\"$2\"; out=\"$7\"; d=$(dirname \"$proj\"); name=$(basename \"$proj\" .csproj)\nlibs=$(for f in \"$d\"/lib/*.dll; do [ -e \"$f\" ] && printf ' -r:%s' \"$f\"; done)\nexec mcs -target:library -unsafe -nostdlib -nowarn:219,612,618,1702 {refs} $libs -out:\"$out/$name.dll\" \"$d\"/*.cs\n",
            log = log.display(),
            refs = refs.join(" ")
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let dll = abi_fixture_dll(dir.path()).unwrap();
    let (_, out) = common::bind_file(
        &dll,
        "Mochi.Fixtures.Abi",
        BindOptions {
            package: "abi_fixture".into(),
            ..Default::default()
        },
    );
    let project = csharp::generate(
        &out.plan,
        &ShimOptions {
            package_dlls: vec!["Mochi.Fixtures.Abi.dll".into()],
        },
    );
    let opts = BuildOptions {
        cache_dir: dir.path().join("cache"),
        framework_dir: Some(fw),
        dotnet: Some(fake.clone()),
        compiler: None,
    };
    let found = shimgen::build::find_compiler(&opts).unwrap();
    assert_eq!(found.kind, CompilerKind::DotnetSdk);
    assert_eq!(found.program, fake);
    let built = shimgen::build::build(&project, std::slice::from_ref(&dll), &opts)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(built.compiler, "dotnet build");
    assert!(built.assembly.is_file());
    let args = std::fs::read_to_string(&log).unwrap();
    let args: Vec<&str> = args.split_whitespace().collect();
    assert_eq!(args[0], "build");
    assert!(
        args[1].ends_with("/Mochi.Shim.AbiFixture.csproj"),
        "{args:?}"
    );
    assert_eq!(&args[2..6], ["-c", "Release", "--nologo", "-o"]);
    assert!(args[6].ends_with("/bin"), "{args:?}");
    assert!(
        built.dir.join("bin/Mochi.Fixtures.Abi.dll").is_file(),
        "package DLL beside the shim"
    );
}
