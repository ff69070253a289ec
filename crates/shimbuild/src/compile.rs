//! Compiling a generated shim project (docs/shims.md, "Build"): `dotnet build
//! --no-restore` against the .NET 8 targeting pack when a .NET SDK is
//! installed, else a direct C# compiler (the SDK's Roslyn `csc`, a `csc` on
//! PATH, else Mono's `mcs`) against the .NET 8 shared framework and the
//! package DLLs. The choice and its reason are reported ([`Compiler::reason`]).
//! Built shims are cached under a folder keyed by the shim's `shim-sha256`
//! and the SHA-256 of each package DLL: a hit compiles nothing.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use shimgen::csharp::{FRAMEWORK_REFERENCES_PROPERTY, ShimProject};

/// The framework every generated shim targets (`net8.0`).
pub const TARGET_MAJOR: u32 = 8;

/// Which compiler builds shims.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompilerKind {
    /// `dotnet build -c Release --no-restore` (needs a .NET SDK, `dotnet --list-sdks` non-empty).
    DotnetSdk,
    /// Roslyn's `csc` (the SDK's `csc.dll` through `dotnet exec`, else a `csc`
    /// on PATH) against the shared framework.
    Csc,
    /// Mono's `mcs` against the shared framework.
    Mcs,
}

impl CompilerKind {
    pub fn parse(s: &str) -> Option<CompilerKind> {
        Some(match s {
            "dotnet" | "sdk" | "dotnet-build" => CompilerKind::DotnetSdk,
            "csc" => CompilerKind::Csc,
            "mcs" => CompilerKind::Mcs,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            CompilerKind::DotnetSdk => "dotnet build",
            CompilerKind::Csc => "csc",
            CompilerKind::Mcs => "mcs",
        }
    }
}

/// A .NET SDK: `<root>/sdk/<version>/`, run through `<root>/dotnet`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sdk {
    /// `10.0.401`.
    pub version: String,
    /// The installation (`/usr/share/dotnet`).
    pub root: PathBuf,
    /// The `dotnet` muxer of the installation.
    pub dotnet: PathBuf,
    /// `<root>/sdk/<version>`.
    pub dir: PathBuf,
    /// How it was found (`PATH`, `DOTNET_ROOT`, …).
    pub via: String,
}

impl Sdk {
    /// The SDK's Roslyn compiler, a framework-dependent `csc.dll`.
    pub fn csc_dll(&self) -> PathBuf {
        self.dir.join("Roslyn").join("bincore").join("csc.dll")
    }
}

/// A compiler found on this machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compiler {
    pub kind: CompilerKind,
    /// The executable run: `dotnet` for `dotnet build` and the SDK's `csc`,
    /// else `csc` or `mcs`.
    pub program: PathBuf,
    /// The SDK of `dotnet build`, or of a `csc` run as `dotnet exec <sdk>/Roslyn/bincore/csc.dll`.
    pub sdk: Option<Sdk>,
    /// Why this compiler: forced, or what the search found and did not find.
    pub reason: String,
}

impl Compiler {
    /// `dotnet build (.NET SDK 10.0.401)`, `csc (the .NET SDK 10.0.401's Roslyn)`, `mcs (/usr/bin/mcs)`.
    pub fn describe(&self) -> String {
        match (self.kind, &self.sdk) {
            (CompilerKind::DotnetSdk, Some(sdk)) => {
                format!(
                    "dotnet build (.NET SDK {} in {})",
                    sdk.version,
                    sdk.root.display()
                )
            }
            (CompilerKind::Csc, Some(sdk)) => format!(
                "csc (Roslyn of the .NET SDK {}, `dotnet exec {}`)",
                sdk.version,
                sdk.csc_dll().display()
            ),
            (kind, _) => format!("{} ({})", kind.name(), self.program.display()),
        }
    }
}

/// Called once before each compile with a line saying which compiler builds
/// which shim, why, and against which references (the CLI prints it).
pub type Announce = fn(&str);

#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// Where built shims are cached (`<bridge cache>/shims`). `dotnet build`'s
    /// targeting pack, when it has to be restored, goes to `<cache_dir>/sdk/packages`.
    pub cache_dir: PathBuf,
    /// The .NET 8 shared framework folder (`shared/Microsoft.NETCore.App/8.x.y`):
    /// what `csc` and `mcs` compile against, and `dotnet build`'s fallback when
    /// the targeting pack is neither found nor restorable.
    pub framework_dir: Option<PathBuf>,
    /// A `dotnet` executable to try first for the SDK.
    pub dotnet: Option<PathBuf>,
    /// Force a compiler (else `MOCHI_DOTNET_SHIM_COMPILER`, else the first found).
    pub compiler: Option<CompilerKind>,
    /// Told which compiler builds, and why, before each compile.
    pub announce: Option<Announce>,
}

/// A shim ready to load.
#[derive(Clone, Debug)]
pub struct BuiltShim {
    /// The cache entry (project, `lib/`, `bin/`).
    pub dir: PathBuf,
    /// `bin/Mochi.Shim.<Pkg>.dll`, with the package DLLs beside it.
    pub assembly: PathBuf,
    pub exports_type: String,
    /// True when the cache held it and nothing was compiled.
    pub cache_hit: bool,
    /// The compiler that built it (now or when it was cached): `dotnet build`, `csc` or `mcs`.
    pub compiler: String,
    /// Which compiler, why it was chosen and what it compiled against (the
    /// line given to [`BuildOptions::announce`]; also in `<dir>/built-with`).
    pub compiler_detail: String,
    /// The cache key.
    pub key: String,
    /// Exports the compiler rejected, left out of the built assembly: (entry
    /// point, the compiler's error). Also in `<dir>/dropped.txt`.
    pub dropped: Vec<(String, String)>,
}

const COMPILER_HINT: &str = "hint: install the .NET SDK (https://dot.net; it builds shims with `dotnet build`), or Mono's C# compiler (Debian/Ubuntu: `apt-get install mono-mcs`) together with a .NET 8 runtime";

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("no C# compiler to build the shim: {why}\n  {COMPILER_HINT}")]
    NoCompiler { why: String },
    #[error(
        "{compiler} needs the .NET 8 shared framework to compile against, and none was found\n  hint: set DOTNET_ROOT to a .NET 8 installation (a folder with shared/Microsoft.NETCore.App/8.x)"
    )]
    NoFramework { compiler: String },
    #[error(
        "{compiler} has no .NET 8 reference assemblies to compile against: {why}\n  hint: let `dotnet restore` reach a NuGet feed with Microsoft.NETCore.App.Ref 8.0 once (it is cached), or install a .NET 8 runtime (DOTNET_ROOT)"
    )]
    NoReferences { compiler: String, why: String },
    #[error(
        "the shim compiler `{compiler}` ({forced_by}) is not available on this machine: {why}\n  {COMPILER_HINT}"
    )]
    ForcedMissing {
        compiler: String,
        forced_by: String,
        why: String,
    },
    #[error(
        "MOCHI_DOTNET_SHIM_COMPILER is {0:?}, which names no shim compiler\n  hint: use `dotnet` (dotnet build), `csc` or `mcs`, or unset it to choose automatically"
    )]
    UnknownCompiler(String),
    #[error("could not run {compiler} ({}): {source}", program.display())]
    CompilerFailedToRun {
        compiler: String,
        program: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{compiler} failed to compile the shim {} (exit {status}):\n{output}\n  the compiler: {detail}\n  the generated project is kept in {}", dir.join("Exports.cs").display(), dir.display())]
    Compile {
        compiler: String,
        /// Which compiler, why chosen, against what ([`BuiltShim::compiler_detail`]).
        detail: String,
        status: String,
        output: String,
        /// The kept project (its `Exports.cs` is what failed).
        dir: PathBuf,
    },
    #[error("shim cache I/O error on {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BuildError + '_ {
    move |source| BuildError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes the project's files into `dir` (created), and copies `package_dlls` into `dir/lib/`.
pub fn write_project(
    project: &ShimProject,
    dir: &Path,
    package_dlls: &[PathBuf],
) -> Result<(), BuildError> {
    fs::create_dir_all(dir.join("lib")).map_err(io(dir))?;
    for f in &project.files {
        let p = dir.join(&f.path);
        write_if_changed(&p, f.text.as_bytes())?;
    }
    for d in package_dlls {
        let name = d.file_name().map(PathBuf::from).unwrap_or_default();
        let to = dir.join("lib").join(&name);
        let bytes = fs::read(d).map_err(io(d))?;
        write_if_changed(&to, &bytes)?;
    }
    Ok(())
}

fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<(), BuildError> {
    fsutil::write_if_changed(path, bytes).map_err(io(path))?;
    Ok(())
}

/// The cache key: SHA-256 of `shim-sha256`, then each package DLL's file name
/// and content SHA-256, in file-name order.
pub fn cache_key(project: &ShimProject, package_dlls: &[PathBuf]) -> Result<String, BuildError> {
    let mut dlls: Vec<&PathBuf> = package_dlls.iter().collect();
    dlls.sort_by_key(|p| p.file_name().map(|n| n.to_os_string()));
    let mut h = Sha256::new();
    h.update(project.sha256.as_bytes());
    h.update(b"\n");
    for d in dlls {
        let bytes = fs::read(d).map_err(io(d))?;
        h.update(
            d.file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .as_bytes(),
        );
        h.update([0u8]);
        h.update(hex::encode(Sha256::digest(&bytes)).as_bytes());
        h.update(b"\n");
    }
    Ok(hex::encode(h.finalize()))
}

/// The SDK commands' environment: no telemetry or banners, the SDK's own
/// root (a `DOTNET_ROOT` pointing at a runtime-only .NET 8 would otherwise
/// reach MSBuild's child processes), nothing of an enclosing MSBuild.
fn sdk_command(sdk: &Sdk) -> Command {
    let mut cmd = Command::new(&sdk.dotnet);
    cmd.envs(envvars::SET_FOR_DOTNET)
        .env(envvars::DOTNET_ROOT, &sdk.root);
    for var in envvars::REMOVED_FOR_DOTNET {
        cmd.env_remove(var);
    }
    cmd
}

/// `dotnet` executables that may belong to an SDK, in order: `options.dotnet`,
/// `$MOCHI_DOTNET_SDK_ROOT/dotnet`, `$DOTNET_ROOT/dotnet`, the `dotnet` on PATH.
fn dotnet_candidates(options: &BuildOptions) -> Vec<(PathBuf, &'static str)> {
    let mut out: Vec<(PathBuf, &'static str)> = Vec::new();
    if let Some(d) = &options.dotnet {
        out.push((d.clone(), "the dotnet given"));
    }
    for var in [envvars::MOCHI_DOTNET_SDK_ROOT, envvars::DOTNET_ROOT] {
        if let Some(r) = envvars::nonempty(var) {
            out.push((Path::new(&r).join("dotnet"), var));
        }
    }
    if let Some(p) = on_path("dotnet") {
        out.push((p, "PATH"));
    }
    let mut seen: Vec<PathBuf> = Vec::new();
    out.retain(|(p, _)| {
        let key = fs::canonicalize(p).unwrap_or_else(|_| p.clone());
        let new = !seen.contains(&key);
        seen.push(key);
        new
    });
    out
}

/// The newest .NET SDK of the first `dotnet` that lists one, or why none did.
pub fn find_sdk(options: &BuildOptions) -> Result<Sdk, String> {
    let mut tried = Vec::new();
    for (dotnet, via) in dotnet_candidates(options) {
        if !dotnet.is_file() {
            tried.push(format!("{} ({via}) does not exist", dotnet.display()));
            continue;
        }
        let out = Command::new(&dotnet)
            .arg("--list-sdks")
            .envs(envvars::SET_FOR_DOTNET)
            .output();
        let out = match out {
            Ok(o) => o,
            Err(e) => {
                tried.push(format!("{} ({via}) cannot run: {e}", dotnet.display()));
                continue;
            }
        };
        // `10.0.401 [/usr/share/dotnet/sdk]`, oldest first.
        let newest = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let (version, dir) = l.trim().split_once(" [")?;
                let dir = PathBuf::from(dir.strip_suffix(']')?).join(version);
                let key: Vec<u64> = version
                    .split(['.', '-'])
                    .map_while(|p| p.parse().ok())
                    .collect();
                dir.is_dir().then(|| (key, version.to_string(), dir))
            })
            .max_by(|a, b| a.0.cmp(&b.0));
        match newest {
            Some((_, version, dir)) => {
                let muxer = fs::canonicalize(&dotnet).unwrap_or(dotnet);
                let root = dir
                    .parent()
                    .and_then(Path::parent)
                    .map(Path::to_path_buf)
                    .unwrap_or_default();
                return Ok(Sdk {
                    version,
                    root,
                    dotnet: muxer,
                    dir,
                    via: via.to_string(),
                });
            }
            None => tried.push(format!(
                "`{} --list-sdks` ({via}) lists no SDK",
                dotnet.display()
            )),
        }
    }
    if tried.is_empty() {
        tried.push("no `dotnet` on PATH, DOTNET_ROOT and MOCHI_DOTNET_SDK_ROOT unset".into());
    }
    Err(format!("no .NET SDK: {}", tried.join("; ")))
}

/// Finds the compiler to use: the forced one (`options.compiler`, else
/// `MOCHI_DOTNET_SHIM_COMPILER`), else `dotnet build` when an SDK is
/// installed, else a `csc` on PATH, else `mcs`. [`Compiler::reason`] says why.
pub fn find_compiler(options: &BuildOptions) -> Result<Compiler, BuildError> {
    let forced = match options.compiler {
        Some(k) => Some((k, "forced by the caller".to_string())),
        None => match std::env::var(envvars::MOCHI_DOTNET_SHIM_COMPILER) {
            Ok(v) if !v.trim().is_empty() => {
                let k = CompilerKind::parse(v.trim())
                    .ok_or_else(|| BuildError::UnknownCompiler(v.clone()))?;
                Some((k, format!("MOCHI_DOTNET_SHIM_COMPILER={}", v.trim())))
            }
            _ => None,
        },
    };
    let on_path_compiler = |kind: CompilerKind, exe: &str, reason: String| {
        on_path(exe).map(|p| Compiler {
            kind,
            reason: format!("{reason}; `{exe}` found at {}", p.display()),
            program: p,
            sdk: None,
        })
    };
    let sdk_compiler = |kind: CompilerKind, sdk: Sdk, reason: String| Compiler {
        kind,
        program: sdk.dotnet.clone(),
        reason: format!(
            "{reason} (.NET SDK {}, found through {})",
            sdk.version, sdk.via
        ),
        sdk: Some(sdk),
    };
    if let Some((kind, forced_by)) = forced {
        let missing = |why: String| BuildError::ForcedMissing {
            compiler: kind.name().into(),
            forced_by: forced_by.clone(),
            why,
        };
        return match kind {
            CompilerKind::DotnetSdk => find_sdk(options)
                .map(|sdk| sdk_compiler(kind, sdk, forced_by.clone()))
                .map_err(missing),
            CompilerKind::Csc => match find_sdk(options) {
                Ok(sdk) if sdk.csc_dll().is_file() => {
                    Ok(sdk_compiler(kind, sdk, forced_by.clone()))
                }
                sdk => on_path_compiler(kind, "csc", forced_by.clone()).ok_or_else(|| {
                    let why = match sdk {
                        Ok(s) => format!("the SDK has no {}", s.csc_dll().display()),
                        Err(e) => e,
                    };
                    missing(format!("{why}; no `csc` on PATH"))
                }),
            },
            CompilerKind::Mcs => on_path_compiler(kind, "mcs", forced_by.clone())
                .ok_or_else(|| missing("no `mcs` on PATH".into())),
        };
    }
    match find_sdk(options) {
        Ok(sdk) => Ok(sdk_compiler(
            CompilerKind::DotnetSdk,
            sdk,
            "a .NET SDK is installed".into(),
        )),
        Err(no_sdk) => on_path_compiler(CompilerKind::Csc, "csc", no_sdk.clone())
            .or_else(|| {
                on_path_compiler(
                    CompilerKind::Mcs,
                    "mcs",
                    format!("{no_sdk}; no `csc` on PATH"),
                )
            })
            .ok_or(BuildError::NoCompiler {
                why: format!("{no_sdk}; no `csc` and no `mcs` on PATH"),
            }),
    }
}

fn on_path(exe: &str) -> Option<PathBuf> {
    let path = std::env::var_os(envvars::PATH)?;
    std::env::split_paths(&path)
        .map(|d| d.join(exe))
        .find(|p| p.is_file())
}

/// What a compile references for the framework.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameworkRefs {
    /// A folder of .NET 8 assemblies: a targeting pack's `ref/net8.0`, or a
    /// runtime's `shared/Microsoft.NETCore.App/8.x.y`.
    pub dir: PathBuf,
    /// `Microsoft.NETCore.App.Ref 8.0.31 (<dir>)`, or the runtime's.
    pub description: String,
}

/// The `Microsoft.NETCore.App.Ref` 8.x packs on this machine: the SDK's `packs/`,
/// the NuGet global packages folder (`NUGET_PACKAGES`, else
/// `~/.nuget/packages`), and `<cache_dir>/sdk/packages`; the newest one.
pub fn find_targeting_pack(sdk: Option<&Sdk>, cache_dir: &Path) -> Option<FrameworkRefs> {
    let mut roots: Vec<PathBuf> = Vec::new();
    if let Some(sdk) = sdk {
        roots.push(sdk.root.join("packs").join("Microsoft.NETCore.App.Ref"));
    }
    if let Some(g) = nuget::client::default_global_packages_folder() {
        roots.push(g.join("microsoft.netcore.app.ref"));
    }
    roots.push(sdk_packages_dir(cache_dir).join("microsoft.netcore.app.ref"));
    newest_targeting_pack(&roots)
}

/// The newest release `<root>/<8.x.y>/ref/net8.0` among `roots`.
fn newest_targeting_pack(roots: &[PathBuf]) -> Option<FrameworkRefs> {
    let tfm = format!("net{TARGET_MAJOR}.0");
    let mut best: Option<(Vec<u64>, String, PathBuf)> = None;
    for root in roots {
        let Ok(entries) = fs::read_dir(root) else {
            continue;
        };
        for e in entries.flatten() {
            let version = e.file_name().to_string_lossy().into_owned();
            let key: Vec<u64> = version
                .split(['.', '-'])
                .map_while(|p| p.parse().ok())
                .collect();
            if key.first() != Some(&u64::from(TARGET_MAJOR)) || version.contains('-') {
                continue;
            }
            let dir = e.path().join("ref").join(&tfm);
            if !dir.join("System.Runtime.dll").is_file() {
                continue;
            }
            if best.as_ref().is_none_or(|(k, _, _)| key > *k) {
                best = Some((key, version, dir));
            }
        }
    }
    best.map(|(_, version, dir)| FrameworkRefs {
        description: format!(
            "the targeting pack Microsoft.NETCore.App.Ref {version} ({})",
            dir.display()
        ),
        dir,
    })
}

fn sdk_packages_dir(cache_dir: &Path) -> PathBuf {
    cache_dir.join("sdk").join("packages")
}

/// Restores `Microsoft.NETCore.App.Ref` 8 (the version the SDK targets) into
/// `<cache_dir>/sdk/packages` once: `dotnet restore` of a one-line net8.0
/// project, from the machine's NuGet feeds. Under a file lock.
pub fn restore_targeting_pack(sdk: &Sdk, cache_dir: &Path) -> Result<FrameworkRefs, String> {
    let base = cache_dir.join("sdk");
    let proj_dir = base.join(format!("restore-net{TARGET_MAJOR}.0"));
    fs::create_dir_all(&proj_dir).map_err(|e| format!("{}: {e}", proj_dir.display()))?;
    let lock_path = base.join("restore.lock");
    let _lock = fsutil::LockedFile::acquire(&lock_path)
        .map_err(|e| format!("{}: {e}", lock_path.display()))?;
    (|| {
        let cached = || {
            newest_targeting_pack(&[sdk_packages_dir(cache_dir).join("microsoft.netcore.app.ref")])
        };
        if let Some(found) = cached() {
            return Ok(found); // another process restored it meanwhile
        }
        let proj = proj_dir.join("Restore.csproj");
        let text = format!(
            "<!-- Written by mochi-dotnet: restores the .NET {TARGET_MAJOR} targeting pack for offline shim builds. -->\n\
             <Project Sdk=\"Microsoft.NET.Sdk\">\n  <PropertyGroup>\n    <TargetFramework>net{TARGET_MAJOR}.0</TargetFramework>\n    \
             <DisableTransitiveFrameworkReferenceDownloads>true</DisableTransitiveFrameworkReferenceDownloads>\n  </PropertyGroup>\n</Project>\n"
        );
        fs::write(&proj, text).map_err(|e| format!("{}: {e}", proj.display()))?;
        let out = sdk_command(sdk)
            .current_dir(&proj_dir)
            .arg("restore")
            .arg(&proj)
            .arg("--packages")
            .arg(sdk_packages_dir(cache_dir))
            .args([
                "--nologo",
                "-v:q",
                "-p:ImportDirectoryBuildProps=false",
                "-p:ImportDirectoryBuildTargets=false",
                "-p:ImportDirectoryPackagesProps=false",
            ])
            .output()
            .map_err(|e| format!("could not run `{} restore`: {e}", sdk.dotnet.display()))?;
        if !out.status.success() {
            let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&out.stderr));
            let errors: Vec<&str> = text
                .lines()
                .filter(|l| l.contains("error"))
                .take(10)
                .collect();
            return Err(format!(
                "`dotnet restore` of Microsoft.NETCore.App.Ref {TARGET_MAJOR}.0 failed (exit {}): {}",
                out.status.code().map_or("signal".into(), |c| c.to_string()),
                if errors.is_empty() {
                    text.trim().to_string()
                } else {
                    errors.join(" | ").trim().to_string()
                }
            ));
        }
        cached().ok_or_else(|| {
            format!(
                "`dotnet restore` succeeded but left no Microsoft.NETCore.App.Ref {TARGET_MAJOR}.x in {}",
                sdk_packages_dir(cache_dir).display()
            )
        })
    })()
}

/// The first of `dlls` compiled against a runtime's implementation assemblies
/// (it references `System.Private.CoreLib` or another `System.Private.*`,
/// which no targeting pack has), with the name it references.
pub fn references_runtime_internals(dlls: &[PathBuf]) -> Option<(PathBuf, String)> {
    use ecma335::tables::AssemblyRefRow;
    dlls.iter().find_map(|d| {
        let data = fs::read(d).ok()?;
        let md = ecma335::Metadata::parse(&data).ok()?;
        let name = md.tables.rows::<AssemblyRefRow>().find_map(|(_, r)| {
            let n = md.strings.get(r.ok()?.name).ok()?;
            n.starts_with("System.Private.").then(|| n.into_owned())
        })?;
        Some((d.clone(), name))
    })
}

/// What `compiler` compiles against, and (for the announcement) where it came from.
fn framework_refs(
    compiler: &Compiler,
    options: &BuildOptions,
    package_dlls: &[PathBuf],
) -> Result<FrameworkRefs, BuildError> {
    let shared = || {
        options.framework_dir.as_ref().map(|d| FrameworkRefs {
            dir: d.clone(),
            description: format!(
                "the .NET {TARGET_MAJOR} runtime's assemblies ({})",
                d.display()
            ),
        })
    };
    match compiler.kind {
        CompilerKind::Mcs => shared().ok_or_else(|| BuildError::NoFramework {
            compiler: compiler.kind.name().into(),
        }),
        // As mcs: the shared framework; without one the targeting pack.
        CompilerKind::Csc => match shared() {
            Some(r) => Ok(r),
            None => find_targeting_pack(compiler.sdk.as_ref(), &options.cache_dir)
                .or_else(|| {
                    compiler
                        .sdk
                        .as_ref()
                        .and_then(|sdk| restore_targeting_pack(sdk, &options.cache_dir).ok())
                })
                .ok_or_else(|| BuildError::NoFramework {
                    compiler: compiler.kind.name().into(),
                }),
        },
        // The targeting pack (found, else restored once); the shared framework
        // when it cannot be had.
        CompilerKind::DotnetSdk => {
            // A package built against a runtime's own assemblies cannot be
            // compiled against: the targeting pack lacks what it references.
            if let Some((dll, name)) = references_runtime_internals(package_dlls) {
                let why = format!(
                    "{} references {name}, which only a runtime has",
                    dll.file_name().unwrap_or_default().to_string_lossy()
                );
                return match shared() {
                    Some(mut r) => {
                        r.description.push_str(&format!(" ({why})"));
                        Ok(r)
                    }
                    None => Err(BuildError::NoReferences {
                        compiler: compiler.kind.name().into(),
                        why: format!("{why}, and no .NET {TARGET_MAJOR} runtime was found"),
                    }),
                };
            }
            if let Some(r) = find_targeting_pack(compiler.sdk.as_ref(), &options.cache_dir) {
                return Ok(r);
            }
            let sdk = compiler.sdk.as_ref().expect("dotnet build has an SDK");
            match restore_targeting_pack(sdk, &options.cache_dir) {
                Ok(mut r) => {
                    r.description.push_str(", restored into the shim cache");
                    Ok(r)
                }
                Err(why) => match shared() {
                    Some(mut r) => {
                        r.description
                            .push_str(&format!(" (the targeting pack could not be had: {why})"));
                        Ok(r)
                    }
                    None => Err(BuildError::NoReferences {
                        compiler: compiler.kind.name().into(),
                        why: format!(
                            "no Microsoft.NETCore.App.Ref {TARGET_MAJOR}.x in the SDK's packs/, the NuGet packages folder or the shim cache; {why}; no .NET {TARGET_MAJOR} runtime either"
                        ),
                    }),
                },
            }
        }
    }
}

/// Builds `project` (or finds it in the cache).
pub fn build(
    project: &ShimProject,
    package_dlls: &[PathBuf],
    options: &BuildOptions,
) -> Result<BuiltShim, BuildError> {
    let key = cache_key(project, package_dlls)?;
    let root = &options.cache_dir;
    fs::create_dir_all(root).map_err(io(root))?;
    let dir = root.join(&key);
    let dll_name = format!("{}.dll", project.assembly_name);
    // `built-with`: the compiler's name, then the line that says why and against what.
    let done = |marker: &str, cache_hit: bool| {
        let (compiler, detail) = marker.split_once('\n').unwrap_or((marker, ""));
        BuiltShim {
            assembly: dir.join("bin").join(&dll_name),
            dir: dir.clone(),
            exports_type: project.exports_type.clone(),
            cache_hit,
            compiler: compiler.trim().to_string(),
            compiler_detail: detail.trim().to_string(),
            key: key.clone(),
            dropped: fs::read_to_string(dir.join("dropped.txt"))
                .unwrap_or_default()
                .lines()
                .filter_map(|l| l.split_once('\t'))
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        }
    };
    let marker = dir.join("built-with");
    if let Ok(c) = fs::read_to_string(&marker) {
        return Ok(done(&c, true));
    }
    // One builder per key at a time, across processes.
    let lock_path = root.join(format!("{key}.lock"));
    let _lock = fsutil::LockedFile::acquire(&lock_path).map_err(io(&lock_path))?;
    (|| {
        if let Ok(c) = fs::read_to_string(&marker) {
            return Ok(done(&c, true));
        }
        let compiler = find_compiler(options)?;
        let refs = framework_refs(&compiler, options, package_dlls)?;
        let detail = format!(
            "{}: {}; compiling against {}",
            compiler.describe(),
            compiler.reason,
            refs.description
        );
        if let Some(announce) = options.announce {
            announce(&format!("building {} with {detail}", project.assembly_name));
        }
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".tmp-{}-", &key[..16]))
            .tempdir_in(root)
            .map_err(io(root))?;
        let work = tmp.path();
        write_project(project, work, package_dlls)?;
        let bin = work.join("bin");
        fs::create_dir_all(&bin).map_err(io(&bin))?;
        let job = Job {
            compiler: &compiler,
            refs: &refs,
            detail: &detail,
            project,
            work,
            bin: &bin,
        };
        let dropped = compile_dropping(&job);
        if let Ok(d) = &dropped
            && !d.is_empty()
        {
            let text: String = d.iter().map(|(e, m)| format!("{e}\t{m}\n")).collect();
            fs::write(work.join("dropped.txt"), text).map_err(io(work))?;
        }
        if let Err(e) = dropped {
            // Keep the failed project for inspection, under a stable name.
            let failed = root.join(format!("failed-{key}"));
            let _ = fs::remove_dir_all(&failed);
            let kept = tmp.keep();
            let _ = fs::rename(&kept, &failed);
            return Err(match e {
                BuildError::Compile {
                    compiler,
                    detail,
                    status,
                    output,
                    ..
                } => BuildError::Compile {
                    compiler,
                    detail,
                    status,
                    output: output
                        .replace(&kept.display().to_string(), &failed.display().to_string()),
                    dir: failed,
                },
                other => other,
            });
        }
        // MSBuild's intermediate files (a second copy of the shim) are not kept.
        let _ = fs::remove_dir_all(work.join("obj"));
        for d in package_dlls {
            if let Some(name) = d.file_name() {
                let to = bin.join(name);
                if !to.exists() {
                    fs::copy(d, &to).map_err(io(&to))?;
                }
            }
        }
        let rc = format!("{}.runtimeconfig.json", project.assembly_name);
        if let Some(text) = project.file(&rc) {
            fs::write(bin.join(&rc), text).map_err(io(&bin))?;
        }
        let marker_text = format!("{}\n{detail}\n", compiler.kind.name());
        fs::write(work.join("built-with"), &marker_text).map_err(io(work))?;
        let kept = tmp.keep();
        let _ = fs::remove_dir_all(&dir);
        fs::rename(&kept, &dir).map_err(io(&dir))?;
        let log = root.join("builds.log");
        if let Ok(mut f) = fs::OpenOptions::new().create(true).append(true).open(&log) {
            let _ = writeln!(
                f,
                "{key} {} {}",
                project.assembly_name,
                compiler.kind.name()
            );
        }
        Ok(done(&marker_text, false))
    })()
}

/// The reference set for a direct compile: every assembly of the shared
/// framework except `System.Private.*` (CoreLib and Uri are added) and
/// `Microsoft.VisualBasic*`, sorted.
pub fn framework_references(fw: &Path) -> Result<Vec<PathBuf>, BuildError> {
    // Public facades forward System.Uri and System.Xml(.Linq) types to these;
    // net4x packages name the facades, so the compiler must see the targets.
    let mut refs: Vec<PathBuf> = [
        "System.Private.CoreLib.dll",
        "System.Private.Uri.dll",
        "System.Private.Xml.dll",
        "System.Private.Xml.Linq.dll",
    ]
    .iter()
    .map(|n| fw.join(n))
    .filter(|p| p.is_file())
    .collect();
    let mut rest: Vec<PathBuf> = fs::read_dir(fw)
        .map_err(io(fw))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let n = p.file_name().unwrap_or_default().to_string_lossy();
            n.ends_with(".dll")
                && !n.starts_with("System.Private.")
                && !n.starts_with("Microsoft.VisualBasic")
        })
        .collect();
    rest.sort();
    refs.extend(rest);
    Ok(refs)
}

/// One shim being compiled.
struct Job<'a> {
    compiler: &'a Compiler,
    refs: &'a FrameworkRefs,
    /// [`BuiltShim::compiler_detail`].
    detail: &'a str,
    project: &'a ShimProject,
    work: &'a Path,
    bin: &'a Path,
}

fn compile(job: &Job) -> Result<Result<(), Failure>, BuildError> {
    let Job {
        compiler,
        refs,
        project,
        work,
        bin,
        ..
    } = *job;
    let mut cmd = match &compiler.sdk {
        Some(sdk) => sdk_command(sdk),
        None => Command::new(&compiler.program),
    };
    cmd.current_dir(work);
    match compiler.kind {
        CompilerKind::DotnetSdk => {
            // Offline: no restore, the reference folder instead of the implicit
            // framework reference (see the generated .csproj), no build servers
            // left behind, nothing imported from folders above the cache.
            cmd.arg("build")
                .arg(work.join(format!("{}.csproj", project.assembly_name)))
                .args([
                    "-c",
                    "Release",
                    "--nologo",
                    "--no-restore",
                    "--disable-build-servers",
                    "-clp:NoSummary",
                    "-p:ImportDirectoryBuildProps=false",
                    "-p:ImportDirectoryBuildTargets=false",
                    "-p:ImportDirectoryPackagesProps=false",
                ])
                .arg(format!(
                    "-p:{FRAMEWORK_REFERENCES_PROPERTY}={}",
                    refs.dir.display()
                ))
                .arg("-o")
                .arg(bin);
        }
        CompilerKind::Csc | CompilerKind::Mcs => {
            if compiler.kind == CompilerKind::Csc {
                if let Some(sdk) = &compiler.sdk {
                    cmd.arg("exec").arg(sdk.csc_dll());
                }
                cmd.args([
                    "-noconfig",
                    "-deterministic",
                    "-nologo",
                    "-langversion:latest",
                ])
                .arg(format!("-pathmap:{}=/_/", work.display()));
            }
            cmd.args([
                "-target:library",
                "-unsafe",
                "-nostdlib",
                "-optimize+",
                "-nowarn:219,612,618,1702",
            ]);
            // A package assembly named like a framework one replaces it
            // (the loser was left out by the conflict rule, shimgen::platform).
            let overridden = |r: &Path| {
                let n = r.file_name().unwrap_or_default().to_string_lossy();
                project
                    .package_dlls
                    .iter()
                    .any(|d| d.eq_ignore_ascii_case(&n))
            };
            for r in framework_references(&refs.dir)? {
                if !overridden(&r) {
                    cmd.arg(format!("-r:{}", r.display()));
                }
            }
            for d in &project.package_dlls {
                cmd.arg(format!("-r:{}", work.join("lib").join(d).display()));
            }
            cmd.arg(format!(
                "-out:{}",
                bin.join(format!("{}.dll", project.assembly_name)).display()
            ));
            for f in &project.files {
                if f.path.ends_with(".cs") {
                    cmd.arg(work.join(&f.path));
                }
            }
        }
    }
    let out = cmd
        .output()
        .map_err(|source| BuildError::CompilerFailedToRun {
            compiler: compiler.kind.name().into(),
            program: compiler.program.clone(),
            source,
        })?;
    if out.status.success() && bin.join(format!("{}.dll", project.assembly_name)).is_file() {
        return Ok(Ok(()));
    }
    let mut all = String::from_utf8_lossy(&out.stdout).into_owned();
    all.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok(Err(Failure {
        compiler: compiler.kind.name().into(),
        detail: job.detail.to_string(),
        status: out
            .status
            .code()
            .map(|c| c.to_string())
            .unwrap_or_else(|| "signal".into()),
        all,
    }))
}

/// A compiler run that failed: its whole output.
struct Failure {
    compiler: String,
    detail: String,
    status: String,
    all: String,
}

impl Failure {
    fn into_error(self, work: &Path) -> BuildError {
        let Failure {
            compiler,
            detail,
            status,
            all,
        } = self;
        // Errors only (warnings would bury them), at most 60 lines.
        let mut errors: Vec<&str> = all
            .lines()
            .filter(|l| {
                let low = l.to_ascii_lowercase();
                (low.contains("error") || low.contains("location of the symbol"))
                    && !low.contains("warning cs")
                    && !low.trim_start().ends_with("error(s)")
            })
            .collect();
        // MSBuild repeats some errors (a project that does not load); keep the first.
        let mut seen = std::collections::HashSet::new();
        errors.retain(|l| seen.insert(l.trim()));
        let mut output = if errors.is_empty() {
            all.clone()
        } else {
            errors
                .iter()
                .take(60)
                .copied()
                .collect::<Vec<_>>()
                .join("\n")
        };
        if errors.len() > 60 {
            output.push_str(&format!("\n… {} more error lines", errors.len() - 60));
        }
        BuildError::Compile {
            compiler,
            detail,
            status,
            output: output.trim_end().to_string(),
            dir: work.to_path_buf(),
        }
    }
}

/// Compiles; when the compiler rejects a few exports (and only exports: at
/// most 5, or a tenth of them), drops them from the built `Exports.cs` and
/// compiles again (at most 4 rounds).
/// Returns the dropped entry points with the compiler's first error for each.
fn compile_dropping(job: &Job) -> Result<Vec<(String, String)>, BuildError> {
    let work = job.work;
    let mut dropped: Vec<(String, String)> = Vec::new();
    for _round in 0..4 {
        let failure = match compile(job)? {
            Ok(()) => return Ok(dropped),
            Err(f) => f,
        };
        let exports_path = work.join("Exports.cs");
        let text = fs::read_to_string(&exports_path).map_err(io(&exports_path))?;
        let lines: Vec<&str> = text.lines().collect();
        let mut bad: std::collections::BTreeMap<usize, String> = std::collections::BTreeMap::new();
        let mut unmapped = false;
        for l in failure.all.lines() {
            let Some((line, msg)) = error_line(l) else {
                continue;
            };
            match export_at(&lines, line) {
                Some(start) => {
                    bad.entry(start).or_insert(msg);
                }
                None => unmapped = true,
            }
        }
        // Dropping is for the odd export (an inaccessible type, a compiler
        // limit); a project-wide failure (a missing reference) stays an error.
        let exports = lines
            .iter()
            .filter(|l| l.starts_with("        [UnmanagedCallersOnly(EntryPoint = "))
            .count();
        let limit = (exports / 10).max(5);
        if bad.is_empty() || unmapped || dropped.len() + bad.len() > limit {
            return Err(failure.into_error(work));
        }
        let mut out: Vec<String> = Vec::with_capacity(lines.len());
        let mut i = 0;
        while i < lines.len() {
            if let Some(msg) = bad.get(&i) {
                let ep = entry_point_of(lines[i + 1]).unwrap_or_default();
                let end = (i + 2..lines.len())
                    .find(|&k| lines[k] == "        }")
                    .unwrap_or(lines.len() - 1);
                out.push(format!("        // dropped by the build: {ep}: {msg}"));
                dropped.push((ep, msg.clone()));
                i = end + 1;
                continue;
            }
            out.push(lines[i].to_string());
            i += 1;
        }
        let mut t = out.join("\n");
        t.push('\n');
        fs::write(&exports_path, t).map_err(io(&exports_path))?;
    }
    match compile(job)? {
        Ok(()) => Ok(dropped),
        Err(f) => Err(f.into_error(work)),
    }
}

/// `…/Exports.cs(123,45): error CS0122: message` → (0-based line, "CS0122: message").
fn error_line(l: &str) -> Option<(usize, String)> {
    let at = l.find("Exports.cs(")?;
    let rest = &l[at + "Exports.cs(".len()..];
    let (pos, tail) = rest.split_once(')')?;
    let line: usize = pos.split(',').next()?.trim().parse().ok()?;
    let msg = tail.split_once("error ")?.1;
    let msg = msg.split(" [").next().unwrap_or(msg).trim().to_string();
    Some((line.checked_sub(1)?, msg))
}

/// The first line (the `// <source>` comment) of the export containing `line`.
fn export_at(lines: &[&str], line: usize) -> Option<usize> {
    let line = line.min(lines.len().checked_sub(1)?);
    let attr = (0..=line)
        .rev()
        .find(|&k| lines[k].starts_with("        [UnmanagedCallersOnly(EntryPoint = "))?;
    // The export ends at its closing brace; the error must be inside it.
    let end = (attr + 2..lines.len()).find(|&k| lines[k] == "        }")?;
    (line <= end && attr > 0 && lines[attr - 1].starts_with("        // ")).then_some(attr - 1)
}

fn entry_point_of(attr: &str) -> Option<String> {
    let a = attr.split_once("EntryPoint = \"")?.1;
    Some(a.split('"').next()?.to_string())
}
