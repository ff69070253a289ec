//! The run-time C ABI of the host (`include/mochi_dotnet_host.h`): what a compiled
//! Mochi program, or any C caller, uses to start .NET and find shim exports.
//! The `bridge` static library re-exports these symbols.
//!
//! Failures return -1 or NULL and leave a message for `mochi_dotnet_last_error`
//! (per thread). No panic crosses the boundary.

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::ptr;

use crate::locate::FrameworkRequirement;
use crate::runtime::{Runtime, RuntimeOptions};
use crate::shim::Shim;

/// Version of this host API (`mochi_dotnet_host_api_version`).
pub const HOST_API_VERSION: i32 = 1;

thread_local! {
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
}

/// Sets the calling thread's last error (what `mochi_dotnet_last_error` returns);
/// NULs in `message` become `\0`. Shared with the bridge's embedding functions.
pub fn set_last_error(message: String) {
    let c = CString::new(message.replace('\0', "\\0")).expect("NULs replaced");
    LAST_ERROR.with(|e| *e.borrow_mut() = Some(c));
}

/// Runs `f`, turning an `Err` or a panic into `fallback` plus the thread's last error.
fn guarded<T>(fallback: T, f: impl FnOnce() -> Result<T, String>) -> T {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => v,
        Ok(Err(msg)) => {
            set_last_error(msg);
            fallback
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            set_last_error(format!("internal error in the mochi-dotnet host: {what}"));
            fallback
        }
    }
}

/// # Safety
/// `p` is NULL or a NUL-terminated string.
unsafe fn utf8_arg<'a>(p: *const c_char, what: &str) -> Result<Option<&'a str>, String> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: guaranteed by the caller.
    unsafe { CStr::from_ptr(p) }
        .to_str()
        .map(Some)
        .map_err(|_| format!("{what} is not UTF-8"))
}

/// # Safety
/// As [`utf8_arg`]; `p` must not be NULL.
unsafe fn required_arg<'a>(p: *const c_char, what: &str) -> Result<&'a str, String> {
    // SAFETY: forwarded.
    unsafe { utf8_arg(p, what) }?.ok_or_else(|| format!("{what} is NULL"))
}

/// # Safety
/// `shim` is NULL or came from `mochi_dotnet_shim_load` and is not closed.
unsafe fn shim_arg<'a>(shim: *const Shim) -> Result<&'a Shim, String> {
    // SAFETY: guaranteed by the caller.
    unsafe { shim.as_ref() }.ok_or_else(|| "shim is NULL".to_owned())
}

#[unsafe(no_mangle)]
pub extern "C" fn mochi_dotnet_host_api_version() -> i32 {
    HOST_API_VERSION
}

/// # Safety
/// `dotnet_root` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mochi_dotnet_start(
    dotnet_root: *const c_char,
    framework_major: i32,
    framework_minor: i32,
) -> i32 {
    guarded(-1, || {
        // SAFETY: guaranteed by the caller.
        let root = unsafe { utf8_arg(dotnet_root, "dotnet_root") }?;
        let (Ok(major), Ok(minor)) = (
            u32::try_from(framework_major),
            u32::try_from(framework_minor),
        ) else {
            return Err(format!(
                "invalid framework version {framework_major}.{framework_minor}"
            ));
        };
        let mut options =
            RuntimeOptions::default().with_framework(FrameworkRequirement::net(major, minor));
        if let Some(r) = root {
            options = options.with_dotnet_root(PathBuf::from(r));
        }
        Runtime::start(&options)
            .map(|_| 0)
            .map_err(|e| e.to_string())
    })
}

#[unsafe(no_mangle)]
pub extern "C" fn mochi_dotnet_prepare_thread() -> i32 {
    guarded(-1, || {
        crate::prepare_current_thread()
            .map(|_| 0)
            .map_err(|e| e.to_string())
    })
}

/// # Safety
/// `assembly_path` is NULL or a NUL-terminated string.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mochi_dotnet_shim_load(assembly_path: *const c_char) -> *mut Shim {
    guarded(ptr::null_mut(), || {
        // SAFETY: guaranteed by the caller.
        let path = unsafe { required_arg(assembly_path, "assembly_path") }?;
        let rt = Runtime::get()
            .ok_or("the .NET runtime is not started: call mochi_dotnet_start first")?;
        let shim = Shim::load(rt, path.as_ref()).map_err(|e| e.to_string())?;
        Ok(Box::into_raw(Box::new(shim)))
    })
}

/// # Safety
/// `shim` came from `mochi_dotnet_shim_load`; the strings are NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mochi_dotnet_shim_export(
    shim: *const Shim,
    type_name: *const c_char,
    method: *const c_char,
) -> *const c_void {
    guarded(ptr::null(), || {
        // SAFETY: guaranteed by the caller.
        let (shim, type_name, method) = unsafe {
            (
                shim_arg(shim)?,
                required_arg(type_name, "type_name")?,
                required_arg(method, "method")?,
            )
        };
        shim.runtime()
            .entry_point_in(shim.load_context(), shim.assembly(), type_name, method)
            .map(|e| e.as_ptr())
            .map_err(|e| e.to_string())
    })
}

/// # Safety
/// `shim` came from `mochi_dotnet_shim_load`; `ptr` is NULL or a buffer an export returned.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mochi_dotnet_shim_free(shim: *const Shim, ptr: *mut c_void) {
    guarded((), || {
        // SAFETY: guaranteed by the caller.
        unsafe { shim_arg(shim)?.free(ptr) };
        Ok(())
    })
}

/// # Safety
/// `shim` came from `mochi_dotnet_shim_load`; `handle` is 0 or an unreleased handle of it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mochi_dotnet_shim_release(shim: *const Shim, handle: isize) -> i32 {
    guarded(-1, || {
        // SAFETY: guaranteed by the caller.
        let shim = unsafe { shim_arg(shim) }?;
        shim.release_handle(handle)
            .map(|_| 0)
            .map_err(|e| e.to_string())
    })
}

/// # Safety
/// `shim` came from `mochi_dotnet_shim_load`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mochi_dotnet_shim_live_handles(shim: *const Shim) -> i64 {
    guarded(-1, || {
        // SAFETY: guaranteed by the caller.
        Ok(unsafe { shim_arg(shim) }?.live_handles())
    })
}

/// # Safety
/// `shim` is NULL or came from `mochi_dotnet_shim_load`, and is not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mochi_dotnet_shim_close(shim: *mut Shim) {
    if !shim.is_null() {
        // SAFETY: guaranteed by the caller: a Box made by mochi_dotnet_shim_load.
        drop(unsafe { Box::from_raw(shim) });
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn mochi_dotnet_last_error() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ref().map_or(ptr::null(), |c| c.as_ptr()))
}
