//! The host's C API (include/mochi_dotnet_host.h) from C: a C library compiled with
//! `cc` against the header calls .NET through it on the real runtime. Also
//! keeps the header and src/capi.rs in step.
#![cfg(unix)]

use crate::support;

use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::path::Path;
use std::process::Command;

use hosting::capi::*;

fn include_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("include")
}

/// Function names declared in a C header / defined `extern "C"` in Rust.
fn names(text: &str, marker: &str) -> Vec<String> {
    let mut v: Vec<String> = text
        .match_indices(marker)
        .filter_map(|(i, _)| {
            let rest = &text[i..];
            let end = rest.find('(')?;
            let name = &rest[..end];
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
                .then(|| name.to_owned())
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

#[test]
fn header_declares_exactly_the_exported_functions() {
    let header = std::fs::read_to_string(include_dir().join("mochi_dotnet_host.h")).unwrap();
    let rust =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/capi.rs")).unwrap();
    let in_header: Vec<String> = names(&header, "mochi_dotnet_")
        .into_iter()
        .filter(|n| header.contains(&format!(" {n}(")) || header.contains(&format!("*{n}(")))
        .collect();
    let in_rust: Vec<String> = names(&rust, "mochi_dotnet_")
        .into_iter()
        .filter(|n| rust.contains(&format!("extern \"C\" fn {n}(")))
        .collect();
    assert_eq!(in_header, in_rust);
    // The shim ABI it includes speaks this host's version.
    assert!(header.contains("#include \"mochi_shim_abi.h\""));
    assert!(shimabi::SHIM_ABI_H.contains(&format!(
        "#define MOCHI_ABI_VERSION {}",
        hosting::ABI_VERSION
    )));
}

#[repr(C)]
struct HostApi {
    host_api_version: extern "C" fn() -> i32,
    start: unsafe extern "C" fn(*const c_char, i32, i32) -> i32,
    prepare_thread: extern "C" fn() -> i32,
    shim_load: unsafe extern "C" fn(*const c_char) -> *mut hosting::Shim,
    shim_export:
        unsafe extern "C" fn(*const hosting::Shim, *const c_char, *const c_char) -> *const c_void,
    shim_free: unsafe extern "C" fn(*const hosting::Shim, *mut c_void),
    shim_release: unsafe extern "C" fn(*const hosting::Shim, isize) -> i32,
    shim_live_handles: unsafe extern "C" fn(*const hosting::Shim) -> i64,
    shim_close: unsafe extern "C" fn(*mut hosting::Shim),
    last_error: extern "C" fn() -> *const c_char,
}

type Run =
    unsafe extern "C" fn(*const HostApi, *const c_char, *const c_char, *mut c_char, usize) -> c_int;

fn last_error() -> String {
    let p = mochi_dotnet_last_error();
    assert!(!p.is_null());
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

/// Set in the child process that runs [`c_program_scenario`].
const CHILD: &str = "MOCHI_HOSTING_CAPI_CHILD";

/// The scenario starts .NET itself and first checks what happens before the
/// start, so it runs in a process of its own (this binary, re-run): the other
/// tests of the binary share one runtime.
#[test]
fn a_c_program_calls_dotnet_through_the_host_api() {
    if std::env::var_os(CHILD).is_some() {
        return c_program_scenario();
    }
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "capi::a_c_program_calls_dotnet_through_the_host_api",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the C program scenario failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 passed"),
        "the scenario did not run"
    );
}

fn c_program_scenario() {
    // Before the start: a clear error, no crash.
    let path = CString::new(support::fixture_shim_path().to_str().unwrap()).unwrap();
    assert!(unsafe { mochi_dotnet_shim_load(path.as_ptr()) }.is_null());
    assert!(
        last_error().contains("call mochi_dotnet_start first"),
        "{}",
        last_error()
    );
    assert_eq!(
        unsafe { mochi_dotnet_shim_live_handles(std::ptr::null()) },
        -1
    );
    assert!(last_error().contains("NULL"));

    let lib = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("abi_caller_{}.so", std::process::id()));
    let c_src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c/abi_caller.c");
    let o = Command::new("cc")
        .args([
            "-shared", "-fPIC", "-std=c11", "-Wall", "-Wextra", "-Werror", "-O1",
        ])
        .arg(format!("-I{}", include_dir().display()))
        .arg(format!("-I{}", shimabi::include_dir().display()))
        .arg(&c_src)
        .arg("-o")
        .arg(&lib)
        .output()
        .expect("run cc");
    assert!(
        o.status.success(),
        "cc failed:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );

    let api = HostApi {
        host_api_version: mochi_dotnet_host_api_version,
        start: mochi_dotnet_start,
        prepare_thread: mochi_dotnet_prepare_thread,
        shim_load: mochi_dotnet_shim_load,
        shim_export: mochi_dotnet_shim_export,
        shim_free: mochi_dotnet_shim_free,
        shim_release: mochi_dotnet_shim_release,
        shim_live_handles: mochi_dotnet_shim_live_handles,
        shim_close: mochi_dotnet_shim_close,
        last_error: mochi_dotnet_last_error,
    };
    let root = CString::new(support::dotnet8_root().to_str().unwrap()).unwrap();
    let lib_c = CString::new(lib.to_str().unwrap()).unwrap();
    let mut report = vec![0 as c_char; 1024];
    // SAFETY: a library just built from tests/c/abi_caller.c; abi_caller_run has the Run signature.
    let status = unsafe {
        let h = libc::dlopen(lib_c.as_ptr(), libc::RTLD_NOW | libc::RTLD_LOCAL);
        assert!(
            !h.is_null(),
            "dlopen {}",
            CStr::from_ptr(libc::dlerror()).to_string_lossy()
        );
        let sym = libc::dlsym(h, c"abi_caller_run".as_ptr());
        assert!(!sym.is_null());
        let run: Run = std::mem::transmute(sym);
        run(
            &api,
            root.as_ptr(),
            path.as_ptr(),
            report.as_mut_ptr(),
            report.len(),
        )
    };
    let _ = std::fs::remove_file(&lib);
    let report = unsafe { CStr::from_ptr(report.as_ptr()) }
        .to_string_lossy()
        .into_owned();
    assert_eq!((status, report.as_str()), (0, "ok"));

    // Starting again for the same framework is fine; for another major it is refused.
    assert_eq!(unsafe { mochi_dotnet_start(root.as_ptr(), 8, 0) }, 0);
    assert_eq!(unsafe { mochi_dotnet_start(std::ptr::null(), 9, 0) }, -1);
    assert!(last_error().contains("already running"), "{}", last_error());
}
