//! The part of the shim ABI every shim shares (`Mochi.Interop.ShimAbi`):
//! version check, the free export, handles, error out-parameters.

use std::ffi::c_void;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::runtime::{LoadContext, Runtime};

/// The ABI version this host speaks; `mochi_abi_version()` of a shim must equal it.
pub const ABI_VERSION: i32 = shimabi::ABI_VERSION;

/// The namespace-qualified type holding the shared exports in every shim.
pub const SHIM_ABI_TYPE: &str = "Mochi.Interop.ShimAbi";

/// Status returned by every export.
pub const STATUS_OK: i32 = 0;
pub const STATUS_FAILED: i32 = 1;

/// `mochi_str`: UTF-8 bytes as (ptr, len); `len == -1` is null, `len == 0` may have a null ptr.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct MochiStr {
    pub ptr: *const u8,
    pub len: i32,
}

impl MochiStr {
    pub const NULL: MochiStr = MochiStr {
        ptr: std::ptr::null(),
        len: -1,
    };

    /// Borrows `s` (which must outlive the call it is passed to).
    pub fn borrowed(s: &str) -> MochiStr {
        MochiStr {
            ptr: s.as_ptr(),
            len: abi_len(s.len()),
        }
    }

    /// `None` for a null string (and for a malformed non-empty one with a null pointer).
    ///
    /// # Safety
    /// `ptr` must point to `len` readable bytes (when `len > 0`).
    pub unsafe fn as_bytes<'a>(&self) -> Option<&'a [u8]> {
        match self.len {
            ..0 => None,
            0 => Some(&[]),
            _ if self.ptr.is_null() => None,
            // SAFETY: guaranteed by the caller.
            n => Some(unsafe { std::slice::from_raw_parts(self.ptr, n as usize) }),
        }
    }
}

/// Lengths cross as `int32_t`; .NET strings and arrays cannot be longer.
pub fn abi_len(n: usize) -> i32 {
    i32::try_from(n).expect("longer than a .NET array or string can be (2^31 - 1)")
}

/// `mochi_error`: filled by an export that returns `STATUS_FAILED`; both strings caller-owned.
#[repr(C)]
#[derive(Debug)]
pub struct MochiError {
    pub type_name: *mut u8,
    pub type_name_len: i32,
    pub message: *mut u8,
    pub message_len: i32,
}

impl MochiError {
    pub const fn new() -> Self {
        MochiError {
            type_name: std::ptr::null_mut(),
            type_name_len: 0,
            message: std::ptr::null_mut(),
            message_len: 0,
        }
    }
}

impl Default for MochiError {
    fn default() -> Self {
        MochiError::new()
    }
}

/// A .NET exception that an export caught and reported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ManagedException {
    /// Full name of the exception type, e.g. `System.NullReferenceException`.
    pub type_name: String,
    pub message: String,
}

impl fmt::Display for ManagedException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.type_name, self.message)
    }
}

type AbiVersionFn = unsafe extern "system" fn() -> i32;
type FreeFn = unsafe extern "system" fn(*mut c_void);
type ReleaseFn = unsafe extern "system" fn(isize, *mut MochiError) -> i32;
type LiveCountFn = unsafe extern "system" fn() -> i64;
type AssemblyPathFn = unsafe extern "system" fn(*mut *mut u8, *mut i32, *mut MochiError) -> i32;

/// A loaded shim assembly whose ABI version matched.
#[derive(Debug, Clone)]
pub struct Shim {
    runtime: &'static Runtime,
    context: LoadContext,
    assembly: PathBuf,
    abi_version: i32,
    free: FreeFn,
    release: ReleaseFn,
    live: LiveCountFn,
}

impl Shim {
    /// Loads the shim at `assembly` into the shared load context (its folder probed
    /// for the package assemblies it references) and checks its ABI version.
    pub fn load(runtime: &'static Runtime, assembly: &Path) -> Result<Shim> {
        Shim::load_in(runtime, LoadContext::Shared, assembly)
    }

    /// [`Shim::load`] into a load context of its own.
    pub fn load_isolated(runtime: &'static Runtime, assembly: &Path) -> Result<Shim> {
        Shim::load_in(runtime, LoadContext::Isolated, assembly)
    }

    fn load_in(runtime: &'static Runtime, context: LoadContext, assembly: &Path) -> Result<Shim> {
        let assembly = std::fs::canonicalize(assembly).map_err(|source| Error::Io {
            path: assembly.to_path_buf(),
            source,
        })?;
        let get = |m: &str| runtime.entry_point_in(context, &assembly, SHIM_ABI_TYPE, m);
        // SAFETY: the signatures are the fixed ones of ShimAbi.cs (docs/hosting.md).
        let version_fn: AbiVersionFn = unsafe { get("mochi_abi_version")?.cast() };
        // SAFETY: takes no arguments and only returns a constant.
        let abi_version = unsafe { version_fn() };
        if abi_version != ABI_VERSION {
            return Err(Error::AbiMismatch {
                assembly,
                found: abi_version,
                expected: ABI_VERSION,
            });
        }
        // SAFETY: as above.
        let (free, release, live) = unsafe {
            (
                get("mochi_free")?.cast::<FreeFn>(),
                get("mochi_handle_release")?.cast::<ReleaseFn>(),
                get("mochi_handle_live_count")?.cast::<LiveCountFn>(),
            )
        };
        // SAFETY: the fixed signature of ShimAbi.mochi_assembly_path.
        let path_fn: AssemblyPathFn = unsafe { get("mochi_assembly_path")?.cast() };
        let shim = Shim {
            runtime,
            context,
            assembly,
            abi_version,
            free,
            release,
            live,
        };
        // The shared context resolves by assembly name: a second file with the name of
        // a loaded shim would silently run the first one's code.
        let (mut p, mut n, mut err) = (std::ptr::null_mut(), 0, MochiError::new());
        // SAFETY: out-parameters are valid; the result is caller-owned.
        let status = unsafe { path_fn(&mut p, &mut n, &mut err) };
        let loaded = match shim.check(status, &mut err) {
            // SAFETY: a caller-owned string the export returned.
            Ok(()) => unsafe { shim.take_string(p, n) }.map(PathBuf::from),
            Err(_) => None,
        };
        if let Some(loaded) = loaded {
            let loaded = std::fs::canonicalize(&loaded).unwrap_or(loaded);
            if loaded != shim.assembly {
                return Err(Error::ShimNameClash {
                    assembly: shim.assembly,
                    loaded_from: loaded,
                });
            }
        }
        Ok(shim)
    }

    pub fn assembly(&self) -> &Path {
        &self.assembly
    }

    pub fn abi_version(&self) -> i32 {
        self.abi_version
    }

    pub fn runtime(&self) -> &'static Runtime {
        self.runtime
    }

    pub fn load_context(&self) -> LoadContext {
        self.context
    }

    /// An export of this shim as a typed function pointer (cached after the first lookup).
    ///
    /// # Safety
    /// `F` must be the `unsafe extern "system" fn` type matching the export's signature.
    pub unsafe fn export<F: Copy>(&self, type_name: &str, method: &str) -> Result<F> {
        let e = self
            .runtime
            .entry_point_in(self.context, &self.assembly, type_name, method)?;
        // SAFETY: forwarded to the caller.
        Ok(unsafe { e.cast::<F>() })
    }

    /// Releases a buffer an export returned (`mochi_free`); null is ignored.
    ///
    /// # Safety
    /// `ptr` must come from this ABI's allocator and not be freed twice.
    pub unsafe fn free(&self, ptr: *mut c_void) {
        if !ptr.is_null() {
            // SAFETY: forwarded to the caller.
            unsafe { (self.free)(ptr) }
        }
    }

    /// Copies a returned string and frees it; `None` for a null string (`len == -1`).
    ///
    /// # Safety
    /// `(ptr, len)` must be a caller-owned string an export returned.
    pub unsafe fn take_string(&self, ptr: *mut u8, len: i32) -> Option<String> {
        // SAFETY: forwarded to the caller.
        let s = unsafe { MochiStr { ptr, len }.as_bytes() }
            .map(|b| String::from_utf8_lossy(b).into_owned());
        // SAFETY: forwarded to the caller.
        unsafe { self.free(ptr.cast()) };
        s
    }

    /// Converts a filled error out-parameter into a [`ManagedException`], frees its
    /// strings and resets it for reuse.
    pub fn take_error(&self, err: &mut MochiError) -> ManagedException {
        // SAFETY: an export filled these with caller-owned strings (or nulls).
        let type_name = unsafe { self.take_string(err.type_name, err.type_name_len) };
        // SAFETY: as above.
        let message = unsafe { self.take_string(err.message, err.message_len) };
        *err = MochiError::new();
        ManagedException {
            type_name: type_name.unwrap_or_else(|| "<unknown exception>".into()),
            message: message.unwrap_or_default(),
        }
    }

    /// `Ok` for `STATUS_OK`, otherwise the exception reported through `err`.
    pub fn check(
        &self,
        status: i32,
        err: &mut MochiError,
    ) -> std::result::Result<(), ManagedException> {
        if status == STATUS_OK {
            Ok(())
        } else {
            Err(self.take_error(err))
        }
    }

    /// Frees a GCHandle an export returned (`mochi_handle_release`); 0 is ignored.
    pub fn release_handle(&self, handle: isize) -> std::result::Result<(), ManagedException> {
        let mut err = MochiError::new();
        // SAFETY: the export validates the handle and reports misuse as an exception.
        let status = unsafe { (self.release)(handle, &mut err) };
        self.check(status, &mut err)
    }

    /// Handles allocated by this shim and not yet released (`mochi_handle_live_count`).
    pub fn live_handles(&self) -> i64 {
        // SAFETY: no arguments; reads a counter.
        unsafe { (self.live)() }
    }

    /// Takes ownership of a handle an export returned: released on drop.
    pub fn own_handle(&self, raw: isize) -> Option<Handle<'_>> {
        (raw != 0).then_some(Handle { shim: self, raw })
    }
}

/// An owned .NET object handle, released when dropped.
#[derive(Debug)]
pub struct Handle<'s> {
    shim: &'s Shim,
    raw: isize,
}

impl Handle<'_> {
    pub fn raw(&self) -> isize {
        self.raw
    }

    /// Releases now, reporting a failure instead of ignoring it.
    pub fn release(self) -> std::result::Result<(), ManagedException> {
        let this = std::mem::ManuallyDrop::new(self);
        this.shim.release_handle(this.raw)
    }
}

impl Drop for Handle<'_> {
    fn drop(&mut self) {
        let _ = self.shim.release_handle(self.raw);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::offset_of;

    #[test]
    fn layouts_match_docs_hosting_md() {
        assert_eq!((size_of::<MochiStr>(), align_of::<MochiStr>()), (16, 8));
        assert_eq!(offset_of!(MochiStr, len), 8);
        assert_eq!(size_of::<MochiError>(), 32);
        assert_eq!(offset_of!(MochiError, type_name_len), 8);
        assert_eq!(offset_of!(MochiError, message), 16);
        assert_eq!(offset_of!(MochiError, message_len), 24);
    }

    #[test]
    fn borrowed_and_null_strings() {
        let s = MochiStr::borrowed("héllo");
        assert_eq!(s.len, 6);
        assert_eq!(unsafe { s.as_bytes() }, Some("héllo".as_bytes()));
        assert_eq!(unsafe { MochiStr::NULL.as_bytes() }, None);
        let empty = MochiStr {
            ptr: std::ptr::null(),
            len: 0,
        };
        assert_eq!(unsafe { empty.as_bytes() }, Some(&[][..]));
    }
}
