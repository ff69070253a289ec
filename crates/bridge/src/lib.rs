//! The mochi-dotnet bridge.
pub mod version;
pub mod framework;
pub mod manifest;
