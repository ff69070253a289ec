//! Why a shim could not be made.

use std::path::PathBuf;

/// Why a shim could not be made (read, bound, generated or built).
#[derive(Debug, thiserror::Error)]
pub enum ShimError {
    #[error("{}: {message}", path.display())]
    Assembly { path: PathBuf, message: String },
    #[error("{id} {version} ships no assemblies to bind")]
    NoAssemblies { id: String, version: String },
    #[error("the generated shim's {file}: {message}")]
    RuntimeConfig { file: String, message: String },
    #[error("binding failed: {0}")]
    Bind(#[from] shimgen::PlanError),
    #[error(transparent)]
    Build(#[from] crate::compile::BuildError),
}
