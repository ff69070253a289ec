//! The integration tests of the `mochi-dotnet` binary, in one binary (uv's
//! `tests/it` layout): each test runs the real command line against the
//! in-tree loopback NuGet registry and real assemblies.

mod bind_e2e;
mod capi_and_cli;
mod corpus_listing;
mod gate_support;
mod headline_calls;
mod invoke_cli;
mod lock_e2e;
mod package_gate;
mod shim_lock_sync;
mod sync_per_package;
