//! Locking: mochi.toml's `[dotnet-dependencies]` → a resolved graph (NuGet's
//! rules) → verified packages → hashes → mochi.lock; and `lock --check`, which
//! recomputes everything mochi.lock records and names each drift.
//!
//! - [`resolver`]: transitive resolution, pure over a [`PackageIndex`].
//! - [`source`]: the [`PackageFetcher`] and the NuGet client as index and fetcher.
//! - [`metadata`]: `metadata-sha256` of a package's compile surface.
//! - [`shims`]: `shim-sha256`, from the packages this run fetched.
//! - [`prefetch`]: the graph fetched ahead of the resolver, in parallel.
//! - [`run`]: `lock` and `lock --check` over a [`project::Project`].
//!
//! Everything here reaches packages through the index and fetcher it is given:
//! nothing opens a cache or a source of its own.

pub mod metadata;
pub mod prefetch;
pub mod resolver;
pub mod run;
pub mod shims;
pub mod source;

pub use metadata::{AssemblyHasher, Ecma335Hasher};
pub use prefetch::Prefetched;
pub use resolver::{PackageIndex, SourceError};
pub use run::{LockError, LockOptions, LockOutcome, request_with_lockfile, run};
pub use source::{FetchedPackage, PackageFetcher};
