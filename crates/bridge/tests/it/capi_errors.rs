//! The embedding C ABI called directly from Rust: argument checks, the one
//! per-thread last error shared with the run-time functions, and the buffers.

use std::ffi::{CStr, CString, c_char};
use std::ptr;

use bridge::capi::*;

const NEWTONSOFT: &str = "/usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll";

fn last_error() -> Option<String> {
    let p = mochi_dotnet_last_error();
    (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

fn meta(path: *const c_char, format: i32) -> (i32, Option<Vec<u8>>) {
    let mut out: *mut u8 = ptr::dangling_mut();
    let mut len = usize::MAX;
    let status = unsafe { mochi_dotnet_meta(path, format, &mut out, &mut len) };
    if status != 0 {
        assert!(out.is_null() && len == 0, "outputs not cleared on failure");
        return (status, None);
    }
    // SAFETY: `len` bytes and a NUL, from the library.
    let bytes = unsafe { std::slice::from_raw_parts(out, len + 1) }.to_vec();
    assert_eq!(bytes[len], 0, "no terminating NUL");
    unsafe { mochi_dotnet_buffer_free(out) };
    (status, Some(bytes[..len].to_vec()))
}

#[test]
fn meta_returns_what_the_command_prints() {
    let path = CString::new(NEWTONSOFT).unwrap();
    for (format, rust) in [
        (MOCHI_DOTNET_META_JSON, bridge::ops::meta::MetaFormat::Json),
        (
            MOCHI_DOTNET_META_LISTING,
            bridge::ops::meta::MetaFormat::Listing,
        ),
        (
            MOCHI_DOTNET_META_SHA256,
            bridge::ops::meta::MetaFormat::Sha256,
        ),
    ] {
        let (status, bytes) = meta(path.as_ptr(), format);
        assert_eq!(status, 0, "{:?}", last_error());
        let expected =
            bridge::ops::meta::render(std::path::Path::new(NEWTONSOFT), rust, Vec::new()).unwrap();
        assert!(
            bytes.as_deref() == Some(&expected[..]),
            "format {format} differs from meta::render"
        );
    }
}

#[test]
fn meta_from_several_threads_at_once() {
    let expected = bridge::ops::meta::render(
        std::path::Path::new(NEWTONSOFT),
        bridge::ops::meta::MetaFormat::Json,
        Vec::new(),
    )
    .unwrap();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                let path = CString::new(NEWTONSOFT).unwrap();
                for _ in 0..3 {
                    let (status, bytes) = meta(path.as_ptr(), MOCHI_DOTNET_META_JSON);
                    assert_eq!(status, 0, "{:?}", last_error());
                    assert!(bytes.as_deref() == Some(&expected[..]));
                }
            });
        }
    });
}

#[test]
fn failures_set_the_shared_per_thread_last_error() {
    // A failure of the embedding API is read through hosting's mochi_dotnet_last_error.
    let (status, _) = meta(ptr::null(), 0);
    assert_eq!(status, -1);
    assert_eq!(last_error().as_deref(), Some("assembly_path is NULL"));

    let bad = [0xffu8, 0xfe, 0];
    assert_eq!(meta(bad.as_ptr().cast(), 0).0, -1);
    assert_eq!(last_error().as_deref(), Some("assembly_path is not UTF-8"));

    assert_eq!(meta(c"".as_ptr(), 0).0, -1);
    assert_eq!(last_error().as_deref(), Some("assembly_path is empty"));

    let not_managed = CString::new(env!("CARGO_MANIFEST_DIR").to_owned() + "/Cargo.toml").unwrap();
    assert_eq!(meta(not_managed.as_ptr(), 1).0, -1);
    assert!(
        last_error().unwrap().contains("Cargo.toml"),
        "{:?}",
        last_error()
    );

    assert_eq!(
        unsafe { mochi_dotnet_lock(c"/no/such/mochi.toml".as_ptr(), 1 | 2 | 4 | 16) },
        -1
    );
    assert!(
        last_error().unwrap().starts_with("unknown lock flags 0x10"),
        "{:?}",
        last_error()
    );
    assert_eq!(
        unsafe { mochi_dotnet_bind(c"x.dll".as_ptr(), ptr::null(), ptr::null()) },
        -1
    );
    assert_eq!(last_error().as_deref(), Some("out_dir is NULL"));

    // A run-time function failing afterwards overwrites the same last error.
    assert_eq!(unsafe { mochi_dotnet_shim_live_handles(ptr::null()) }, -1);
    assert_eq!(last_error().as_deref(), Some("shim is NULL"));

    // Per thread: another thread sees none of it, and its failures stay there.
    std::thread::spawn(|| {
        assert_eq!(last_error(), None);
        assert_eq!(unsafe { mochi_dotnet_lock(ptr::null(), 0) }, -1);
        assert_eq!(last_error().as_deref(), Some("manifest_path is NULL"));
    })
    .join()
    .unwrap();
    assert_eq!(last_error().as_deref(), Some("shim is NULL"));
}

#[test]
fn versions_and_null_buffer() {
    assert_eq!(
        mochi_dotnet_bridge_api_version(),
        MOCHI_DOTNET_BRIDGE_API_VERSION
    );
    assert_eq!(
        mochi_dotnet_host_api_version(),
        hosting::capi::HOST_API_VERSION
    );
    unsafe { mochi_dotnet_buffer_free(ptr::null_mut()) };
}
