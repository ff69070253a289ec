//! Where `lock` gets packages: the resolver's [`PackageIndex`] (versions and
//! dependency groups) and a [`PackageFetcher`] (verified, extracted packages), both
//! implemented by the NuGet client and by test doubles. Also the two views
//! `lock --check` puts over them.

use std::path::PathBuf;

use nuget::nupkg::RawDependencyGroup;
use nuget::{NuGetClient, NuGetError};
use project::Lockfile;

use crate::resolver::{PackageIndex, SourceError};

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

/// Offers the resolver only the versions mochi.lock records.
pub(crate) struct PinnedIndex<'a, R> {
    pub(crate) lock: &'a Lockfile,
    pub(crate) inner: &'a R,
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
pub(crate) struct CheckFetcher<'a, R> {
    pub(crate) inner: &'a R,
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
            nuget::hash::sha512_file(&p.nupkg_path).map_err(|e| Box::new(e) as SourceError)?;
        Ok(p)
    }
}
