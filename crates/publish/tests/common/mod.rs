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
