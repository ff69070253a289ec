//! The integration tests of the `invoke` crate: calls through generated shims,
//! built with `mcs` and hosted on the real .NET 8 runtime.

mod issue10_shims;
mod shim_e2e;
