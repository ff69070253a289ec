//! Everything `publish` can fail with. Each variant names the file, field or URL
//! involved and what to do next; none ever holds a token or an API key (texts that
//! came from a server are scrubbed of every secret of the run before they get here).

use std::path::PathBuf;

/// A `publish` failure.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// mochi.toml is missing, unreadable as TOML, or a `[package]`/`[dotnet.publish]`
    /// field is wrong.
    #[error("{location}: {message}\n  hint: {hint}")]
    Manifest {
        /// `mochi.toml`, `mochi.toml:12:11` or `mochi.toml: [dotnet.publish].version`.
        location: String,
        message: String,
        hint: String,
    },

    /// The API declaration file does not parse or names something the ABI cannot carry.
    #[error("{}:{line}:{column}: {message}\n  hint: {hint}", file.display())]
    Declaration {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
        hint: String,
    },

    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// A native library declared in `[dotnet.publish.native]` is missing or wrong.
    #[error("{}: {message}\n  hint: {hint}", path.display())]
    Native {
        path: PathBuf,
        message: String,
        hint: String,
    },

    /// No usable .NET SDK, or it failed to compile the facade.
    #[error("{message}\n  hint: {hint}")]
    Sdk { message: String, hint: String },

    /// The package, read back, does not satisfy the rules (nothing was pushed).
    #[error("{} failed validation ({} problem{}):\n{}\n  nothing was pushed; the package was not written",
        package, problems.len(), if problems.len() == 1 { "" } else { "s" },
        problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Validation {
        package: String,
        problems: Vec<String>,
    },

    /// `--to` names no registry, or the registry's service index is unusable.
    #[error("{message}\n  hint: {hint}")]
    Registry { message: String, hint: String },

    /// No credentials: not in CI, no API key.
    #[error("{message}\n  hint: {hint}")]
    Credentials { message: String, hint: String },

    /// The OIDC token could not be obtained from GitHub Actions.
    #[error("{message}\n  hint: {hint}")]
    Oidc { message: String, hint: String },

    /// The registry's token service refused the OIDC token (the guide says how to
    /// configure the trusted publisher when the status is 401/403).
    #[error("{message}\n{guide}")]
    TokenExchange {
        status: Option<u16>,
        message: String,
        guide: String,
    },

    /// The version is already on the registry.
    #[error(
        "{id} {version} already exists on {registry} (409 Conflict): a published version can never be replaced\n  hint: bump [package].version in {manifest} (and [dotnet.publish].version if you set it), rebuild the native library, and publish again"
    )]
    VersionExists {
        id: String,
        version: String,
        registry: String,
        manifest: String,
    },

    /// The push failed for any other reason.
    #[error("{message}\n{guide}")]
    Push {
        status: Option<u16>,
        message: String,
        guide: String,
    },

    /// `--emit-ci` would overwrite an existing workflow.
    #[error(
        "{} already exists; not overwritten\n  hint: review it, then run `mochi-dotnet publish --emit-ci --force` to replace it",
        path.display()
    )]
    WorkflowExists { path: PathBuf },
}

impl PublishError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> PublishError {
        let path = path.into();
        move |source| PublishError::Io { path, source }
    }
}

pub type Result<T, E = PublishError> = std::result::Result<T, E>;
