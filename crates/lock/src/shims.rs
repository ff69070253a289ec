//! `shim-sha256` in mochi.lock: the hash of the C# shim generated for each locked
//! package (docs/shims.md). The shim is generated from the packages this lock run
//! fetched (never from another cache), with the package's closure through the
//! lockfile as type context; framework types come from shimgen's committed .NET 8
//! index, so the hash is the same on every machine.

use project::closure::{ClosureError, FetchedPackages, package_assemblies};
use project::{LockedPackage, Lockfile, Manifest};
use shimbuild::ShimInput;

/// A recorded `shim-sha256` stays while the package's version and surface
/// (`metadata-sha256`) are unchanged, and is dropped when either changes; with
/// `LockOptions::shims` it is then recomputed from the generated shim.
pub(crate) fn carry_shims(fresh: &mut Lockfile, recorded: &Lockfile) {
    for p in &mut fresh.packages {
        if let Some(r) = recorded.get(&p.id)
            && r.version == p.version
            && r.metadata_sha256 == p.metadata_sha256
        {
            p.shim_sha256 = r.shim_sha256.clone();
        }
    }
}

/// Sets `shim-sha256` of every package to the hash of the shim the generator
/// makes now; a package with nothing to bind (a meta-package, analyzers, a `_._`
/// placeholder) has none; a package whose shim cannot be generated keeps the
/// carried value, with a warning.
pub(crate) fn record_shims(
    manifest: &Manifest,
    lockfile: &mut Lockfile,
    fetched: &FetchedPackages,
    warnings: &mut Vec<String>,
) {
    let snapshot = lockfile.clone();
    for p in &mut lockfile.packages {
        match shim_sha256(&snapshot, p, manifest, fetched) {
            Ok(h) => p.shim_sha256 = Some(h),
            Err(ShimHashError::Closure(ClosureError::NoAssemblies { .. })) => p.shim_sha256 = None,
            Err(e) => warnings.push(format!(
                "shim-sha256 of {} {} not computed: {e}",
                p.id, p.version
            )),
        }
    }
}

/// Why a `shim-sha256` could not be computed.
#[derive(Debug, thiserror::Error)]
pub enum ShimHashError {
    #[error(transparent)]
    Closure(#[from] ClosureError),
    #[error(transparent)]
    Shim(#[from] shimbuild::ShimError),
}

/// The `shim-sha256` of one locked package.
pub fn shim_sha256(
    lockfile: &Lockfile,
    locked: &LockedPackage,
    manifest: &Manifest,
    store: &dyn project::closure::PackageStore,
) -> Result<String, ShimHashError> {
    let closure = package_assemblies(lockfile, locked, None, store)?;
    let input = ShimInput::from_package(
        &closure.id,
        &closure.version,
        &closure.own,
        &closure.dependencies,
        &closure.native,
    )?
    .with_dotnet(&manifest.dotnet.monomorphise, manifest.dotnet.roll_forward);
    Ok(shimbuild::generate(&input)?.project.sha256)
}
