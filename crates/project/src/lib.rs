//! A Mochi project that uses .NET packages: mochi.toml, mochi.lock, the capability
//! database, and the one [`Project`] loader every command and the C API use.
//!
//! - [`manifest`]: mochi.toml, parsed strictly with a line and column on every error.
//! - [`edit`]: the edits commands make to mochi.toml (format-preserving).
//! - [`lockfile`]: mochi.lock — typed wire structs to read, one canonical writer.
//! - [`capabilities`]: the capability database and the audit against
//!   `[dotnet.capabilities]`.
//! - [`closure`]: a locked package's assemblies and its dependencies', transitively.
//! - [`project`]: the loader: manifest + mochi.lock + cache + sources + client +
//!   closure.
//!
//! This crate reads and writes the project's files; it never resolves versions
//! (the `lock` crate does) and never generates or builds shims.

pub mod capabilities;
pub mod closure;
pub mod edit;
pub mod location;
pub mod lockfile;
pub mod manifest;
pub mod project;

pub use location::Location;
pub use lockfile::{LOCK_FILE, LockedPackage, Lockfile, LockfileError};
pub use manifest::{MANIFEST_FILE, Manifest, ManifestError};
pub use project::{ClientSettings, Project, ProjectError, ProjectOptions};
