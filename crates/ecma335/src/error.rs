//! The one error type of the reader: every variant says where the problem is.

use std::fmt;

/// Which structure a byte offset belongs to; picks the [`Error`] variant a
/// [`Reader`](crate::reader::Reader) reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    Pe,
    Metadata,
    Signature,
    CustomAttribute,
}

/// A malformed or unsupported input. Offsets are absolute file offsets.
///
/// `#[non_exhaustive]`: a reader that learns to tell a new kind of malformation
/// apart may add a variant without breaking callers, who match what they handle
/// and keep a `_` arm (as `wasmparser`'s `BinaryReaderError` keeps its kind
/// private for the same reason).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The PE/COFF container is malformed.
    #[error("malformed PE image at file offset {offset:#x}: {message}")]
    Pe { offset: u64, message: String },
    /// A well-formed PE image without CLI metadata (a native library).
    #[error("not a .NET assembly: {message}")]
    NotManaged { message: String },
    /// The CLI header, metadata root, stream headers or table stream are malformed.
    #[error("malformed CLI metadata at file offset {offset:#x}: {message}")]
    Metadata { offset: u64, message: String },
    /// A table row holds an impossible value.
    #[error("malformed {table} table, row {row} (file offset {offset:#x}): {message}")]
    Table {
        table: &'static str,
        row: u32,
        offset: u64,
        message: String,
    },
    /// A heap index points outside its heap, or the heap entry is malformed.
    #[error("malformed {heap} heap entry at index {index:#x}: {message}")]
    Heap {
        heap: &'static str,
        index: u32,
        message: String,
    },
    /// A signature blob is malformed (ECMA-335 II.23.2).
    #[error("malformed signature blob at file offset {offset:#x}: {message}")]
    Signature { offset: u64, message: String },
    /// A custom attribute value blob is malformed (ECMA-335 II.23.3).
    #[error("malformed custom attribute blob at file offset {offset:#x}: {message}")]
    CustomAttribute { offset: u64, message: String },
    /// The file could not be opened or mapped.
    #[error("cannot read {path}: {message}")]
    Io { path: String, message: String },
}

impl Error {
    /// The error for `context` at `offset`. Cold: errors are built once, on the
    /// failure path, and the hot reading paths stay small.
    #[cold]
    #[inline(never)]
    pub(crate) fn at(context: Context, offset: u64, message: impl fmt::Display) -> Self {
        let message = message.to_string();
        match context {
            Context::Pe => Error::Pe { offset, message },
            Context::Metadata => Error::Metadata { offset, message },
            Context::Signature => Error::Signature { offset, message },
            Context::CustomAttribute => Error::CustomAttribute { offset, message },
        }
    }

    /// The absolute file offset the error refers to, when it has one.
    pub fn offset(&self) -> Option<u64> {
        match self {
            Error::Pe { offset, .. }
            | Error::Metadata { offset, .. }
            | Error::Table { offset, .. }
            | Error::Signature { offset, .. }
            | Error::CustomAttribute { offset, .. } => Some(*offset),
            Error::NotManaged { .. } | Error::Heap { .. } | Error::Io { .. } => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
