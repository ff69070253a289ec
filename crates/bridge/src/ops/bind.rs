//! `mochi-dotnet bind`: the binding plan, the two Mochi files and the skip
//! report of one assembly or of a package locked in mochi.lock
//! (docs/bindings.md). The binding itself is `shimgen`'s pure function; this
//! finds the inputs (the assembly, or the locked package's closure from the
//! package cache — its assemblies and, as type context, its dependencies'
//! transitively, after the framework conflict rule, exactly as its shim is
//! bound — and the monomorphise list) and writes the outputs atomically.
//! Framework types come from shimgen's committed .NET 8 index, so the outputs
//! are the same on every machine.

// Errors here carry advice and package names; they are built once, on the
// failure path, so their size does not matter.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ecma335::Surface;
use nuget::framework::{Framework, FrameworkError};
use project::{Project, ProjectError, ProjectOptions};
use shimbuild::{ShimError, ShimInput};

/// What `bind` binds and where it writes.
#[derive(Debug, Clone)]
pub struct BindRequest {
    /// An assembly (.dll/.exe), or the id of a package locked in mochi.lock.
    pub target: String,
    /// Folder for plan.json, `<pkg>_extern.mochi`, `<pkg>.mochi`, SKIPPED.txt and
    /// skipped.json (created if needed).
    pub out: PathBuf,
    /// For a locked package: the framework whose assets are bound (default: the
    /// one mochi.lock records).
    pub framework: Option<String>,
    /// Mochi package name used in entry points (default: the id in lower-snake).
    pub package: Option<String>,
    /// Package version for the file headers (default: the locked or assembly version).
    pub version: Option<String>,
    /// Generic instantiations: .json or mochi.toml files, or inline `Key=A,B;C,D`.
    pub monomorphise: Vec<String>,
    /// Extra reference assemblies (files or folders) used as type context.
    pub context: Vec<PathBuf>,
    /// The manifest (its mochi.lock and `[dotnet.monomorphise]`) for a locked id.
    pub manifest_path: PathBuf,
    pub project: ProjectOptions,
}

impl BindRequest {
    /// Binding `target` into `out` with every default.
    pub fn new(target: impl Into<String>, out: impl Into<PathBuf>) -> BindRequest {
        BindRequest {
            target: target.into(),
            out: out.into(),
            framework: None,
            package: None,
            version: None,
            monomorphise: Vec::new(),
            context: Vec::new(),
            manifest_path: PathBuf::from(project::MANIFEST_FILE),
            project: ProjectOptions::default(),
        }
    }
}

/// What `bind` did.
#[derive(Debug, Clone)]
pub struct BindReport {
    pub package_id: String,
    pub version: String,
    pub translated: usize,
    pub conversions: usize,
    pub skipped: usize,
    /// Skip reason → count.
    pub skip_counts: Vec<(String, usize)>,
    pub warnings: Vec<String>,
    pub out: PathBuf,
}

impl BindReport {
    /// What the command prints on stderr: the binder's warnings, then the summary.
    pub fn stderr_text(&self) -> String {
        let mut s = String::new();
        for w in &self.warnings {
            s.push_str(&format!("warning: {w}\n"));
        }
        s.push_str(&self.summary());
        s.push('\n');
        s
    }

    /// The summary line the command prints.
    pub fn summary(&self) -> String {
        let counts: Vec<String> = self
            .skip_counts
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        format!(
            "bound {} {}: {} items translated, {} conversions, {} skipped ({}); wrote {}",
            self.package_id,
            self.version,
            self.translated,
            self.conversions,
            self.skipped,
            if counts.is_empty() {
                "none".to_string()
            } else {
                counts.join(", ")
            },
            self.out.display()
        )
    }
}

/// Why `bind` failed.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error(
        "{}: {source}\n  hint: pass a managed .NET assembly (from a package's lib/<tfm>/ folder) or a package id locked in mochi.lock",
        path.display()
    )]
    Assembly {
        path: PathBuf,
        #[source]
        source: ecma335::Error,
    },
    #[error(
        "`{target}` is not an assembly file, and there is no {} to find it in\n  hint: pass the path of a .dll, or run `mochi-dotnet lock` first",
        lock.display()
    )]
    NoLockfile { target: String, lock: PathBuf },
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error("--framework {framework}: {source}")]
    Framework {
        framework: String,
        #[source]
        source: FrameworkError,
    },
    #[error("reading context assembly {}: {source}", path.display())]
    Context {
        path: PathBuf,
        #[source]
        source: ecma335::Error,
    },
    #[error("reading {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("--monomorphise {value}: {message}")]
    Monomorphise { value: String, message: String },
    #[error("{0}")]
    Plan(#[from] shimgen::PlanError),
    #[error(transparent)]
    Shim(#[from] ShimError),
    #[error("writing {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What is bound: the assemblies' surfaces and the package's identity.
struct Input {
    surface: Surface,
    package_id: String,
    version: String,
    monomorphise: BTreeMap<String, Vec<Vec<String>>>,
    /// Context already read (a locked package: its dependencies after the
    /// framework conflict rule, exactly as its shim is bound).
    context: Vec<Surface>,
}

/// Runs `bind`.
pub fn run(request: &BindRequest) -> Result<BindReport, BindError> {
    let mut input = if Path::new(&request.target).is_file() {
        from_assembly(Path::new(&request.target))?
    } else {
        from_lock(&request.target, request)?
    };
    for m in &request.monomorphise {
        for (k, v) in parse_monomorphise(m)? {
            input.monomorphise.entry(k).or_default().extend(v);
        }
    }
    let mut context_paths = Vec::new();
    for c in &request.context {
        context_paths.extend(assemblies_in(c)?);
    }
    let mut context: Vec<Surface> = std::mem::take(&mut input.context);
    for p in &context_paths {
        context.push(
            ecma335::read_surface_file(p).map_err(|source| BindError::Context {
                path: p.clone(),
                source,
            })?,
        );
    }
    // The framework's types come from the committed .NET 8 index, not from
    // whatever runtime this machine has: the plan is the same everywhere.
    let universe = shimgen::TypeUniverse::with_framework(&input.surface, &context);
    let options = shimgen::BindOptions {
        package: request.package.clone().unwrap_or_default(),
        package_id: input.package_id.clone(),
        version: request.version.clone().unwrap_or(input.version.clone()),
        monomorphise: input.monomorphise.clone(),
    };
    let out = shimgen::bind(&input.surface, &universe, &options)?;
    std::fs::create_dir_all(&request.out).map_err(|source| BindError::Write {
        path: request.out.clone(),
        source,
    })?;
    for (name, text) in out.files() {
        let path = request.out.join(&name);
        fsutil::write_atomic(&path, text.as_bytes())
            .map_err(|source| BindError::Write { path, source })?;
    }
    Ok(BindReport {
        package_id: options.package_id,
        version: options.version,
        translated: out.plan.translated_count(),
        conversions: out.plan.conversion_count(),
        skipped: out.plan.skipped.len(),
        skip_counts: out
            .plan
            .skip_counts
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect(),
        warnings: out.plan.warnings.clone(),
        out: request.out.clone(),
    })
}

fn from_assembly(path: &Path) -> Result<Input, BindError> {
    let surface = ecma335::read_surface_file(path).map_err(|source| BindError::Assembly {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Input {
        package_id: surface.assembly.name.clone(),
        version: surface.assembly.version.clone(),
        surface,
        monomorphise: BTreeMap::new(),
        context: Vec::new(),
    })
}

fn from_lock(id: &str, request: &BindRequest) -> Result<Input, BindError> {
    let project = Project::load_or_default(&request.manifest_path, &request.project)?;
    let lockfile = match project.lockfile() {
        Err(ProjectError::NoLockfile { path }) => {
            return Err(BindError::NoLockfile {
                target: id.to_string(),
                lock: path,
            });
        }
        other => other?,
    };
    let locked = project.locked(&lockfile, id)?;
    let framework = match &request.framework {
        Some(f) => Some(Framework::parse(f).map_err(|source| BindError::Framework {
            framework: f.clone(),
            source,
        })?),
        None => None,
    };
    // The shim's inputs: the transitive closure, the framework conflict rule.
    let closure = project.package_assemblies(&lockfile, locked, framework.as_ref())?;
    let input = ShimInput::from_package(
        &closure.id,
        &closure.version,
        &closure.own,
        &closure.dependencies,
        &closure.native,
    )?;
    let context = shimbuild::binding_context(&input)?;
    Ok(Input {
        surface: input.surface,
        package_id: input.package_id,
        version: input.version,
        monomorphise: project.dotnet().monomorphise.clone(),
        context,
    })
}

/// `--monomorphise`: a JSON file (`{"Key": [["Arg", ...], ...]}`), a
/// mochi.toml (its `[dotnet.monomorphise]`), or inline `Key=A,B;C,D`.
pub fn parse_monomorphise(value: &str) -> Result<BTreeMap<String, Vec<Vec<String>>>, BindError> {
    let path = Path::new(value);
    let bad = |message: String| BindError::Monomorphise {
        value: value.to_string(),
        message,
    };
    if path.is_file() {
        let text = std::fs::read_to_string(path).map_err(|source| BindError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        if value.ends_with(".json") {
            return serde_json::from_str(&text)
                .map_err(|e| bad(format!("expected {{\"Key\": [[\"Type\", ...], ...]}}: {e}")));
        }
        return Ok(project::Manifest::parse(&text, path)
            .map_err(|e| bad(e.to_string()))?
            .dotnet
            .monomorphise);
    }
    let Some((key, rest)) = value.split_once('=') else {
        return Err(bad("not a file and not `Key=Type[,Type...][;...]`".into()));
    };
    let insts = rest
        .split(';')
        .map(|inst| {
            split_top_level(inst)
                .into_iter()
                .map(|s| s.trim().to_string())
                .collect()
        })
        .collect();
    Ok(BTreeMap::from([(key.trim().to_string(), insts)]))
}

/// Splits on commas outside `<...>`.
fn split_top_level(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn assemblies_in(p: &Path) -> Result<Vec<PathBuf>, BindError> {
    if p.is_file() {
        return Ok(vec![p.to_path_buf()]);
    }
    let mut v: Vec<PathBuf> = std::fs::read_dir(p)
        .map_err(|source| BindError::Read {
            path: p.to_path_buf(),
            source,
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "dll"))
        .collect();
    v.sort();
    Ok(v)
}
