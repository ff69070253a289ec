//! Compiling a generated shim project (docs/shims.md, "Build"): `dotnet build
//! -c Release` when a .NET SDK is installed, else a direct C# compiler (`csc`,
//! else Mono's `mcs`) against the .NET 8 shared framework and the package
//! DLLs. Built shims are cached under a folder keyed by the shim's
//! `shim-sha256` and the SHA-256 of each package DLL: a hit compiles nothing.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::csharp::ShimProject;

/// Which compiler builds shims.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompilerKind {
    /// `dotnet build -c Release` (needs a .NET SDK, `dotnet --list-sdks` non-empty).
    DotnetSdk,
    /// Roslyn's `csc` against the shared framework.
    Csc,
    /// Mono's `mcs` against the shared framework.
    Mcs,
}

impl CompilerKind {
    pub fn parse(s: &str) -> Option<CompilerKind> {
        Some(match s {
            "dotnet" | "sdk" => CompilerKind::DotnetSdk,
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

/// A compiler found on this machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compiler {
    pub kind: CompilerKind,
    /// The `dotnet`, `csc` or `mcs` executable.
    pub program: PathBuf,
}

#[derive(Clone, Debug, Default)]
pub struct BuildOptions {
    /// Where built shims are cached (`<bridge cache>/shims`).
    pub cache_dir: PathBuf,
    /// The .NET 8 shared framework folder (`shared/Microsoft.NETCore.App/8.x.y`),
    /// needed by `csc` and `mcs`.
    pub framework_dir: Option<PathBuf>,
    /// A `dotnet` executable to try first for the SDK.
    pub dotnet: Option<PathBuf>,
    /// Force a compiler (else `MOCHI_DOTNET_SHIM_COMPILER`, else the first found).
    pub compiler: Option<CompilerKind>,
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
    /// The compiler that built it (now or when it was cached).
    pub compiler: String,
    /// The cache key.
    pub key: String,
    /// Exports the compiler rejected, left out of the built assembly: (entry
    /// point, the compiler's error). Also in `<dir>/dropped.txt`.
    pub dropped: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(
        "no C# compiler to build the shim: no .NET SDK (`dotnet --list-sdks` is empty or `dotnet` is missing), no `csc` and no `mcs` on PATH\n  hint: install the .NET 8 SDK (https://dot.net), or Mono's C# compiler (Debian/Ubuntu: `apt-get install mono-mcs`) together with a .NET 8 runtime"
    )]
    NoCompiler,
    #[error(
        "{compiler} needs the .NET 8 shared framework to compile against, and none was found\n  hint: set DOTNET_ROOT to a .NET 8 installation (a folder with shared/Microsoft.NETCore.App/8.x)"
    )]
    NoFramework { compiler: String },
    #[error("the forced shim compiler `{0}` is not available on this machine")]
    ForcedMissing(String),
    #[error("{compiler} failed to compile the shim {} (exit {status}):\n{output}\n  the generated project is kept in {}", source_file.display(), dir.display())]
    Compile {
        compiler: String,
        status: String,
        output: String,
        source_file: PathBuf,
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
    if fs::read(path).is_ok_and(|b| b == bytes) {
        return Ok(());
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io(dir))?;
    tmp.write_all(bytes).map_err(io(path))?;
    tmp.persist(path).map_err(|e| BuildError::Io {
        path: path.to_path_buf(),
        source: e.error,
    })?;
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

/// Finds the compiler to use.
pub fn find_compiler(options: &BuildOptions) -> Result<Compiler, BuildError> {
    let forced = options.compiler.or_else(|| {
        std::env::var("MOCHI_DOTNET_SHIM_COMPILER")
            .ok()
            .and_then(|s| CompilerKind::parse(s.trim()))
    });
    let sdk = || -> Option<Compiler> {
        let mut candidates: Vec<PathBuf> = Vec::new();
        candidates.extend(options.dotnet.clone());
        if let Some(r) = std::env::var_os("DOTNET_ROOT").filter(|r| !r.is_empty()) {
            candidates.push(Path::new(&r).join("dotnet"));
        }
        candidates.extend(on_path("dotnet"));
        candidates
            .into_iter()
            .filter(|c| c.is_file())
            .find_map(|c| {
                let out = Command::new(&c)
                    .arg("--list-sdks")
                    .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
                    .output()
                    .ok()?;
                (out.status.success() && !String::from_utf8_lossy(&out.stdout).trim().is_empty())
                    .then_some(Compiler {
                        kind: CompilerKind::DotnetSdk,
                        program: c,
                    })
            })
    };
    let direct =
        |kind: CompilerKind, exe: &str| on_path(exe).map(|p| Compiler { kind, program: p });
    let found = match forced {
        Some(CompilerKind::DotnetSdk) => sdk(),
        Some(CompilerKind::Csc) => direct(CompilerKind::Csc, "csc"),
        Some(CompilerKind::Mcs) => direct(CompilerKind::Mcs, "mcs"),
        None => sdk()
            .or_else(|| direct(CompilerKind::Csc, "csc"))
            .or_else(|| direct(CompilerKind::Mcs, "mcs")),
    };
    match (found, forced) {
        (Some(c), _) => Ok(c),
        (None, Some(f)) => Err(BuildError::ForcedMissing(f.name().to_string())),
        (None, None) => Err(BuildError::NoCompiler),
    }
}

fn on_path(exe: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(exe))
        .find(|p| p.is_file())
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
    let done = |compiler: String, cache_hit: bool| BuiltShim {
        assembly: dir.join("bin").join(&dll_name),
        dir: dir.clone(),
        exports_type: project.exports_type.clone(),
        cache_hit,
        compiler,
        key: key.clone(),
        dropped: fs::read_to_string(dir.join("dropped.txt"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
    };
    let marker = dir.join("built-with");
    if let Ok(c) = fs::read_to_string(&marker) {
        return Ok(done(c.trim().to_string(), true));
    }
    // One builder per key at a time, across processes.
    let lock_path = root.join(format!("{key}.lock"));
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(io(&lock_path))?;
    fs4::fs_std::FileExt::lock_exclusive(&lock).map_err(io(&lock_path))?;
    let result = (|| {
        if let Ok(c) = fs::read_to_string(&marker) {
            return Ok(done(c.trim().to_string(), true));
        }
        let compiler = find_compiler(options)?;
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".tmp-{}-", &key[..16]))
            .tempdir_in(root)
            .map_err(io(root))?;
        let work = tmp.path();
        write_project(project, work, package_dlls)?;
        let bin = work.join("bin");
        fs::create_dir_all(&bin).map_err(io(&bin))?;
        let dropped = compile_dropping(&compiler, project, work, &bin, options);
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
                    status,
                    output,
                    ..
                } => BuildError::Compile {
                    compiler,
                    status,
                    output: output
                        .replace(&kept.display().to_string(), &failed.display().to_string()),
                    source_file: failed.join("Exports.cs"),
                    dir: failed,
                },
                other => other,
            });
        }
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
        fs::write(work.join("built-with"), compiler.kind.name()).map_err(io(work))?;
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
        Ok(done(compiler.kind.name().to_string(), false))
    })();
    let _ = fs4::fs_std::FileExt::unlock(&lock);
    result
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

fn compile(
    compiler: &Compiler,
    project: &ShimProject,
    work: &Path,
    bin: &Path,
    options: &BuildOptions,
) -> Result<Result<(), Failure>, BuildError> {
    let mut cmd = Command::new(&compiler.program);
    match compiler.kind {
        CompilerKind::DotnetSdk => {
            cmd.arg("build")
                .arg(work.join(format!("{}.csproj", project.assembly_name)))
                .args(["-c", "Release", "--nologo", "-o"])
                .arg(bin)
                .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
                .env("DOTNET_SKIP_FIRST_TIME_EXPERIENCE", "1")
                .env("DOTNET_NOLOGO", "1");
        }
        CompilerKind::Csc | CompilerKind::Mcs => {
            let fw = options
                .framework_dir
                .as_ref()
                .ok_or_else(|| BuildError::NoFramework {
                    compiler: compiler.kind.name().into(),
                })?;
            cmd.args([
                "-target:library",
                "-unsafe",
                "-nostdlib",
                "-optimize+",
                "-nowarn:219,612,618,1702",
            ]);
            if compiler.kind == CompilerKind::Csc {
                cmd.args(["-noconfig", "-deterministic", "-nologo"]);
            }
            for r in framework_references(fw)? {
                cmd.arg(format!("-r:{}", r.display()));
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
    let out = cmd.output().map_err(io(&compiler.program))?;
    if out.status.success() && bin.join(format!("{}.dll", project.assembly_name)).is_file() {
        return Ok(Ok(()));
    }
    let mut all = String::from_utf8_lossy(&out.stdout).into_owned();
    all.push_str(&String::from_utf8_lossy(&out.stderr));
    Ok(Err(Failure {
        compiler: compiler.kind.name().into(),
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
    status: String,
    all: String,
}

impl Failure {
    fn into_error(self, work: &Path) -> BuildError {
        let Failure {
            compiler,
            status,
            all,
        } = self;
        // Errors only (warnings would bury them), at most 60 lines.
        let errors: Vec<&str> = all
            .lines()
            .filter(|l| {
                let low = l.to_ascii_lowercase();
                (low.contains("error") || low.contains("location of the symbol"))
                    && !low.contains("warning cs")
            })
            .collect();
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
            status,
            output: output.trim_end().to_string(),
            source_file: work.join("Exports.cs"),
            dir: work.to_path_buf(),
        }
    }
}

/// Compiles; when the compiler rejects a few exports (and only exports: at
/// most 5, or a tenth of them), drops them from the built `Exports.cs` and
/// compiles again (at most 4 rounds).
/// Returns the dropped entry points with the compiler's first error for each.
fn compile_dropping(
    compiler: &Compiler,
    project: &ShimProject,
    work: &Path,
    bin: &Path,
    options: &BuildOptions,
) -> Result<Vec<(String, String)>, BuildError> {
    let mut dropped: Vec<(String, String)> = Vec::new();
    for _round in 0..4 {
        let failure = match compile(compiler, project, work, bin, options)? {
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
    match compile(compiler, project, work, bin, options)? {
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
