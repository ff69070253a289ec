//! `mochi-dotnet publish`: a Mochi library as a NuGet package.
//!
//! mochi.toml `[package]` + `[dotnet.publish]` ([`config`]) and the API declaration
//! file ([`decl`]) give a C# facade ([`facade`]) compiled by the .NET SDK
//! ([`dotnet`]); it is packed with the native libraries into a deterministic
//! `.nupkg` ([`package`], [`nupkg`], [`nuspec`], [`opc`]), read back and validated
//! ([`validate`]), then pushed ([`registry`], [`trusted`], [`push`]) or, with
//! `--emit-ci`, a GitHub Actions workflow is written ([`ci`]). docs/publishing.md
//! has the whole story.

pub mod ci;
pub mod cli;
pub mod config;
pub mod decl;
pub mod dotnet;
pub mod env;
pub mod error;
pub mod facade;
mod fsutil;
pub mod http;
pub mod native;
pub mod nupkg;
pub mod nuspec;
pub mod opc;
pub mod package;
pub mod push;
pub mod registry;
pub mod secret;
pub mod trusted;
pub mod validate;
pub mod xml;

pub use env::Env;
pub use error::{PublishError, Result};
