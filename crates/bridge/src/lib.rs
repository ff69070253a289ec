//! The mochi-dotnet bridge: manifest, NuGet client, lockfile, commands, and
//! the embedding C ABI.

// `bind.rs` (shared with the `mochi-dotnet` binary) names this crate `bridge::`.
extern crate self as bridge;

pub mod add;
pub mod bind;
pub mod cache;
pub mod capabilities;
pub mod capi;
pub mod framework;
pub mod fsutil;
pub mod invoke;
pub mod lock;
pub mod lockfile;
pub mod manifest;
pub mod meta;
pub mod nuget;
pub mod nupkg;
pub mod resolver;
pub mod shim;
pub mod sync;
pub mod version;
