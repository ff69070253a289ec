//! `mochi-dotnet publish`: a Mochi library as a NuGet package.
//!
//! mochi.toml `[package]` + `[dotnet.publish]` ([`config`]) and the API declaration
//! file ([`decl`]) give a C# facade ([`facade`]) compiled by the .NET SDK
//! ([`dotnet`]); it is packed with the native libraries into a deterministic
//! `.nupkg` ([`nupkg`], [`nuspec`], [`opc`]), read back and validated ([`validate`]),
//! then pushed ([`registry`], [`trusted`], [`push`]) or, with `--emit-ci`, a GitHub
//! Actions workflow is written ([`ci`]). docs/publishing.md has the whole story.

pub mod config;
pub mod decl;
pub mod error;
pub mod facade;

pub use error::{PublishError, Result};
