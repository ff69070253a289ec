//! The embedding C ABI of the bridge (`include/mochi_dotnet.h`, docs/embedding.md):
//! `meta`, `lock` and `bind` for Mochi's toolchain, plus the run-time functions of
//! `hosting::capi` (re-exported, so `libbridge.a` carries the whole API).
//!
//! Every function calls the same library code as the `mochi-dotnet` command. A
//! failure returns -1 and leaves its message (the CLI's error text) for
//! `mochi_dotnet_last_error`, the one per-thread last error shared with the
//! run-time functions. No panic crosses the boundary. Buffers handed to the
//! caller are released with `mochi_dotnet_buffer_free`.
//!
//! The header is generated from this file by `tests/it/capi_header.rs`: the doc
//! comments of the `pub const MOCHI_DOTNET_*` items and of the `extern "C"`
//! functions become its comments.

use std::alloc::{Layout, alloc, dealloc};
use std::ffi::{CStr, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::ptr;

pub use hosting::capi::*;

use crate::ops::meta::MetaFormat;
use crate::report::render;

/// Version of the embedding API (`mochi_dotnet_bridge_api_version`); the run-time
/// functions have their own, `mochi_dotnet_host_api_version`.
pub const MOCHI_DOTNET_BRIDGE_API_VERSION: i32 = 1;

/// `mochi_dotnet_meta` format: the canonical JSON surface (`mochi-dotnet meta --json`).
pub const MOCHI_DOTNET_META_JSON: i32 = 0;
/// `mochi_dotnet_meta` format: the surface listing, one line per type and member (`--list`).
pub const MOCHI_DOTNET_META_LISTING: i32 = 1;
/// `mochi_dotnet_meta` format: `<metadata-sha256>  <path>` and a newline (`--sha256`).
pub const MOCHI_DOTNET_META_SHA256: i32 = 2;

/// `mochi_dotnet_lock` flag: verify mochi.lock instead of writing it (`lock --check`).
pub const MOCHI_DOTNET_LOCK_CHECK: u32 = 1;
/// `mochi_dotnet_lock` flag: only the package cache and local feeds, never the network (`--offline`).
pub const MOCHI_DOTNET_LOCK_OFFLINE: u32 = 2;
/// `mochi_dotnet_lock` flag: no progress bar and no summary on stderr (`--quiet`).
pub const MOCHI_DOTNET_LOCK_QUIET: u32 = 4;

const ALL_LOCK_FLAGS: u32 =
    MOCHI_DOTNET_LOCK_CHECK | MOCHI_DOTNET_LOCK_OFFLINE | MOCHI_DOTNET_LOCK_QUIET;

/// Runs `f`; an `Err` or a panic becomes -1 plus the thread's last error.
fn guarded(f: impl FnOnce() -> Result<(), String>) -> i32 {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => 0,
        Ok(Err(message)) => {
            set_last_error(message);
            -1
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            set_last_error(format!("internal error in the mochi-dotnet bridge: {what}"));
            -1
        }
    }
}

/// # Safety
/// `p` is NULL or a NUL-terminated string.
unsafe fn path_arg(p: *const c_char, what: &str) -> Result<Option<PathBuf>, String> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: guaranteed by the caller.
    let s = unsafe { CStr::from_ptr(p) }
        .to_str()
        .map_err(|_| format!("{what} is not UTF-8"))?;
    if s.is_empty() {
        return Err(format!("{what} is empty"));
    }
    Ok(Some(PathBuf::from(s)))
}

/// # Safety
/// As [`path_arg`].
unsafe fn required_path(p: *const c_char, what: &str) -> Result<PathBuf, String> {
    // SAFETY: forwarded.
    unsafe { path_arg(p, what) }?.ok_or_else(|| format!("{what} is NULL"))
}

/// Bytes before the data of a buffer: its total allocation size, keeping the data 16-aligned.
const BUFFER_HEADER: usize = 16;
const BUFFER_ALIGN: usize = 16;

/// Copies `data` into a caller-owned buffer followed by a NUL (not counted in the length).
fn into_buffer(data: &[u8]) -> Result<*mut u8, String> {
    let total = BUFFER_HEADER + data.len() + 1;
    let layout = Layout::from_size_align(total, BUFFER_ALIGN)
        .map_err(|_| format!("output too large ({} bytes)", data.len()))?;
    // SAFETY: `layout` has a non-zero size.
    let base = unsafe { alloc(layout) };
    if base.is_null() {
        return Err(format!("out of memory for {} bytes of output", data.len()));
    }
    // SAFETY: `base` holds `total` bytes: the size, the data, the NUL.
    unsafe {
        base.cast::<usize>().write(total);
        let out = base.add(BUFFER_HEADER);
        ptr::copy_nonoverlapping(data.as_ptr(), out, data.len());
        out.add(data.len()).write(0);
        Ok(out)
    }
}

/// Version of the embedding API: `MOCHI_DOTNET_BRIDGE_API_VERSION`.
#[unsafe(no_mangle)]
pub extern "C" fn mochi_dotnet_bridge_api_version() -> i32 {
    MOCHI_DOTNET_BRIDGE_API_VERSION
}

/// The public surface of one assembly, as `mochi-dotnet meta` prints it.
/// `format` is one of `MOCHI_DOTNET_META_*`. On success `*out` is a new buffer of
/// `*out_len` bytes plus a terminating NUL (not counted), owned by the caller:
/// release it with `mochi_dotnet_buffer_free`. Returns 0, or -1 with
/// `*out` = NULL, `*out_len` = 0 and `mochi_dotnet_last_error()` set.
///
/// # Safety
/// `assembly_path` is a NUL-terminated string; `out` and `out_len` are valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mochi_dotnet_meta(
    assembly_path: *const c_char,
    format: i32,
    out: *mut *mut u8,
    out_len: *mut usize,
) -> i32 {
    guarded(|| {
        if out.is_null() || out_len.is_null() {
            return Err("out and out_len must not be NULL".into());
        }
        // SAFETY: both valid for writes, per the caller.
        unsafe {
            out.write(ptr::null_mut());
            out_len.write(0);
        }
        // SAFETY: guaranteed by the caller.
        let path = unsafe { required_path(assembly_path, "assembly_path") }?;
        let format = match format {
            MOCHI_DOTNET_META_JSON => MetaFormat::Json,
            MOCHI_DOTNET_META_LISTING => MetaFormat::Listing,
            MOCHI_DOTNET_META_SHA256 => MetaFormat::Sha256,
            other => {
                return Err(format!(
                    "unknown meta format {other}: use 0 (JSON), 1 (listing) or 2 (sha256)"
                ));
            }
        };
        let bytes = crate::ops::meta::render(&path, format, Vec::new()).map_err(|e| render(&e))?;
        let buffer = into_buffer(&bytes)?;
        // SAFETY: as above.
        unsafe {
            out.write(buffer);
            out_len.write(bytes.len());
        }
        Ok(())
    })
}

/// Releases a buffer returned by `mochi_dotnet_meta` (NULL is ignored). Not for
/// buffers a shim returned: those go to `mochi_dotnet_shim_free`.
///
/// # Safety
/// `buffer` is NULL or came from this library and was not released before.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mochi_dotnet_buffer_free(buffer: *mut u8) {
    if buffer.is_null() {
        return;
    }
    // SAFETY: made by `into_buffer`: the size sits BUFFER_HEADER bytes before the data.
    unsafe {
        let base = buffer.sub(BUFFER_HEADER);
        let total = base.cast::<usize>().read();
        dealloc(base, Layout::from_size_align_unchecked(total, BUFFER_ALIGN));
    }
}

/// Resolves `[dotnet-dependencies]` of the manifest and writes its mochi.lock,
/// as `mochi-dotnet lock` does; with `MOCHI_DOTNET_LOCK_CHECK`, verifies mochi.lock
/// instead and fails on any drift. `flags` is a combination of `MOCHI_DOTNET_LOCK_*`.
/// Without `MOCHI_DOTNET_LOCK_QUIET` a progress bar and the summary go to stderr.
/// Returns 0, or -1 with `mochi_dotnet_last_error()` set (for a failed check, the
/// list of differences and the hint the command prints).
///
/// # Safety
/// `manifest_path` is a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mochi_dotnet_lock(manifest_path: *const c_char, flags: u32) -> i32 {
    guarded(|| {
        // SAFETY: guaranteed by the caller.
        let manifest_path = unsafe { required_path(manifest_path, "manifest_path") }?;
        if flags & !ALL_LOCK_FLAGS != 0 {
            return Err(format!(
                "unknown lock flags {:#x}: combine MOCHI_DOTNET_LOCK_CHECK (1), _OFFLINE (2) and _QUIET (4)",
                flags & !ALL_LOCK_FLAGS
            ));
        }
        let check = flags & MOCHI_DOTNET_LOCK_CHECK != 0;
        let quiet = flags & MOCHI_DOTNET_LOCK_QUIET != 0;
        let request = crate::ops::lock::LockRequest {
            check,
            quiet,
            offline: flags & MOCHI_DOTNET_LOCK_OFFLINE != 0,
            ..crate::ops::lock::LockRequest::new(manifest_path)
        };
        let report = crate::ops::lock::run(&request).map_err(|e| render(&e))?;
        if !quiet {
            eprint!("{}", report.summary());
        }
        Ok(())
    })
}

/// Binds an assembly file or a package locked in the manifest's mochi.lock, as
/// `mochi-dotnet bind <target> --out <out_dir> --manifest-path <manifest_path>`
/// does: writes plan.json, `<pkg>_extern.mochi`, `<pkg>.mochi`, SKIPPED.txt and
/// skipped.json into `out_dir` (created if needed). `manifest_path` may be NULL
/// (then `mochi.toml` in the current directory). The summary line and warnings go
/// to stderr. Returns 0, or -1 with `mochi_dotnet_last_error()` set.
///
/// # Safety
/// `target` and `out_dir` are NUL-terminated strings; `manifest_path` is NULL or one.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mochi_dotnet_bind(
    target: *const c_char,
    out_dir: *const c_char,
    manifest_path: *const c_char,
) -> i32 {
    guarded(|| {
        // SAFETY: guaranteed by the caller.
        let (target, out_dir, manifest_path) = unsafe {
            (
                required_path(target, "target")?,
                required_path(out_dir, "out_dir")?,
                path_arg(manifest_path, "manifest_path")?,
            )
        };
        let target = target
            .to_str()
            .expect("made from a UTF-8 string")
            .to_owned();
        let request = crate::ops::bind::BindRequest {
            manifest_path: manifest_path
                .unwrap_or_else(|| Path::new(project::MANIFEST_FILE).to_path_buf()),
            ..crate::ops::bind::BindRequest::new(target, out_dir)
        };
        let report = crate::ops::bind::run(&request).map_err(|e| render(&e))?;
        eprint!("{}", report.stderr_text());
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_failure_with_its_message() {
        let status = guarded(|| panic!("deliberate"));
        assert_eq!(status, -1);
        let e = unsafe { CStr::from_ptr(mochi_dotnet_last_error()) };
        assert_eq!(
            e.to_str().unwrap(),
            "internal error in the mochi-dotnet bridge: deliberate"
        );
        let status = guarded(|| panic!("with {}", "a formatted message"));
        assert_eq!(status, -1);
        let e = unsafe { CStr::from_ptr(mochi_dotnet_last_error()) };
        assert!(e.to_str().unwrap().ends_with("with a formatted message"));
    }

    #[test]
    fn buffers_keep_their_bytes_and_a_nul() {
        for len in [0usize, 1, 15, 16, 17, 100_000] {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8 + 1).collect();
            let p = into_buffer(&data).unwrap();
            assert_eq!(p as usize % BUFFER_ALIGN, 0);
            let back = unsafe { std::slice::from_raw_parts(p, len + 1) };
            assert_eq!(&back[..len], &data[..]);
            assert_eq!(back[len], 0);
            unsafe { mochi_dotnet_buffer_free(p) };
        }
    }
}
