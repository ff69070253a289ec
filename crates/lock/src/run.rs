//! `mochi-dotnet lock`: mochi.toml → resolved graph → verified packages → hashes →
//! mochi.lock, and `lock --check`, which recomputes everything mochi.lock records and
//! names each drift.

// Errors here carry whole dependency paths and advice; they are built once, on the
// failure path, so their size does not matter.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use nuget::assets::select_assets;
use nuget::framework::IncompatibleError;
use nuget::version::NuGetVersion;
use project::capabilities::{CapabilityDb, CapabilityDbError, CapabilityError, Declared, audit};
use project::closure::FetchedPackages;
use project::lockfile::Drift;
use project::{LockedPackage, Lockfile, LockfileError, Manifest, Project, ProjectError};

use crate::metadata::{AssemblyHasher, metadata_sha256};
use crate::resolver::{
    PackageIndex, Resolution, ResolveError, ResolveRequest, RootRequirement, SourceError, resolve,
};
use crate::shims::{carry_shims, record_shims};
use crate::source::{CheckFetcher, PackageFetcher, PinnedIndex};

/// What `lock` should do.
#[derive(Debug, Clone, Default)]
pub struct LockOptions {
    /// Verify mochi.lock instead of writing it.
    pub check: bool,
    /// No progress bar.
    pub quiet: bool,
    /// Packages fetched and hashed at once (0: [`nuget::DEFAULT_PARALLELISM`]).
    pub parallelism: usize,
    /// Compute each package's `shim-sha256` (the generated C# shim, docs/shims.md)
    /// and record it (`lock`) or verify it (`--check`). Needs the .NET 8 shared
    /// framework as type context; without it the recorded value is kept.
    pub shims: bool,
}

/// What `lock` did.
#[derive(Debug, Clone)]
pub struct LockOutcome {
    pub lockfile: Lockfile,
    pub lockfile_path: PathBuf,
    /// Whether mochi.lock was (re)written.
    pub written: bool,
    pub warnings: Vec<String>,
}

/// Why `lock` failed.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error(transparent)]
    Lockfile(#[from] LockfileError),
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    #[error(transparent)]
    Capability(#[from] CapabilityError),
    #[error(transparent)]
    CapabilityDb(#[from] CapabilityDbError),
    #[error(transparent)]
    Incompatible(#[from] IncompatibleError),
    #[error("cannot fetch {id} {version}: {source}{hint}")]
    Fetch {
        id: String,
        version: String,
        hint: String,
        #[source]
        source: SourceError,
    },
    #[error("cannot read the contents of {id} {version}: {message}")]
    Contents {
        id: String,
        version: String,
        message: String,
    },
    #[error(
        "cannot read the .NET metadata of {} in {id} {version}: {message}\n  hint: the file is not a readable managed assembly; report it with the package id and version",
        assembly.display()
    )]
    Metadata {
        id: String,
        version: String,
        assembly: PathBuf,
        message: String,
    },
    #[error(
        "mochi.lock no longer matches mochi.toml: {source}\n  hint: run `mochi-dotnet lock` to update mochi.lock, and review its diff"
    )]
    CheckResolve {
        #[source]
        source: ResolveError,
    },
    #[error(
        "{} no longer matches mochi.toml: {requirement}\n  hint: run `mochi-dotnet lock` to update mochi.lock, and review its diff",
        path.display()
    )]
    Stale {
        path: PathBuf,
        /// What mochi.toml (or a locked package) requires that mochi.lock lacks.
        requirement: String,
    },
    #[error(
        "{} is out of date ({} difference{}):\n{}\n  hint: run `mochi-dotnet lock` to update it, and review the diff; a changed hash for an unchanged version means the package bytes or the bridge changed",
        path.display(), drifts.len(), if drifts.len() == 1 { "" } else { "s" },
        drifts.iter().map(|d| format!("  - {d}")).collect::<Vec<_>>().join("\n")
    )]
    Drift { path: PathBuf, drifts: Vec<Drift> },
}

/// Runs `lock` (or `lock --check`) for `project`, getting packages from `registry`
/// (the NuGet client, or a test double).
pub fn run<R>(
    project: &Project,
    registry: &R,
    hasher: &dyn AssemblyHasher,
    options: &LockOptions,
) -> Result<LockOutcome, LockError>
where
    R: PackageIndex + PackageFetcher,
{
    let manifest = project.manifest();
    let lockfile_path = project.lock_path().to_path_buf();
    if options.check {
        let lockfile = check(
            manifest,
            &project.lockfile()?,
            &lockfile_path,
            registry,
            hasher,
            options,
        )?;
        return Ok(LockOutcome {
            lockfile,
            lockfile_path,
            written: false,
            warnings: Vec::new(),
        });
    }
    let previous = project.lockfile_if_present()?;
    let mut request = request_for(manifest);
    if let Some(previous) = &previous {
        request.preferred = previous
            .packages
            .iter()
            .filter_map(|p| {
                Some((
                    p.id.to_ascii_lowercase(),
                    NuGetVersion::parse(&p.version).ok()?,
                ))
            })
            .collect();
    }
    let spinner = resolving_spinner(options.quiet);
    let resolution = resolve(registry, &request);
    spinner.finish_and_clear();
    let resolution = resolution?;
    let (mut lockfile, fetched, mut warnings) = build_lockfile(
        manifest,
        &resolution,
        registry,
        hasher,
        previous.as_ref(),
        options,
    )?;
    if let Some(previous) = &previous {
        carry_shims(&mut lockfile, previous);
    }
    if options.shims {
        // Hashes of earlier runs for identical inputs are reused (`lock --check` regenerates).
        let memo = project.cache().ok().map(|c| c.root().join("shim-hashes"));
        record_shims(
            manifest,
            &mut lockfile,
            &fetched,
            &mut warnings,
            memo.as_deref(),
        );
    }
    let written = lockfile.write(&lockfile_path)?;
    Ok(LockOutcome {
        lockfile,
        lockfile_path,
        written,
        warnings,
    })
}

/// The resolver's request for `project`, preferring the versions its
/// mochi.lock records (as [`run`] asks the resolver).
pub fn request_with_lockfile(project: &Project) -> Result<ResolveRequest, LockError> {
    let mut request = request_for(project.manifest());
    if let Some(previous) = project.lockfile_if_present()? {
        request.preferred = previous
            .packages
            .iter()
            .filter_map(|p| {
                Some((
                    p.id.to_ascii_lowercase(),
                    NuGetVersion::parse(&p.version).ok()?,
                ))
            })
            .collect();
    }
    Ok(request)
}

/// The resolver's request for a manifest.
pub fn request_for(manifest: &Manifest) -> ResolveRequest {
    ResolveRequest {
        roots: manifest
            .dependencies
            .values()
            .map(|d| RootRequirement {
                id: d.id.clone(),
                range: d.range.clone(),
                framework: d
                    .framework
                    .clone()
                    .unwrap_or_else(|| manifest.dotnet.framework.clone()),
            })
            .collect(),
        framework: manifest.dotnet.framework.clone(),
        preferred: BTreeMap::new(),
    }
}

/// `--check`: resolve against only the recorded versions (no network needed when the
/// cache is warm), recompute every field, and compare.
fn check<R>(
    manifest: &Manifest,
    recorded: &Lockfile,
    lockfile_path: &Path,
    registry: &R,
    hasher: &dyn AssemblyHasher,
    options: &LockOptions,
) -> Result<Lockfile, LockError>
where
    R: PackageIndex + PackageFetcher,
{
    let pinned = PinnedIndex {
        lock: recorded,
        inner: registry,
    };
    let resolution = resolve(&pinned, &request_for(manifest)).map_err(|source| match source {
        // The pinned index offers only recorded versions: say so, not "available".
        ResolveError::NoMatch {
            id, range, path, ..
        } => LockError::Stale {
            path: lockfile_path.into(),
            requirement: match recorded.get(&id) {
                Some(r) => format!(
                    "{path} requires {id} {range}, but mochi.lock has {id} {}",
                    r.version
                ),
                None => format!("{path} requires {id} {range}, which is not in mochi.lock"),
            },
        },
        source => LockError::CheckResolve { source },
    })?;
    let unpinned = CheckFetcher { inner: registry };
    let (mut fresh, fetched, _) =
        build_lockfile(manifest, &resolution, &unpinned, hasher, None, options)?;
    // `source` records provenance, not content; keep the recorded one.
    for p in &mut fresh.packages {
        if let Some(r) = recorded.get(&p.id) {
            p.source = r.source.clone();
        }
    }
    carry_shims(&mut fresh, recorded);
    if options.shims {
        record_shims(manifest, &mut fresh, &fetched, &mut Vec::new(), None);
    }
    let drifts = recorded.drift(&fresh);
    if drifts.is_empty() {
        Ok(recorded.clone())
    } else {
        Err(LockError::Drift {
            path: lockfile_path.into(),
            drifts,
        })
    }
}

/// Audits capabilities, fetches every package, chooses assets, hashes surfaces.
/// Returns the lockfile, where each package was extracted, and the resolver's
/// warnings.
fn build_lockfile(
    manifest: &Manifest,
    resolution: &Resolution,
    fetcher: &dyn PackageFetcher,
    hasher: &dyn AssemblyHasher,
    previous: Option<&Lockfile>,
    options: &LockOptions,
) -> Result<(Lockfile, FetchedPackages, Vec<String>), LockError> {
    let manifest_name = manifest.path.display().to_string();
    let db = CapabilityDb::active()?;
    let declared = audit(
        &db,
        resolution
            .packages
            .values()
            .map(|p| (p.id.as_str(), &p.version)),
        &manifest.dotnet.capabilities,
        &manifest_name,
    )?;

    let packages: Vec<_> = resolution.packages.values().collect();
    let bar = progress_bar(packages.len(), options.quiet);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<LockedOne>>> =
        Mutex::new((0..packages.len()).map(|_| None).collect());
    let wanted = if options.parallelism == 0 {
        nuget::DEFAULT_PARALLELISM
    } else {
        options.parallelism
    };
    let workers = wanted.clamp(1, 16).min(packages.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(p) = packages.get(i) else { break };
                    bar.set_message(format!("{} {}", p.id, p.version));
                    let expected = previous
                        .and_then(|l| l.get(&p.id))
                        .filter(|l| NuGetVersion::parse(&l.version).is_ok_and(|v| v == p.version))
                        .map(|l| l.nupkg_sha512.clone());
                    let r = lock_one(manifest, p, fetcher, hasher, expected.as_deref(), &declared);
                    bar.inc(1);
                    results.lock().expect("results lock")[i] = Some(r);
                }
            });
        }
    });
    bar.finish_and_clear();
    let mut out = Vec::new();
    let mut fetched = FetchedPackages::default();
    for r in results.into_inner().expect("results lock") {
        let (locked, dir) = r.expect("every package processed")?;
        fetched.insert(&locked.id, &locked.version, dir);
        out.push(locked);
    }
    let mut lockfile = Lockfile { packages: out };
    lockfile.canonicalize();
    Ok((lockfile, fetched, resolution.warnings.clone()))
}

/// One package locked: its entry and where it was extracted.
type LockedOne = Result<(LockedPackage, PathBuf), LockError>;

/// A spinner while the resolver talks to the sources (a terminal only).
fn resolving_spinner(quiet: bool) -> indicatif::ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message("Resolving [dotnet-dependencies]");
    bar.enable_steady_tick(std::time::Duration::from_millis(100));
    bar
}

fn progress_bar(len: usize, quiet: bool) -> indicatif::ProgressBar {
    if quiet || len == 0 || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} Locking [{bar:30}] {pos}/{len} {wide_msg}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn lock_one(
    manifest: &Manifest,
    p: &crate::resolver::ResolvedPackage,
    fetcher: &dyn PackageFetcher,
    hasher: &dyn AssemblyHasher,
    expected: Option<&str>,
    declared: &BTreeMap<String, Declared>,
) -> Result<(LockedPackage, PathBuf), LockError> {
    let version = p.version.to_string();
    let fetched = fetcher.fetch(&p.id, &version, expected).map_err(|source| LockError::Fetch {
        id: p.id.clone(),
        version: version.clone(),
        hint: if expected.is_some() {
            format!(
                "\n  hint: mochi.lock records a different SHA-512 for {} {version}; if you trust the new bytes, delete its [[dotnet-package]] entry from mochi.lock and lock again",
                p.id
            )
        } else {
            String::new()
        },
        source,
    })?;
    let contents =
        nuget::nupkg::read_extracted(&fetched.extracted_dir, &format!("{} {version}", p.id))
            .map_err(|e| LockError::Contents {
                id: p.id.clone(),
                version: version.clone(),
                message: e.to_string(),
            })?;
    let assets = select_assets(&p.id, &p.framework, &contents)?;
    let metadata_sha256 = metadata_sha256(&fetched.extracted_dir, &assets.assemblies, hasher)
        .map_err(|(assembly, message)| LockError::Metadata {
            id: p.id.clone(),
            version: version.clone(),
            assembly,
            message,
        })?;
    let caps = declared
        .get(&p.id.to_ascii_lowercase())
        .map(Declared::needs)
        .unwrap_or_default();
    let locked = LockedPackage {
        id: p.id.clone(),
        version,
        source: portable_source(&fetched.source, &manifest.root_dir()),
        nupkg_sha512: fetched.sha512_hex,
        metadata_sha256,
        shim_sha256: None,
        capabilities_declared: caps.iter().map(|c| c.name().to_string()).collect(),
        target_framework: p.framework.short_name(),
        assets_framework: assets.framework,
        dependencies: p
            .dependencies
            .iter()
            .map(|(id, v)| format!("{id} {v}"))
            .collect(),
    };
    Ok((locked, fetched.extracted_dir))
}

/// A folder source under the project is recorded relative to it, so mochi.lock holds
/// no machine-specific absolute path for in-tree feeds.
fn portable_source(source: &str, project_dir: &Path) -> String {
    let p = Path::new(source);
    if p.is_absolute() {
        let base = std::path::absolute(project_dir).unwrap_or_else(|_| project_dir.into());
        if let Ok(rel) = p.strip_prefix(&base) {
            let rel = rel.to_string_lossy().replace('\\', "/");
            return if rel.is_empty() {
                ".".into()
            } else {
                format!("./{rel}")
            };
        }
    }
    source.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_tree_folder_sources_are_recorded_relative() {
        let base = std::path::absolute(".").unwrap();
        let feed = base.join("feed");
        assert_eq!(
            portable_source(&feed.display().to_string(), Path::new(".")),
            "./feed"
        );
        assert_eq!(
            portable_source("/elsewhere/feed", Path::new(".")),
            "/elsewhere/feed"
        );
        assert_eq!(
            portable_source("https://api.nuget.org/v3/index.json", Path::new(".")),
            "https://api.nuget.org/v3/index.json"
        );
    }
}
