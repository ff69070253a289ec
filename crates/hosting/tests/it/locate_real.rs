//! The locator on the real runtime layouts of the test environment
//! (.NET 8.0.34 and .NET Core 3.1.3, from the runtime packs).

use crate::support;

use std::path::PathBuf;

use hosting::{DotnetInstall, Error, FrameworkRequirement, Locator, RollForward};

fn dotnet31_root() -> Option<PathBuf> {
    std::env::var_os("MOCHI_DOTNET31_ROOT")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools/dotnet31")))
        .filter(|p| p.join("host/fxr").is_dir())
}

#[test]
fn probes_the_real_net8_layout() {
    let i = DotnetInstall::probe(&support::dotnet8_root()).unwrap();
    assert_eq!(i.hostfxr_version.major, 8);
    assert!(i.hostfxr.is_file());
    let v = FrameworkRequirement::net(8, 0).select(&i.runtimes).unwrap();
    assert!(i.framework_dir(v).join("System.Runtime.dll").is_file());
}

#[cfg(unix)]
#[test]
fn finds_the_runtime_through_a_dotnet_symlink_on_path() {
    let bin = tempfile::tempdir().unwrap();
    let real = std::fs::canonicalize(support::dotnet8_root()).unwrap();
    std::os::unix::fs::symlink(real.join("dotnet"), bin.path().join("dotnet")).unwrap();
    let l = Locator {
        path_env: Some(bin.path().as_os_str().to_owned()),
        ..Locator::default()
    };
    let (i, v) = l.find(&FrameworkRequirement::net(8, 0)).unwrap();
    assert_eq!(i.root, real);
    assert_eq!(v.major, 8);
}

#[test]
fn a_3_1_only_installation_is_refused_with_advice() {
    let root31 = dotnet31_root()
        .expect("no .NET Core 3.1: run scripts/setup-test-tools.sh (it fills .tools/dotnet31)");
    let e = Locator::with_root(&root31)
        .find(&FrameworkRequirement::net(8, 0))
        .unwrap_err();
    assert!(matches!(e, Error::NoCompatibleRuntime { .. }));
    let msg = e.to_string();
    assert!(msg.contains("runtimes 3.1.3"), "{msg}");
    assert!(msg.contains("install the .NET 8.0 runtime"), "{msg}");

    // DOTNET_ROOT at 3.1 with 8 elsewhere on PATH: the search goes on and finds 8.
    let bin = tempfile::tempdir().unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(
        support::dotnet8_root().join("dotnet"),
        bin.path().join("dotnet"),
    )
    .unwrap();
    let l = Locator {
        dotnet_root_env: Some(root31.into_os_string()),
        path_env: Some(bin.path().as_os_str().to_owned()),
        ..Locator::default()
    };
    let (_, v) = l.find(&FrameworkRequirement::net(8, 0)).unwrap();
    assert_eq!(v.major, 8);
    // Rolling forward over majors: a net5.0 shim may run on 8.
    let any = FrameworkRequirement {
        roll_forward: RollForward::LatestMajor,
        ..FrameworkRequirement::net(5, 0)
    };
    assert_eq!(l.find(&any).unwrap().1.major, 8);
}
