//! The integration tests of `hosting`, in one binary (so one process hosts one
//! runtime for all of them, as a Mochi program does): every shape of the shim
//! ABI on the real .NET 8 runtime, real libraries, the C host API from C, the
//! locator on real installations. Behaviour that needs a fresh process
//! (`process`) re-runs this binary with `--exact process::child`.

mod abi;
mod capi;
mod locate_real;
mod process;
mod real_libraries;
mod support;
