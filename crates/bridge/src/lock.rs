//! `mochi-dotnet lock`: mochi.toml → resolved graph → verified packages → hashes →
//! mochi.lock, and `lock --check`, which recomputes everything mochi.lock records and
//! names each drift.
//!
//! ## metadata-sha256
//!
//! For each package the assemblies NuGet would compile against are chosen: the
//! nearest compatible `ref/<tfm>/` folder if the package has one, else the nearest
//! `lib/<tfm>/` folder (assemblies directly in that folder; satellite resource folders
//! are not part of the surface). Each assembly's surface is read with `ecma335` and
//! hashed (`Surface::sha256_hex`, the SHA-256 of its canonical JSON). The package's
//! `metadata-sha256` is the SHA-256 of the UTF-8 text made of one line per assembly,
//! sorted by file name (byte order): `<file name>\0<surface sha-256 hex>\n`. A package
//! without assemblies hashes the empty text.

// Errors here carry whole dependency paths and advice; they are built once, on the
// failure path, so their size does not matter.
#![allow(clippy::result_large_err)]

use std::collections::BTreeMap;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use sha2::{Digest, Sha256};

use crate::capabilities::{CapabilityDb, CapabilityError, Declared, audit};
use crate::framework::{Family, Framework, IncompatibleError, nearest};
use crate::lockfile::{Drift, LOCK_FILE, LockedPackage, Lockfile, LockfileError, write_if_changed};
use crate::manifest::{Capability, Manifest, ManifestError};
use crate::nuget::{NuGetClient, NuGetError};
use crate::resolver::{
    PackageIndex, RawDependencyGroup, Resolution, ResolveError, ResolveRequest, RootRequirement,
    SourceError, resolve,
};
use crate::version::NuGetVersion;

/// A package present on disk: verified, extracted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedPackage {
    /// Lower-case hex SHA-512 of the `.nupkg` as the fetcher verified it.
    pub sha512_hex: String,
    pub nupkg_path: PathBuf,
    pub extracted_dir: PathBuf,
    /// Where the bytes came from (service index URL or folder).
    pub source: String,
}

/// Getting package contents. `expected_sha512` (hex), when given, must match.
pub trait PackageFetcher: Sync {
    fn fetch(
        &self,
        id: &str,
        version: &str,
        expected_sha512: Option<&str>,
    ) -> Result<FetchedPackage, SourceError>;
}

/// Hashing one assembly's public surface.
pub trait AssemblyHasher: Sync {
    fn surface_sha256(&self, assembly: &Path) -> Result<String, String>;
}

/// The real hasher: the `ecma335` surface reader.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ecma335Hasher;

impl AssemblyHasher for Ecma335Hasher {
    fn surface_sha256(&self, assembly: &Path) -> Result<String, String> {
        ecma335::read_surface_file(assembly)
            .map(|s| s.sha256_hex())
            .map_err(|e| e.to_string())
    }
}

impl PackageIndex for NuGetClient {
    fn list_versions(&self, id: &str) -> Result<Vec<String>, SourceError> {
        match NuGetClient::list_versions(self, id) {
            Ok(v) => Ok(v),
            // "Not found anywhere" is an empty list to the resolver, which then says
            // which path needed the package.
            Err(NuGetError::PackageNotFound { .. }) => Ok(Vec::new()),
            Err(e) => Err(Box::new(e)),
        }
    }

    fn dependency_groups(
        &self,
        id: &str,
        version: &str,
    ) -> Result<Vec<RawDependencyGroup>, SourceError> {
        NuGetClient::dependency_groups(self, id, version).map_err(|e| Box::new(e) as SourceError)
    }
}

impl PackageFetcher for NuGetClient {
    fn fetch(
        &self,
        id: &str,
        version: &str,
        expected_sha512: Option<&str>,
    ) -> Result<FetchedPackage, SourceError> {
        let p = self
            .download_verified(id, version, expected_sha512)
            .map_err(|e| Box::new(e) as SourceError)?;
        Ok(FetchedPackage {
            sha512_hex: p.sha512_hex,
            nupkg_path: p.nupkg_path,
            extracted_dir: p.extracted_dir,
            source: p.source,
        })
    }
}

/// What `lock` should do.
#[derive(Debug, Clone, Default)]
pub struct LockOptions {
    /// Verify mochi.lock instead of writing it.
    pub check: bool,
    /// Capabilities to grant in mochi.toml before locking.
    pub accept_capabilities: Vec<Capability>,
    /// No progress bar.
    pub quiet: bool,
    /// Packages fetched and hashed at once (0: the default, 6).
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
    /// Whether mochi.toml was edited (`--accept-capability`).
    pub manifest_edited: bool,
    pub warnings: Vec<String>,
}

/// Why `lock` failed.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Lockfile(#[from] LockfileError),
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    #[error(transparent)]
    Capability(#[from] CapabilityError),
    #[error(transparent)]
    CapabilityDb(#[from] crate::capabilities::CapabilityDbError),
    #[error(transparent)]
    Incompatible(#[from] IncompatibleError),
    #[error(transparent)]
    Edit(#[from] crate::add::EditError),
    #[error("cannot set up the NuGet client: {0}")]
    Client(#[source] NuGetError),
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
    #[error("{} does not exist\n  hint: run `mochi-dotnet lock` to create it", path.display())]
    NoLockfile { path: PathBuf },
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

/// Builds the NuGet client for a manifest: NuGet.config sources (standard merge order)
/// plus a folder source for every `path` dependency, the default cache.
pub fn open_client(
    manifest: &Manifest,
    offline: bool,
    quiet: bool,
) -> Result<NuGetClient, LockError> {
    let dir = manifest.root_dir();
    let manifest_sources: Vec<(String, String)> = manifest
        .dependencies
        .values()
        .filter_map(|d| {
            d.path
                .as_ref()
                .map(|p| (format!("path:{}", d.id), p.display().to_string()))
        })
        .collect();
    let discovery = crate::nuget::ConfigDiscovery::standard(&dir);
    let set = crate::nuget::load_sources(&discovery, &manifest_sources, &dir)
        .map_err(LockError::Client)?;
    let cache =
        crate::cache::PackageCache::open_default().map_err(|e| LockError::Client(e.into()))?;
    let mut options = crate::nuget::ClientOptions {
        offline,
        quiet,
        ..Default::default()
    };
    if let Some(g) = set.global_packages_folder {
        options.global_packages_folder = Some(g);
    }
    options.source_mapping = set.source_mapping;
    Ok(NuGetClient::new(set.sources, cache, options))
}

/// Runs `lock` (or `lock --check`) for the manifest at `manifest_path`.
pub fn run<R>(
    manifest_path: &Path,
    registry: &R,
    hasher: &dyn AssemblyHasher,
    options: &LockOptions,
) -> Result<LockOutcome, LockError>
where
    R: PackageIndex + PackageFetcher,
{
    let mut manifest_edited = false;
    if !options.accept_capabilities.is_empty() {
        manifest_edited =
            crate::add::grant_capabilities(manifest_path, &options.accept_capabilities)?;
    }
    let manifest = Manifest::load(manifest_path)?;
    let lockfile_path = manifest.path.with_file_name(LOCK_FILE);
    if options.check {
        let lockfile = check(&manifest, &lockfile_path, registry, hasher, options)?;
        return Ok(LockOutcome {
            lockfile,
            lockfile_path,
            written: false,
            manifest_edited,
            warnings: Vec::new(),
        });
    }
    let previous = match Lockfile::load(&lockfile_path) {
        Ok(l) => Some(l),
        Err(LockfileError::Read { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            None
        }
        Err(e) => return Err(e.into()),
    };
    let mut request = request_for(&manifest);
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
    let (mut lockfile, warnings) = build_lockfile(
        &manifest,
        &resolution,
        registry,
        hasher,
        previous.as_ref(),
        options,
    )?;
    if let Some(previous) = &previous {
        carry_shims(&mut lockfile, previous);
    }
    let mut warnings = warnings;
    if options.shims {
        record_shims(&manifest, &mut lockfile, &mut warnings);
    }
    let written = write_if_changed(&lockfile_path, lockfile.render().as_bytes())?;
    Ok(LockOutcome {
        lockfile,
        lockfile_path,
        written,
        manifest_edited,
        warnings,
    })
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
    lockfile_path: &Path,
    registry: &R,
    hasher: &dyn AssemblyHasher,
    options: &LockOptions,
) -> Result<Lockfile, LockError>
where
    R: PackageIndex + PackageFetcher,
{
    let recorded = match Lockfile::load(lockfile_path) {
        Ok(l) => l,
        Err(LockfileError::Read { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            return Err(LockError::NoLockfile {
                path: lockfile_path.into(),
            });
        }
        Err(e) => return Err(e.into()),
    };
    let pinned = PinnedIndex {
        lock: &recorded,
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
    let (mut fresh, _) = build_lockfile(manifest, &resolution, &unpinned, hasher, None, options)?;
    // `source` records provenance, not content; keep the recorded one.
    for p in &mut fresh.packages {
        if let Some(r) = recorded.get(&p.id) {
            p.source = r.source.clone();
        }
    }
    carry_shims(&mut fresh, &recorded);
    if options.shims {
        record_shims(manifest, &mut fresh, &mut Vec::new());
    }
    let drifts = recorded.drift(&fresh);
    if drifts.is_empty() {
        Ok(recorded)
    } else {
        Err(LockError::Drift {
            path: lockfile_path.into(),
            drifts,
        })
    }
}

/// A recorded `shim-sha256` stays while the package's version and surface
/// (`metadata-sha256`) are unchanged, and is dropped when either changes; with
/// `LockOptions::shims` it is then recomputed from the generated shim (docs/shims.md).
fn carry_shims(fresh: &mut Lockfile, recorded: &Lockfile) {
    for p in &mut fresh.packages {
        if let Some(r) = recorded.get(&p.id)
            && r.version == p.version
            && r.metadata_sha256 == p.metadata_sha256
        {
            p.shim_sha256 = r.shim_sha256.clone();
        }
    }
}

/// Sets `shim-sha256` of every package to the hash of the shim the generator
/// makes now (`crate::shim`); a package whose shim cannot be generated here
/// keeps the carried value, with a warning.
fn record_shims(manifest: &Manifest, lockfile: &mut Lockfile, warnings: &mut Vec<String>) {
    let snapshot = lockfile.clone();
    for p in &mut lockfile.packages {
        match crate::shim::locked_shim_sha256(
            &snapshot,
            p,
            &manifest.dotnet.monomorphise,
            manifest.dotnet.roll_forward,
        ) {
            Ok(h) => p.shim_sha256 = Some(h),
            // Nothing to bind (a meta-package, analyzers, a `_._` placeholder): no shim.
            Err(crate::shim::ShimError::NoAssemblies { .. }) => p.shim_sha256 = None,
            Err(e) => warnings.push(format!(
                "shim-sha256 of {} {} not computed: {e}",
                p.id, p.version
            )),
        }
    }
}

/// Offers the resolver only the versions mochi.lock records.
struct PinnedIndex<'a, R> {
    lock: &'a Lockfile,
    inner: &'a R,
}

impl<R: PackageIndex> PackageIndex for PinnedIndex<'_, R> {
    fn list_versions(&self, id: &str) -> Result<Vec<String>, SourceError> {
        Ok(self
            .lock
            .get(id)
            .map(|p| vec![p.version.clone()])
            .unwrap_or_default())
    }
    fn dependency_groups(
        &self,
        id: &str,
        version: &str,
    ) -> Result<Vec<RawDependencyGroup>, SourceError> {
        self.inner.dependency_groups(id, version)
    }
}

/// For `--check`: fetch without an expected hash, so a mismatch is reported as drift
/// of `nupkg-sha512` rather than as a download error.
struct CheckFetcher<'a, R> {
    inner: &'a R,
}

impl<R: PackageFetcher> PackageFetcher for CheckFetcher<'_, R> {
    fn fetch(
        &self,
        id: &str,
        version: &str,
        _expected: Option<&str>,
    ) -> Result<FetchedPackage, SourceError> {
        let mut p = self.inner.fetch(id, version, None)?;
        // Recompute from the bytes on disk: the check must not trust an index.
        p.sha512_hex =
            crate::cache::sha512_file(&p.nupkg_path).map_err(|e| Box::new(e) as SourceError)?;
        Ok(p)
    }
}

/// Audits capabilities, fetches every package, chooses assets, hashes surfaces.
fn build_lockfile(
    manifest: &Manifest,
    resolution: &Resolution,
    fetcher: &dyn PackageFetcher,
    hasher: &dyn AssemblyHasher,
    previous: Option<&Lockfile>,
    options: &LockOptions,
) -> Result<(Lockfile, Vec<String>), LockError> {
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
    let results: Mutex<Vec<Option<Result<LockedPackage, LockError>>>> =
        Mutex::new((0..packages.len()).map(|_| None).collect());
    let wanted = if options.parallelism == 0 {
        6
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
    for r in results.into_inner().expect("results lock") {
        out.push(r.expect("every package processed")?);
    }
    let mut lockfile = Lockfile { packages: out };
    lockfile.canonicalize();
    Ok((lockfile, resolution.warnings.clone()))
}

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
) -> Result<LockedPackage, LockError> {
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
        crate::nupkg::read_extracted(&fetched.extracted_dir, &format!("{} {version}", p.id))
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
    Ok(LockedPackage {
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
    })
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

/// The assemblies a project compiles against, and the folder's framework.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assets {
    /// Short name of the chosen folder (`any` for files directly under `lib/`,
    /// `none` when the package ships no assemblies).
    pub framework: String,
    /// Paths relative to the package root, `/`-separated, sorted.
    pub assemblies: Vec<String>,
}

/// NuGet's compile-asset choice: the nearest `ref/` group if any is compatible, else
/// the nearest `lib/` group; neither present means no assemblies; present but none
/// compatible is an error listing what the package offers.
pub fn select_assets(
    id: &str,
    framework: &Framework,
    contents: &crate::nupkg::PackageContents,
) -> Result<Assets, IncompatibleError> {
    let parse = |groups: &[crate::nupkg::AssemblyGroup]| -> Vec<(usize, Framework)> {
        groups
            .iter()
            .enumerate()
            .filter_map(|(i, g)| Framework::parse(&g.folder).ok().map(|f| (i, f)))
            .collect()
    };
    for groups in [&contents.ref_groups, &contents.lib] {
        let parsed = parse(groups);
        let offered: Vec<Framework> = parsed.iter().map(|(_, f)| f.clone()).collect();
        if let Some(k) = nearest(framework, &offered) {
            let (gi, f) = &parsed[k];
            return Ok(Assets {
                framework: if f.family == Family::Any {
                    "any".into()
                } else {
                    f.short_name()
                },
                assemblies: groups[*gi].assemblies.clone(),
            });
        }
    }
    if contents.lib.is_empty() && contents.ref_groups.is_empty() {
        return Ok(Assets {
            framework: "none".into(),
            assemblies: Vec::new(),
        });
    }
    let mut offered: Vec<String> = contents
        .lib
        .iter()
        .chain(&contents.ref_groups)
        .map(|g| match Framework::parse(&g.folder) {
            Ok(f) => f.short_name(),
            Err(_) => g.folder.clone(),
        })
        .collect();
    offered.sort();
    offered.dedup();
    Err(IncompatibleError {
        package: id.into(),
        target: framework.short_name(),
        offered,
    })
}

/// The package's metadata-sha256 (see the module docs for the exact combination).
pub fn metadata_sha256(
    root: &Path,
    assemblies: &[String],
    hasher: &dyn AssemblyHasher,
) -> Result<String, (PathBuf, String)> {
    let mut lines: Vec<(String, String)> = Vec::new();
    for rel in assemblies {
        let path = root.join(rel);
        let name = rel.rsplit('/').next().unwrap_or(rel).to_string();
        let sha = hasher
            .surface_sha256(&path)
            .map_err(|m| (PathBuf::from(rel), m))?;
        lines.push((name, sha));
    }
    lines.sort();
    let mut h = Sha256::new();
    for (name, sha) in &lines {
        h.update(name.as_bytes());
        h.update([0]);
        h.update(sha.as_bytes());
        h.update(b"\n");
    }
    Ok(hex::encode(h.finalize()))
}

/// `mochi-dotnet lock` from the command line: opens the NuGet client for the
/// manifest, then [`run`]s.
pub fn run_with_nuget(
    manifest_path: &Path,
    offline: bool,
    options: &LockOptions,
) -> Result<LockOutcome, LockError> {
    let manifest = Manifest::load(manifest_path)?;
    let client = open_client(&manifest, offline, options.quiet)?;
    run(manifest_path, &client, &Ecma335Hasher, options)
}

/// The lines `lock` prints when it succeeds.
pub fn summary(outcome: &LockOutcome, check: bool) -> String {
    let mut s = String::new();
    for w in &outcome.warnings {
        s.push_str(&format!("warning: {w}\n"));
    }
    if outcome.manifest_edited {
        s.push_str("updated mochi.toml [dotnet.capabilities]\n");
    }
    let n = outcome.lockfile.packages.len();
    let plural = if n == 1 { "" } else { "s" };
    let file = outcome.lockfile_path.display();
    if check {
        s.push_str(&format!(
            "{file} is up to date ({n} package{plural} verified)\n"
        ));
    } else if outcome.written {
        s.push_str(&format!("wrote {file} ({n} package{plural})\n"));
    } else {
        s.push_str(&format!("{file} unchanged ({n} package{plural})\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nupkg::{AssemblyGroup, Nuspec, PackageContents};

    fn contents(lib: &[(&str, &[&str])], refs: &[(&str, &[&str])]) -> PackageContents {
        let groups = |g: &[(&str, &[&str])], top: &str| {
            g.iter()
                .map(|(folder, files)| AssemblyGroup {
                    folder: folder.to_string(),
                    assemblies: files
                        .iter()
                        .map(|f| {
                            if folder.is_empty() {
                                format!("{top}/{f}")
                            } else {
                                format!("{top}/{folder}/{f}")
                            }
                        })
                        .collect(),
                })
                .collect()
        };
        PackageContents {
            nuspec: Nuspec::default(),
            nuspec_file: "x.nuspec".into(),
            lib: groups(lib, "lib"),
            ref_groups: groups(refs, "ref"),
        }
    }

    fn fw(s: &str) -> Framework {
        Framework::parse(s).unwrap()
    }

    #[test]
    fn assets_prefer_ref_then_nearest_lib() {
        let c = contents(
            &[
                ("net45", &["A.dll"]),
                ("netstandard2.0", &["A.dll"]),
                ("net6.0", &["A.dll"]),
            ],
            &[],
        );
        let a = select_assets("A", &fw("net8.0"), &c).unwrap();
        assert_eq!(a.framework, "net6.0");
        assert_eq!(a.assemblies, ["lib/net6.0/A.dll"]);
        let a = select_assets("A", &fw("netcoreapp3.1"), &c).unwrap();
        assert_eq!(a.framework, "netstandard2.0");

        let c = contents(
            &[("net8.0", &["A.dll"])],
            &[("netstandard2.0", &["A.dll", "B.dll"])],
        );
        let a = select_assets("A", &fw("net8.0"), &c).unwrap();
        assert_eq!(
            a.framework, "netstandard2.0",
            "compile assets come from ref/"
        );
        assert_eq!(
            a.assemblies,
            ["ref/netstandard2.0/A.dll", "ref/netstandard2.0/B.dll"]
        );

        let c = contents(
            &[("", &["Root.dll"]), ("portable-net45+win8", &["P.dll"])],
            &[],
        );
        let a = select_assets("A", &fw("net8.0"), &c).unwrap();
        assert_eq!((a.framework.as_str(), a.assemblies.len()), ("any", 1));

        let c = contents(&[], &[]);
        let a = select_assets("Meta", &fw("net8.0"), &c).unwrap();
        assert_eq!(a.framework, "none");
        assert!(a.assemblies.is_empty());

        // A `_._` placeholder group: compatible, nothing to reference.
        let c = contents(&[("net45", &["A.dll"]), ("netstandard2.0", &[])], &[]);
        let a = select_assets("A", &fw("net8.0"), &c).unwrap();
        assert_eq!(a.framework, "netstandard2.0");
        assert!(a.assemblies.is_empty());
    }

    #[test]
    fn incompatible_assets_list_what_is_offered() {
        let c = contents(
            &[("net45", &["A.dll"]), ("portable-net45+win8", &["A.dll"])],
            &[],
        );
        let e = select_assets("Old", &fw("net8.0"), &c).unwrap_err();
        assert_eq!(e.offered, ["net45", "portable-net45+win8"]);
        assert!(
            e.to_string()
                .contains("Old has no assets compatible with net8.0")
        );
    }

    struct NameHasher;
    impl AssemblyHasher for NameHasher {
        fn surface_sha256(&self, assembly: &Path) -> Result<String, String> {
            let name = assembly.file_name().unwrap().to_string_lossy();
            if name.starts_with("Bad") {
                return Err("not managed".into());
            }
            Ok(format!("{:x}", Sha256::digest(name.as_bytes())))
        }
    }

    #[test]
    fn metadata_sha256_is_order_independent_and_documented() {
        let root = Path::new("/pkg");
        let a = metadata_sha256(
            root,
            &["lib/x/B.dll".into(), "lib/x/A.dll".into()],
            &NameHasher,
        )
        .unwrap();
        let b = metadata_sha256(
            root,
            &["lib/x/A.dll".into(), "lib/x/B.dll".into()],
            &NameHasher,
        )
        .unwrap();
        assert_eq!(a, b);
        let sha = |s: &str| format!("{:x}", Sha256::digest(s.as_bytes()));
        let text = format!("A.dll\0{}\nB.dll\0{}\n", sha("A.dll"), sha("B.dll"));
        assert_eq!(a, sha(&text));
        assert_eq!(metadata_sha256(root, &[], &NameHasher).unwrap(), sha(""));
        let e = metadata_sha256(root, &["lib/x/Bad.dll".into()], &NameHasher).unwrap_err();
        assert_eq!(e.0, PathBuf::from("lib/x/Bad.dll"));
    }

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
