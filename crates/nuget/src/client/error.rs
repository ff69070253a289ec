//! Errors of the NuGet client. Each message says what failed, on which package, URL
//! or file, and what to try next.

use std::path::PathBuf;

use crate::cache::CacheError;
use crate::nupkg::NupkgError;

/// Everything the NuGet client can fail with.
#[derive(Debug, thiserror::Error)]
pub enum NuGetError {
    /// A NuGet.config file could not be read or is not valid XML.
    #[error(
        "cannot read NuGet config {path}: {message}\n  hint: fix or remove the file; NuGet.config is XML with a <configuration> root"
    )]
    Config { path: PathBuf, message: String },

    /// An HTTP request failed for good: a non-retryable status, or retries ran out.
    #[error("GET {url} failed after {attempts} attempt(s): {reason}\n  hint: {hint}")]
    Http {
        url: String,
        attempts: u32,
        reason: String,
        hint: &'static str,
    },

    /// A server answered, but not with what the NuGet v3 protocol promises.
    #[error(
        "unexpected response from {url}: {message}\n  hint: is this a NuGet v3 source (its URL usually ends in /v3/index.json)?"
    )]
    Protocol { url: String, message: String },

    /// The service index of a source lacks a resource the client needs.
    #[error(
        "source {source_url} has no {resource} resource in its service index\n  hint: the client needs PackageBaseAddress/3.0.0; check the source URL"
    )]
    MissingResource {
        source_url: String,
        resource: &'static str,
    },

    /// No enabled source has the package (or this version of it).
    #[error("package {id}{} was not found on any source (searched: {})\n  hint: check the id and version, or add the source that hosts it to NuGet.config or the manifest", version.as_deref().map(|v| format!(" {v}")).unwrap_or_default(), if sources.is_empty() { "no enabled source".to_string() } else { sources.join(", ") })]
    PackageNotFound {
        id: String,
        version: Option<String>,
        sources: Vec<String>,
    },

    /// NuGet.config's package source mapping allows no configured source to serve
    /// this package.
    #[error(
        "package {id} matches no pattern of the package source mapping in NuGet.config, so no source may serve it\n  hint: add <package pattern=\"{id}\" /> under the right <packageSource> in <packageSourceMapping>"
    )]
    NoMappedSource { id: String },

    /// `--offline` and the package is in neither the cache nor a local feed.
    #[error(
        "package {id} {version} is not in the cache and --offline forbids downloading it\n  hint: run once without --offline to fill the cache (or add a local folder feed that holds it)"
    )]
    Offline { id: String, version: String },

    /// `--offline` and nothing is known about the package's versions.
    #[error(
        "no versions of {id} are in the cache or in local feeds, and --offline forbids asking a server\n  hint: run once without --offline to fill the cache"
    )]
    OfflineNoVersions { id: String },

    /// Not a NuGet package id (`\w+([.-]\w+)*`, at most 100 characters). Refused
    /// before it reaches a URL or a file name.
    #[error(
        "{id:?} is not a valid NuGet package id\n  hint: ids are letters, digits and '_', separated by single '.' or '-' (e.g. Newtonsoft.Json)"
    )]
    InvalidId { id: String },

    /// Not a NuGet version string.
    #[error(
        "{version:?} is not a valid version of {id}\n  hint: NuGet versions look like 1.2.3, 1.2.3.4 or 1.2.3-beta.1+build"
    )]
    InvalidVersion { id: String, version: String },

    /// A local feed could not be read.
    #[error(
        "cannot read local feed {path}: {source}\n  hint: check that the folder exists and is readable"
    )]
    LocalFeed {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A cache failure (hash mismatch, wrong package, I/O). Boxed: it is large.
    #[error(transparent)]
    Cache(Box<CacheError>),

    /// The package itself is unsafe or malformed. Boxed: it is large.
    #[error(transparent)]
    Nupkg(Box<NupkgError>),
}

impl From<CacheError> for NuGetError {
    fn from(e: CacheError) -> Self {
        match e {
            CacheError::Nupkg(n) => NuGetError::Nupkg(Box::new(n)),
            other => NuGetError::Cache(Box::new(other)),
        }
    }
}

impl From<NupkgError> for NuGetError {
    fn from(e: NupkgError) -> Self {
        NuGetError::Nupkg(Box::new(e))
    }
}
