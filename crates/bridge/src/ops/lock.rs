//! `mochi-dotnet lock` (and `lock --check`) as the CLI and the C API run it: one
//! code path, so both write the same mochi.lock for the same project. Grants
//! `--accept-capability` in mochi.toml first, opens the project and its NuGet
//! client, then locks with shim hashes.

// Errors here carry whole dependency paths and advice; they are built once, on the
// failure path, so their size does not matter.
#![allow(clippy::result_large_err)]

use std::path::PathBuf;

use lock::{Ecma335Hasher, LockError, LockOptions, LockOutcome};
use project::edit::{EditError, grant_capabilities};
use project::manifest::Capability;
use project::{ClientSettings, Project, ProjectError, ProjectOptions};

/// What `lock` does.
#[derive(Debug, Clone)]
pub struct LockRequest {
    pub manifest_path: PathBuf,
    /// Verify mochi.lock instead of writing it.
    pub check: bool,
    /// The package cache and local feeds only; never the network.
    pub offline: bool,
    /// No progress bar.
    pub quiet: bool,
    /// Capabilities to grant in mochi.toml before locking.
    pub accept_capabilities: Vec<Capability>,
    /// Packages fetched and hashed at once.
    pub parallelism: usize,
    pub project: ProjectOptions,
}

impl LockRequest {
    /// Locking `manifest_path` with every default.
    pub fn new(manifest_path: impl Into<PathBuf>) -> LockRequest {
        LockRequest {
            manifest_path: manifest_path.into(),
            check: false,
            offline: false,
            quiet: false,
            accept_capabilities: Vec::new(),
            parallelism: nuget::DEFAULT_PARALLELISM,
            project: ProjectOptions::default(),
        }
    }
}

/// What `lock` did.
#[derive(Debug, Clone)]
pub struct LockReport {
    pub outcome: LockOutcome,
    /// Whether mochi.toml was edited (`--accept-capability`).
    pub manifest_edited: bool,
    pub check: bool,
}

/// Why `lock` failed.
#[derive(Debug, thiserror::Error)]
pub enum LockCommandError {
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error(transparent)]
    Lock(#[from] LockError),
}

/// The options every `lock` run of the tool uses (shim hashes included).
pub(crate) fn lock_options(request: &LockRequest) -> LockOptions {
    LockOptions {
        check: request.check,
        quiet: request.quiet,
        parallelism: request.parallelism,
        shims: true,
    }
}

/// Runs `lock`.
pub fn run(request: &LockRequest) -> Result<LockReport, LockCommandError> {
    let manifest_edited = if request.accept_capabilities.is_empty() {
        false
    } else {
        grant_capabilities(&request.manifest_path, &request.accept_capabilities)?
    };
    let project = Project::load(&request.manifest_path, &request.project)?;
    let client = project.client(ClientSettings {
        offline: request.offline,
        quiet: request.quiet,
    })?;
    let options = lock_options(request);
    let outcome = if options.check {
        lock::run(&project, &client, &Ecma335Hasher, &options)?
    } else {
        // The graph is fetched ahead of the resolver, in parallel (lock::prefetch).
        let ahead = lock::request_with_lockfile(&project)?;
        let threads = nuget::DEFAULT_PARALLELISM.max(8);
        let prefetched = lock::Prefetched::warm(&client, &ahead, threads);
        lock::run(&project, &prefetched, &Ecma335Hasher, &options)?
    };
    Ok(LockReport {
        outcome,
        manifest_edited,
        check: request.check,
    })
}

impl LockReport {
    /// The lines `lock` prints when it succeeds.
    pub fn summary(&self) -> String {
        let outcome = &self.outcome;
        let mut s = String::new();
        for w in &outcome.warnings {
            s.push_str(&format!("warning: {w}\n"));
        }
        if self.manifest_edited {
            s.push_str("updated mochi.toml [dotnet.capabilities]\n");
        }
        let n = outcome.lockfile.packages.len();
        let plural = if n == 1 { "" } else { "s" };
        let file = outcome.lockfile_path.display();
        if self.check {
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
}
