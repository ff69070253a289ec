//! NuGet for mochi-dotnet: everything about packages that is not about Mochi.
//!
//! - [`version`]: NuGet versions and ranges (plus the Mochi range forms), and THE
//!   version normaliser ([`version::normalize_version`]).
//! - [`framework`]: target framework monikers and NuGet's nearest-framework rule.
//! - [`id`]: THE package-id validator (NuGet's rule).
//! - [`config`]: NuGet.config discovery and merge into package sources.
//! - [`client`]: the NuGet v3 client (service index, flat container, registration,
//!   local folder feeds, HTTP with retries, proxies and TLS roots).
//! - [`cache`]: the content-addressed package cache.
//! - [`nupkg`]: reading `.nupkg` files (safe extraction, `.nuspec`).
//! - [`assets`]: NuGet's compile-asset selection in an extracted package.
//!
//! Lower modules never import higher ones: `version`, `framework`, `id`, `hash` stand
//! alone; `nupkg` uses none of the others; `cache` uses `nupkg`; `client` uses all.
//! This crate knows nothing of mochi.toml, mochi.lock, shims or Mochi.

pub mod assets;
pub mod cache;
pub mod client;
pub mod config;
pub mod framework;
pub mod hash;
pub mod id;
pub mod nupkg;
pub mod version;

pub use cache::{CacheError, CachedPackage, PackageCache};
pub use client::{ClientOptions, DEFAULT_PARALLELISM, NuGetClient, NuGetError};
pub use framework::Framework;
pub use version::{NuGetVersion, VersionRange};
