//! `mochi-dotnet sync`: regenerate the shim project of every package locked in
//! mochi.lock into `dotnet_shim/<pkg>/` next to the manifest, and build each
//! through the shim cache. mochi.lock is read, never written; a shim whose
//! hash differs from the recorded `shim-sha256` is reported (run `lock`). Each
//! package is reported on its own: one that fails does not stop the others, and
//! one with nothing to bind (a meta-package) has no shim.

// Errors here carry advice and package names; they are built once, on the
// failure path, so their size does not matter.
#![allow(clippy::result_large_err)]

use std::path::PathBuf;

use project::closure::ClosureError;
use project::{Project, ProjectError, ProjectOptions};

use super::shim::{ShimCommandError, locked_input, toolchain};

/// What `sync` does.
#[derive(Debug, Clone)]
pub struct SyncRequest {
    pub manifest_path: PathBuf,
    /// Compile the shims (else only write their projects).
    pub build: bool,
    pub project: ProjectOptions,
    /// A .NET installation to build against instead of the locator's.
    pub dotnet_root: Option<PathBuf>,
    /// Told which compiler builds each shim, and why.
    pub announce: Option<shimbuild::compile::Announce>,
}

/// What sync did for one package.
#[derive(Debug, Clone)]
pub struct Synced {
    pub id: String,
    pub dir: PathBuf,
    pub shim_sha256: String,
    /// The hash mochi.lock records, when any.
    pub recorded: Option<String>,
    /// The built assembly (`None` without `build`).
    pub assembly: Option<PathBuf>,
    pub cache_hit: bool,
    /// Which compiler built the shim, and why (when built).
    pub compiler_detail: Option<String>,
    pub not_generated: usize,
    /// Exports the compiler rejected (left out of the built shim).
    pub dropped: Vec<(String, String)>,
}

/// What `sync` did for every package: the shims it wrote (and built), the
/// packages without assemblies (nothing to bind), and each failure.
#[derive(Debug, Default)]
pub struct SyncReport {
    pub synced: Vec<Synced>,
    /// (package id, why it has no shim).
    pub no_shim: Vec<(String, String)>,
    /// (package id, version, the error as the CLI prints it).
    pub failed: Vec<(String, String, String)>,
}

impl SyncReport {
    /// One paragraph per failed package, then what was done anyway.
    pub fn failure_message(&self) -> String {
        let mut s = format!(
            "{} of {} package shim{} failed:",
            self.failed.len(),
            self.failed.len() + self.synced.len(),
            if self.failed.len() + self.synced.len() == 1 {
                ""
            } else {
                "s"
            }
        );
        for (id, version, e) in &self.failed {
            s.push_str(&format!(
                "\n  - {id} {version}: {}",
                e.replace('\n', "\n    ")
            ));
        }
        if !self.synced.is_empty() {
            s.push_str(&format!(
                "\n  the other {} were written{}: {}",
                self.synced.len(),
                if self.synced.iter().any(|x| x.assembly.is_some()) {
                    " and built"
                } else {
                    ""
                },
                self.synced
                    .iter()
                    .map(|x| x.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        s
    }
}

/// Why `sync` could not run at all (a package's own failure is in the report).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Shim(#[from] ShimCommandError),
    #[error(transparent)]
    Project(#[from] project::ProjectError),
}

/// Why one package's shim failed.
#[derive(Debug, thiserror::Error)]
enum PackageError {
    #[error(transparent)]
    Shim(#[from] ShimCommandError),
    #[error(transparent)]
    Build(#[from] shimbuild::ShimError),
}

impl From<shimbuild::BuildError> for PackageError {
    fn from(e: shimbuild::BuildError) -> Self {
        PackageError::Build(e.into())
    }
}

/// Runs `sync`, going on past a package that fails (each failure is recorded).
pub fn run(request: &SyncRequest) -> Result<SyncReport, SyncError> {
    let project = Project::load_or_default(&request.manifest_path, &request.project)?;
    let lockfile = project.lockfile()?;
    let root = project.root();
    let tools = toolchain(&project, request.dotnet_root.clone(), request.announce)?;
    let mut report = SyncReport::default();
    for locked in &lockfile.packages {
        let input = match locked_input(&project, &lockfile, locked) {
            Ok(i) => i,
            Err(ShimCommandError::Project(ProjectError::Closure(
                e @ ClosureError::NoAssemblies { .. },
            ))) => {
                report.no_shim.push((locked.id.clone(), e.to_string()));
                continue;
            }
            Err(e) => {
                report.failed.push((
                    locked.id.clone(),
                    locked.version.clone(),
                    crate::report::render(&e),
                ));
                continue;
            }
        };
        let one = || -> Result<Synced, PackageError> {
            let generated = shimbuild::generate(&input)?;
            let dir = root.join("dotnet_shim").join(&generated.project.package);
            shimbuild::compile::write_project(&generated.project, &dir, &generated.dlls)?;
            let built = if request.build {
                Some(tools.build(&generated)?)
            } else {
                None
            };
            Ok(Synced {
                id: locked.id.clone(),
                dir,
                shim_sha256: generated.project.sha256.clone(),
                recorded: locked.shim_sha256.clone(),
                assembly: built.as_ref().map(|b| b.assembly.clone()),
                cache_hit: built.as_ref().is_some_and(|b| b.cache_hit),
                compiler_detail: built.as_ref().map(|b| b.compiler_detail.clone()),
                not_generated: generated.project.not_generated.len(),
                dropped: built.map(|b| b.dropped).unwrap_or_default(),
            })
        };
        match one() {
            Ok(s) => report.synced.push(s),
            Err(e) => report.failed.push((
                locked.id.clone(),
                locked.version.clone(),
                crate::report::render(&e),
            )),
        }
    }
    Ok(report)
}

/// The line `sync` prints for one package.
pub fn summary_line(s: &Synced) -> String {
    let drift = match &s.recorded {
        Some(r) if *r != s.shim_sha256 => " (differs from mochi.lock: run `mochi-dotnet lock`)",
        None => " (not recorded in mochi.lock: run `mochi-dotnet lock`)",
        _ => "",
    };
    format!(
        "{}: {} shim-sha256 {}{drift}{}",
        s.id,
        s.dir.display(),
        s.shim_sha256,
        match &s.assembly {
            Some(a) => format!(
                "; built {} ({})",
                a.display(),
                if s.cache_hit { "cached" } else { "compiled" }
            ),
            None => String::new(),
        }
    )
}
