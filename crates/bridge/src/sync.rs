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
    let mut out = Vec::new();
    for locked in &lock.packages {
        let mut input = crate::shim::input_from_lock(&lock, locked, &dotnet.monomorphise)?;
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
        out.push(Synced {
            id: locked.id.clone(),
            dir,
            shim_sha256: generated.project.sha256.clone(),
            recorded: locked.shim_sha256.clone(),
            assembly,
            cache_hit,
            not_generated: generated.project.not_generated.len(),
            dropped,
        });
    }
    Ok(out)
}
