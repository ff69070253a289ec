//! The public surface of an assembly: model, builder, canonical JSON, listing.

mod build;
mod listing;
pub mod model;

pub use build::{
    Detail, build_surface, read_surface, read_surface_file, write_canonical_json, write_listing,
};
pub use model::*;

use sha2::{Digest, Sha256};

impl Surface {
    /// The canonical JSON: sorted keys, no insignificant whitespace, one
    /// trailing newline, byte-identical for the same assembly everywhere.
    pub fn to_canonical_json(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 << 16);
        serde_json::to_writer(&mut out, self).expect("serialising to memory cannot fail");
        out.push(b'\n');
        out
    }

    /// `metadata-sha256`: the SHA-256 of the canonical JSON, lower-case hex.
    pub fn sha256_hex(&self) -> String {
        hex::encode(Sha256::digest(self.to_canonical_json()))
    }

    /// Parses a surface document (as written by [`Surface::to_canonical_json`]).
    pub fn from_json(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(bytes)
    }
}
