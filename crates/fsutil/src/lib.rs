//! The file-system mechanisms every mochi-dotnet crate shares, each built once:
//!
//! - [`write_atomic`] / [`AtomicFile`]: a temporary file in the target's folder,
//!   written, fsynced, then renamed over the target. A reader never sees half a
//!   file, and a failure leaves the target as it was and no temporary file behind.
//!   An existing target keeps its permissions; a new one gets the usual
//!   `0o666 & !umask`, as if created with `File::create`.
//! - [`write_if_changed`]: the same, skipped when the file already holds the bytes
//!   (so its mtime stays).
//! - [`LockedFile`]: an exclusive advisory lock on a lock file, held across
//!   processes until dropped.
//!
//! Nothing here knows about packages, shims or manifests.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The folder a file lives in (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// A file being written atomically: bytes go to a temporary file beside the
/// target; [`AtomicFile::commit`] fsyncs it and renames it into place. Dropped
/// without a commit, it removes the temporary file and the target is untouched.
#[derive(Debug)]
pub struct AtomicFile {
    target: PathBuf,
    tmp: tempfile::NamedTempFile,
}

impl AtomicFile {
    /// Starts writing `path`. The temporary file gets the target's permissions
    /// when it exists, else `0o666` less the process umask.
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        let dir = parent_dir(path);
        let mut builder = tempfile::Builder::new();
        builder.prefix(".tmp-");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            // Created with this mode, so the umask applies as for any new file.
            builder.permissions(fs::Permissions::from_mode(0o666));
        }
        let tmp = builder.tempfile_in(dir)?;
        if let Ok(meta) = fs::metadata(path) {
            // An existing file keeps its mode (a chmod, so no umask).
            tmp.as_file().set_permissions(meta.permissions())?;
        }
        Ok(AtomicFile {
            target: path.to_path_buf(),
            tmp,
        })
    }

    /// The file that [`AtomicFile::commit`] replaces.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Flushes, fsyncs and renames the temporary file over the target.
    pub fn commit(mut self) -> io::Result<()> {
        self.tmp.flush()?;
        self.tmp.as_file().sync_all()?;
        self.tmp.persist(&self.target).map_err(|e| e.error)?;
        sync_dir(parent_dir(&self.target));
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tmp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tmp.flush()
    }
}

/// Writes `bytes` to `path` atomically (see [`AtomicFile`]).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = AtomicFile::create(path)?;
    f.write_all(bytes)?;
    f.commit()
}

/// [`write_atomic`] unless `path` already holds exactly `bytes`; returns whether
/// the file changed (an unchanged file keeps its mtime).
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    if fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(false);
    }
    write_atomic(path, bytes)?;
    Ok(true)
}

/// Fsyncs a folder, so a rename inside it survives a crash. Best effort: some
/// file systems refuse to open or sync a folder, and the rename stands anyway.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// An exclusive lock on a lock file, shared by every process that locks the same
/// path; released when dropped. The file is created if needed and never removed
/// (removing it would let two processes lock two different files of one name).
#[derive(Debug)]
pub struct LockedFile {
    file: File,
    path: PathBuf,
}

impl LockedFile {
    /// Blocks until the lock on `path` is free, then takes it.
    pub fn acquire(path: &Path) -> io::Result<LockedFile> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        fs4::fs_std::FileExt::lock_exclusive(&file)?;
        Ok(LockedFile {
            file,
            path: path.to_path_buf(),
        })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for LockedFile {
    fn drop(&mut self) {
        let _ = fs4::fs_std::FileExt::unlock(&self.file);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_only_when_changed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mochi.lock");
        assert!(write_if_changed(&p, b"a\n").unwrap());
        let m1 = fs::metadata(&p).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(!write_if_changed(&p, b"a\n").unwrap());
        assert_eq!(fs::metadata(&p).unwrap().modified().unwrap(), m1);
        assert!(write_if_changed(&p, b"b\n").unwrap());
        assert_eq!(fs::read(&p).unwrap(), b"b\n");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }

    #[test]
    fn an_uncommitted_write_leaves_the_target_alone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.json");
        fs::write(&p, b"old").unwrap();
        {
            let mut f = AtomicFile::create(&p).unwrap();
            f.write_all(b"new").unwrap();
        }
        assert_eq!(fs::read(&p).unwrap(), b"old");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }

    #[cfg(unix)]
    #[test]
    fn modes_follow_the_umask_or_the_existing_file() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        // What `File::create` gives here is what a new file must get (0o666 & !umask).
        let probe = dir.path().join("probe");
        File::create(&probe).unwrap();
        let usual = fs::metadata(&probe).unwrap().permissions().mode() & 0o777;
        let new = dir.path().join("new");
        write_atomic(&new, b"x").unwrap();
        assert_eq!(
            fs::metadata(&new).unwrap().permissions().mode() & 0o777,
            usual
        );
        assert_ne!(usual, 0o600, "the usual mode is not tempfile's 0600");

        let kept = dir.path().join("kept");
        fs::write(&kept, b"x").unwrap();
        fs::set_permissions(&kept, fs::Permissions::from_mode(0o640)).unwrap();
        write_atomic(&kept, b"y").unwrap();
        assert_eq!(
            fs::metadata(&kept).unwrap().permissions().mode() & 0o777,
            0o640
        );
    }

    #[test]
    fn a_lock_excludes_a_second_holder_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.lock");
        let first = LockedFile::acquire(&p).unwrap();
        let other = OpenOptions::new().write(true).open(&p).unwrap();
        assert!(!fs4::fs_std::FileExt::try_lock_exclusive(&other).unwrap_or(false));
        drop(first);
        assert!(fs4::fs_std::FileExt::try_lock_exclusive(&other).unwrap_or(false));
    }
}
