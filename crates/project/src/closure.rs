//! The package closure of a locked package: the assemblies a shim or a binding of
//! it is made from (its own compile assets) and the assemblies of every package it
//! depends on, transitively through mochi.lock (type context, copied beside a
//! shim). `bind`, `invoke`, `sync` and `lock`'s `shim-sha256` all use this one
//! walk, so they agree on what a package's context is.
//!
//! A package of the closure that is not in the store is an error (the context, and
//! so the hash, would depend on the state of the cache); a dependency that ships no
//! assets for the framework, or whose contents cannot be listed, adds no types. The
//! closure also collects the native libraries (`runtimes/<rid>/native/`) of the
//! package and its dependencies for this machine, copied beside a shim.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;

use nuget::assets::{has_native_assets, native_assets, select_assets};
use nuget::framework::{Framework, IncompatibleError};
use nuget::nupkg::NupkgError;
use nuget::version::normalize_version;

use crate::lockfile::{LockedPackage, Lockfile};

/// Where extracted packages are: the package cache for commands, the packages
/// `lock` just fetched for the lock step.
pub trait PackageStore {
    /// The folder of the extracted `id` `version`, or [`ClosureError::NotCached`].
    fn extracted_dir(&self, id: &str, version: &str) -> Result<PathBuf, ClosureError>;
}

impl PackageStore for nuget::PackageCache {
    fn extracted_dir(&self, id: &str, version: &str) -> Result<PathBuf, ClosureError> {
        self.lookup(id, version)
            .map(|c| c.extracted_dir)
            .ok_or_else(|| ClosureError::NotCached {
                id: id.to_string(),
                version: version.to_string(),
            })
    }
}

/// Extracted packages by id and version, e.g. those a `lock` run has fetched.
#[derive(Debug, Clone, Default)]
pub struct FetchedPackages(HashMap<(String, String), PathBuf>);

impl FetchedPackages {
    pub fn insert(&mut self, id: &str, version: &str, extracted_dir: PathBuf) {
        self.0.insert(
            (id.to_ascii_lowercase(), normalize_version(version)),
            extracted_dir,
        );
    }
}

impl PackageStore for FetchedPackages {
    fn extracted_dir(&self, id: &str, version: &str) -> Result<PathBuf, ClosureError> {
        self.0
            .get(&(id.to_ascii_lowercase(), normalize_version(version)))
            .cloned()
            .ok_or_else(|| ClosureError::NotCached {
                id: id.to_string(),
                version: version.to_string(),
            })
    }
}

/// Why a closure could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ClosureError {
    #[error(
        "{id} {version} is locked but not in the package cache\n  hint: run `mochi-dotnet lock` to fetch it"
    )]
    NotCached { id: String, version: String },
    #[error("mochi.lock target-framework of {id}: {source}")]
    Framework {
        id: String,
        #[source]
        source: nuget::framework::FrameworkError,
    },
    #[error(transparent)]
    Contents(Box<NupkgError>),
    #[error(transparent)]
    Incompatible(#[from] IncompatibleError),
    /// The package has no assemblies for the framework (a meta-package whose
    /// dependencies carry the code, an analyzer or build-only package, native
    /// libraries only, or one the framework itself provides): nothing to bind,
    /// no shim.
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
}

/// A locked package's assemblies and those of its dependencies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageAssemblies {
    pub id: String,
    pub version: String,
    /// The framework whose assets were chosen.
    pub framework: Framework,
    /// The package's own compile assemblies (never empty).
    pub own: Vec<PathBuf>,
    /// The dependencies' compile assemblies, transitively.
    pub dependencies: Vec<PathBuf>,
    /// Native libraries of the package and its dependencies for this machine's
    /// runtime identifier (`runtimes/<rid>/native/*`), the first of each file name.
    pub native: Vec<PathBuf>,
}

/// The closure of `locked` in `lock`, with assets chosen for `framework` (default:
/// the `target-framework` mochi.lock records).
pub fn package_assemblies(
    lock: &Lockfile,
    locked: &LockedPackage,
    framework: Option<&Framework>,
    store: &dyn PackageStore,
) -> Result<PackageAssemblies, ClosureError> {
    let framework = match framework {
        Some(f) => f.clone(),
        None => Framework::parse(&locked.target_framework).map_err(|source| {
            ClosureError::Framework {
                id: locked.id.clone(),
                source,
            }
        })?,
    };
    let assemblies = |pid: &str, version: &str| -> Result<Vec<PathBuf>, ClosureError> {
        let dir = store.extracted_dir(pid, version)?;
        let contents = nuget::nupkg::read_extracted(&dir, &format!("{pid} {version}"))
            .map_err(|e| ClosureError::Contents(Box::new(e)))?;
        let assets = select_assets(pid, &framework, &contents)?;
        Ok(assets.assemblies.iter().map(|a| dir.join(a)).collect())
    };
    let own = assemblies(&locked.id, &locked.version)?;
    let own_dir = store.extracted_dir(&locked.id, &locked.version)?;
    if own.is_empty() {
        return Err(no_assemblies(lock, locked, &framework, &own_dir));
    }
    let mut native = native_assets(&own_dir);
    // Dependencies, transitively through the lock (the order is part of the shim's
    // inputs, so it is fixed: the recorded lists, last first).
    let mut dependencies = Vec::new();
    let mut seen = BTreeSet::new();
    let mut queue: Vec<String> = locked.dependencies.clone();
    while let Some(d) = queue.pop() {
        let Some((pid, v)) = d.split_once(' ') else {
            continue;
        };
        if !seen.insert(pid.to_ascii_lowercase()) {
            continue;
        }
        if let Ok(dir) = store.extracted_dir(pid, v) {
            merge_natives(&mut native, native_assets(&dir));
        }
        match assemblies(pid, v) {
            Ok(paths) => dependencies.extend(paths),
            Err(e @ ClosureError::NotCached { .. }) => return Err(e),
            // No assets for this framework, or unreadable contents: no types.
            Err(_) => {}
        }
        if let Some(p) = lock.get(pid) {
            queue.extend(p.dependencies.iter().cloned());
        }
    }
    Ok(PackageAssemblies {
        id: locked.id.clone(),
        version: locked.version.clone(),
        framework,
        own,
        dependencies,
        native,
    })
}

/// Adds `more`, keeping the first file of each name.
fn merge_natives(into: &mut Vec<PathBuf>, more: Vec<PathBuf>) {
    for p in more {
        if !into.iter().any(|q| q.file_name() == p.file_name()) {
            into.push(p);
        }
    }
}

/// The error for a package without assemblies, saying what kind of package it
/// is and what to bind instead.
fn no_assemblies(
    lock: &Lockfile,
    locked: &LockedPackage,
    framework: &Framework,
    dir: &std::path::Path,
) -> ClosureError {
    let folder = |sub: &str| dir.join(sub).is_dir();
    let carriers: Vec<String> = locked
        .dependencies
        .iter()
        .filter_map(|d| d.split_once(' ').map(|(id, _)| id.to_string()))
        .filter(|id| lock.get(id).is_some_and(|p| p.assets_framework != "none"))
        .collect();
    let native_only = has_native_assets(dir);
    let why = if folder("analyzers") && !folder("lib") && !folder("ref") {
        "it holds Roslyn analyzers only".to_string()
    } else if native_only {
        "it ships native libraries only (runtimes/<rid>/native): they are copied beside the shims of the packages that depend on it".to_string()
    } else if !carriers.is_empty() {
        "a meta-package: its dependencies carry the code".to_string()
    } else if folder("lib") || folder("ref") {
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
    ClosureError::NoAssemblies {
        id: locked.id.clone(),
        version: locked.version.clone(),
        framework: framework.short_name(),
        why,
        hint,
    }
}
