//! The mochi-dotnet bridge.
pub mod version;
