//! Compiling the facade with the .NET SDK, through a cache.
//!
//! The facade is generated text and Roslyn builds are deterministic (`Deterministic`,
//! no PDB, no source revision), so the compiled DLL is a function of the generated
//! files and the SDK version: that pair is the cache key, and a hit compiles nothing.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use sha2::{Digest, Sha256};

use crate::env::Env;
use crate::error::{PublishError, Result};
use crate::facade::{FacadeProject, GENERATOR_VERSION};

/// A .NET SDK: its `dotnet` and `dotnet --version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sdk {
    pub dotnet: PathBuf,
    pub root: PathBuf,
    pub version: String,
}

/// The compiled facade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledFacade {
    pub dll: Vec<u8>,
    /// The XML documentation file.
    pub xml: Vec<u8>,
    /// Taken from the cache (nothing compiled).
    pub cache_hit: bool,
    pub cache_key: String,
}

fn has_sdk(root: &Path) -> bool {
    std::fs::read_dir(root.join("sdk")).is_ok_and(|mut d| d.next().is_some())
        && root.join("dotnet").is_file()
}

/// The SDK to compile with: `$MOCHI_DOTNET_SDK_ROOT`, `$DOTNET_ROOT`, the `dotnet` on
/// `PATH`, then the usual install folders; the first holding an `sdk/` folder.
/// `work_dir` is where `dotnet --version` runs (a `global.json` there applies). Its
/// answer is remembered under `cache_root` (see [`sdk_identity`]).
pub fn find_sdk(env: &Env, work_dir: &Path, cache_root: Option<&Path>) -> Result<Sdk> {
    let mut candidates: Vec<PathBuf> = Vec::new();
    for var in ["MOCHI_DOTNET_SDK_ROOT", "DOTNET_ROOT"] {
        if let Some(r) = env.get(var) {
            candidates.push(PathBuf::from(r));
        }
    }
    if let Some(path) = env.get(envvars::PATH) {
        for dir in std::env::split_paths(path) {
            let exe = dir.join("dotnet");
            if exe.is_file()
                && let Ok(real) = exe.canonicalize()
                && let Some(root) = real.parent()
            {
                candidates.push(root.to_path_buf());
            }
        }
    }
    candidates.extend(
        [
            "/usr/share/dotnet",
            "/usr/lib/dotnet",
            "/usr/local/share/dotnet",
            "/opt/dotnet",
        ]
        .map(PathBuf::from),
    );
    if let Some(home) = env.get(envvars::HOME) {
        candidates.push(PathBuf::from(home).join(".dotnet"));
    }
    let Some(root) = candidates.into_iter().find(|r| has_sdk(r)) else {
        return Err(PublishError::Sdk {
            message: "no .NET SDK found: the facade of the package is compiled with `dotnet build`".into(),
            hint: "install the .NET SDK 8 or later (https://dot.net), or point MOCHI_DOTNET_SDK_ROOT at an installation with an sdk/ folder".into(),
        });
    };
    let dotnet = root.join("dotnet");
    let remembered = cache_root.map(|r| {
        r.join("facades")
            .join(format!("sdk-{}.txt", sdk_identity(&root, work_dir)))
    });
    if let Some(v) = remembered
        .as_ref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
    {
        return Ok(Sdk {
            dotnet,
            root,
            version: v,
        });
    }
    let out = sdk_command(env, &dotnet, &root)
        .arg("--version")
        .current_dir(work_dir)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| PublishError::Sdk {
            message: format!("{} --version: {e}", dotnet.display()),
            hint: "check the .NET SDK installation".into(),
        })?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || version.is_empty() {
        return Err(PublishError::Sdk {
            message: format!("{} --version failed: {}", dotnet.display(), String::from_utf8_lossy(&out.stderr).trim()),
            hint: "a global.json may pin an SDK that is not installed; install it or change global.json".into(),
        });
    }
    if let Some(p) = &remembered
        && let Some(dir) = p.parent()
        && std::fs::create_dir_all(dir).is_ok()
    {
        let _ = crate::fsutil::write_atomic(p, version.as_bytes());
    }
    Ok(Sdk {
        dotnet,
        root,
        version,
    })
}

/// What `dotnet --version` depends on: the installation's folder, the SDKs it holds,
/// and every `global.json` from `work_dir` up (path and content). Same identity, same
/// answer, so a warm run need not start `dotnet` at all.
pub fn sdk_identity(root: &Path, work_dir: &Path) -> String {
    let mut h = Sha256::new();
    h.update(
        root.canonicalize()
            .unwrap_or_else(|_| root.to_path_buf())
            .to_string_lossy()
            .as_bytes(),
    );
    let mut sdks: Vec<String> = std::fs::read_dir(root.join("sdk"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    sdks.sort();
    for s in &sdks {
        h.update(format!("\0sdk {s}").as_bytes());
    }
    let start = work_dir
        .canonicalize()
        .unwrap_or_else(|_| work_dir.to_path_buf());
    for dir in start.ancestors() {
        if let Ok(text) = std::fs::read(dir.join("global.json")) {
            h.update(format!("\0global.json {}\0", dir.display()).as_bytes());
            h.update(&text);
        }
    }
    hex::encode(h.finalize())
}

fn sdk_command(env: &Env, dotnet: &Path, root: &Path) -> std::process::Command {
    let mut c = env.command(dotnet);
    // The SDK's own root, whatever runtime-only installation DOTNET_ROOT names.
    c.env("DOTNET_ROOT", root)
        .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
        .env("DOTNET_NOLOGO", "1")
        .env("DOTNET_SKIP_FIRST_TIME_EXPERIENCE", "1");
    c
}

/// The cache key of a facade: SHA-256 over the generator version, the SDK version and
/// every generated file (`<path> NUL <len> LF <bytes>`, in path order).
pub fn cache_key(project: &FacadeProject, sdk_version: &str) -> String {
    let mut h = Sha256::new();
    h.update(format!("mochi-dotnet facade {GENERATOR_VERSION}\nsdk {sdk_version}\n").as_bytes());
    for (path, text) in &project.files {
        h.update(format!("{path}\0{}\n", text.len()).as_bytes());
        h.update(text.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Compiles `project` (or takes it from `<cache_root>/facades/<key>/`). The build runs
/// in a temporary folder under `work_parent`; a failed build's folder is kept there
/// as `failed-<key>/` for inspection.
pub fn compile(
    project: &FacadeProject,
    sdk: &Sdk,
    env: &Env,
    work_parent: &Path,
    cache_root: Option<&Path>,
) -> Result<CompiledFacade> {
    let key = cache_key(project, &sdk.version);
    let name = &project.assembly_name;
    let cached_dir = cache_root.map(|r| r.join("facades").join(&key));
    if let Some(dir) = &cached_dir
        && let (Ok(dll), Ok(xml)) = (
            std::fs::read(dir.join(format!("{name}.dll"))),
            std::fs::read(dir.join(format!("{name}.xml"))),
        )
    {
        return Ok(CompiledFacade {
            dll,
            xml,
            cache_hit: true,
            cache_key: key,
        });
    }

    std::fs::create_dir_all(work_parent).map_err(PublishError::io(work_parent))?;
    let work = tempfile::Builder::new()
        .prefix("facade-")
        .tempdir_in(work_parent)
        .map_err(PublishError::io(work_parent))?;
    for (path, text) in &project.files {
        let p = work.path().join(path);
        std::fs::write(&p, text).map_err(PublishError::io(&p))?;
    }
    let out_dir = work.path().join("out");
    let log_path = work.path().join("build.log");
    let log = std::fs::File::create(&log_path).map_err(PublishError::io(&log_path))?;
    let log_err = log.try_clone().map_err(PublishError::io(&log_path))?;
    // Output goes to a file, not a pipe: MSBuild and compiler server processes that
    // outlive the build would hold a pipe open.
    let status = sdk_command(env, &sdk.dotnet, &sdk.root)
        .args([
            "build",
            &format!("{name}.csproj"),
            "-c",
            "Release",
            "-nologo",
            "-v:minimal",
            "-clp:NoSummary",
            "-o",
        ])
        .arg(&out_dir)
        .current_dir(work.path())
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .status()
        .map_err(|e| PublishError::Sdk {
            message: format!("{} build: {e}", sdk.dotnet.display()),
            hint: "check the .NET SDK installation".into(),
        })?;
    let read = |ext: &str| std::fs::read(out_dir.join(format!("{name}.{ext}")));
    match (status.success(), read("dll"), read("xml")) {
        (true, Ok(dll), Ok(xml)) => {
            if let Some(dir) = &cached_dir {
                store(dir, name, &dll, &xml);
            }
            Ok(CompiledFacade {
                dll,
                xml,
                cache_hit: false,
                cache_key: key,
            })
        }
        _ => {
            let text = std::fs::read_to_string(&log_path).unwrap_or_default();
            let mut errors: Vec<&str> = text
                .lines()
                .filter(|l| l.contains(": error ") || l.contains("error NU"))
                .collect();
            errors.dedup();
            if errors.is_empty() {
                errors = text
                    .lines()
                    .rev()
                    .take(20)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
            }
            errors.truncate(40);
            let kept = work_parent.join(format!("failed-{}", &key[..16]));
            let _ = std::fs::remove_dir_all(&kept);
            let work_path = work.keep();
            let kept = if std::fs::rename(&work_path, &kept).is_ok() {
                kept
            } else {
                work_path
            };
            let restore = errors
                .iter()
                .any(|l| l.contains("NU1") || l.contains("NU3"));
            Err(PublishError::Sdk {
                message: format!(
                    "dotnet build of the facade {name} failed ({status}):\n{}\n  the project is kept in {}",
                    errors
                        .iter()
                        .map(|l| format!("    {}", l.trim()))
                        .collect::<Vec<_>>()
                        .join("\n"),
                    kept.display()
                ),
                hint: if restore {
                    "restore failed: the facade needs the reference pack of its target framework (Microsoft.NETCore.App.Ref) from a NuGet feed; check the NuGet.config that applies to the library's folder".into()
                } else {
                    "the facade is generated: a compile error is a bug of mochi-dotnet publish or of this SDK; please report it with the kept project".into()
                },
            })
        }
    }
}

/// Best effort: a cache that cannot be written only costs a rebuild next time.
fn store(dir: &Path, name: &str, dll: &[u8], xml: &[u8]) {
    let Some(parent) = dir.parent() else { return };
    if std::fs::create_dir_all(parent).is_err() {
        return;
    }
    let Ok(tmp) = tempfile::Builder::new().prefix(".tmp-").tempdir_in(parent) else {
        return;
    };
    if std::fs::write(tmp.path().join(format!("{name}.dll")), dll).is_err()
        || std::fs::write(tmp.path().join(format!("{name}.xml")), xml).is_err()
    {
        return;
    }
    let tmp_path = tmp.keep();
    if std::fs::rename(&tmp_path, dir).is_err() {
        // Another process stored the same key first; its bytes are the same.
        let _ = std::fs::remove_dir_all(&tmp_path);
    }
}
