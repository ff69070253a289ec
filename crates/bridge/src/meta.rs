//! `mochi-dotnet meta`: the public surface of one assembly.

use std::path::{Path, PathBuf};

use ecma335::{Detail, Metadata, build_surface};

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
    #[error("{path}: {error}\nhint: {hint}")]
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

/// Renders the requested output for the assembly at `path`.
pub fn render(path: &Path, format: MetaFormat) -> Result<Vec<u8>, MetaError> {
    let read_err = |error: ecma335::Error| MetaError::Read {
        path: path.to_path_buf(),
        hint: hint_for(&error),
        error,
    };
    let file = ecma335::MappedFile::open(path).map_err(read_err)?;
    let md = Metadata::parse(file.bytes()).map_err(read_err)?;
    let detail = match format {
        MetaFormat::Listing => Detail::Listing,
        MetaFormat::Json | MetaFormat::Sha256 => Detail::Full,
    };
    let surface = build_surface(&md, detail).map_err(read_err)?;
    Ok(match format {
        MetaFormat::Listing => surface.listing().into_bytes(),
        MetaFormat::Json => surface.to_canonical_json(),
        MetaFormat::Sha256 => {
            format!("{}  {}\n", surface.sha256_hex(), path.display()).into_bytes()
        }
    })
}

/// Runs `meta`, writing to `out` (atomically) or standard output.
pub fn run(path: &Path, format: MetaFormat, out: Option<&Path>) -> Result<(), MetaError> {
    let bytes = render(path, format)?;
    match out {
        Some(o) => crate::fsutil::write_atomic(o, &bytes).map_err(|source| MetaError::Write {
            path: o.to_path_buf(),
            source,
        }),
        None => {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(&bytes)
                .and_then(|_| stdout.flush())
                .map_err(|source| MetaError::Write {
                    path: PathBuf::from("<stdout>"),
                    source,
                })
        }
    }
}
