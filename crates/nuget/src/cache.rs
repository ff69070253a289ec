//! The content-addressed package cache.
//!
//! Layout under the root (`$MOCHI_DOTNET_CACHE`, else `$XDG_CACHE_HOME/mochi/dotnet-deps`,
//! else `~/.cache/mochi/dotnet-deps`):
//!
//! ```text
//! <sha512-hex>/package.nupkg      the bytes as downloaded, verified
//! <sha512-hex>/extracted/...      the safely extracted content
//! index/<id>/<version>.json       id/version → hash and source, for offline lookups
//! .locks/<id>@<version>.lock      per-package file locks (two processes, one download)
//! .tmp/                           work in progress; never trusted
//! ```
//!
//! An entry appears only by renaming a complete, verified, extracted directory into
//! place, so a crash or a failed download never leaves a half-written entry that a
//! later run trusts. The index entry is written (temp + rename) after the entry exists.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha512};

use crate::hash::{base64_sha512_to_hex, normalize_sha512, sha512_file};
use crate::nupkg::{self, ExtractLimits, NupkgError};
use crate::version::{normalize_version, same_version};

/// A package present in the cache: verified and extracted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedPackage {
    /// Package id as given by the caller.
    pub id: String,
    /// Version as given by the caller.
    pub version: String,
    /// Lower-case hex SHA-512 of the `.nupkg` bytes.
    pub sha512_hex: String,
    /// The `.nupkg` file inside the cache entry.
    pub nupkg_path: PathBuf,
    /// The folder holding the extracted package (its `.nuspec`, `lib/`, `ref/`, ...).
    pub extracted_dir: PathBuf,
    /// Where the bytes came from: the source URL or folder the package was fetched from.
    pub source: String,
}

/// Errors of the cache. Hash mismatches name the package and both hashes.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error(
        "cache I/O error on {path}: {source}\n  hint: check permissions and free space, or point MOCHI_DOTNET_CACHE at a writable folder"
    )]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    #[error(
        "SHA-512 mismatch for {id} {version} from {origin}:\n  expected {expected}\n  got      {actual}\n  hint: the source served different bytes than recorded; nothing was cached. If the package was legitimately re-published, re-lock; otherwise distrust the source"
    )]
    HashMismatch {
        id: String,
        version: String,
        origin: String,
        expected: String,
        actual: String,
    },

    #[error(
        "{origin} holds package {found_id} {found_version}, but {id} {version} was requested\n  hint: the source serves the wrong file for this URL; nothing was cached"
    )]
    WrongPackage {
        id: String,
        version: String,
        origin: String,
        found_id: String,
        found_version: String,
    },

    #[error(
        "cannot determine the cache folder: neither MOCHI_DOTNET_CACHE, XDG_CACHE_HOME nor HOME is set\n  hint: set MOCHI_DOTNET_CACHE to a writable folder"
    )]
    NoCacheDir,

    #[error(transparent)]
    Nupkg(#[from] NupkgError),
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> CacheError + '_ {
    move |source| CacheError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The cache, rooted at one folder.
#[derive(Debug, Clone)]
pub struct PackageCache {
    root: PathBuf,
    limits: ExtractLimits,
}

/// An exclusive lock on one package id/version in the cache, held across processes.
/// Released on drop.
pub type PackageLock = fsutil::LockedFile;

/// A `.nupkg` being written into the cache's temporary folder. It hashes what is
/// written; dropping it without [`PackageCache::commit`] removes the file.
#[derive(Debug)]
pub struct PendingNupkg {
    path: PathBuf,
    file: Option<File>,
    hasher: Sha512,
    written: u64,
}

impl PendingNupkg {
    /// Forget everything written so far (a retry starts over).
    pub fn reset(&mut self) -> io::Result<()> {
        let file = self.file.as_mut().expect("file present until commit");
        file.set_len(0)?;
        io::Seek::seek(file, io::SeekFrom::Start(0))?;
        self.hasher = Sha512::new();
        self.written = 0;
        Ok(())
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The temporary file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Write for PendingNupkg {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self
            .file
            .as_mut()
            .expect("file present until commit")
            .write(buf)?;
        self.hasher.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().expect("file present").flush()
    }
}

impl Drop for PendingNupkg {
    fn drop(&mut self) {
        self.file.take();
        let _ = fs::remove_file(&self.path);
    }
}

/// Removes a temporary directory on drop unless disarmed.
struct TempDirGuard(Option<PathBuf>);

impl Drop for TempDirGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = fs::remove_dir_all(p);
        }
    }
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct IndexEntry {
    id: String,
    version: String,
    sha512: String,
    source: String,
}

static UNIQUE: AtomicU64 = AtomicU64::new(0);

fn unique_name(stem: &str) -> String {
    format!(
        "{stem}-{}-{}",
        std::process::id(),
        UNIQUE.fetch_add(1, Ordering::Relaxed)
    )
}

/// Lower-case key for an id or version in file names (NuGet ids and versions are
/// case-insensitive). Characters outside NuGet's id/version alphabet are replaced.
/// Never `.`, `..` or empty, so a key is always one harmless path component.
fn key(s: &str) -> String {
    let k: String = s
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+') {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if k.chars().all(|c| c == '.') {
        format!("_{k}")
    } else {
        k
    }
}

/// Key for a version: normalised first, so `1.0` and `1.0.0` share one entry.
fn version_key(v: &str) -> String {
    key(&normalize_version(v))
}

impl PackageCache {
    /// Opens (creating if needed) a cache rooted at `root`.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, CacheError> {
        let root = root.into();
        for sub in ["", "index", ".locks", ".tmp"] {
            let p = root.join(sub);
            fs::create_dir_all(&p).map_err(io_err(&p))?;
        }
        let cache = PackageCache {
            root,
            limits: ExtractLimits::default(),
        };
        // Leftovers of a process that died mid-download; a day is far longer than
        // any download, so a live process's files are never touched.
        cache.clean_temp(std::time::Duration::from_secs(24 * 3600));
        Ok(cache)
    }

    /// The default root: `$MOCHI_DOTNET_CACHE`, else `$XDG_CACHE_HOME/mochi/dotnet-deps`,
    /// else `$HOME/.cache/mochi/dotnet-deps`.
    pub fn default_root() -> Result<PathBuf, CacheError> {
        use envvars::nonempty;
        if let Some(p) = nonempty(envvars::MOCHI_DOTNET_CACHE) {
            return Ok(PathBuf::from(p));
        }
        if let Some(p) = nonempty(envvars::XDG_CACHE_HOME) {
            return Ok(PathBuf::from(p).join("mochi").join("dotnet-deps"));
        }
        if let Some(p) = nonempty(envvars::HOME) {
            return Ok(PathBuf::from(p)
                .join(".cache")
                .join("mochi")
                .join("dotnet-deps"));
        }
        Err(CacheError::NoCacheDir)
    }

    /// Opens the cache at [`PackageCache::default_root`].
    pub fn open_default() -> Result<Self, CacheError> {
        Self::open(Self::default_root()?)
    }

    /// Replaces the extraction limits (tests use small ones).
    pub fn with_limits(mut self, limits: ExtractLimits) -> Self {
        self.limits = limits;
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn entry_dir(&self, sha512_hex: &str) -> PathBuf {
        self.root.join(sha512_hex)
    }

    fn index_path(&self, id: &str, version: &str) -> PathBuf {
        self.root
            .join("index")
            .join(key(id))
            .join(format!("{}.json", version_key(version)))
    }

    /// Takes the cross-process lock for one package. Blocks until it is free.
    pub fn lock_package(&self, id: &str, version: &str) -> Result<PackageLock, CacheError> {
        let path =
            self.root
                .join(".locks")
                .join(format!("{}@{}.lock", key(id), version_key(version)));
        fsutil::LockedFile::acquire(&path).map_err(io_err(&path))
    }

    /// The entry for a hash, if it is complete.
    pub fn get_by_hash(
        &self,
        id: &str,
        version: &str,
        sha512_hex: &str,
        source: &str,
    ) -> Option<CachedPackage> {
        let dir = self.entry_dir(sha512_hex);
        let nupkg_path = dir.join("package.nupkg");
        let extracted_dir = dir.join("extracted");
        (nupkg_path.is_file() && extracted_dir.is_dir()).then(|| CachedPackage {
            id: id.to_string(),
            version: version.to_string(),
            sha512_hex: sha512_hex.to_string(),
            nupkg_path,
            extracted_dir,
            source: source.to_string(),
        })
    }

    /// Looks a package up by id and version through the index.
    pub fn lookup(&self, id: &str, version: &str) -> Option<CachedPackage> {
        let path = self.index_path(id, version);
        let text = fs::read_to_string(&path).ok()?;
        let entry: IndexEntry = serde_json::from_str(&text).ok()?;
        self.get_by_hash(id, version, &entry.sha512, &entry.source)
    }

    /// Versions of `id` recorded in the index (as first recorded), sorted as strings.
    pub fn versions(&self, id: &str) -> Vec<String> {
        let dir = self.root.join("index").join(key(id));
        let Ok(rd) = fs::read_dir(&dir) else {
            return Vec::new();
        };
        let mut out: Vec<String> = rd
            .filter_map(|e| e.ok())
            // `.tmp-*`: an index entry being written (fsutil's temporary file).
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .filter_map(|e| fs::read_to_string(e.path()).ok())
            .filter_map(|t| serde_json::from_str::<IndexEntry>(&t).ok())
            .filter(|e| self.entry_dir(&e.sha512).join("extracted").is_dir())
            .map(|e| e.version)
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Starts writing a `.nupkg` into the cache's temporary folder.
    pub fn begin(&self, id: &str, version: &str) -> Result<PendingNupkg, CacheError> {
        let tmp = self.root.join(".tmp");
        fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;
        let path = tmp.join(unique_name(&format!(
            "{}.{}",
            key(id),
            version_key(version)
        )));
        let file = OpenOptions::new()
            .create_new(true)
            .write(true)
            .open(&path)
            .map_err(io_err(&path))?;
        Ok(PendingNupkg {
            path,
            file: Some(file),
            hasher: Sha512::new(),
            written: 0,
        })
    }

    /// Verifies, extracts and publishes a downloaded `.nupkg`.
    ///
    /// `expected_sha512` (hex or NuGet base64) is checked before anything becomes
    /// visible; on any error the temporary files are removed and the cache is as before.
    pub fn commit(
        &self,
        mut pending: PendingNupkg,
        id: &str,
        version: &str,
        source: &str,
        expected_sha512: Option<&str>,
    ) -> Result<CachedPackage, CacheError> {
        let mut file = pending.file.take().expect("file present until commit");
        file.flush().map_err(io_err(&pending.path))?;
        file.sync_all().map_err(io_err(&pending.path))?;
        drop(file);
        let actual = hex::encode(std::mem::take(&mut pending.hasher).finalize());
        if let Some(expected) = expected_sha512 {
            let expected_hex = normalize_sha512(expected).unwrap_or_else(|| expected.to_string());
            if expected_hex != actual {
                return Err(CacheError::HashMismatch {
                    id: id.to_string(),
                    version: version.to_string(),
                    origin: source.to_string(),
                    expected: expected_hex,
                    actual,
                });
            }
        }
        if let Some(found) = self.get_by_hash(id, version, &actual, source) {
            // Same bytes as an entry we hold: still make sure they are the package
            // that was asked for before recording them under its name.
            let label = format!("{id} {version} (from {source})");
            let contents = nupkg::read_extracted(&found.extracted_dir, &label)?;
            check_identity(&contents, id, version, source)?;
            self.write_index(id, version, &actual, source)?;
            return Ok(found);
        }

        let staging = self.root.join(".tmp").join(unique_name("entry"));
        fs::create_dir_all(&staging).map_err(io_err(&staging))?;
        let guard = TempDirGuard(Some(staging.clone()));
        let staged_nupkg = staging.join("package.nupkg");
        fs::rename(&pending.path, &staged_nupkg).map_err(io_err(&staged_nupkg))?;
        let label = format!("{id} {version} (from {source})");
        let contents = nupkg::extract(
            &staged_nupkg,
            &staging.join("extracted"),
            &self.limits,
            &label,
        )?;
        check_identity(&contents, id, version, source)?;
        fsutil::sync_dir(&staging);
        let final_dir = self.entry_dir(&actual);
        let mut published = fs::rename(&staging, &final_dir);
        if published.is_err()
            && final_dir.exists()
            && self.get_by_hash(id, version, &actual, source).is_none()
        {
            // An incomplete folder under the final name (not made by this code, which
            // only ever renames complete entries): move it aside, then publish ours.
            let aside = self.root.join(".tmp").join(unique_name("broken"));
            if fs::rename(&final_dir, &aside).is_ok() {
                let _ = fs::remove_dir_all(&aside);
            }
            published = fs::rename(&staging, &final_dir);
        }
        match published {
            Ok(()) => {
                let mut guard = guard;
                guard.0 = None;
                fsutil::sync_dir(&self.root);
            }
            // Another process published the same bytes first: theirs is identical.
            Err(_) if self.get_by_hash(id, version, &actual, source).is_some() => drop(guard),
            Err(e) => return Err(io_err(&final_dir)(e)),
        }
        self.write_index(id, version, &actual, source)?;
        Ok(self
            .get_by_hash(id, version, &actual, source)
            .expect("entry was just published"))
    }

    /// Copies a `.nupkg` from a local file (a folder feed or the NuGet global packages
    /// folder) into the cache, verifying `expected_sha512` if given.
    pub fn insert_file(
        &self,
        id: &str,
        version: &str,
        source: &str,
        nupkg: &Path,
        expected_sha512: Option<&str>,
    ) -> Result<CachedPackage, CacheError> {
        let mut pending = self.begin(id, version)?;
        let mut f = File::open(nupkg).map_err(io_err(nupkg))?;
        io::copy(&mut f, &mut pending).map_err(io_err(nupkg))?;
        self.commit(pending, id, version, source, expected_sha512)
    }

    /// Reuses a package from NuGet's global packages folder
    /// (`<root>/<id>/<version>/<id>.<version>.nupkg`) when it is complete (its
    /// `.nupkg.metadata` or `.nupkg.sha512` exists), its bytes match that recorded
    /// hash, and they match `expected_sha512` when given. `Ok(None)` when it cannot be
    /// reused; nothing is downloaded either way.
    pub fn import_from_global_packages(
        &self,
        global_root: &Path,
        id: &str,
        version: &str,
        expected_sha512: Option<&str>,
    ) -> Result<Option<CachedPackage>, CacheError> {
        let (lid, lver) = (id.trim().to_ascii_lowercase(), normalize_version(version));
        let dir = global_root.join(&lid).join(&lver);
        let nupkg_path = dir.join(format!("{lid}.{lver}.nupkg"));
        if !nupkg_path.is_file() {
            return Ok(None);
        }
        let mut recorded: Option<String> = None;
        let mut origin = nupkg_path.display().to_string();
        if let Ok(text) = fs::read_to_string(dir.join(".nupkg.metadata"))
            && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
        {
            recorded = v["contentHash"].as_str().and_then(base64_sha512_to_hex);
            if let Some(s) = v["source"].as_str() {
                origin = s.to_string();
            }
        }
        if recorded.is_none()
            && let Ok(text) = fs::read_to_string(dir.join(format!("{lid}.{lver}.nupkg.sha512")))
        {
            recorded = base64_sha512_to_hex(&text);
        }
        let Some(recorded) = recorded else {
            return Ok(None);
        };
        let actual = sha512_file(&nupkg_path).map_err(io_err(&nupkg_path))?;
        if actual != recorded {
            return Ok(None);
        }
        if let Some(expected) = expected_sha512
            && normalize_sha512(expected).as_deref() != Some(actual.as_str())
        {
            return Ok(None);
        }
        self.insert_file(id, version, &origin, &nupkg_path, Some(&actual))
            .map(Some)
    }

    fn write_index(
        &self,
        id: &str,
        version: &str,
        sha512: &str,
        source: &str,
    ) -> Result<(), CacheError> {
        let path = self.index_path(id, version);
        let dir = path.parent().expect("index path has a parent");
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        let entry = IndexEntry {
            id: id.to_string(),
            version: version.to_string(),
            sha512: sha512.to_string(),
            source: source.to_string(),
        };
        let text = serde_json::to_string_pretty(&entry).expect("index entry serialises") + "\n";
        fsutil::write_atomic(&path, text.as_bytes()).map_err(io_err(&path))
    }

    /// Removes leftovers of crashed processes from the temporary folder.
    pub fn clean_temp(&self, older_than: std::time::Duration) {
        let Ok(rd) = fs::read_dir(self.root.join(".tmp")) else {
            return;
        };
        for e in rd.filter_map(|e| e.ok()) {
            let old = e
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > older_than);
            if old {
                let p = e.path();
                let _ = fs::remove_dir_all(&p).or_else(|_| fs::remove_file(&p));
            }
        }
    }
}

/// The package's own nuspec must name the requested id and version.
fn check_identity(
    contents: &nupkg::PackageContents,
    id: &str,
    version: &str,
    source: &str,
) -> Result<(), CacheError> {
    if contents.nuspec.id.eq_ignore_ascii_case(id.trim())
        && same_version(&contents.nuspec.version, version)
    {
        return Ok(());
    }
    Err(CacheError::WrongPackage {
        id: id.to_string(),
        version: version.to_string(),
        origin: source.to_string(),
        found_id: contents.nuspec.id.clone(),
        found_version: contents.nuspec.version.clone(),
    })
}
