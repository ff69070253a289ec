//! The NuGet v3 client: package sources, service index discovery, flat container
//! version lists and downloads, registration metadata, local folder feeds.
//!
//! The client hands out raw data (version strings, dependency groups with raw range
//! strings, verified cached packages); parsing versions, ranges and frameworks is the
//! resolver's business.

pub(crate) mod error;
mod http;
mod local_feed;
pub mod registration;
pub mod service_index;
mod tls;

use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

pub use error::NuGetError;
pub use http::{ProxyConfig, RetryPolicy};
pub use service_index::ServiceEndpoints;

use crate::cache::{CachedPackage, PackageCache};
use crate::config::{PackageSource, SourceLocation, SourceMapping};
use crate::nupkg::RawDependencyGroup;
use crate::version::normalize_version;
use http::{Fetched, HttpClient};
use registration::RegistrationLeaf;

/// Options of a [`NuGetClient`].
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Never touch the network: the cache, the global packages folder and local
    /// folder feeds only.
    pub offline: bool,
    /// No progress bar.
    pub quiet: bool,
    pub retry: RetryPolicy,
    /// Concurrent downloads in [`NuGetClient::download_all`].
    pub parallelism: usize,
    /// NuGet's global packages folder, reused when hashes match. `None` disables it.
    pub global_packages_folder: Option<PathBuf>,
    /// NuGet.config's `<packageSourceMapping>` (`SourceSet::source_mapping`): when set,
    /// a package is fetched only from the sources mapped to it.
    pub source_mapping: Option<SourceMapping>,
    /// HTTP proxies; by default from `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY`/`NO_PROXY`.
    pub proxy: ProxyConfig,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            offline: false,
            quiet: false,
            retry: RetryPolicy::default(),
            parallelism: DEFAULT_PARALLELISM,
            global_packages_folder: default_global_packages_folder(),
            source_mapping: None,
            proxy: ProxyConfig::from_env(),
        }
    }
}

/// Packages fetched (and, by `lock`, hashed) at once: the one default, used by the
/// CLI, the C API and [`ClientOptions::default`] alike.
pub const DEFAULT_PARALLELISM: usize = 6;

/// `$NUGET_PACKAGES`, else `~/.nuget/packages`.
pub fn default_global_packages_folder() -> Option<PathBuf> {
    if let Some(p) = envvars::nonempty(envvars::NUGET_PACKAGES) {
        return Some(PathBuf::from(p));
    }
    envvars::nonempty(envvars::HOME).map(|h| PathBuf::from(h).join(".nuget").join("packages"))
}

/// Refuses what is not a NuGet package id ([`crate::id::is_valid`]) before it
/// reaches a URL or a file name.
pub fn validate_id(id: &str) -> Result<(), NuGetError> {
    if crate::id::is_valid(id) {
        Ok(())
    } else {
        Err(NuGetError::InvalidId { id: id.to_string() })
    }
}

/// Checks that a version string is safe and plausible: ASCII letters, digits, `.`,
/// `-`, `+`, starting with a digit, no empty dot-separated part, at most 128
/// characters. (Full parsing is the resolver's business.)
pub fn validate_version(id: &str, version: &str) -> Result<(), NuGetError> {
    let v = version.trim();
    let ok = !v.is_empty()
        && v.len() <= 128
        && v.starts_with(|c: char| c.is_ascii_digit())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
        && v.split(['-', '+'])
            .next()
            .is_some_and(|core| core.split('.').all(|p| !p.is_empty()));
    if ok {
        Ok(())
    } else {
        Err(NuGetError::InvalidVersion {
            id: id.to_string(),
            version: version.to_string(),
        })
    }
}

/// A folder feed and a lower-case package id.
type FeedKey = (PathBuf, String);

/// A NuGet client over an ordered list of sources, backed by the package cache.
///
/// It is `Sync`: [`NuGetClient::download_all`] shares it between worker threads, and a
/// resolver may call it from several threads.
#[derive(Debug)]
pub struct NuGetClient {
    sources: Vec<PackageSource>,
    options: ClientOptions,
    cache: PackageCache,
    http: HttpClient,
    endpoints: Mutex<HashMap<String, Arc<ServiceEndpoints>>>,
    documents: Mutex<HashMap<String, Arc<serde_json::Value>>>,
    local: Mutex<HashMap<FeedKey, Arc<Vec<local_feed::LocalEntry>>>>,
}

impl NuGetClient {
    pub fn new(sources: Vec<PackageSource>, cache: PackageCache, options: ClientOptions) -> Self {
        let http = HttpClient::new(options.retry.clone(), options.proxy.clone());
        NuGetClient {
            sources,
            options,
            cache,
            http,
            endpoints: Mutex::default(),
            documents: Mutex::default(),
            local: Mutex::default(),
        }
    }

    pub fn sources(&self) -> &[PackageSource] {
        &self.sources
    }

    pub fn cache(&self) -> &PackageCache {
        &self.cache
    }

    pub fn options(&self) -> &ClientOptions {
        &self.options
    }

    /// The sources that may serve `id`, in priority order (all of them unless a
    /// package source mapping says otherwise).
    fn sources_for(&self, id: &str) -> Vec<&PackageSource> {
        self.sources
            .iter()
            .filter(|s| {
                self.options
                    .source_mapping
                    .as_ref()
                    .is_none_or(|m| m.allows(&s.name, id))
            })
            .collect()
    }

    /// The error for a package no source had, or none was allowed to serve.
    fn not_found(&self, id: &str, version: Option<&str>) -> NuGetError {
        if !self.sources.is_empty() && self.sources_for(id).is_empty() {
            return NuGetError::NoMappedSource { id: id.to_string() };
        }
        NuGetError::PackageNotFound {
            id: id.to_string(),
            version: version.map(str::to_string),
            sources: self.source_names(id),
        }
    }

    fn source_names(&self, id: &str) -> Vec<String> {
        self.sources_for(id)
            .into_iter()
            .map(PackageSource::display_location)
            .collect()
    }

    fn endpoints(&self, url: &str) -> Result<Arc<ServiceEndpoints>, NuGetError> {
        if let Some(e) = self.endpoints.lock().expect("endpoints lock").get(url) {
            return Ok(e.clone());
        }
        let found = Arc::new(service_index::discover(&self.http, url)?);
        self.endpoints
            .lock()
            .expect("endpoints lock")
            .insert(url.to_string(), found.clone());
        Ok(found)
    }

    /// A JSON document, memoised for the life of the client (registration pages are
    /// read once per lock).
    fn json(&self, url: &str) -> Result<Option<Arc<serde_json::Value>>, NuGetError> {
        if let Some(d) = self.documents.lock().expect("documents lock").get(url) {
            return Ok(Some(d.clone()));
        }
        match self.http.get_json(url)? {
            Fetched::NotFound => Ok(None),
            Fetched::Found(doc) => {
                let doc = Arc::new(doc);
                self.documents
                    .lock()
                    .expect("documents lock")
                    .insert(url.to_string(), doc.clone());
                Ok(Some(doc))
            }
        }
    }

    fn local_entries(
        &self,
        folder: &Path,
        id: &str,
    ) -> Result<Arc<Vec<local_feed::LocalEntry>>, NuGetError> {
        let k = (folder.to_path_buf(), id.trim().to_ascii_lowercase());
        if let Some(e) = self.local.lock().expect("local lock").get(&k) {
            return Ok(e.clone());
        }
        let found = Arc::new(local_feed::find(folder, id)?);
        self.local
            .lock()
            .expect("local lock")
            .insert(k, found.clone());
        Ok(found)
    }

    fn local_find(
        &self,
        folder: &Path,
        id: &str,
        version: &str,
    ) -> Result<Option<local_feed::LocalEntry>, NuGetError> {
        let nv = normalize_version(version);
        Ok(self
            .local_entries(folder, id)?
            .iter()
            .find(|e| normalize_version(&e.version) == nv)
            .cloned())
    }

    /// Every version of `id` the sources know, as the sources spell them, in source
    /// order (duplicates across sources removed). Offline: the cache, the global
    /// packages folder and local folder feeds.
    pub fn list_versions(&self, id: &str) -> Result<Vec<String>, NuGetError> {
        validate_id(id)?;
        let mut out: Vec<String> = Vec::new();
        if self.options.offline {
            out.extend(self.cache.versions(id));
            if let Some(g) = &self.options.global_packages_folder
                && g.is_dir()
                && let Ok(entries) = self.local_entries(g, id)
            {
                out.extend(entries.iter().map(|e| e.version.clone()));
            }
        }
        for source in self.sources_for(id) {
            match &source.location {
                SourceLocation::Folder(dir) => {
                    out.extend(
                        self.local_entries(dir, id)?
                            .iter()
                            .map(|e| e.version.clone()),
                    );
                }
                SourceLocation::Http(_) if self.options.offline => {}
                SourceLocation::Http(url) => {
                    let ep = self.endpoints(url)?;
                    let index = format!(
                        "{}{}/index.json",
                        ep.package_base,
                        id.trim().to_ascii_lowercase()
                    );
                    if let Some(doc) = self.json(&index)? {
                        let versions =
                            doc["versions"]
                                .as_array()
                                .ok_or_else(|| NuGetError::Protocol {
                                    url: index.clone(),
                                    message: "no \"versions\" array".to_string(),
                                })?;
                        out.extend(
                            versions
                                .iter()
                                .filter_map(|v| v.as_str())
                                .map(str::to_string),
                        );
                    }
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        out.retain(|v| seen.insert(normalize_version(v)));
        if out.is_empty() {
            return Err(if self.options.offline {
                NuGetError::OfflineNoVersions { id: id.to_string() }
            } else {
                self.not_found(id, None)
            });
        }
        Ok(out)
    }

    /// The registration leaf for `id` `version` on a source, if the source has a
    /// registration hive and the version is in it. Follows paged indexes (pages not
    /// inlined) and leaves whose catalog entry is a separate document.
    pub fn registration_leaf(
        &self,
        ep: &ServiceEndpoints,
        id: &str,
        version: &str,
    ) -> Result<Option<RegistrationLeaf>, NuGetError> {
        let Some(base) = &ep.registrations else {
            return Ok(None);
        };
        let index_url = registration::index_url(base, id);
        let Some(index) = self.json(&index_url)? else {
            return Ok(None);
        };
        let pages = index["items"]
            .as_array()
            .ok_or_else(|| NuGetError::Protocol {
                url: index_url.clone(),
                message: "the registration index has no \"items\" array".to_string(),
            })?;
        let wanted = crate::version::NuGetVersion::parse(version).ok();
        for page in pages {
            let fetched;
            let (page_url, items) = match page["items"].as_array() {
                Some(items) => (index_url.clone(), items),
                // A page that is not inlined is fetched only if its bounds admit the
                // version (nuget.org splits popular packages into pages of 64).
                None if !page_may_hold(page, wanted.as_ref()) => continue,
                None => {
                    let url = page["@id"].as_str().ok_or_else(|| NuGetError::Protocol {
                        url: index_url.clone(),
                        message: "a registration page has neither items nor an @id".to_string(),
                    })?;
                    fetched = self.json(url)?.ok_or_else(|| NuGetError::Protocol {
                        url: url.to_string(),
                        message: "the registration page was not found (HTTP 404)".to_string(),
                    })?;
                    let items =
                        fetched["items"]
                            .as_array()
                            .ok_or_else(|| NuGetError::Protocol {
                                url: url.to_string(),
                                message: "the registration page has no \"items\" array".to_string(),
                            })?;
                    (url.to_string(), items)
                }
            };
            let Some(leaf) = items.iter().find(|l| registration::matches(l, version)) else {
                continue;
            };
            return match &leaf["catalogEntry"] {
                serde_json::Value::String(url) => {
                    let entry = self.json(url)?.ok_or_else(|| NuGetError::Protocol {
                        url: url.clone(),
                        message: "the catalog entry was not found (HTTP 404)".to_string(),
                    })?;
                    registration::parse_catalog_entry(url, &entry).map(Some)
                }
                entry => registration::parse_catalog_entry(&page_url, entry).map(Some),
            };
        }
        Ok(None)
    }

    /// The dependency groups of `id` `version`: from the cache when the package is
    /// there, else from the first source that has the version (registration metadata,
    /// falling back to the `.nuspec`).
    pub fn dependency_groups(
        &self,
        id: &str,
        version: &str,
    ) -> Result<Vec<RawDependencyGroup>, NuGetError> {
        validate_id(id)?;
        validate_version(id, version)?;
        if let Some(cached) = self.cache.lookup(id, version) {
            let label = format!("{id} {version} (cache {})", cached.extracted_dir.display());
            return Ok(crate::nupkg::read_extracted(&cached.extracted_dir, &label)?
                .nuspec
                .dependency_groups);
        }
        if let Some(g) = &self.options.global_packages_folder {
            let (lid, lver) = (id.trim().to_ascii_lowercase(), normalize_version(version));
            let dir = g.join(&lid).join(&lver);
            let nuspec = dir.join(format!("{lid}.nuspec"));
            // NuGet writes the completion marker last: without it the folder may be
            // half-extracted.
            let complete = dir.join(".nupkg.metadata").is_file()
                || dir.join(format!("{lid}.{lver}.nupkg.sha512")).is_file();
            if complete && let Ok(bytes) = std::fs::read(&nuspec) {
                let label = nuspec.display().to_string();
                return Ok(crate::nupkg::parse_nuspec(&bytes, &label, &label)?.dependency_groups);
            }
        }
        for source in self.sources_for(id) {
            match &source.location {
                SourceLocation::Folder(dir) => {
                    if let Some(e) = self.local_find(dir, id, version)? {
                        let label = e.nupkg.display().to_string();
                        return Ok(crate::nupkg::read_nuspec_from_nupkg(&e.nupkg, &label)?
                            .dependency_groups);
                    }
                }
                SourceLocation::Http(_) if self.options.offline => {}
                SourceLocation::Http(url) => {
                    let ep = self.endpoints(url)?;
                    let leaf = self.registration_leaf(&ep, id, version)?;
                    if let Some(groups) = leaf.as_ref().and_then(|l| l.dependency_groups.clone()) {
                        return Ok(groups);
                    }
                    let (lid, lver) = (id.trim().to_ascii_lowercase(), normalize_version(version));
                    let nuspec_url = format!("{}{lid}/{lver}/{lid}.nuspec", ep.package_base);
                    if let Fetched::Found(bytes) = self.http.get_bytes(&nuspec_url)? {
                        return Ok(crate::nupkg::parse_nuspec(
                            &bytes,
                            &format!("{id} {version}"),
                            &nuspec_url,
                        )?
                        .dependency_groups);
                    }
                    if leaf.is_some() {
                        // The version exists, but neither its registration entry nor a
                        // separate nuspec names its dependencies: read the package's own.
                        let cached = self.download(id, version)?;
                        let label =
                            format!("{id} {version} (cache {})", cached.extracted_dir.display());
                        return Ok(crate::nupkg::read_extracted(&cached.extracted_dir, &label)?
                            .nuspec
                            .dependency_groups);
                    }
                }
            }
        }
        Err(if self.options.offline {
            NuGetError::Offline {
                id: id.to_string(),
                version: version.to_string(),
            }
        } else {
            self.not_found(id, Some(version))
        })
    }

    /// Downloads (or finds in the cache) `id` `version`, verified and extracted.
    /// When the source's registration advertises a SHA-512, the bytes must match it.
    /// The cache is tried first, then the global packages folder, then the sources.
    pub fn download(&self, id: &str, version: &str) -> Result<CachedPackage, NuGetError> {
        self.download_verified(id, version, None)
    }

    /// Like [`NuGetClient::download`], but the bytes must hash to `expected_sha512`
    /// (hex, or NuGet's base64), e.g. the `nupkg-sha512` of a lockfile. That hash is
    /// the trust anchor: it replaces the one a registration may advertise.
    pub fn download_verified(
        &self,
        id: &str,
        version: &str,
        expected_sha512: Option<&str>,
    ) -> Result<CachedPackage, NuGetError> {
        validate_id(id)?;
        validate_version(id, version)?;
        let expected_hex = expected_sha512.map(|e| {
            crate::hash::normalize_sha512(e).unwrap_or_else(|| e.trim().to_ascii_lowercase())
        });
        // Two processes locking the same graph: the second waits here, then finds the
        // first one's entry in the index instead of downloading again.
        let _lock = self.cache.lock_package(id, version)?;
        if let Some(hit) = self.cache.lookup(id, version)
            && expected_hex.as_ref().is_none_or(|e| *e == hit.sha512_hex)
        {
            return Ok(hit);
        }
        if let Some(g) = &self.options.global_packages_folder
            && let Some(hit) =
                self.cache
                    .import_from_global_packages(g, id, version, expected_hex.as_deref())?
        {
            return Ok(hit);
        }
        for source in self.sources_for(id) {
            match &source.location {
                SourceLocation::Folder(dir) => {
                    if let Some(e) = self.local_find(dir, id, version)? {
                        return Ok(self.cache.insert_file(
                            id,
                            version,
                            &dir.display().to_string(),
                            &e.nupkg,
                            expected_hex.as_deref(),
                        )?);
                    }
                }
                SourceLocation::Http(_) if self.options.offline => {}
                SourceLocation::Http(url) => {
                    if let Some(p) =
                        self.download_http(url, id, version, expected_hex.as_deref())?
                    {
                        return Ok(p);
                    }
                }
            }
        }
        Err(if self.options.offline {
            NuGetError::Offline {
                id: id.to_string(),
                version: version.to_string(),
            }
        } else {
            self.not_found(id, Some(version))
        })
    }

    fn download_http(
        &self,
        source_url: &str,
        id: &str,
        version: &str,
        expected_hex: Option<&str>,
    ) -> Result<Option<CachedPackage>, NuGetError> {
        let ep = self.endpoints(source_url)?;
        // The caller's hash (a lockfile's) is the trust anchor; without one, the hash
        // the registration advertises is checked. A registration that cannot be read
        // does not block a download from the flat container.
        let advertised = match expected_hex {
            Some(_) => None,
            None => self
                .registration_leaf(&ep, id, version)
                .ok()
                .flatten()
                .and_then(|l| l.package_hash_sha512),
        };
        let (lid, lver) = (id.trim().to_ascii_lowercase(), normalize_version(version));
        let url = format!("{}{lid}/{lver}/{lid}.{lver}.nupkg", ep.package_base);
        let mut pending = self.cache.begin(id, version)?;
        const MAX_NUPKG: u64 = 4 << 30;
        match self
            .http
            .get_into(&url, &mut pending, |p| p.reset(), MAX_NUPKG)?
        {
            Fetched::NotFound => Ok(None),
            Fetched::Found(()) => {
                let expected = expected_hex.or(advertised.as_deref());
                // The recorded source is the service index URL, as NuGet records it.
                Ok(Some(
                    self.cache
                        .commit(pending, id, version, source_url, expected)?,
                ))
            }
        }
    }

    /// Downloads several packages concurrently (up to `parallelism` at a time), with
    /// a progress bar on a terminal unless quiet. Results are in input order; the
    /// first failure (in input order) is returned after every download has finished.
    pub fn download_all(
        &self,
        packages: &[(String, String)],
    ) -> Result<Vec<CachedPackage>, NuGetError> {
        let bar = if self.options.quiet || !std::io::stderr().is_terminal() || packages.is_empty() {
            indicatif::ProgressBar::hidden()
        } else {
            let bar = indicatif::ProgressBar::new(packages.len() as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{spinner} Downloading [{bar:30}] {pos}/{len} {wide_msg}",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            bar
        };
        let next = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<Result<CachedPackage, NuGetError>>>> =
            Mutex::new((0..packages.len()).map(|_| None).collect());
        let workers = self.options.parallelism.clamp(1, packages.len().max(1));
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::SeqCst);
                        let Some((id, version)) = packages.get(i) else {
                            break;
                        };
                        bar.set_message(format!("{id} {version}"));
                        let r = self.download(id, version);
                        bar.inc(1);
                        results.lock().expect("results lock")[i] = Some(r);
                    }
                });
            }
        });
        bar.finish_and_clear();
        results
            .into_inner()
            .expect("results lock")
            .into_iter()
            .map(|r| r.expect("every package was processed"))
            .collect()
    }
}

/// Whether a registration page's `lower`/`upper` bounds admit `version`; `true`
/// when either side is missing or unparsable.
fn page_may_hold(page: &serde_json::Value, version: Option<&crate::version::NuGetVersion>) -> bool {
    let bound = |k: &str| {
        page[k]
            .as_str()
            .and_then(|s| crate::version::NuGetVersion::parse(s).ok())
    };
    match (version, bound("lower"), bound("upper")) {
        (Some(v), Some(lo), Some(hi)) => lo <= *v && *v <= hi,
        _ => true,
    }
}
