//! `publish --emit-ci`: the workflow text, no overwrite without --force, the library in
//! a subfolder of its repository, and the variant where mochi-dotnet logs in itself.

use crate::common;

use common::{Library, Project, clean_env, publish};
use publish::PublishError;
use publish::cli::Outcome;

const EXPECTED: &str = r#"# Written by `mochi-dotnet publish --emit-ci`: publishes Mochi.Mathx to nuget.org when a
# tag v* is pushed, with trusted publishing: GitHub's OIDC token is exchanged for a
# short-lived API key, so no key is stored in the repository. Set-up: the
# trusted publisher on nuget.org must name this repository, this file (release.yml)
# and the environment below (mochi-dotnet's docs/publishing.md).
name: release

on:
  push:
    tags: ["v*"]
  workflow_dispatch:

permissions:
  contents: read

jobs:
  publish:
    runs-on: "ubuntu-latest"
    environment: "release"
    permissions:
      contents: read
      id-token: write # the OIDC token of trusted publishing
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-dotnet@v4
        with:
          dotnet-version: "10.0.x"
      - name: Install mochi-dotnet
        run: "cargo install --locked --path tools/mochi-dotnet"
      - name: Build the native libraries
        run: "make -C native"
      - name: Check the package
        run: mochi-dotnet publish --to=nuget.org --dry-run
      - name: Log in (trusted publishing)
        id: login
        uses: NuGet/login@v1
        with:
          user: "ada"
      - name: Publish
        run: mochi-dotnet publish --to=nuget.org
        env:
          NUGET_API_KEY: ${{ steps.login.outputs.NUGET_API_KEY }}
"#;

fn library_with_ci(ci: &str) -> Project {
    let mut lib = Library::new("Mochi.Mathx");
    lib.extra = format!("\n[dotnet.publish.ci]\n{ci}");
    Project::new(&lib)
}

#[test]
fn writes_the_workflow_and_refuses_to_overwrite_it() {
    let project = library_with_ci(
        "build = \"make -C native\"\nenvironment = \"release\"\ninstall = \"cargo install --locked --path tools/mochi-dotnet\"\n",
    );
    let (result, out) = publish(&project.manifest, "nuget.org", &["--emit-ci"], &clean_env());
    let Ok(Outcome::Workflow(path)) = result else {
        panic!("{out}")
    };
    assert_eq!(path, project.path().join(".github/workflows/release.yml"));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), EXPECTED);
    assert!(out.contains("add a trusted publisher for this repository with workflow file release.yml and environment release"), "{out}");
    assert!(
        !project.path().join("target").exists(),
        "--emit-ci built something"
    );

    // Again: refused, the file untouched (even when edited by hand).
    std::fs::write(&path, "# mine\n").unwrap();
    let (result, _) = publish(&project.manifest, "nuget.org", &["--emit-ci"], &clean_env());
    let Err(e @ PublishError::WorkflowExists { .. }) = result else {
        panic!()
    };
    assert_eq!(
        e.to_string(),
        format!(
            "{} already exists; not overwritten\n  hint: review it, then run `mochi-dotnet publish --emit-ci --force` to replace it",
            path.display()
        )
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "# mine\n");
    // --force replaces it; no temporary file is left in the folder.
    let (result, _) = publish(
        &project.manifest,
        "nuget.org",
        &["--emit-ci", "--force"],
        &clean_env(),
    );
    assert!(result.is_ok());
    assert_eq!(std::fs::read_to_string(&path).unwrap(), EXPECTED);
    assert_eq!(
        std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
        1
    );
    // --dry-run prints it and writes nothing.
    std::fs::remove_file(&path).unwrap();
    let (result, out) = publish(
        &project.manifest,
        "nuget.org",
        &["--emit-ci", "--dry-run"],
        &clean_env(),
    );
    assert!(result.is_ok());
    assert_eq!(out, EXPECTED);
    assert!(!path.exists());
}

#[test]
fn a_library_in_a_subfolder_and_the_builtin_login() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join(".git")).unwrap();
    let mut lib = Library::new("Mochi.Mathx");
    lib.extra = "\n[dotnet.publish.ci]\nlogin = \"mochi-dotnet\"\n".into();
    let manifest = lib.write(&repo.path().join("libs/mathx"));
    let (result, out) = publish(&manifest, "nuget.org", &["--emit-ci"], &clean_env());
    let Ok(Outcome::Workflow(path)) = result else {
        panic!("{out}")
    };
    assert_eq!(path, repo.path().join(".github/workflows/release.yml"));
    let w = std::fs::read_to_string(&path).unwrap();
    assert!(
        w.contains("    defaults:\n      run:\n        working-directory: \"libs/mathx\"\n"),
        "{w}"
    );
    assert!(w.contains("      id-token: write"), "{w}");
    assert!(!w.contains("NuGet/login"), "{w}");
    assert!(w.contains("      - name: Log in and publish (trusted publishing)\n        run: mochi-dotnet publish --to=nuget.org\n"), "{w}");
    assert!(!w.contains("environment:"), "{w}");
    assert!(
        w.contains("# set [dotnet.publish.ci] build = \"<command>\" in mochi.toml"),
        "{w}"
    );

    // A bad login value is a manifest error.
    let text = std::fs::read_to_string(&manifest)
        .unwrap()
        .replace("login = \"mochi-dotnet\"", "login = \"token\"");
    std::fs::write(&manifest, text).unwrap();
    let (result, _) = publish(
        &manifest,
        "nuget.org",
        &["--emit-ci", "--force"],
        &clean_env(),
    );
    let msg = result.unwrap_err().to_string();
    assert!(
        msg.contains("unknown variant `token`, expected `nuget-login-action` or `mochi-dotnet`"),
        "{msg}"
    );
}

#[test]
fn force_without_emit_ci_is_a_usage_error() {
    let project = Project::new(&Library::new("Mochi.Mathx"));
    let out = clean_env()
        .command(common::mochi_dotnet())
        .args(["publish", "--force"])
        .current_dir(project.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--emit-ci"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
