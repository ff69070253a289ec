//! `mochi-dotnet sync`: regenerate the shim project of every package locked in
//! mochi.lock into `dotnet_shim/<pkg>/` next to the manifest, and build each
//! through the shim cache. mochi.lock is read, never written; a shim whose
//! hash differs from the recorded `shim-sha256` is reported (run `lock`).

use std::path::{Path, PathBuf};

use anyhow::anyhow;

use crate::lockfile::{LOCK_FILE, Lockfile};

/// What sync did for one package.
#[derive(Debug, Clone)]
pub struct Synced {
    pub id: String,
    pub dir: PathBuf,
    pub shim_sha256: String,
    /// The hash mochi.lock records, when any.
    pub recorded: Option<String>,
    /// The built assembly (`None` with `build: false`).
    pub assembly: Option<PathBuf>,
    pub cache_hit: bool,
    pub not_generated: usize,
    /// Exports the compiler rejected (left out of the built shim).
    pub dropped: Vec<(String, String)>,
}

pub fn run(manifest_path: &Path, build: bool) -> anyhow::Result<Vec<Synced>> {
    let report = run_all(manifest_path, build)?;
    if report.failed.is_empty() {
        return Ok(report.synced);
    }
    Err(anyhow!("{}", report.failure_message()))
}

/// What `sync` did for every package: the shims it wrote (and built), the
/// packages without assemblies (nothing to bind), and each failure.
#[derive(Debug, Default)]
pub struct SyncReport {
    pub synced: Vec<Synced>,
    /// (package id, why it has no shim).
    pub no_shim: Vec<(String, String)>,
    /// (package id, version, the error).
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

/// [`run`], going on past a package that fails (each failure is recorded).
pub fn run_all(manifest_path: &Path, build: bool) -> anyhow::Result<SyncReport> {
    let root = manifest_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let lock_path = root.join(LOCK_FILE);
    let lock = Lockfile::load(&lock_path)
        .map_err(|e| anyhow!("{e}\n  hint: run `mochi-dotnet lock` first"))?;
    let dotnet = if manifest_path.exists() {
        crate::manifest::Manifest::load(manifest_path)
            .map_err(|e| anyhow!("{e}"))?
            .dotnet
    } else {
        Default::default()
    };
    let mut report = SyncReport::default();
    for locked in &lock.packages {
        let one = || -> anyhow::Result<Option<Synced>> {
            let mut input = match crate::shim::input_from_lock(&lock, locked, &dotnet.monomorphise)
            {
                Ok(i) => i,
                Err(crate::shim::ShimError::NoAssemblies { .. }) => return Ok(None),
                Err(e) => return Err(e.into()),
            };
            input.roll_forward = dotnet.roll_forward;
            let generated = crate::shim::generate(&input)?;
            let dir = root.join("dotnet_shim").join(&generated.project.package);
            shimgen::build::write_project(&generated.project, &dir, &generated.dlls)?;
            let (assembly, cache_hit, dropped) = if build {
                let b = crate::shim::build(&generated)?;
                for (ep, why) in &b.dropped {
                    eprintln!(
                        "warning: {}: {ep} dropped from the shim by the compiler: {why}",
                        locked.id
                    );
                }
                (Some(b.assembly), b.cache_hit, b.dropped)
            } else {
                (None, false, Vec::new())
            };
            Ok(Some(Synced {
                id: locked.id.clone(),
                dir,
                shim_sha256: generated.project.sha256.clone(),
                recorded: locked.shim_sha256.clone(),
                assembly,
                cache_hit,
                not_generated: generated.project.not_generated.len(),
                dropped,
            }))
        };
        match one() {
            Ok(Some(s)) => report.synced.push(s),
            Ok(None) => {
                let why = crate::shim::input_from_lock(&lock, locked, &dotnet.monomorphise)
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                report.no_shim.push((locked.id.clone(), why));
            }
            Err(e) => {
                report
                    .failed
                    .push((locked.id.clone(), locked.version.clone(), format!("{e:#}")));
            }
        }
    }
    Ok(report)
}
