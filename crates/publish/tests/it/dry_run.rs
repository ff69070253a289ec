//! `publish --dry-run`: builds, validates, writes the package, sends nothing; two runs
//! give the same bytes (also from two empty facade caches, i.e. two compilations);
//! a failing run leaves no file behind and an earlier package untouched.

use crate::common;

use common::{Library, Project, clean_env, publish};
use fixtures::mock_nugetorg::{MockNugetOrg, MockOptions};
use publish::PublishError;
use publish::cli::Outcome;

fn dry_run(project: &Project, to: &str, env: &publish::Env) -> (Vec<u8>, String) {
    let (result, out) = publish(&project.manifest, to, &["--dry-run"], env);
    let Ok(Outcome::DryRun { path, package }) = result else {
        panic!("{out}")
    };
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes, package.bytes);
    assert_eq!(
        path,
        project.path().join("target/nuget/Mochi.Mathx.1.2.0.nupkg")
    );
    (bytes, out)
}

#[test]
fn two_dry_runs_are_byte_identical_and_send_nothing() {
    let mock = MockNugetOrg::start(MockOptions::default()).unwrap();
    let project = Project::new(&Library::new("Mochi.Mathx"));
    // Two empty caches: the facade is compiled twice.
    let caches = tempfile::tempdir().unwrap();
    let mut env = clean_env();
    env.set(
        "MOCHI_DOTNET_CACHE",
        caches.path().join("one").display().to_string(),
    );
    let (one, out_one) = dry_run(&project, &mock.service_index_url(), &env);
    assert!(
        out_one.contains("facade compiled with .NET SDK"),
        "{out_one}"
    );
    assert!(!out_one.contains("(cached)"), "{out_one}");
    env.set(
        "MOCHI_DOTNET_CACHE",
        caches.path().join("two").display().to_string(),
    );
    let (two, _) = dry_run(&project, &mock.service_index_url(), &env);
    assert_eq!(one, two, "two compilations gave different packages");
    // A warm run: from the cache, same bytes.
    let (three, out_three) = dry_run(&project, &mock.service_index_url(), &env);
    assert!(out_three.contains("(cached)"), "{out_three}");
    assert_eq!(one, three);
    // The same library in another folder: same bytes (no path leaks into the package).
    let elsewhere = Project::new(&Library::new("Mochi.Mathx"));
    let (four, _) = dry_run(&elsewhere, &mock.service_index_url(), &env);
    assert_eq!(one, four);

    assert!(
        mock.requests().is_empty(),
        "a dry run made requests: {:?}",
        mock.requests()
    );
    assert!(
        out_one.contains(&format!(
            "dry run: would push to {}",
            mock.service_index_url()
        )),
        "{out_one}"
    );
    assert!(
        out_one.contains("nothing was sent") || out_one.contains("a real run here would stop"),
        "{out_one}"
    );
    for entry in [
        "[Content_Types].xml",
        "_rels/.rels",
        "Mochi.Mathx.nuspec",
        "lib/net8.0/Mochi.Mathx.dll",
        "lib/net8.0/Mochi.Mathx.xml",
        "runtimes/linux-x64/native/libmathx.so",
        "README.md",
        "package/services/metadata/core-properties/",
    ] {
        assert!(out_one.contains(entry), "{entry} not listed in\n{out_one}");
    }
}

#[test]
fn the_binary_dry_run_prints_what_would_be_pushed() {
    let project = Project::new(&Library::new("Mochi.Mathx"));
    let out = clean_env()
        .command(common::mochi_dotnet())
        .args(["publish", "--to=nuget.org", "--dry-run"])
        .current_dir(project.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with("Mochi.Mathx 1.2.0: ./target/nuget/Mochi.Mathx.1.2.0.nupkg ("),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("validated: nuspec, OPC parts, lib/ folder, facade metadata, native exports"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "dry run: would push to nuget.org, but a real run here would stop: no credentials"
        ),
        "{stdout}"
    );
    // In a CI job with the OIDC variables, it names trusted publishing instead.
    let out = clean_env()
        .command(common::mochi_dotnet())
        .args(["publish", "--dry-run"])
        .env("GITHUB_ACTIONS", "true")
        .env("ACTIONS_ID_TOKEN_REQUEST_URL", "https://127.0.0.1:1/unused")
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "unused-request-token")
        .current_dir(project.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("dry run: would push to nuget.org (https://www.nuget.org/api/v2/package) with trusted publishing (GitHub Actions OIDC token exchanged for a short-lived API key of user `ada`); nothing was sent"),
        "{stdout}"
    );
    assert!(!stdout.contains("unused-request-token"));
}

#[test]
fn a_failed_run_writes_nothing_and_keeps_the_previous_package() {
    let project = Project::new(&Library::new("Mochi.Mathx"));
    let env = clean_env();
    let (good, _) = dry_run(&project, "nuget.org", &env);
    // A native library that lacks a declared function: refused before packing.
    let c = std::fs::read_to_string(common::native_dir().join("mathx.c"))
        .unwrap()
        .replace(
            "EXPORT int32_t mochi_mathx_flip(",
            "static int32_t mochi_mathx_flip(",
        );
    let src = project.path().join("stale.c");
    std::fs::write(
        &src,
        c.replace(
            "static int32_t mochi_mathx_flip(",
            "__attribute__((unused)) static int32_t mochi_mathx_flip(",
        ),
    )
    .unwrap();
    let so = project.path().join("build/linux-x64/libmathx.so");
    let st = std::process::Command::new("gcc")
        .args(["-shared", "-fPIC", "-O2", "-fvisibility=hidden", "-o"])
        .arg(&so)
        .arg(&src)
        .status()
        .unwrap();
    assert!(st.success());
    let (result, out) = publish(&project.manifest, "nuget.org", &["--dry-run"], &env);
    let Err(e @ PublishError::Native { .. }) = result else {
        panic!("{out}")
    };
    let msg = e.to_string();
    assert!(
        msg.contains("build/linux-x64/libmathx.so: not the linux-x64 library of"),
        "{msg}"
    );
    assert!(msg.contains("it does not export mochi_mathx_flip"), "{msg}");
    // The earlier package is untouched; no temporary file is left beside it.
    let dir = project.path().join("target/nuget");
    assert_eq!(
        std::fs::read(dir.join("Mochi.Mathx.1.2.0.nupkg")).unwrap(),
        good
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
}
