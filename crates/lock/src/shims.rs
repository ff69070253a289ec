//! `shim-sha256` in mochi.lock: the hash of the C# shim generated for each locked
//! package (docs/shims.md). The shim is generated from the packages this lock run
//! fetched (never from another cache), with the package's closure through the
//! lockfile as type context; framework types come from shimgen's committed .NET 8
//! index, so the hash is the same on every machine.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

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
/// carried value, with a warning. Packages are generated on every core.
/// `memo`: a folder where hashes of earlier runs are kept for identical inputs
/// (see [`memo_key`]); `lock --check` passes none and regenerates every shim.
pub(crate) fn record_shims(
    manifest: &Manifest,
    lockfile: &mut Lockfile,
    fetched: &FetchedPackages,
    warnings: &mut Vec<String>,
    memo: Option<&Path>,
) {
    let snapshot = lockfile.clone();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<String, ShimHashError>>>> =
        Mutex::new((0..snapshot.packages.len()).map(|_| None).collect());
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 8)
        .min(snapshot.packages.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(p) = snapshot.packages.get(i) else {
                        break;
                    };
                    let r = remembered(memo, &snapshot, p, manifest, || {
                        shim_sha256(&snapshot, p, manifest, fetched)
                    });
                    results.lock().expect("shim results")[i] = Some(r);
                }
            });
        }
    });
    let results = results.into_inner().expect("shim results");
    for (p, r) in lockfile.packages.iter_mut().zip(results) {
        match r.expect("every package generated") {
            Ok(h) => p.shim_sha256 = Some(h),
            Err(ShimHashError::Closure(ClosureError::NoAssemblies { .. })) => p.shim_sha256 = None,
            Err(e) => warnings.push(format!(
                "shim-sha256 of {} {} not computed: {e}",
                p.id, p.version
            )),
        }
    }
}

/// `compute`, or the hash an earlier run computed for the same [`memo_key`].
fn remembered(
    memo: Option<&Path>,
    lockfile: &Lockfile,
    locked: &LockedPackage,
    manifest: &Manifest,
    compute: impl FnOnce() -> Result<String, ShimHashError>,
) -> Result<String, ShimHashError> {
    let Some(path) = memo.and_then(|d| Some(d.join(memo_key(lockfile, locked, manifest)?))) else {
        return compute();
    };
    if let Ok(text) = std::fs::read_to_string(&path) {
        let h = text.trim();
        if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(h.to_string());
        }
    }
    let h = compute()?;
    if let Some(dir) = path.parent()
        && std::fs::create_dir_all(dir).is_ok()
    {
        let _ = fsutil::write_atomic(&path, format!("{h}\n").as_bytes());
    }
    Ok(h)
}

/// Everything a package's generated shim is a function of: this executable
/// (its path, size and modification time: another build of the bridge may
/// generate other text), the generator version, the package's and each
/// package of its closure's id, version, `nupkg-sha512`, `metadata-sha256` and
/// frameworks (mochi.lock), the monomorphise list and the roll-forward policy.
/// `None` (no memo) when any of it cannot be read.
pub fn memo_key(
    lockfile: &Lockfile,
    locked: &LockedPackage,
    manifest: &Manifest,
) -> Option<String> {
    use sha2::{Digest, Sha256};
    let exe = std::env::current_exe().ok()?;
    let meta = std::fs::metadata(&exe).ok()?;
    let mtime = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    let mut h = Sha256::new();
    h.update(format!(
        "mochi-dotnet shim memo 1\n{}\n{} {} {}\ngenerator {}\n{:?}\n{}\n",
        exe.display(),
        meta.len(),
        mtime.as_secs(),
        mtime.subsec_nanos(),
        shimgen::csharp::GENERATOR_VERSION,
        manifest.dotnet.monomorphise,
        manifest
            .dotnet
            .roll_forward
            .map(|r| r.name())
            .unwrap_or("-"),
    ));
    let mut ids: BTreeSet<String> = BTreeSet::new();
    let mut queue = vec![locked.id.clone()];
    while let Some(id) = queue.pop() {
        if !ids.insert(id.to_ascii_lowercase()) {
            continue;
        }
        let p = lockfile.get(&id)?;
        queue.extend(
            p.dependencies
                .iter()
                .filter_map(|d| d.split_once(' ').map(|(i, _)| i.to_string())),
        );
    }
    h.update(format!("package {}\n", locked.id.to_ascii_lowercase()));
    for id in ids {
        let p = lockfile.get(&id)?;
        h.update(format!(
            "{} {} {} {} {} {}\n",
            p.id.to_ascii_lowercase(),
            p.version,
            p.nupkg_sha512,
            p.metadata_sha256,
            p.target_framework,
            p.assets_framework
        ));
    }
    Some(hex::encode(h.finalize()))
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
