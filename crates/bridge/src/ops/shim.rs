//! The shim of an assembly or of a locked package, for `invoke` and `sync`:
//! its input (through the project's closure for a locked package), and the
//! toolchain that builds it into the project's shim cache.

// Errors here carry advice and package names; they are built once, on the
// failure path, so their size does not matter.
#![allow(clippy::result_large_err)]

use std::path::{Path, PathBuf};

use project::{Project, ProjectError, ProjectOptions};
use shimbuild::{ShimError, ShimInput, Toolchain};

/// Why a shim could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ShimCommandError {
    #[error(
        "`{target}` is not an assembly file, and there is no {} to find it in\n  hint: pass the path of a .dll, or run `mochi-dotnet lock` first",
        lock.display()
    )]
    NoLockfile { target: String, lock: PathBuf },
    #[error(transparent)]
    Project(#[from] ProjectError),
    #[error(transparent)]
    Shim(#[from] ShimError),
}

/// The shim input of `target` (an assembly file, or a package id locked next to
/// `manifest_path`), with the manifest's `[dotnet]` settings, and the project.
pub fn input(
    target: &str,
    package: Option<&str>,
    manifest_path: &Path,
    options: &ProjectOptions,
) -> Result<(Project, ShimInput), ShimCommandError> {
    let project = Project::load_or_default(manifest_path, options)?;
    let dotnet = project.dotnet().clone();
    let mut input = if Path::new(target).is_file() {
        let mut input = ShimInput::from_assembly(Path::new(target), package)?;
        input.roll_forward = dotnet.roll_forward;
        input
    } else {
        let lockfile = match project.lockfile() {
            Err(ProjectError::NoLockfile { path }) => {
                return Err(ShimCommandError::NoLockfile {
                    target: target.to_string(),
                    lock: path,
                });
            }
            other => other?,
        };
        let locked = project.locked(&lockfile, target)?;
        locked_input(&project, &lockfile, locked)?
    };
    if let Some(p) = package {
        input.package = p.to_string();
    }
    Ok((project, input))
}

/// The shim input of a locked package: its closure from the package cache.
pub fn locked_input(
    project: &Project,
    lockfile: &project::Lockfile,
    locked: &project::LockedPackage,
) -> Result<ShimInput, ShimCommandError> {
    let closure = project.package_assemblies(lockfile, locked, None)?;
    let dotnet = project.dotnet();
    Ok(ShimInput::from_package(
        &closure.id,
        &closure.version,
        &closure.own,
        &closure.dependencies,
        &closure.native,
    )?
    .with_dotnet(&dotnet.monomorphise, dotnet.roll_forward))
}

/// The toolchain that builds shims into `<package cache>/shims`.
pub fn toolchain(
    project: &Project,
    dotnet_root: Option<PathBuf>,
    announce: Option<shimbuild::compile::Announce>,
) -> Result<Toolchain, ShimCommandError> {
    Ok(Toolchain {
        cache_dir: project.cache()?.root().join("shims"),
        dotnet_root,
        announce,
    })
}
