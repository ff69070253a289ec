//! `mochi-dotnet sync`: regenerate the shim project of every package locked in
//! mochi.lock into `dotnet_shim/<pkg>/` next to the manifest, and build each
//! through the shim cache. mochi.lock is read, never written; a shim whose
//! hash differs from the recorded `shim-sha256` is reported (run `lock`).

use std::path::PathBuf;

use project::{Project, ProjectOptions};

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

/// Why `sync` failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Shim(#[from] ShimCommandError),
    #[error(transparent)]
    Project(#[from] project::ProjectError),
    #[error(transparent)]
    Build(#[from] shimbuild::ShimError),
}

impl From<shimbuild::BuildError> for SyncError {
    fn from(e: shimbuild::BuildError) -> Self {
        SyncError::Build(e.into())
    }
}

/// Runs `sync`.
pub fn run(request: &SyncRequest) -> Result<Vec<Synced>, SyncError> {
    let project = Project::load_or_default(&request.manifest_path, &request.project)?;
    let lockfile = project.lockfile()?;
    let root = project.root();
    let tools = toolchain(&project, request.dotnet_root.clone(), request.announce)?;
    let mut out = Vec::new();
    for locked in &lockfile.packages {
        let input = locked_input(&project, &lockfile, locked)?;
        let generated = shimbuild::generate(&input)?;
        let dir = root.join("dotnet_shim").join(&generated.project.package);
        shimbuild::compile::write_project(&generated.project, &dir, &generated.dlls)?;
        let built = if request.build {
            Some(tools.build(&generated)?)
        } else {
            None
        };
        out.push(Synced {
            id: locked.id.clone(),
            dir,
            shim_sha256: generated.project.sha256.clone(),
            recorded: locked.shim_sha256.clone(),
            assembly: built.as_ref().map(|b| b.assembly.clone()),
            cache_hit: built.as_ref().is_some_and(|b| b.cache_hit),
            compiler_detail: built.as_ref().map(|b| b.compiler_detail.clone()),
            not_generated: generated.project.not_generated.len(),
            dropped: built.map(|b| b.dropped).unwrap_or_default(),
        });
    }
    Ok(out)
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
