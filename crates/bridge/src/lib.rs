//! The mochi-dotnet bridge: manifest, NuGet client, lockfile, commands, and
//! the embedding C ABI.

pub mod cache;
pub mod capabilities;
pub mod framework;
pub mod fsutil;
pub mod manifest;
pub mod meta;
pub mod nuget;
pub mod nupkg;
pub mod resolver;
pub mod version;
pub mod lockfile;
pub mod add;
pub mod lock;
