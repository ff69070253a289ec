//! A zero-copy, pure-Rust reader for ECMA-335 (.NET) assemblies.
//!
//! Layers, bottom up: [`pe`] finds the CLI header in a PE image;
//! [`metadata`] reads the metadata root, streams, heaps and [`tables`];
//! [`signature`] and [`attributes`] decode blobs; [`surface`] builds the
//! public API model with its canonical JSON, SHA-256 and listing.
//!
//! Malformed input is an [`Error`] naming the file offset or table row, never
//! a panic, and nothing is allocated that the file's size cannot justify.

pub mod attributes;
pub mod error;
pub mod flags;
pub mod heaps;
pub mod metadata;
pub mod pe;
mod reader;
pub mod signature;
pub mod surface;
pub mod tables;

pub use error::{Error, Result};
pub use metadata::{MappedFile, Metadata};
pub use surface::{Detail, Surface, build_surface, read_surface, read_surface_file};

/// The listing of the assembly in `data` (surface-listing.md).
pub fn listing(data: &[u8]) -> Result<String> {
    let md = Metadata::parse(data)?;
    Ok(build_surface(&md, Detail::Listing)?.listing())
}
