//! The mochi-dotnet bridge.
