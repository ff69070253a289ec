//! `mochi-dotnet meta`: the public surface of one assembly.

use std::path::{Path, PathBuf};

use std::io::Write;

use ecma335::Metadata;

/// What `meta` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetaFormat {
    Json,
    Listing,
    Sha256,
}

/// A failed `meta`: the file and the reader's error.
#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    #[error("{path}: {error}\n  hint: {hint}")]
    Read {
        path: PathBuf,
        error: ecma335::Error,
        hint: &'static str,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn hint_for(e: &ecma335::Error) -> &'static str {
    match e {
        ecma335::Error::Io { .. } => "check that the path exists and is readable",
        ecma335::Error::NotManaged { .. } => {
            "this is a native library; pass a managed .NET assembly (from a package's lib/<tfm>/ folder)"
        }
        _ => {
            "the file is not a well-formed .NET assembly; re-download it or report the file to its publisher"
        }
    }
}

/// Writes the requested output for the assembly at `path` to `out`. The JSON
/// and its hash are produced one type at a time, so memory stays far below
/// the assembly's size.
pub fn render<W: std::io::Write>(
    path: &Path,
    format: MetaFormat,
    mut out: W,
) -> Result<W, MetaError> {
    let read_err = |error: ecma335::Error| MetaError::Read {
        path: path.to_path_buf(),
        hint: hint_for(&error),
        error,
    };
    let write_err = |source: std::io::Error| MetaError::Write {
        path: PathBuf::from("<output>"),
        source,
    };
    let file = ecma335::MappedFile::open(path).map_err(read_err)?;
    match format {
        MetaFormat::Listing => {
            let md = Metadata::parse(file.bytes()).map_err(read_err)?;
            out = ecma335::write_listing(&md, out).map_err(read_err)?;
        }
        MetaFormat::Json => {
            let md = Metadata::parse(file.bytes()).map_err(read_err)?;
            out = ecma335::write_canonical_json(&md, out).map_err(read_err)?;
        }
        MetaFormat::Sha256 => {
            let hash = ecma335::surface_sha256(file.bytes()).map_err(read_err)?;
            writeln!(out, "{hash}  {}", path.display()).map_err(write_err)?;
        }
    }
    Ok(out)
}

/// Runs `meta`, writing to `out` (atomically: a temporary file renamed into
/// place only on success) or streaming to standard output.
pub fn run(path: &Path, format: MetaFormat, out: Option<&Path>) -> Result<(), MetaError> {
    match out {
        Some(o) => {
            let write_err = |source: std::io::Error| MetaError::Write {
                path: o.to_path_buf(),
                source,
            };
            let file = fsutil::AtomicFile::create(o).map_err(write_err)?;
            let writer = render(path, format, std::io::BufWriter::new(file))?;
            let file = writer.into_inner().map_err(|e| write_err(e.into_error()))?;
            file.commit().map_err(write_err)
        }
        None => {
            let stdout = std::io::stdout().lock();
            let mut w = render(path, format, std::io::BufWriter::new(stdout))?;
            w.flush().map_err(|source| MetaError::Write {
                path: PathBuf::from("<stdout>"),
                source,
            })
        }
    }
}
