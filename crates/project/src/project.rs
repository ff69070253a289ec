//! THE project loader: every command (and the C API) opens a project here, so they
//! agree on where mochi.lock is, which sources and cache are used, and what a
//! locked package's closure is.
//!
//! A [`Project`] is mochi.toml (parsed), the path of its mochi.lock, the package
//! cache, and — on demand — the NuGet sources (NuGet.config merged with the
//! manifest's `path` dependencies), the NuGet client over them, and the closure of
//! a locked package.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use nuget::config::{ConfigDiscovery, SourceSet, load_sources};
use nuget::framework::Framework;
use nuget::{CacheError, ClientOptions, NuGetClient, NuGetError, PackageCache};

use crate::closure::{ClosureError, PackageAssemblies, package_assemblies};
use crate::lockfile::{LOCK_FILE, LockedPackage, Lockfile, LockfileError};
use crate::manifest::{DotnetConfig, Manifest, ManifestError};

/// How a project is opened.
#[derive(Debug, Clone, Default)]
pub struct ProjectOptions {
    /// The package cache root; `None`: [`PackageCache::default_root`]
    /// (`MOCHI_DOTNET_CACHE`, else the XDG cache folder).
    pub cache_root: Option<PathBuf>,
}

/// How the NuGet client of a project behaves.
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientSettings {
    /// The cache, the global packages folder and local feeds only.
    pub offline: bool,
    /// No progress bar.
    pub quiet: bool,
}

/// Why a project could not be opened or read.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Lockfile(#[from] LockfileError),
    #[error("{} does not exist\n  hint: run `mochi-dotnet lock` to create it", path.display())]
    NoLockfile { path: PathBuf },
    #[error(
        "{id} is not locked in {} (locked: {})\n  hint: `mochi-dotnet add {id}` adds and locks it",
        path.display(),
        if locked.is_empty() { "nothing".to_string() } else { locked.join(", ") }
    )]
    NotLocked {
        id: String,
        path: PathBuf,
        locked: Vec<String>,
    },
    #[error("cannot set up the NuGet client: {0}")]
    Client(#[source] NuGetError),
    /// Boxed: a cache error is large, and errors are built once, on the failure path.
    #[error(transparent)]
    Cache(Box<CacheError>),
    #[error(transparent)]
    Closure(#[from] ClosureError),
}

impl From<CacheError> for ProjectError {
    fn from(e: CacheError) -> Self {
        ProjectError::Cache(Box::new(e))
    }
}

/// An opened project.
#[derive(Debug)]
pub struct Project {
    manifest: Manifest,
    lock_path: PathBuf,
    cache_root: Option<PathBuf>,
    cache: OnceLock<PackageCache>,
}

impl Project {
    /// Opens the project of `manifest_path` (which must exist).
    pub fn load(manifest_path: &Path, options: &ProjectOptions) -> Result<Project, ProjectError> {
        Ok(Project::with_manifest(
            Manifest::load(manifest_path)?,
            options,
        ))
    }

    /// Opens the project of `manifest_path`; a missing mochi.toml counts as an empty
    /// one (for commands that need only mochi.lock: `bind`, `invoke`, `sync`).
    pub fn load_or_default(
        manifest_path: &Path,
        options: &ProjectOptions,
    ) -> Result<Project, ProjectError> {
        if manifest_path.exists() {
            return Project::load(manifest_path, options);
        }
        let manifest = Manifest {
            path: manifest_path.to_path_buf(),
            package: None,
            dependencies: Default::default(),
            dotnet: DotnetConfig::default(),
        };
        Ok(Project::with_manifest(manifest, options))
    }

    fn with_manifest(manifest: Manifest, options: &ProjectOptions) -> Project {
        Project {
            lock_path: manifest.path.with_file_name(LOCK_FILE),
            manifest,
            cache_root: options.cache_root.clone(),
            cache: OnceLock::new(),
        }
    }

    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// `[dotnet]` of the manifest.
    pub fn dotnet(&self) -> &DotnetConfig {
        &self.manifest.dotnet
    }

    /// The folder relative paths of the manifest are taken from.
    pub fn root(&self) -> PathBuf {
        self.manifest.root_dir()
    }

    /// mochi.lock beside mochi.toml.
    pub fn lock_path(&self) -> &Path {
        &self.lock_path
    }

    /// Reads mochi.lock; a missing one is [`ProjectError::NoLockfile`].
    pub fn lockfile(&self) -> Result<Lockfile, ProjectError> {
        self.lockfile_if_present()?
            .ok_or_else(|| ProjectError::NoLockfile {
                path: self.lock_path.clone(),
            })
    }

    /// Reads mochi.lock, `None` when there is none yet.
    pub fn lockfile_if_present(&self) -> Result<Option<Lockfile>, ProjectError> {
        match Lockfile::load(&self.lock_path) {
            Ok(l) => Ok(Some(l)),
            Err(LockfileError::Read { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                Ok(None)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The entry of `id` in `lockfile`, or [`ProjectError::NotLocked`].
    pub fn locked<'l>(
        &self,
        lockfile: &'l Lockfile,
        id: &str,
    ) -> Result<&'l LockedPackage, ProjectError> {
        lockfile.get(id).ok_or_else(|| ProjectError::NotLocked {
            id: id.to_string(),
            path: self.lock_path.clone(),
            locked: lockfile.packages.iter().map(|p| p.id.clone()).collect(),
        })
    }

    /// The package cache (opened, and created if needed, on first use).
    pub fn cache(&self) -> Result<&PackageCache, ProjectError> {
        if let Some(c) = self.cache.get() {
            return Ok(c);
        }
        let root = match &self.cache_root {
            Some(r) => r.clone(),
            None => PackageCache::default_root()?,
        };
        let cache = PackageCache::open(root)?;
        Ok(self.cache.get_or_init(|| cache))
    }

    /// The package sources: NuGet.config files (NuGet's merge order from the project
    /// folder up, then the user config) after one folder source per `path`
    /// dependency of the manifest.
    pub fn sources(&self) -> Result<SourceSet, NuGetError> {
        let dir = self.root();
        let manifest_sources: Vec<(String, String)> = self
            .manifest
            .dependencies
            .values()
            .filter_map(|d| {
                d.path
                    .as_ref()
                    .map(|p| (format!("path:{}", d.id), p.display().to_string()))
            })
            .collect();
        load_sources(&ConfigDiscovery::standard(&dir), &manifest_sources, &dir)
    }

    /// The NuGet client over the project's sources and cache.
    pub fn client(&self, settings: ClientSettings) -> Result<NuGetClient, ProjectError> {
        let set = self.sources().map_err(ProjectError::Client)?;
        let cache = self.cache()?.clone();
        let mut options = ClientOptions {
            offline: settings.offline,
            quiet: settings.quiet,
            ..Default::default()
        };
        if let Some(g) = set.global_packages_folder {
            options.global_packages_folder = Some(g);
        }
        options.source_mapping = set.source_mapping;
        Ok(NuGetClient::new(set.sources, cache, options))
    }

    /// The closure of a locked package from the package cache (see
    /// [`crate::closure`]), assets chosen for `framework` (default: the one
    /// mochi.lock records).
    pub fn package_assemblies(
        &self,
        lockfile: &Lockfile,
        locked: &LockedPackage,
        framework: Option<&Framework>,
    ) -> Result<PackageAssemblies, ProjectError> {
        Ok(package_assemblies(
            lockfile,
            locked,
            framework,
            self.cache()?,
        )?)
    }
}
