//! Shared test support: a Mochi library project on disk (mochi.toml, the
//! declaration file, the native library built from C by gcc), and the paths and
//! environment of the real tools the tests run.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The test library's sources (`tests/native/`).
pub fn native_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/native")
}

/// The workspace's root folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A shared, test-only NuGet global packages folder under target/ (SDK packs:
/// the net8.0 reference pack, ILCompiler, runtime packs), so tests neither touch
/// ~/.nuget nor download those packs for every test.
pub fn shared_nuget_packages() -> PathBuf {
    let p = workspace_root().join("target/publish-tests/nuget-packages");
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// The environment every `dotnet` and `mochi-dotnet` child of the tests gets.
pub fn dotnet_env(cmd: &mut Command, scratch: &Path) {
    cmd.env("NUGET_PACKAGES", shared_nuget_packages())
        .env("NUGET_HTTP_CACHE_PATH", scratch.join("nuget-http-cache"))
        .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
        .env("DOTNET_NOLOGO", "1")
        .env("DOTNET_SKIP_FIRST_TIME_EXPERIENCE", "1")
        .env("MOCHI_DOTNET_CACHE", scratch.join("mochi-cache"));
}

/// Compiles `tests/native/<name>.c` into `dir/<file>` with gcc.
pub fn build_native(name: &str, dir: &Path, file: &str) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let out = dir.join(file);
    let status = Command::new("gcc")
        .args([
            "-shared",
            "-fPIC",
            "-O2",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-fvisibility=hidden",
            "-o",
        ])
        .arg(&out)
        .arg(native_dir().join(format!("{name}.c")))
        .status()
        .expect("gcc runs (apt-get install gcc)");
    assert!(status.success(), "gcc failed on {name}.c");
    out
}

/// Options of a library project.
pub struct Library {
    pub package_id: String,
    pub version: String,
    pub aot: bool,
    /// Extra lines appended to [dotnet.publish].
    pub extra_publish: String,
    /// Extra text appended to the manifest.
    pub extra: String,
}

impl Library {
    pub fn new(package_id: &str) -> Library {
        Library {
            package_id: package_id.to_string(),
            version: "1.2.0".to_string(),
            aot: false,
            extra_publish: String::new(),
            extra: String::new(),
        }
    }

    pub fn manifest(&self) -> String {
        format!(
            r#"[package]
name = "mathx"
version = "{version}"
description = "Integer, list and text helpers written in Mochi."
license = "MIT"
authors = ["Ada Lovelace"]
repository = "https://github.com/octo-org/mathx"
readme = "README.md"
keywords = ["math", "text"]

[dotnet.publish]
package-id = "{id}"
version = "{version}"
target-framework = "net8.0"
aot = {aot}
api = "mathx.mochi"
nuget-user = "ada"
{extra_publish}
[dotnet.publish.native]
linux-x64 = "build/linux-x64/libmathx.so"
{extra}"#,
            version = self.version,
            id = self.package_id,
            aot = self.aot,
            extra_publish = self.extra_publish,
            extra = self.extra,
        )
    }

    /// Writes the project into `dir` (the native library compiled into build/).
    pub fn write(&self, dir: &Path) -> PathBuf {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("mochi.toml"), self.manifest()).unwrap();
        std::fs::copy(native_dir().join("mathx.mochi"), dir.join("mathx.mochi")).unwrap();
        std::fs::write(
            dir.join("README.md"),
            "# mathx\n\nInteger, list and text helpers written in Mochi.\n",
        )
        .unwrap();
        build_native("mathx", &dir.join("build/linux-x64"), "libmathx.so");
        dir.join("mochi.toml")
    }
}

/// A library project in a temporary folder.
pub struct Project {
    pub dir: tempfile::TempDir,
    pub manifest: PathBuf,
}

impl Project {
    pub fn new(lib: &Library) -> Project {
        let dir = tempfile::tempdir().unwrap();
        let manifest = lib.write(dir.path());
        Project { dir, manifest }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// The facade cache shared by the tests (a facade compiles once per generated text).
pub fn shared_cache() -> PathBuf {
    let p = workspace_root().join("target/publish-tests/mochi-cache");
    std::fs::create_dir_all(&p).unwrap();
    p
}

/// The process environment without anything that would make a run "in CI" or give
/// it credentials, with the shared test caches.
pub fn clean_env() -> publish::Env {
    let mut env = publish::Env::from_process();
    for k in [
        "GITHUB_ACTIONS",
        "ACTIONS_ID_TOKEN_REQUEST_URL",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "NUGET_API_KEY",
        "NUGET_USER",
        "GITHUB_REF",
        "GITHUB_REF_TYPE",
    ] {
        env.remove(k);
    }
    env.set(
        "NUGET_PACKAGES",
        shared_nuget_packages().display().to_string(),
    );
    env.set("MOCHI_DOTNET_CACHE", shared_cache().display().to_string());
    env
}

/// `publish` in-process: the outcome and everything it printed (report and progress).
pub fn publish(
    manifest: &Path,
    to: &str,
    flags: &[&str],
    env: &publish::Env,
) -> (publish::Result<publish::cli::Outcome>, String) {
    let args = publish::cli::PublishArgs {
        to: to.to_string(),
        dry_run: flags.contains(&"--dry-run"),
        emit_ci: flags.contains(&"--emit-ci"),
        force: flags.contains(&"--force"),
        manifest_path: manifest.to_path_buf(),
    };
    let mut out = Vec::new();
    let mut progress = Vec::new();
    let result = publish::cli::run_with(&args, env, &mut out, &mut progress);
    let mut text = String::from_utf8(out).unwrap();
    text.push_str(&String::from_utf8(progress).unwrap());
    if let Err(e) = &result {
        // What main prints.
        text.push_str(&format!("error: {e}\n"));
    }
    (result, text)
}

/// The `mochi-dotnet` binary, built (or found up to date) by cargo.
pub fn mochi_dotnet() -> PathBuf {
    static BUILT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BUILT
        .get_or_init(|| {
            let status = Command::new(env!("CARGO"))
                .args([
                    "build",
                    "--quiet",
                    "-p",
                    "mochi-dotnet",
                    "--bin",
                    "mochi-dotnet",
                ])
                .current_dir(workspace_root())
                .status()
                .expect("cargo runs");
            assert!(
                status.success(),
                "cargo build -p mochi-dotnet --bin mochi-dotnet failed"
            );
            let exe = std::env::current_exe().unwrap();
            let bin = exe.parent().unwrap().parent().unwrap().join("mochi-dotnet");
            assert!(bin.is_file(), "{} missing", bin.display());
            bin
        })
        .clone()
}

/// Asserts `text` holds none of the mock's secrets: request tokens, OIDC tokens
/// (whole, payload or signature), issued keys, and any `extra`.
pub fn assert_no_secrets(text: &str, mock: &fixtures::mock_nugetorg::MockNugetOrg, extra: &[&str]) {
    let mut needles: Vec<String> = mock.request_tokens();
    needles.extend(mock.issued_keys());
    for t in mock.minted_tokens() {
        needles.extend(t.split('.').skip(1).map(str::to_string));
        needles.push(t);
    }
    needles.extend(extra.iter().map(|s| s.to_string()));
    for n in &needles {
        assert!(n.len() >= 8, "a secret too short to scan for: {n:?}");
        assert!(
            !text.contains(n.as_str()),
            "a secret was printed: …{}… in\n{text}",
            &n[..8]
        );
    }
}
