//! The mochi-dotnet bridge as a library: every command of the tool
//! ([`ops`]: `meta`, `bind`, `lock`, `add`, `sync`, and the shim set-up `invoke`
//! uses), the embedding C ABI ([`capi`], in `libbridge.a` with the run-time
//! functions of `hosting`), and the one way errors are rendered ([`report`]).
//!
//! No command-line parsing and no `anyhow` here: the `mochi-dotnet` binary
//! (`crates/cli`) is a thin front end over [`ops`], as the C API is.

pub mod capi;
pub mod ops;
pub mod report;
