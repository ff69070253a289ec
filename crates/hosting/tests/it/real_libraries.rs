//! Hand-written shims of real libraries in the shim ABI, hosted on .NET 8:
//! Newtonsoft.Json (a net45 NuGet build, Debian's 6.0.8) loaded from next to
//! its shim, and System.Text.RegularExpressions from the shared framework.
//! Three shims (with the ABI fixture) share one runtime, each with its own
//! handle count.

use crate::support;

use std::path::PathBuf;
use std::ptr;
use std::sync::{Mutex, OnceLock};

use hosting::{ManagedException, MochiError, MochiStr, Shim};

/// Tests that create JSON handles hold this, so the live-handle count is exact.
static HANDLES: Mutex<()> = Mutex::new(());

fn newtonsoft_dll() -> PathBuf {
    let p = std::env::var_os("MOCHI_NEWTONSOFT_DLL")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll"));
    assert!(
        p.is_file(),
        "{} missing: install Debian's libnewtonsoft-json5.0-cil (scripts/setup-test-tools.sh) or set MOCHI_NEWTONSOFT_DLL",
        p.display()
    );
    p
}

fn json() -> &'static Shim {
    static S: OnceLock<Shim> = OnceLock::new();
    S.get_or_init(|| {
        let src = support::fixtures_dir().join("real/NewtonsoftJsonShim.cs");
        let dll =
            support::real_library_shim("Mochi.Shim.NewtonsoftJson", &[src], &[newtonsoft_dll()]);
        Shim::load(support::runtime(), &dll).unwrap()
    })
}

fn regex() -> &'static Shim {
    static S: OnceLock<Shim> = OnceLock::new();
    S.get_or_init(|| {
        let src = support::fixtures_dir().join("real/RegexShim.cs");
        let dll = support::real_library_shim("Mochi.Shim.Regex", &[src], &[]);
        Shim::load(support::runtime(), &dll).unwrap()
    })
}

fn export<F: Copy>(shim: &Shim, ty: &str, name: &str) -> F {
    // SAFETY: each call site names the signature of the export in fixtures/abi/real.
    unsafe { shim.export::<F>(ty, name) }.unwrap_or_else(|e| panic!("{e}"))
}

const JSON: &str = "Mochi.Shim.NewtonsoftJson.Exports";
type Parse = unsafe extern "system" fn(*const u8, i32, *mut isize, *mut MochiError) -> i32;
type Select = unsafe extern "system" fn(isize, *const u8, i32, *mut isize, *mut MochiError) -> i32;
type ToStr = unsafe extern "system" fn(isize, *mut *mut u8, *mut i32, *mut MochiError) -> i32;

fn parse(text: &str) -> Result<isize, ManagedException> {
    let f: Parse = export(json(), JSON, "mochi_newtonsoft_json_jobject_parse");
    let s = MochiStr::borrowed(text);
    let (mut h, mut err) = (0, MochiError::new());
    let st = unsafe { f(s.ptr, s.len, &mut h, &mut err) };
    json().check(st, &mut err).map(|_| h)
}

fn select(h: isize, path: &str) -> isize {
    let f: Select = export(json(), JSON, "mochi_newtonsoft_json_jtoken_select_token");
    let s = MochiStr::borrowed(path);
    let (mut r, mut err) = (0, MochiError::new());
    let st = unsafe { f(h, s.ptr, s.len, &mut r, &mut err) };
    json().check(st, &mut err).unwrap();
    r
}

fn to_json(h: isize) -> String {
    let f: ToStr = export(json(), JSON, "mochi_newtonsoft_json_jtoken_to_string");
    let (mut p, mut n, mut err) = (ptr::null_mut(), 0, MochiError::new());
    let st = unsafe { f(h, &mut p, &mut n, &mut err) };
    json().check(st, &mut err).unwrap();
    unsafe { json().take_string(p, n) }.unwrap()
}

#[test]
fn newtonsoft_parse_navigate_print() {
    let _g = HANDLES.lock().unwrap_or_else(|e| e.into_inner());
    let before = json().live_handles();
    let doc = parse(r#"{"name":"mochi","tags":["a","日本",{"deep":[1,2.5,null,true]}]}"#).unwrap();
    let name = select(doc, "name");
    assert_eq!(to_json(name), r#""mochi""#);
    let deep = select(doc, "tags[2].deep");
    assert_eq!(to_json(deep), "[1,2.5,null,true]");
    let jp = select(doc, "tags[1]");
    assert_eq!(to_json(jp), r#""日本""#);
    assert_eq!(
        select(doc, "no.such.path"),
        0,
        "a missing token is a null handle"
    );
    assert_eq!(json().live_handles(), before + 4);
    for h in [doc, name, deep, jp] {
        json().release_handle(h).unwrap();
    }
    assert_eq!(json().live_handles(), before, "all released");

    let e = parse("{ not json").unwrap_err();
    assert_eq!(e.type_name, "Newtonsoft.Json.JsonReaderException");
    assert!(e.message.contains("line 1"), "{e}");
}

#[test]
fn newtonsoft_jsonconvert_to_string_overloads() {
    type S =
        unsafe extern "system" fn(*const u8, i32, *mut *mut u8, *mut i32, *mut MochiError) -> i32;
    type I = unsafe extern "system" fn(i64, *mut *mut u8, *mut i32, *mut MochiError) -> i32;
    let s: S = export(
        json(),
        JSON,
        "mochi_newtonsoft_json_jsonconvert_to_string_string",
    );
    let i: I = export(
        json(),
        JSON,
        "mochi_newtonsoft_json_jsonconvert_to_string_int64",
    );
    let arg = MochiStr::borrowed("quote \" and é\n");
    let (mut p, mut n, mut err) = (ptr::null_mut(), 0, MochiError::new());
    json()
        .check(
            unsafe { s(arg.ptr, arg.len, &mut p, &mut n, &mut err) },
            &mut err,
        )
        .unwrap();
    assert_eq!(
        unsafe { json().take_string(p, n) }.unwrap(),
        r#""quote \" and é\n""#
    );
    json()
        .check(
            unsafe { i(-9_007_199_254_740_993, &mut p, &mut n, &mut err) },
            &mut err,
        )
        .unwrap();
    assert_eq!(
        unsafe { json().take_string(p, n) }.unwrap(),
        "-9007199254740993"
    );
}

#[test]
fn framework_regex() {
    const RX: &str = "Mochi.Shim.Regex.Exports";
    type Replace = unsafe extern "system" fn(
        *const u8,
        i32,
        *const u8,
        i32,
        *const u8,
        i32,
        *mut *mut u8,
        *mut i32,
        *mut MochiError,
    ) -> i32;
    type Matches = unsafe extern "system" fn(
        *const u8,
        i32,
        *const u8,
        i32,
        *mut *mut MochiStr,
        *mut i32,
        *mut MochiError,
    ) -> i32;
    let replace: Replace = export(regex(), RX, "mochi_regex_regex_replace");
    let matches: Matches = export(regex(), RX, "mochi_regex_regex_matches");
    let (i, p, r) = (
        MochiStr::borrowed("2024-01-31 and 1999-12-01"),
        MochiStr::borrowed(r"(\d{4})-(\d\d)-(\d\d)"),
        MochiStr::borrowed("$3.$2.$1"),
    );
    let (mut out, mut n, mut err) = (ptr::null_mut(), 0, MochiError::new());
    let st = unsafe {
        replace(
            i.ptr, i.len, p.ptr, p.len, r.ptr, r.len, &mut out, &mut n, &mut err,
        )
    };
    regex().check(st, &mut err).unwrap();
    assert_eq!(
        unsafe { regex().take_string(out, n) }.unwrap(),
        "31.01.2024 and 01.12.1999"
    );

    let (text, pat) = (
        MochiStr::borrowed("ça va, très bien"),
        MochiStr::borrowed(r"\w+"),
    );
    let (mut list, mut len) = (ptr::null_mut(), 0);
    let st = unsafe {
        matches(
            text.ptr, text.len, pat.ptr, pat.len, &mut list, &mut len, &mut err,
        )
    };
    regex().check(st, &mut err).unwrap();
    let words: Vec<String> = unsafe { std::slice::from_raw_parts(list, len as usize) }
        .iter()
        .map(|s| String::from_utf8(unsafe { s.as_bytes() }.unwrap().to_vec()).unwrap())
        .collect();
    unsafe { regex().free(list.cast()) };
    assert_eq!(words, ["ça", "va", "très", "bien"]);

    let bad = MochiStr::borrowed("(unclosed");
    let st = unsafe {
        replace(
            i.ptr, i.len, bad.ptr, bad.len, r.ptr, r.len, &mut out, &mut n, &mut err,
        )
    };
    let e = regex().check(st, &mut err).unwrap_err();
    assert_eq!(
        e.type_name,
        "System.Text.RegularExpressions.RegexParseException"
    );
    assert!(e.message.contains("(unclosed"), "{e}");
}

#[test]
fn shims_share_one_runtime_and_count_handles_separately() {
    let _g = HANDLES.lock().unwrap_or_else(|e| e.into_inner());
    let (a, b, c) = (support::shim(), json(), regex());
    assert!(std::ptr::eq(a.runtime(), b.runtime()) && std::ptr::eq(b.runtime(), c.runtime()));
    let doc = parse("{}").unwrap();
    assert_eq!(c.live_handles(), 0, "the regex shim made no handle");
    json().release_handle(doc).unwrap();
}
