//! Atomic writes: a temporary file in the target's folder, fsync, rename. A reader
//! sees the old file or the new one, never half of one.

use std::path::Path;

use crate::error::{PublishError, Result};

pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(PublishError::io(dir))?;
    // The one atomic write of the workspace (crates/fsutil).
    fsutil::write_atomic(path, bytes).map_err(PublishError::io(path))
}
