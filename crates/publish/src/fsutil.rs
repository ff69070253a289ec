//! Atomic writes: a temporary file in the target's folder, fsync, rename. A reader
//! sees the old file or the new one, never half of one.

use std::io::Write;
use std::path::Path;

use crate::error::{PublishError, Result};

pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(PublishError::io(dir))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".mochi-publish-")
        .tempfile_in(dir)
        .map_err(PublishError::io(dir))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(PublishError::io(tmp.path()))?;
    tmp.persist(path).map_err(|e| PublishError::Io {
        path: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}
