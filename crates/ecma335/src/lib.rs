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
pub use metadata::{MappedFile, Metadata, RidList};
pub use surface::{
    Detail, Surface, build_surface, read_surface, read_surface_file, write_canonical_json,
    write_listing,
};

/// The listing of the assembly in `data` (docs/surface-listing.md).
pub fn listing(data: &[u8]) -> Result<String> {
    let out = write_listing(&Metadata::parse(data)?, Vec::new())?;
    Ok(String::from_utf8(out).expect("the listing is UTF-8"))
}

/// `metadata-sha256` of the assembly in `data`, hashed while the canonical
/// JSON is produced (nothing is buffered).
pub fn surface_sha256(data: &[u8]) -> Result<String> {
    use sha2::Digest;
    struct HashWriter(sha2::Sha256);
    impl std::io::Write for HashWriter {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.update(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let md = Metadata::parse(data)?;
    let h = write_canonical_json(&md, HashWriter(sha2::Sha256::new()))?;
    Ok(hex::encode(h.0.finalize()))
}
