//! `mochi-dotnet add <Id>[@<range>]`: writes the dependency into mochi.toml
//! (`project::edit`), then locks as `lock` does; restores mochi.toml if the lock
//! fails, so a failed add leaves the project as it was.

// Errors here carry whole dependency paths and advice; they are built once, on the
// failure path, so their size does not matter.
#![allow(clippy::result_large_err)]

use std::path::PathBuf;

use lock::{Ecma335Hasher, LockError, LockOutcome, PackageIndex, SourceError};
use nuget::version::{NuGetVersion, VersionRange};
use project::edit::{EditError, restore, set_dependency};
use project::{ClientSettings, Project, ProjectError};

use super::lock::{LockReport, LockRequest, lock_options};

/// What `add` does.
#[derive(Debug, Clone)]
pub struct AddRequest {
    /// `Newtonsoft.Json` or `Newtonsoft.Json@^13.0`.
    pub spec: String,
    /// How the project is then locked (`check` and `accept_capabilities` unused).
    pub lock: LockRequest,
}

/// What `add` did.
#[derive(Debug, Clone)]
pub struct AddReport {
    pub id: String,
    /// The range written into mochi.toml.
    pub range: String,
    pub manifest_path: PathBuf,
    pub lock: LockReport,
}

impl AddReport {
    /// The lines `add` prints when it succeeds.
    pub fn summary(&self) -> String {
        format!(
            "added {} = \"{}\" to {}\n{}",
            self.id,
            self.range,
            self.manifest_path.display(),
            self.lock.summary()
        )
    }
}

/// Why `add` failed.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error(
        "`{spec}` is not a package to add: {message}\n  hint: write `mochi-dotnet add Newtonsoft.Json` or `mochi-dotnet add Newtonsoft.Json@^13.0`"
    )]
    Spec { spec: String, message: String },
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error("cannot find the versions of {id}: {source}")]
    Versions {
        id: String,
        #[source]
        source: SourceError,
    },
    #[error(
        "{id} has no versions on any source\n  hint: check the id and the sources in NuGet.config"
    )]
    NoVersions { id: String },
    #[error(transparent)]
    Setup(#[from] ProjectError),
    #[error("{source}\n  note: mochi.toml was restored; `{id}` was not added")]
    Lock {
        id: String,
        #[source]
        source: LockError,
    },
}

/// Splits `Id[@range]`, validating both parts.
pub fn parse_spec(spec: &str) -> Result<(String, Option<VersionRange>), AddError> {
    let bad = |message: String| AddError::Spec {
        spec: spec.into(),
        message,
    };
    let (id, range) = match spec.split_once('@') {
        Some((i, r)) => (i.trim(), Some(r.trim())),
        None => (spec.trim(), None),
    };
    if !nuget::id::is_valid(id) {
        return Err(bad(format!("`{id}` is not a NuGet package id")));
    }
    let range = range
        .map(|r| VersionRange::parse(r).map_err(|e| bad(e.to_string())))
        .transpose()?;
    Ok((id.to_string(), range))
}

/// The range `add` writes when none is given: `^<newest stable>`, or the newest
/// prerelease as a minimum when there is no stable version.
pub fn default_range(versions: &[String]) -> Option<String> {
    let mut parsed: Vec<NuGetVersion> = versions
        .iter()
        .filter_map(|v| NuGetVersion::parse(v).ok())
        .collect();
    parsed.sort();
    if let Some(v) = parsed.iter().rev().find(|v| !v.is_prerelease()) {
        return Some(format!("^{v}"));
    }
    parsed.last().map(|v| v.to_string())
}

/// Runs `add`.
pub fn run(request: &AddRequest) -> Result<AddReport, AddError> {
    let (id, range) = parse_spec(&request.spec)?;
    let manifest_path = &request.lock.manifest_path;
    let project = Project::load(manifest_path, &request.lock.project)?;
    let client = project.client(ClientSettings {
        offline: request.lock.offline,
        quiet: request.lock.quiet,
    })?;
    let range_text = match range {
        Some(r) => r.original().to_string(),
        None => {
            let versions =
                PackageIndex::list_versions(&client, &id).map_err(|source| AddError::Versions {
                    id: id.clone(),
                    source,
                })?;
            default_range(&versions).ok_or_else(|| AddError::NoVersions { id: id.clone() })?
        }
    };
    let original = std::fs::read(manifest_path).map_err(|source| EditError::Read {
        path: manifest_path.clone(),
        source,
    })?;
    set_dependency(manifest_path, &id, &range_text)?;
    let locked = Project::load(manifest_path, &request.lock.project)
        .map_err(LockError::from)
        .and_then(|edited| {
            lock::run(
                &edited,
                &client,
                &Ecma335Hasher,
                &lock_options(&request.lock),
            )
        });
    let outcome: LockOutcome = match locked {
        Ok(outcome) => outcome,
        Err(source) => {
            let _ = restore(manifest_path, &original);
            return Err(AddError::Lock { id, source });
        }
    };
    Ok(AddReport {
        id,
        range: range_text,
        manifest_path: manifest_path.clone(),
        lock: LockReport {
            outcome,
            manifest_edited: false,
            check: false,
        },
    })
}
