//! `--emit-ci`: `.github/workflows/release.yml`, a GitHub Actions workflow that
//! publishes the library with trusted publishing when a `v*` tag is pushed.

use std::path::{Path, PathBuf};

use crate::config::{CiLogin, Manifest};
use crate::error::{PublishError, Result};
use crate::fsutil::write_atomic;

/// The repository holding mochi.toml: the nearest folder with a `.git`, else the
/// manifest's folder.
pub fn repository_root(manifest: &Manifest) -> PathBuf {
    let dir = std::path::absolute(&manifest.dir).unwrap_or_else(|_| manifest.dir.clone());
    dir.ancestors()
        .find(|a| a.join(".git").exists())
        .map(Path::to_path_buf)
        .unwrap_or(dir)
}

/// `.github/workflows/release.yml` of [`repository_root`].
pub fn workflow_path(manifest: &Manifest) -> PathBuf {
    repository_root(manifest).join(".github/workflows/release.yml")
}

/// The manifest's folder relative to the repository root (`""` when it is the root).
fn library_dir(manifest: &Manifest) -> String {
    let dir = std::path::absolute(&manifest.dir).unwrap_or_else(|_| manifest.dir.clone());
    dir.strip_prefix(repository_root(manifest))
        .map(|r| r.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default()
}

fn yaml_str(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The workflow text for `--to=<to>`.
pub fn workflow(manifest: &Manifest, to: &str) -> String {
    let p = &manifest.publish;
    let ci = &p.ci;
    let mut w = String::new();
    w.push_str(&format!(
        "# Written by `mochi-dotnet publish --emit-ci`: publishes {} to {to} when a\n",
        p.package_id
    ));
    w.push_str(
        "# tag v* is pushed, with trusted publishing: GitHub's OIDC token is exchanged for a\n",
    );
    w.push_str("# short-lived API key, so no key is stored in the repository. Set-up: the\n");
    w.push_str(
        "# trusted publisher on nuget.org must name this repository, this file (release.yml)\n",
    );
    w.push_str("# and the environment below (mochi-dotnet's docs/publishing.md).\n");
    w.push_str("name: release\n\non:\n  push:\n    tags: [\"v*\"]\n  workflow_dispatch:\n\npermissions:\n  contents: read\n\njobs:\n  publish:\n");
    w.push_str(&format!("    runs-on: {}\n", yaml_str(&ci.runs_on)));
    if let Some(e) = &ci.environment {
        w.push_str(&format!("    environment: {}\n", yaml_str(e)));
    }
    w.push_str("    permissions:\n      contents: read\n      id-token: write # the OIDC token of trusted publishing\n");
    let sub = library_dir(manifest);
    if !sub.is_empty() {
        w.push_str(&format!(
            "    defaults:\n      run:\n        working-directory: {}\n",
            yaml_str(&sub)
        ));
    }
    w.push_str("    steps:\n");
    w.push_str("      - uses: actions/checkout@v4\n");
    w.push_str(&format!(
        "      - uses: actions/setup-dotnet@v4\n        with:\n          dotnet-version: {}\n",
        yaml_str(&ci.dotnet_version)
    ));
    match &ci.install {
        Some(i) => w.push_str(&format!("      - name: Install mochi-dotnet\n        run: {}\n", yaml_str(i))),
        None => w.push_str("      # mochi-dotnet must be on PATH from here on: set [dotnet.publish.ci] install =\n      # \"<command>\" in mochi.toml to install it in this job.\n"),
    }
    match &ci.build {
        Some(b) => w.push_str(&format!("      - name: Build the native libraries\n        run: {}\n", yaml_str(b))),
        None => w.push_str("      # The native libraries of [dotnet.publish.native] must exist at this point:\n      # set [dotnet.publish.ci] build = \"<command>\" in mochi.toml to build them here.\n"),
    }
    let user = p
        .nuget_user
        .clone()
        .unwrap_or_else(|| "${{ vars.NUGET_USER }}".into());
    w.push_str(&format!(
        "      - name: Check the package\n        run: mochi-dotnet publish --to={to} --dry-run\n"
    ));
    match ci.login {
        CiLogin::NugetLoginAction => {
            w.push_str("      - name: Log in (trusted publishing)\n        id: login\n        uses: NuGet/login@v1\n        with:\n");
            w.push_str(&format!("          user: {}\n", yaml_str(&user)));
            w.push_str(&format!("      - name: Publish\n        run: mochi-dotnet publish --to={to}\n        env:\n          NUGET_API_KEY: ${{{{ steps.login.outputs.NUGET_API_KEY }}}}\n"));
        }
        CiLogin::MochiDotnet => {
            w.push_str("      # mochi-dotnet publish logs in itself: it requests the OIDC token (id-token: write)\n");
            w.push_str("      # and exchanges it for a short-lived API key before the push.\n");
            w.push_str(&format!("      - name: Log in and publish (trusted publishing)\n        run: mochi-dotnet publish --to={to}\n"));
            if p.nuget_user.is_none() {
                w.push_str("        env:\n          NUGET_USER: ${{ vars.NUGET_USER }}\n");
            }
        }
    }
    w
}

/// Writes the workflow; an existing file is kept unless `force`.
pub fn emit(manifest: &Manifest, to: &str, force: bool) -> Result<PathBuf> {
    let path = workflow_path(manifest);
    if path.exists() && !force {
        return Err(PublishError::WorkflowExists { path });
    }
    let dir: &Path = path.parent().expect("has a parent");
    std::fs::create_dir_all(dir).map_err(PublishError::io(dir))?;
    write_atomic(&path, workflow(manifest, to).as_bytes())?;
    Ok(path)
}
