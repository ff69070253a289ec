//! The mochi-dotnet bridge.
pub mod version;
pub mod framework;
pub mod manifest;
pub mod cache;
pub mod nuget;
pub mod nupkg;
pub mod resolver;
pub mod capabilities;
