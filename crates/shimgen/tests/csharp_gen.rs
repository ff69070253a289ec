//! The C# shim generator: deterministic text, snapshots of the binding
//! fixture and of Newtonsoft.Json, and compilation with mcs against .NET 8
//! (the same generated text `dotnet build` would compile).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use shimgen::BindOptions;
use shimgen::build::{BuildOptions, CompilerKind};
use shimgen::csharp::{self, ShimOptions};

fn mcs_available() -> bool {
    std::process::Command::new("mcs").arg("--version").output().is_ok_and(|o| o.status.success())
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
    cmd.arg(format!("-out:{}", out.display())).arg(common::repo_root().join("fixtures/abi/AbiFixture.cs"));
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
    let (_, out) = common::bind_file(&dll, "Mochi.Fixtures.Abi", BindOptions { package: "abi_fixture".into(), ..Default::default() });
    let project = csharp::generate(&out.plan, &ShimOptions { package_dlls: vec!["Mochi.Fixtures.Abi.dll".into()] });
    assert!(project.not_generated.is_empty(), "{:?}", project.not_generated);
    let built = shimgen::build::build(&project, &[dll.clone()], &opts).unwrap_or_else(|e| panic!("{e}"));
    assert!(!built.cache_hit);
    assert!(built.assembly.is_file());
    let again = shimgen::build::build(&project, &[dll], &opts).unwrap();
    assert!(again.cache_hit);
    let log = std::fs::read_to_string(dir.path().join("cache/builds.log")).unwrap();
    assert_eq!(log.lines().count(), 1, "the second build compiled again: {log}");
    std::fs::write("/tmp/sg/AbiExports.cs", project.file("Exports.cs").unwrap()).ok();
}
