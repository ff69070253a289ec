//! The I/O side of shims (docs/shims.md): a shim's inputs read from disk
//! ([`input`]), its generation through `shimgen`'s pure functions
//! ([`generate`]), and the compiler driver that builds it into the shim cache
//! ([`compile`], [`toolchain`]).
//!
//! `shimgen` stays a pure generator (surface in, text out); everything that
//! reads assemblies, runs a compiler or writes the shim cache is here.

pub mod compile;
mod error;
pub mod generate;
pub mod input;
pub mod toolchain;

pub use compile::{BuildError, BuildOptions, BuiltShim, CompilerKind};
pub use error::ShimError;
pub use generate::{Generated, binding_context, generate, shim_requirement};
pub use input::{ShimInput, is_framework_assembly};
pub use toolchain::Toolchain;
