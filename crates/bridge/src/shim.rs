//! Shims of bound packages (docs/shims.md): bind an assembly or a locked
//! package in-process, generate its C# shim project (`shimgen::csharp`),
//! build it through the shim cache (`shimgen::build`), and compute
//! `shim-sha256` for mochi.lock.

// Errors carry compiler output; they are built once, on the failure path.
#![allow(clippy::result_large_err)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ecma335::Surface;
use shimgen::BindingPlan;
use shimgen::build::{BuildOptions, BuiltShim};
use shimgen::csharp::{ShimOptions, ShimProject};

use crate::framework::{Family, Framework};
use crate::lockfile::{LockedPackage, Lockfile};

/// Why a shim could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ShimError {
    #[error("{}: {message}", path.display())]
    Assembly { path: PathBuf, message: String },
    #[error(
        "{id} {version} is locked but not in the package cache\n  hint: run `mochi-dotnet lock` to fetch it"
    )]
    NotCached { id: String, version: String },
    #[error("{0}")]
    Package(String),
    /// The package has no assemblies for the framework (a meta-package whose
    /// dependencies carry the code, an analyzer or build-only package, or one
    /// the framework itself provides): nothing to bind, no shim.
    #[error(
        "{id} {version} ships no assemblies for {framework} ({why}): there is nothing to bind and no shim to build{hint}"
    )]
    NoAssemblies {
        id: String,
        version: String,
        framework: String,
        why: String,
        hint: String,
    },
    #[error("binding failed: {0}")]
    Bind(String),
    #[error(transparent)]
    Build(#[from] shimgen::build::BuildError),
    #[error(transparent)]
    Cache(#[from] crate::cache::CacheError),
}

/// What a shim is made from.
#[derive(Debug)]
pub struct ShimInput {
    /// The bound surface (several assemblies of one package merged).
    pub surface: Surface,
    pub package_id: String,
    pub version: String,
    /// The Mochi package name (`mochi_<package>_…`); empty: from the id.
    pub package: String,
    pub framework: Framework,
    pub monomorphise: BTreeMap<String, Vec<Vec<String>>>,
    /// The package's own assemblies (referenced by the shim, copied beside it).
    pub dlls: Vec<PathBuf>,
    /// Assemblies of dependencies: type context, and copied beside the shim.
    pub dependency_dlls: Vec<PathBuf>,
    /// `[dotnet.runtime] roll-forward`, written into the shim's runtimeconfig.
    pub roll_forward: Option<hosting::RollForward>,
    /// Native libraries of the package and its dependencies for this machine's
    /// runtime identifier (`runtimes/<rid>/native/*`, e.g. `libe_sqlite3.so`):
    /// copied beside the shim, where .NET's `DllImport` probing finds them.
    pub native_assets: Vec<PathBuf>,
}

/// A generated (not yet built) shim.
#[derive(Debug)]
pub struct Generated {
    pub plan: BindingPlan,
    pub project: ShimProject,
    /// Every file the shim needs beside it: package DLLs, then dependencies'
    /// DLLs (each referenced), then native libraries (copied only). Package
    /// assemblies the .NET 8 framework replaces are not among them.
    pub dlls: Vec<PathBuf>,
    /// Package assemblies the framework also ships, and which copy the shim
    /// uses (`shimgen::platform`, the SDK's rule: the higher version wins).
    pub conflicts: Vec<shimgen::platform::Conflict>,
}

/// An assembly file as a package of its own (`invoke path/to/Lib.dll`).
pub fn input_from_assembly(path: &Path, package: Option<&str>) -> Result<ShimInput, ShimError> {
    let surface = ecma335::read_surface_file(path).map_err(|e| ShimError::Assembly {
        path: path.to_path_buf(),
        message: format!(
            "{e}\n  hint: pass a managed .NET assembly or a package id locked in mochi.lock"
        ),
    })?;
    let framework = surface
        .target_framework
        .as_deref()
        .and_then(|f| Framework::parse(f).ok())
        .filter(|f| f.family == Family::NetCoreApp)
        .unwrap_or_else(|| Framework::parse("net8.0").expect("net8.0 parses"));
    Ok(ShimInput {
        package_id: surface.assembly.name.clone(),
        version: surface.assembly.version.clone(),
        package: package.unwrap_or_default().to_string(),
        surface,
        framework,
        monomorphise: BTreeMap::new(),
        // A shared-framework assembly is already referenced and loaded by
        // the runtime: neither copied nor referenced again.
        dlls: if is_framework_assembly(path) {
            Vec::new()
        } else {
            vec![path.to_path_buf()]
        },
        dependency_dlls: Vec::new(),
        roll_forward: None,
        native_assets: Vec::new(),
    })
}

/// Whether `path` sits in a .NET shared framework folder (next to System.Private.CoreLib.dll).
pub fn is_framework_assembly(path: &Path) -> bool {
    path.parent()
        .is_some_and(|d| d.join("System.Private.CoreLib.dll").is_file())
}

/// A package recorded in mochi.lock, from the package cache.
pub fn input_from_lock(
    lock: &Lockfile,
    locked: &LockedPackage,
    monomorphise: &BTreeMap<String, Vec<Vec<String>>>,
) -> Result<ShimInput, ShimError> {
    let cache = crate::cache::PackageCache::open_default()?;
    input_from_lock_in(&cache, lock, locked, monomorphise)
}

/// [`input_from_lock`] with the package cache given.
pub fn input_from_lock_in(
    cache: &crate::cache::PackageCache,
    lock: &Lockfile,
    locked: &LockedPackage,
    monomorphise: &BTreeMap<String, Vec<Vec<String>>>,
) -> Result<ShimInput, ShimError> {
    let cache = cache.clone();
    let framework = Framework::parse(&locked.target_framework).map_err(|e| {
        ShimError::Package(format!("mochi.lock target-framework of {}: {e}", locked.id))
    })?;
    let assemblies = |pid: &str, version: &str| -> Result<Vec<PathBuf>, ShimError> {
        let cached = cache
            .lookup(pid, version)
            .ok_or_else(|| ShimError::NotCached {
                id: pid.to_string(),
                version: version.to_string(),
            })?;
        let contents =
            crate::nupkg::read_extracted(&cached.extracted_dir, &format!("{pid} {version}"))
                .map_err(|e| ShimError::Package(e.to_string()))?;
        let assets = crate::lock::select_assets(pid, &framework, &contents)
            .map_err(|e| ShimError::Package(e.to_string()))?;
        Ok(assets
            .assemblies
            .iter()
            .map(|a| cached.extracted_dir.join(a))
            .collect())
    };
    let own = assemblies(&locked.id, &locked.version)?;
    if own.is_empty() {
        return Err(no_assemblies(lock, locked, &framework, &cache));
    }
    let mut natives = native_assets_of(&cache, &locked.id, &locked.version);
    let mut surface: Option<Surface> = None;
    for path in &own {
        let s = ecma335::read_surface_file(path).map_err(|e| ShimError::Assembly {
            path: path.clone(),
            message: e.to_string(),
        })?;
        match &mut surface {
            None => surface = Some(s),
            Some(first) => first.types.extend(s.types),
        }
    }
    let Some(surface) = surface else {
        return Err(no_assemblies(lock, locked, &framework, &cache));
    };
    // Dependencies, transitively through the lock.
    let mut deps = Vec::new();
    let mut seen = BTreeSet::new();
    let mut queue: Vec<String> = locked.dependencies.clone();
    while let Some(d) = queue.pop() {
        let Some((pid, v)) = d.split_once(' ') else {
            continue;
        };
        if !seen.insert(pid.to_ascii_lowercase()) {
            continue;
        }
        merge_natives(&mut natives, native_assets_of(&cache, pid, v));
        match assemblies(pid, v) {
            Ok(paths) => deps.extend(paths),
            // Not cached: the context (and so the hash) would depend on the
            // cache's state; `mochi-dotnet lock` downloads every dependency.
            Err(e @ ShimError::NotCached { .. }) => return Err(e),
            // A dependency with no assets for this framework adds no types.
            Err(_) => {}
        }
        if let Some(p) = lock.get(pid) {
            queue.extend(p.dependencies.iter().cloned());
        }
    }
    Ok(ShimInput {
        surface,
        package_id: locked.id.clone(),
        version: locked.version.clone(),
        package: String::new(),
        framework,
        monomorphise: monomorphise.clone(),
        dlls: own,
        dependency_dlls: deps,
        roll_forward: None,
        native_assets: natives,
    })
}

/// The runtime identifiers whose `runtimes/<rid>/native/` assets this machine
/// loads, most specific first (.NET's RID fallback graph for Linux).
pub fn native_rids() -> &'static [&'static str] {
    if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        &["linux-x64", "linux", "unix"]
    } else if cfg!(all(target_os = "linux", target_arch = "aarch64")) {
        &["linux-arm64", "linux", "unix"]
    } else if cfg!(all(target_os = "macos", target_arch = "aarch64")) {
        &["osx-arm64", "osx", "unix"]
    } else if cfg!(target_os = "macos") {
        &["osx-x64", "osx", "unix"]
    } else if cfg!(windows) {
        &["win-x64", "win"]
    } else {
        &[]
    }
}

/// `runtimes/<rid>/native/*` of a cached package for the first RID of
/// [`native_rids`] that has any, sorted.
fn native_assets_of(cache: &crate::cache::PackageCache, id: &str, version: &str) -> Vec<PathBuf> {
    let Some(cached) = cache.lookup(id, version) else {
        return Vec::new();
    };
    for rid in native_rids() {
        let dir = cached
            .extracted_dir
            .join("runtimes")
            .join(rid)
            .join("native");
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        if !files.is_empty() {
            files.sort();
            return files;
        }
    }
    Vec::new()
}

/// Adds `more`, keeping the first file of each name.
fn merge_natives(into: &mut Vec<PathBuf>, more: Vec<PathBuf>) {
    for p in more {
        if !into.iter().any(|q| q.file_name() == p.file_name()) {
            into.push(p);
        }
    }
}

/// The error for a package without assemblies, saying what kind of package
/// it is and what to bind instead.
fn no_assemblies(
    lock: &Lockfile,
    locked: &LockedPackage,
    framework: &Framework,
    cache: &crate::cache::PackageCache,
) -> ShimError {
    let folders = |sub: &str| -> bool {
        cache
            .lookup(&locked.id, &locked.version)
            .is_some_and(|c| c.extracted_dir.join(sub).is_dir())
    };
    let carriers: Vec<String> = locked
        .dependencies
        .iter()
        .filter_map(|d| d.split_once(' ').map(|(id, _)| id.to_string()))
        .filter(|id| lock.get(id).is_some_and(|p| p.assets_framework != "none"))
        .collect();
    let native_only = cache
        .lookup(&locked.id, &locked.version)
        .and_then(|c| std::fs::read_dir(c.extracted_dir.join("runtimes")).ok())
        .is_some_and(|rd| rd.flatten().any(|e| e.path().join("native").is_dir()));
    let why = if folders("analyzers") && !folders("lib") && !folders("ref") {
        "it holds Roslyn analyzers only".to_string()
    } else if native_only {
        "it ships native libraries only (runtimes/<rid>/native): they are copied beside the shims of the packages that depend on it".to_string()
    } else if !carriers.is_empty() {
        "a meta-package: its dependencies carry the code".to_string()
    } else if folders("lib") || folders("ref") {
        format!(
            "its {} assets are a `_._` placeholder: the .NET framework provides the API",
            framework.short_name()
        )
    } else {
        "it has no lib/ or ref/ folder".to_string()
    };
    let hint = if carriers.is_empty() || native_only {
        String::new()
    } else {
        format!(
            "\n  hint: bind the packages that carry its code instead: {}",
            carriers.join(", ")
        )
    };
    ShimError::NoAssemblies {
        id: locked.id.clone(),
        version: locked.version.clone(),
        framework: framework.short_name(),
        why,
        hint,
    }
}

/// Binds and generates; dependencies and the .NET 8 framework index are type context.
pub fn generate(input: &ShimInput) -> Result<Generated, ShimError> {
    let resolved = resolve_conflicts(input)?;
    let context = resolved.context;
    // Framework types from the committed .NET 8 index: the shim and its hash
    // do not depend on the runtime this machine has (or lacks).
    let universe = shimgen::TypeUniverse::with_framework(&input.surface, &context);
    let options = shimgen::BindOptions {
        package: input.package.clone(),
        package_id: input.package_id.clone(),
        version: input.version.clone(),
        monomorphise: input.monomorphise.clone(),
    };
    let plan = shimgen::build_plan(&input.surface, &universe, &options)
        .map_err(|e| ShimError::Bind(e.to_string()))?;
    let dlls: Vec<PathBuf> = resolved.dlls;
    let names: Vec<String> = dlls
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let project = shimgen::csharp::generate(
        &plan,
        &ShimOptions {
            package_dlls: names,
            roll_forward: input.roll_forward.map(|r| r.name().to_string()),
        },
    );
    let mut dlls = dlls;
    dlls.extend(input.native_assets.iter().cloned());
    Ok(Generated {
        plan,
        project,
        dlls,
        conflicts: resolved.conflicts,
    })
}

/// The type context of a binding: the dependencies' surfaces after the SDK's
/// conflict rule (what [`generate`] binds with; `mochi-dotnet bind` uses it too,
/// so its plan is the shim's).
pub fn binding_context(input: &ShimInput) -> Result<Vec<Surface>, ShimError> {
    Ok(resolve_conflicts(input)?.context)
}

/// The assemblies a shim references after the SDK's conflict rule, and the
/// dependencies' surfaces that are type context.
struct Resolved {
    dlls: Vec<PathBuf>,
    context: Vec<Surface>,
    conflicts: Vec<shimgen::platform::Conflict>,
}

/// Applies `shimgen::platform::conflict` to every package and dependency
/// assembly: one the framework replaces is neither referenced, copied, nor
/// type context (the framework index describes its types).
fn resolve_conflicts(input: &ShimInput) -> Result<Resolved, ShimError> {
    use shimgen::platform::{Winner, conflict};
    let read = |p: &PathBuf| {
        ecma335::read_surface_file(p).map_err(|e| ShimError::Assembly {
            path: p.clone(),
            message: e.to_string(),
        })
    };
    let mut out = Resolved {
        dlls: Vec::new(),
        context: Vec::new(),
        conflicts: Vec::new(),
    };
    for (i, p) in input.dlls.iter().enumerate() {
        // The first assembly's identity is the bound surface's.
        let (name, version) = if i == 0 {
            (
                input.surface.assembly.name.clone(),
                input.surface.assembly.version.clone(),
            )
        } else {
            let s = read(p)?;
            (s.assembly.name, s.assembly.version)
        };
        match conflict(&name, &version) {
            Some(c) => {
                let keep = c.winner == Winner::Package;
                out.conflicts.push(c);
                if keep {
                    out.dlls.push(p.clone());
                }
            }
            None => out.dlls.push(p.clone()),
        }
    }
    for p in &input.dependency_dlls {
        let s = read(p)?;
        if let Some(c) = conflict(&s.assembly.name, &s.assembly.version) {
            let keep = c.winner == Winner::Package;
            out.conflicts.push(c);
            if !keep {
                continue;
            }
        }
        out.dlls.push(p.clone());
        out.context.push(s);
    }
    Ok(out)
}

/// The shim cache: `<package cache root>/shims`.
pub fn shim_cache_dir() -> Result<PathBuf, ShimError> {
    let cache = crate::cache::PackageCache::open_default()?;
    Ok(cache.root().join("shims"))
}

/// Builds (or finds in the cache) a generated shim. Before compiling, the
/// compiler chosen and why is printed on stderr.
pub fn build(generated: &Generated) -> Result<BuiltShim, ShimError> {
    let options = BuildOptions {
        cache_dir: shim_cache_dir()?,
        framework_dir: shared_framework_dir(8),
        dotnet: dotnet_root().map(|r| r.join("dotnet")),
        announce: Some(|line| eprintln!("note: {line}")),
        ..BuildOptions::default()
    };
    Ok(shimgen::build::build(
        &generated.project,
        &generated.dlls,
        &options,
    )?)
}

/// The .NET installation to use: `MOCHI_DOTNET8_ROOT`, else hosting's locator
/// (DOTNET_ROOT, the `dotnet` on PATH, standard folders), else a project
/// `.tools/dotnet8` above the current folder.
pub fn dotnet_root() -> Option<PathBuf> {
    if let Some(r) = std::env::var_os("MOCHI_DOTNET8_ROOT").filter(|r| !r.is_empty()) {
        let r = PathBuf::from(r);
        if r.join("shared/Microsoft.NETCore.App").is_dir() {
            return Some(r);
        }
    }
    if let Ok((install, _)) =
        hosting::Locator::from_env().find(&hosting::FrameworkRequirement::net(8, 0))
    {
        return Some(install.root);
    }
    let cwd = std::env::current_dir().ok()?;
    cwd.ancestors()
        .map(|a| a.join(".tools/dotnet8"))
        .find(|p| p.join("shared/Microsoft.NETCore.App").is_dir())
}

/// The newest `shared/Microsoft.NETCore.App/<major>.x` of [`dotnet_root`].
pub fn shared_framework_dir(major: u32) -> Option<PathBuf> {
    let root = dotnet_root()?;
    let install = hosting::DotnetInstall::probe(&root).ok()?;
    let v = hosting::FrameworkRequirement::net(major, 0)
        .select(&install.runtimes)?
        .clone();
    Some(install.framework_dir(&v))
}

/// The .NET installation to run a shim needing `req` on, when one must be
/// named: `MOCHI_DOTNET8_ROOT`, else none when hosting's locator finds a
/// runtime by itself (DOTNET_ROOT, PATH, standard folders), else a project
/// `.tools/dotnet8` above the current folder that satisfies `req`. `None`
/// lets hosting search and, failing, list every folder it tried.
pub fn runtime_root(req: &hosting::FrameworkRequirement) -> Option<PathBuf> {
    if let Some(r) = std::env::var_os("MOCHI_DOTNET8_ROOT").filter(|r| !r.is_empty()) {
        let r = PathBuf::from(r);
        if r.join("shared/Microsoft.NETCore.App").is_dir() {
            return Some(r);
        }
    }
    if hosting::Locator::from_env().find(req).is_ok() {
        return None;
    }
    let cwd = std::env::current_dir().ok()?;
    cwd.ancestors()
        .map(|a| a.join(".tools/dotnet8"))
        .find(|p| hosting::DotnetInstall::probe(p).is_ok_and(|i| req.select(&i.runtimes).is_some()))
}

/// The framework a shim needs: its runtimeconfig (`net8.0`, and the
/// `rollForward` of `[dotnet.runtime] roll-forward`).
pub fn shim_requirement(project: &ShimProject) -> Result<hosting::FrameworkRequirement, ShimError> {
    let name = format!("{}.runtimeconfig.json", project.assembly_name);
    let text = project
        .file(&name)
        .ok_or_else(|| ShimError::Package(format!("the generated shim has no {name}")))?;
    hosting::runtimeconfig::parse_requirement(text)
        .map_err(|e| ShimError::Package(format!("{name}: {e}")))
}

/// `shim-sha256` of a locked package; an error when the package is not in
/// the cache. Machine-independent: framework types come from shimgen's index.
pub fn locked_shim_sha256(
    lock: &Lockfile,
    locked: &LockedPackage,
    monomorphise: &BTreeMap<String, Vec<Vec<String>>>,
    roll_forward: Option<hosting::RollForward>,
) -> Result<String, ShimError> {
    let mut input = input_from_lock(lock, locked, monomorphise)?;
    input.roll_forward = roll_forward;
    Ok(generate(&input)?.project.sha256)
}
