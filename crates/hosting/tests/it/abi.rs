//! Every shape of the shim ABI, driven through the hosting crate on the real
//! .NET 8 runtime against the fixtures/abi shim compiled by mcs — and, through
//! `every_test_passes_with_each_compiler`, the same tests again on the same
//! shim built by the SDK's `csc` and by `dotnet build`.

use crate::support;

use std::ptr;
use std::sync::Mutex;

use hosting::shim::{STATUS_FAILED, STATUS_OK};
use hosting::{
    Error, FrameworkRequirement, LoadContext, ManagedException, MochiError, MochiStr, Runtime, Shim,
};
use support::{EXPORTS, shim};

/// Tests that create handles hold this, so the live-handle count is exact.
static HANDLES: Mutex<()> = Mutex::new(());

fn export<F: Copy>(name: &str) -> F {
    // SAFETY: each call site names the signature of the fixture export (AbiFixtureShim.cs).
    unsafe { shim().export::<F>(EXPORTS, name) }.unwrap_or_else(|e| panic!("{e}"))
}

/// Calls an export with a fresh error out-parameter appended; Ok or the managed exception.
macro_rules! call {
    ($f:expr $(, $a:expr)* $(,)?) => {{
        let mut err = MochiError::new();
        #[allow(unused_unsafe)]
        let status = unsafe { $f($($a,)* &mut err) };
        shim().check(status, &mut err)
    }};
}

type StrFn =
    unsafe extern "system" fn(*const u8, i32, *mut *mut u8, *mut i32, *mut MochiError) -> i32;

fn str_call(f: StrFn, s: Option<&str>) -> Result<Option<String>, ManagedException> {
    let arg = s.map_or(MochiStr::NULL, MochiStr::borrowed);
    let (mut p, mut n) = (ptr::null_mut(), 0);
    call!(f, arg.ptr, arg.len, &mut p, &mut n)?;
    Ok(unsafe { shim().take_string(p, n) })
}

/// Runs every other test of this file again in a process whose shims are
/// built by the SDK's `csc`, then by `dotnet build` (this process used
/// MOCHI_ABI_SHIM_COMPILER, `mcs` by default). Without an SDK only mcs runs;
/// with MOCHI_DOTNET_SDK_ROOT set a missing SDK is a failure.
#[test]
fn every_test_passes_with_each_compiler() {
    if std::env::var_os(support::COMPILER_VAR).is_some() {
        return; // a child run
    }
    if let Err(why) = support::sdk() {
        assert!(
            std::env::var_os("MOCHI_DOTNET_SDK_ROOT").is_none(),
            "MOCHI_DOTNET_SDK_ROOT is set but {why}"
        );
        eprintln!("skipped: {why}; the suite ran with mcs only");
        return;
    }
    for compiler in ["csc", "dotnet"] {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["abi::", "--skip", "every_test_passes_with_each_compiler"])
            .env(support::COMPILER_VAR, compiler)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "the ABI suite fails on the shim built by {compiler}:\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let summary = stdout
            .lines()
            .find(|l| l.starts_with("test result: ok."))
            .unwrap_or_else(|| panic!("{stdout}"));
        eprintln!("{compiler}: {summary}");
        assert!(!summary.contains(" 0 passed"), "{summary}");
    }
}

#[test]
fn abi_version_and_runtime() {
    assert_eq!(shim().abi_version(), hosting::ABI_VERSION);
    let rt = shim().runtime();
    assert_eq!(rt.version().major, 8);
    assert!(
        rt.framework_dir()
            .join("System.Private.CoreLib.dll")
            .is_file()
    );
}

#[test]
fn int_add() {
    type Add = unsafe extern "system" fn(i64, i64, *mut i64, *mut MochiError) -> i32;
    type AddLong = unsafe extern "system" fn(i64, i64, *mut i64, *mut MochiError) -> i32;
    let add: Add = export("mochi_abi_fixture_calc_add");
    let mut out = 0;
    call!(add, 2, 40, &mut out).unwrap();
    assert_eq!(out, 42);
    call!(add, i32::MAX.into(), 1, &mut out).unwrap();
    assert_eq!(out, i64::from(i32::MIN), "C# int addition wraps unchecked");
    // Integers cross as int64 and are narrowed with a checked conversion.
    let e = call!(add, i64::from(i32::MAX) + 1, 0, &mut out).unwrap_err();
    assert_eq!(e.type_name, "System.OverflowException");

    let add_long: AddLong = export("mochi_abi_fixture_calc_add_long");
    let mut out = 0i64;
    call!(add_long, 1 << 40, 5, &mut out).unwrap();
    assert_eq!(out, (1 << 40) + 5);
    let e = call!(add_long, i64::MAX, 1, &mut out).unwrap_err();
    assert_eq!(e.type_name, "System.OverflowException");
}

#[test]
fn strings_round_trip_non_ascii() {
    let echo: StrFn = export("mochi_abi_fixture_text_echo");
    for s in [
        "",
        "a",
        "héllo wörld",
        "日本語のテキスト",
        "emoji 🎉🦀 and \u{0} nul",
        "x".repeat(100_000).as_str(),
    ] {
        assert_eq!(str_call(echo, Some(s)).unwrap().as_deref(), Some(s));
    }
    assert_eq!(
        str_call(echo, None).unwrap(),
        None,
        "null crosses as len -1"
    );

    let reverse: StrFn = export("mochi_abi_fixture_text_reverse");
    assert_eq!(str_call(reverse, Some("ab🎉ç")).unwrap().unwrap(), "ç🎉ba");

    type Len = unsafe extern "system" fn(*const u8, i32, *mut i64, *mut MochiError) -> i32;
    let len: Len = export("mochi_abi_fixture_text_length");
    let mut n = 0;
    let s = MochiStr::borrowed("🎉é");
    call!(len, s.ptr, s.len, &mut n).unwrap();
    assert_eq!(n, 3, "UTF-16 length: a surrogate pair and one unit");
    // Invalid UTF-8 is decoded with replacement characters, not an error.
    let bad = [0x61u8, 0xff, 0x62];
    call!(len, bad.as_ptr(), 3, &mut n).unwrap();
    assert_eq!(n, 3);
}

type ListOut = unsafe extern "system" fn(i64, *mut *mut i64, *mut i32, *mut MochiError) -> i32;
type ListIn = unsafe extern "system" fn(*const i64, i32, *mut i64, *mut MochiError) -> i32;

fn take_i64s(p: *mut i64, n: i32) -> Vec<i64> {
    let v = if n > 0 {
        unsafe { std::slice::from_raw_parts(p, n as usize) }.to_vec()
    } else {
        Vec::new()
    };
    unsafe { shim().free(p.cast()) };
    v
}

#[test]
fn lists_empty_and_large() {
    let range: ListOut = export("mochi_abi_fixture_lists_range");
    let (mut p, mut n) = (ptr::null_mut(), -5);
    call!(range, 0, &mut p, &mut n).unwrap();
    assert_eq!(
        (p.is_null(), n),
        (true, 0),
        "an empty list allocates nothing"
    );

    call!(range, 1_000_000, &mut p, &mut n).unwrap();
    let v = take_i64s(p, n);
    assert_eq!(v.len(), 1_000_000);
    assert!(v.iter().enumerate().all(|(i, &x)| x == i as i64));

    let sum: ListIn = export("mochi_abi_fixture_lists_sum");
    let mut s = 0;
    call!(sum, v.as_ptr(), v.len() as i32, &mut s).unwrap();
    assert_eq!(s, 999_999 * 1_000_000 / 2);
    call!(sum, ptr::null(), 0, &mut s).unwrap();
    assert_eq!(s, 0);

    type Doubled =
        unsafe extern "system" fn(*const i64, i32, *mut *mut i64, *mut i32, *mut MochiError) -> i32;
    let doubled: Doubled = export("mochi_abi_fixture_lists_doubled");
    let xs = [1i64, -2, 3];
    call!(doubled, xs.as_ptr(), 3, &mut p, &mut n).unwrap();
    assert_eq!(take_i64s(p, n), [2, -4, 6]);
    // A negative count is an empty list on the way in, nothing is read.
    call!(doubled, ptr::null(), -1, &mut p, &mut n).unwrap();
    assert_eq!(take_i64s(p, n), Vec::<i64>::new());
}

#[test]
fn list_of_strings_is_one_block() {
    type Upper = unsafe extern "system" fn(
        *const MochiStr,
        i32,
        *mut *mut MochiStr,
        *mut i32,
        *mut MochiError,
    ) -> i32;
    let upper: Upper = export("mochi_abi_fixture_lists_upper");
    let words = ["straße", "ok", "", "ümlaut"];
    let mut args: Vec<MochiStr> = words.iter().map(|w| MochiStr::borrowed(w)).collect();
    args.push(MochiStr::NULL);
    let (mut p, mut n) = (ptr::null_mut(), 0);
    call!(upper, args.as_ptr(), args.len() as i32, &mut p, &mut n).unwrap();
    let items = unsafe { std::slice::from_raw_parts(p, n as usize) };
    let got: Vec<Option<String>> = items
        .iter()
        .map(|s| unsafe { s.as_bytes() }.map(|b| String::from_utf8(b.to_vec()).unwrap()))
        .collect();
    // The strings live inside the same allocation, after the array.
    let block = p as usize..p as usize + 4096;
    assert!(
        items
            .iter()
            .filter(|s| s.len > 0)
            .all(|s| block.contains(&(s.ptr as usize)))
    );
    unsafe { shim().free(p.cast()) }; // one free for the list and its strings
    assert_eq!(
        got,
        [
            Some("STRAßE".into()),
            Some("OK".into()),
            Some(String::new()),
            Some("ÜMLAUT".into()),
            None
        ]
    );
}

#[repr(C)]
struct EntryStrI64 {
    key: MochiStr,
    value: i64,
}

#[test]
fn map_as_entry_array() {
    assert_eq!(size_of::<EntryStrI64>(), 24);
    type Counts = unsafe extern "system" fn(
        *const u8,
        i32,
        *mut *mut EntryStrI64,
        *mut i32,
        *mut MochiError,
    ) -> i32;
    let counts: Counts = export("mochi_abi_fixture_maps_word_counts");
    let text = MochiStr::borrowed("to be or not to be — été été été");
    let (mut p, mut n) = (ptr::null_mut(), 0);
    call!(counts, text.ptr, text.len, &mut p, &mut n).unwrap();
    let mut got: Vec<(String, i64)> = unsafe { std::slice::from_raw_parts(p, n as usize) }
        .iter()
        .map(|e| {
            (
                String::from_utf8(unsafe { e.key.as_bytes() }.unwrap().to_vec()).unwrap(),
                e.value,
            )
        })
        .collect();
    unsafe { shim().free(p.cast()) };
    got.sort();
    let want: Vec<(String, i64)> = [
        ("be", 2),
        ("not", 1),
        ("or", 1),
        ("to", 2),
        ("été", 3),
        ("—", 1),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), *v))
    .collect();
    assert_eq!(got, want);

    type Total =
        unsafe extern "system" fn(*const EntryStrI64, i32, *mut i64, *mut MochiError) -> i32;
    let total: Total = export("mochi_abi_fixture_maps_total");
    let entries = [
        EntryStrI64 {
            key: MochiStr::borrowed("a"),
            value: 40,
        },
        EntryStrI64 {
            key: MochiStr::borrowed("ß"),
            value: 2,
        },
    ];
    let mut t = 0;
    call!(total, entries.as_ptr(), 2, &mut t).unwrap();
    assert_eq!(t, 42);
    let (mut p, mut n) = (ptr::null_mut(), -1);
    let empty = MochiStr::borrowed("");
    call!(counts, empty.ptr, empty.len, &mut p, &mut n).unwrap();
    assert_eq!((p.is_null(), n), (true, 0));
}

#[test]
fn optionals() {
    type Parse =
        unsafe extern "system" fn(*const u8, i32, *mut u8, *mut i64, *mut MochiError) -> i32;
    let parse: Parse = export("mochi_abi_fixture_optionals_parse_int");
    let (mut has, mut v) = (9u8, 0);
    let s = MochiStr::borrowed("-42");
    call!(parse, s.ptr, s.len, &mut has, &mut v).unwrap();
    assert_eq!((has, v), (1, -42));
    let s = MochiStr::borrowed("forty-two");
    call!(parse, s.ptr, s.len, &mut has, &mut v).unwrap();
    assert_eq!(has, 0);

    type OrDefault = unsafe extern "system" fn(u8, i64, i64, *mut i64, *mut MochiError) -> i32;
    let or_default: OrDefault = export("mochi_abi_fixture_optionals_or_default");
    let mut out = 0;
    call!(or_default, 1, 5, 7, &mut out).unwrap();
    assert_eq!(out, 5);
    call!(or_default, 0, 5, 7, &mut out).unwrap();
    assert_eq!(out, 7);

    let nie: StrFn = export("mochi_abi_fixture_optionals_null_if_empty");
    assert_eq!(str_call(nie, Some("")).unwrap(), None);
    assert_eq!(str_call(nie, None).unwrap(), None);
    assert_eq!(str_call(nie, Some("x")).unwrap().as_deref(), Some("x"));
}

type New = unsafe extern "system" fn(*const u8, i32, i64, *mut isize, *mut MochiError) -> i32;
type Incr = unsafe extern "system" fn(isize, i64, *mut i64, *mut MochiError) -> i32;
type GetI64 = unsafe extern "system" fn(isize, *mut i64, *mut MochiError) -> i32;
type SetI64 = unsafe extern "system" fn(isize, i64, *mut MochiError) -> i32;
type GetStr = unsafe extern "system" fn(isize, *mut *mut u8, *mut i32, *mut MochiError) -> i32;
type SetStr = unsafe extern "system" fn(isize, *const u8, i32, *mut MochiError) -> i32;

fn new_counter(name: &str, start: i64) -> isize {
    let f: New = export("mochi_abi_fixture_counter_new");
    let s = MochiStr::borrowed(name);
    let mut h = 0;
    call!(f, s.ptr, s.len, start, &mut h).unwrap();
    assert_ne!(h, 0);
    h
}

fn get_str(f: GetStr, h: isize) -> Result<Option<String>, ManagedException> {
    let (mut p, mut n) = (ptr::null_mut(), 0);
    call!(f, h, &mut p, &mut n)?;
    Ok(unsafe { shim().take_string(p, n) })
}

#[test]
fn handles_constructor_receiver_properties_and_leak_count() {
    let _g = HANDLES.lock().unwrap_or_else(|e| e.into_inner());
    let before = shim().live_handles();
    let h = new_counter("clicks", 10);
    assert_eq!(shim().live_handles(), before + 1);

    let incr: Incr = export("mochi_abi_fixture_counter_increment");
    let mut v = 0;
    call!(incr, h, 5, &mut v).unwrap();
    assert_eq!(v, 15);

    let get_value: GetI64 = export("mochi_abi_fixture_counter_get_value");
    let set_value: SetI64 = export("mochi_abi_fixture_counter_set_value");
    call!(set_value, h, -3).unwrap();
    call!(get_value, h, &mut v).unwrap();
    assert_eq!(v, -3);

    let get_name: GetStr = export("mochi_abi_fixture_counter_get_name");
    let set_name: SetStr = export("mochi_abi_fixture_counter_set_name");
    let describe: GetStr = export("mochi_abi_fixture_counter_describe");
    let n = MochiStr::borrowed("compteur é");
    call!(set_name, h, n.ptr, n.len).unwrap();
    assert_eq!(get_str(get_name, h).unwrap().as_deref(), Some("compteur é"));
    assert_eq!(
        get_str(describe, h).unwrap().as_deref(),
        Some("compteur é=-3")
    );
    call!(set_name, h, ptr::null(), -1).unwrap();
    assert_eq!(get_str(get_name, h).unwrap(), None);

    // Two objects are distinct; an owned Handle releases on drop.
    let h2 = shim().own_handle(new_counter("other", 0)).unwrap();
    call!(incr, h2.raw(), 1, &mut v).unwrap();
    assert_eq!(v, 1);
    assert_eq!(shim().live_handles(), before + 2);
    drop(h2);
    assert_eq!(shim().live_handles(), before + 1);

    shim().release_handle(h).unwrap();
    assert_eq!(shim().live_handles(), before, "every handle released");
    let e = shim().release_handle(h).unwrap_err();
    assert_eq!(
        e.type_name, "System.InvalidOperationException",
        "a second release is an error value"
    );
    assert!(e.message.contains("released already"), "{e}");

    // A null receiver is an error value, not a crash.
    let e = call!(incr, 0, 1, &mut v).unwrap_err();
    assert_eq!(e.type_name, "System.NullReferenceException");
    assert!(e.message.contains("Mochi.Fixtures.Abi.Counter"), "{e}");
    shim().release_handle(0).unwrap();
    assert_eq!(shim().live_handles(), before);
}

#[test]
fn handle_leak_is_detected() {
    let _g = HANDLES.lock().unwrap_or_else(|e| e.into_inner());
    let before = shim().live_handles();
    let leaked: Vec<isize> = (0..100).map(|i| new_counter("leak", i)).collect();
    assert_eq!(
        shim().live_handles() - before,
        100,
        "the counter sees unreleased handles"
    );
    for h in leaked {
        shim().release_handle(h).unwrap();
    }
    assert_eq!(shim().live_handles(), before);
}

#[test]
fn static_fields() {
    let _g = HANDLES.lock().unwrap_or_else(|e| e.into_inner());
    type Created = unsafe extern "system" fn(*mut i64, *mut MochiError) -> i32;
    type GetG = unsafe extern "system" fn(*mut *mut u8, *mut i32, *mut MochiError) -> i32;
    type SetG = unsafe extern "system" fn(*const u8, i32, *mut MochiError) -> i32;
    let created: Created = export("mochi_abi_fixture_counter_get_created");
    let (mut a, mut b) = (0, 0);
    call!(created, &mut a).unwrap();
    shim().release_handle(new_counter("s", 0)).unwrap();
    call!(created, &mut b).unwrap();
    assert_eq!(b, a + 1);

    let get: GetG = export("mochi_abi_fixture_counter_get_greeting");
    let set: SetG = export("mochi_abi_fixture_counter_set_greeting");
    let read = || {
        let (mut p, mut n) = (ptr::null_mut(), 0);
        call!(get, &mut p, &mut n).unwrap();
        unsafe { shim().take_string(p, n) }
    };
    assert_eq!(read().as_deref(), Some("héllo"));
    let g = MochiStr::borrowed("こんにちは");
    call!(set, g.ptr, g.len).unwrap();
    assert_eq!(read().as_deref(), Some("こんにちは"));
    let g = MochiStr::borrowed("héllo");
    call!(set, g.ptr, g.len).unwrap();
}

type FailFn = unsafe extern "system" fn(*const u8, i32, *mut i64, *mut MochiError) -> i32;

fn null_deref() -> ManagedException {
    let f: FailFn = export("mochi_abi_fixture_failing_null_deref");
    let mut out = 0;
    // A null string: the managed code dereferences null, the CLR's SIGSEGV handler runs.
    call!(f, ptr::null(), -1, &mut out).unwrap_err()
}

#[test]
fn exceptions_become_error_values() {
    let throw: FailFn = export("mochi_abi_fixture_failing_throw");
    let msg = MochiStr::borrowed("boom — ünïcode");
    let mut out = 0;
    let mut err = MochiError::new();
    let status = unsafe { throw(msg.ptr, msg.len, &mut out, &mut err) };
    assert_eq!(status, STATUS_FAILED);
    assert!(!err.type_name.is_null() && !err.message.is_null());
    let e = shim().take_error(&mut err);
    assert_eq!(e.type_name, "System.InvalidOperationException");
    assert_eq!(e.message, "boom — ünïcode");
    assert!(err.type_name.is_null(), "take_error frees and resets");

    // A null error pointer is allowed: only the status says "failed".
    assert_eq!(
        unsafe { throw(msg.ptr, msg.len, &mut out, ptr::null_mut()) },
        STATUS_FAILED
    );

    let e = null_deref();
    assert_eq!(e.type_name, "System.NullReferenceException");
    assert!(e.message.contains("Object reference"), "{e}");

    type Deep = unsafe extern "system" fn(i64, *mut i64, *mut MochiError) -> i32;
    let deep: Deep = export("mochi_abi_fixture_failing_deep");
    let e = call!(deep, 500, &mut out).unwrap_err();
    assert_eq!(e.type_name, "System.ArgumentOutOfRangeException");
}

#[test]
fn null_reference_on_fresh_threads() {
    // Each new Rust thread has Rust's small alternate signal stack until prepared.
    let threads: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(|| {
                hosting::prepare_current_thread().unwrap();
                (0..50).map(|_| null_deref().type_name).collect::<Vec<_>>()
            })
        })
        .collect();
    for t in threads {
        assert!(
            t.join()
                .unwrap()
                .iter()
                .all(|t| t == "System.NullReferenceException")
        );
    }
}

#[test]
fn task_awaited_with_configure_await_false() {
    type Double = unsafe extern "system" fn(i64, i64, *mut i64, *mut MochiError) -> i32;
    let double: Double = export("mochi_abi_fixture_async_double_later");
    let mut out = 0;
    let t = std::time::Instant::now();
    call!(double, 21, 30, &mut out).unwrap();
    assert_eq!(out, 42);
    assert!(
        t.elapsed() >= std::time::Duration::from_millis(25),
        "the export waited for the task"
    );

    let fail: FailFn = export("mochi_abi_fixture_async_fail_later");
    let m = MochiStr::borrowed("too slow");
    let e = call!(fail, m.ptr, m.len, &mut out).unwrap_err();
    assert_eq!(
        e.type_name, "System.TimeoutException",
        "GetResult unwraps, no AggregateException"
    );
    assert_eq!(e.message, "too slow");
}

#[test]
fn calls_from_many_threads_at_once() {
    let _g = HANDLES.lock().unwrap_or_else(|e| e.into_inner());
    let before = shim().live_handles();
    let shared = new_counter("shared", 0);
    let threads: Vec<_> = (0..8)
        .map(|t| {
            std::thread::spawn(move || {
                hosting::prepare_current_thread().unwrap();
                type Add = unsafe extern "system" fn(i64, i64, *mut i64, *mut MochiError) -> i32;
                let add: Add = export("mochi_abi_fixture_calc_add");
                let echo: StrFn = export("mochi_abi_fixture_text_echo");
                let incr: Incr = export("mochi_abi_fixture_counter_increment");
                let mut out = 0;
                let mut last = 0;
                for i in 0..5_000 {
                    call!(add, t, i, &mut out).unwrap();
                    assert_eq!(out, t + i);
                    let s = format!("thread {t} call {i} — ✓");
                    assert_eq!(str_call(echo, Some(&s)).unwrap().unwrap(), s);
                    call!(incr, shared, 1, &mut last).unwrap();
                    let own = new_counter("mine", i);
                    shim().release_handle(own).unwrap();
                }
                last
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let get_value: GetI64 = export("mochi_abi_fixture_counter_get_value");
    let mut v = 0;
    call!(get_value, shared, &mut v).unwrap();
    assert_eq!(v, 8 * 5_000, "no lost increments");
    shim().release_handle(shared).unwrap();
    assert_eq!(shim().live_handles(), before);
}

// The cache is asserted by key, not by counting entries: the other tests of this
// binary share the runtime and resolve their own entry points concurrently.
#[test]
fn entry_points_are_resolved_once() {
    let rt = shim().runtime();
    let a = rt
        .entry_point(shim().assembly(), EXPORTS, "mochi_abi_fixture_calc_add")
        .unwrap();
    assert!(rt.is_entry_point_cached(shim().assembly(), EXPORTS, "mochi_abi_fixture_calc_add"));
    let b = rt
        .entry_point(shim().assembly(), EXPORTS, "mochi_abi_fixture_calc_add")
        .unwrap();
    assert_eq!(a, b, "a second lookup hits the cache");
    let q = format!("{EXPORTS}, {}", support::FIXTURE_SHIM);
    let c = rt
        .entry_point(shim().assembly(), &q, "mochi_abi_fixture_calc_add")
        .unwrap();
    assert_eq!(
        a, c,
        "assembly-qualified and plain names reach the same method"
    );
    // Another spelling of the same file reaches the same loaded assembly.
    let dir = shim().assembly().parent().unwrap();
    let detour = dir
        .join("..")
        .join(dir.file_name().unwrap())
        .join(shim().assembly().file_name().unwrap());
    assert!(!rt.is_entry_point_cached(&detour, EXPORTS, "mochi_abi_fixture_calc_add"));
    let d = rt
        .entry_point(&detour, EXPORTS, "mochi_abi_fixture_calc_add")
        .unwrap();
    assert_eq!(a, d, "one load context per file, not per path string");
    assert!(
        rt.is_entry_point_cached(&detour, EXPORTS, "mochi_abi_fixture_calc_add"),
        "cached under its own spelling"
    );
}

#[test]
fn lookup_errors_say_what_to_do() {
    let rt = shim().runtime();
    let e = rt
        .entry_point(shim().assembly(), EXPORTS, "no_such_export")
        .unwrap_err();
    assert!(matches!(e, Error::EntryPoint { .. }));
    assert!(e.to_string().contains("rebuild"), "{e}");

    // A method without [UnmanagedCallersOnly].
    let e = rt
        .entry_point(shim().assembly(), "Mochi.Interop.ShimAbi", "Alloc")
        .unwrap_err()
        .to_string();
    assert!(e.contains("UnmanagedCallersOnly"), "{e}");

    let e = rt
        .entry_point(std::path::Path::new("/nonexistent/Shim.dll"), EXPORTS, "x")
        .unwrap_err()
        .to_string();
    assert!(e.contains("does not exist"), "{e}");

    let e = rt
        .entry_point(shim().assembly(), "No.Such.Type", "x")
        .unwrap_err()
        .to_string();
    assert!(e.contains("No.Such.Type"), "{e}");
    // In the shared context the file name stands for the assembly name.
    let dir = tempfile::tempdir().unwrap();
    let renamed = dir.path().join("Renamed.dll");
    std::fs::copy(shim().assembly(), &renamed).unwrap();
    let e = Shim::load(rt, &renamed).unwrap_err().to_string();
    assert!(e.contains("file name must be its assembly name"), "{e}");
}

#[test]
fn the_runtime_starts_once_per_process() {
    let rt = support::runtime();
    let again = Runtime::start(&support::options()).unwrap();
    assert!(
        std::ptr::eq(rt, again),
        "a second start returns the running runtime"
    );
    assert!(std::ptr::eq(Runtime::get().unwrap(), rt));
    let e = Runtime::start(&support::options().with_framework(FrameworkRequirement::net(9, 0)))
        .unwrap_err();
    assert!(matches!(e, Error::IncompatibleRunningRuntime { .. }), "{e}");
    assert!(e.to_string().contains("one runtime"), "{e}");
}

#[test]
fn abi_version_mismatch_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("OldShim.cs");
    std::fs::write(
        &src,
        "namespace Mochi.Interop { public static class ShimAbi { \
         [System.Runtime.InteropServices.UnmanagedCallersOnly] public static int mochi_abi_version() { return 99; } } }",
    )
    .unwrap();
    let dll = dir.path().join("Mochi.Fixtures.OldShim.dll");
    support::mcs(&dll, &[src], &[]);
    let e = Shim::load(support::runtime(), &dll).unwrap_err();
    assert!(
        matches!(
            e,
            Error::AbiMismatch {
                found: 99,
                expected: hosting::ABI_VERSION,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("rebuild the shim"), "{e}");
}

#[test]
fn status_codes_are_stable() {
    assert_eq!(STATUS_OK, 0);
    assert_eq!(STATUS_FAILED, 1);
}

#[test]
fn enums_bools_and_floats() {
    type Next = unsafe extern "system" fn(i64, *mut i64, *mut MochiError) -> i32;
    type IsWeekend = unsafe extern "system" fn(i64, *mut u8, *mut MochiError) -> i32;
    type Hours = unsafe extern "system" fn(i64, f64, *mut f64, *mut MochiError) -> i32;
    let next: Next = export("mochi_abi_fixture_calendar_next");
    let weekend: IsWeekend = export("mochi_abi_fixture_calendar_is_weekend");
    let hours: Hours = export("mochi_abi_fixture_calendar_hours");
    let mut d = 0;
    call!(next, 7, &mut d).unwrap();
    assert_eq!(d, 1, "Sunday -> Monday");
    call!(next, 1, &mut d).unwrap();
    assert_eq!(d, 2);
    let mut b = 9u8;
    call!(weekend, 7, &mut b).unwrap();
    assert_eq!(b, 1);
    call!(weekend, 2, &mut b).unwrap();
    assert_eq!(b, 0);
    let mut h = 0.0;
    call!(hours, 2, 0.5, &mut h).unwrap();
    assert_eq!(h, 8.0);
}

#[test]
fn lists_of_handles_and_bools() {
    let _g = HANDLES.lock().unwrap_or_else(|e| e.into_inner());
    type Many = unsafe extern "system" fn(i64, *mut *mut isize, *mut i32, *mut MochiError) -> i32;
    type Total = unsafe extern "system" fn(*const isize, i32, *mut i64, *mut MochiError) -> i32;
    type Positive = unsafe extern "system" fn(
        *const isize,
        i32,
        *mut *mut u8,
        *mut i32,
        *mut MochiError,
    ) -> i32;
    type CountTrue = unsafe extern "system" fn(*const u8, i32, *mut i64, *mut MochiError) -> i32;
    let many: Many = export("mochi_abi_fixture_counter_many");
    let total: Total = export("mochi_abi_fixture_counter_total");
    let positive: Positive = export("mochi_abi_fixture_counter_positive");
    let count_true: CountTrue = export("mochi_abi_fixture_counter_count_true");

    let before = shim().live_handles();
    let (mut p, mut n) = (ptr::null_mut(), 0);
    call!(many, 6, &mut p, &mut n).unwrap();
    let handles = unsafe { std::slice::from_raw_parts(p, n as usize) }.to_vec();
    unsafe { shim().free(p.cast()) }; // the array; the handles are separate and owned
    // Counters 0..6 with every third one null: values 0, 1, null, 3, 4, null.
    assert_eq!(handles.len(), 6);
    assert_eq!(
        handles.iter().filter(|&&h| h == 0).count(),
        2,
        "null elements are 0 handles"
    );
    assert_eq!(shim().live_handles(), before + 4);

    let mut t = 0;
    call!(total, handles.as_ptr(), 6, &mut t).unwrap();
    assert_eq!(t, 1 + 3 + 4);

    let (mut flags, mut nf) = (ptr::null_mut(), 0);
    call!(positive, handles.as_ptr(), 6, &mut flags, &mut nf).unwrap();
    let fs = unsafe { std::slice::from_raw_parts(flags, nf as usize) }.to_vec();
    unsafe { shim().free(flags.cast()) };
    assert_eq!(fs, [0, 1, 0, 1, 1, 0]);

    let mut c = 0;
    call!(count_true, [0u8, 1, 2, 255, 0].as_ptr(), 5, &mut c).unwrap();
    assert_eq!(c, 3, "any non-zero byte is true");

    for h in handles {
        shim().release_handle(h).unwrap();
    }
    assert_eq!(shim().live_handles(), before);
}

#[test]
fn sets_lazy_sequences_value_tasks_and_void_tasks() {
    let evens: ListOut = export("mochi_abi_fixture_sequences_evens");
    let (mut p, mut n) = (ptr::null_mut(), 0);
    call!(evens, 5, &mut p, &mut n).unwrap();
    assert_eq!(
        take_i64s(p, n),
        [0, 2, 4, 6, 8],
        "an iterator is enumerated before returning"
    );
    call!(evens, -1, &mut p, &mut n).unwrap();
    assert_eq!(take_i64s(p, n), Vec::<i64>::new());
    let e = call!(evens, i64::MAX, &mut p, &mut n).unwrap_err();
    assert_eq!(e.type_name, "System.OverflowException");

    type Distinct =
        unsafe extern "system" fn(*const i64, i32, *mut *mut i64, *mut i32, *mut MochiError) -> i32;
    let distinct: Distinct = export("mochi_abi_fixture_sequences_distinct");
    let xs = [3i64, 1, 3, 2, 1, 3];
    call!(distinct, xs.as_ptr(), 6, &mut p, &mut n).unwrap();
    let mut got = take_i64s(p, n);
    got.sort();
    assert_eq!(got, [1, 2, 3], "a set crosses as a list of its elements");
    type CountDistinct =
        unsafe extern "system" fn(*const i64, i32, *mut i64, *mut MochiError) -> i32;
    let count: CountDistinct = export("mochi_abi_fixture_sequences_count_distinct");
    let mut c = 0;
    call!(count, xs.as_ptr(), 6, &mut c).unwrap();
    assert_eq!(c, 3, "duplicates collapse when the shim builds the set");

    type Triple = unsafe extern "system" fn(i64, *mut i64, *mut MochiError) -> i32;
    let triple: Triple = export("mochi_abi_fixture_async_triple_soon");
    let mut t = 0;
    call!(triple, 4, &mut t).unwrap(); // a ValueTask completed synchronously
    assert_eq!(t, 12);
    call!(triple, 5, &mut t).unwrap(); // a ValueTask wrapping a Task on the thread pool
    assert_eq!(t, 15);

    type Tick = unsafe extern "system" fn(i64, *mut MochiError) -> i32;
    type Ticks = unsafe extern "system" fn(*mut i64, *mut MochiError) -> i32;
    let tick: Tick = export("mochi_abi_fixture_async_tick");
    let ticks: Ticks = export("mochi_abi_fixture_async_ticks");
    let (mut before, mut after) = (0, 0);
    call!(ticks, &mut before).unwrap();
    call!(tick, 20).unwrap();
    call!(ticks, &mut after).unwrap();
    assert_eq!(
        after,
        before + 1,
        "a void Task has completed when the export returns"
    );
}

mod properties {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        #[test]
        fn any_string_round_trips(s in any::<String>()) {
            let echo: StrFn = export("mochi_abi_fixture_text_echo");
            prop_assert_eq!(str_call(echo, Some(&s)).unwrap(), Some(s));
        }

        #[test]
        fn any_list_round_trips(xs in vec(any::<i64>(), 0..3000)) {
            type Doubled = unsafe extern "system" fn(*const i64, i32, *mut *mut i64, *mut i32, *mut MochiError) -> i32;
            let doubled: Doubled = export("mochi_abi_fixture_lists_doubled");
            let (mut p, mut n) = (ptr::null_mut(), 0);
            call!(doubled, xs.as_ptr(), xs.len() as i32, &mut p, &mut n).unwrap();
            let want: Vec<i64> = xs.iter().map(|x| x.wrapping_mul(2)).collect();
            prop_assert_eq!(take_i64s(p, n), want, "C# long arithmetic is unchecked");
        }

        #[test]
        fn any_string_list_round_trips_upper_cased(xs in vec(proptest::option::of(any::<String>()), 0..50)) {
            type Upper = unsafe extern "system" fn(*const MochiStr, i32, *mut *mut MochiStr, *mut i32, *mut MochiError) -> i32;
            let upper: Upper = export("mochi_abi_fixture_lists_upper");
            let args: Vec<MochiStr> = xs.iter().map(|x| x.as_deref().map_or(MochiStr::NULL, MochiStr::borrowed)).collect();
            let (mut p, mut n) = (ptr::null_mut(), 0);
            call!(upper, args.as_ptr(), args.len() as i32, &mut p, &mut n).unwrap();
            prop_assert_eq!(n as usize, xs.len());
            let items: &[MochiStr] = if n > 0 { unsafe { std::slice::from_raw_parts(p, n as usize) } } else { &[] };
            for (x, item) in xs.iter().zip(items) {
                let got = unsafe { item.as_bytes() }.map(|b| String::from_utf8(b.to_vec()).unwrap());
                prop_assert_eq!(got.is_some(), x.is_some());
                if let (Some(g), Some(x)) = (got, x) {
                    // Same number of chars as .NET's per-UTF-16-unit invariant upper-casing keeps.
                    prop_assert_eq!(g.encode_utf16().count(), x.encode_utf16().count());
                }
            }
            unsafe { shim().free(p.cast()) };
        }
    }
}

type Str1 =
    unsafe extern "system" fn(*const u8, i32, *mut *mut u8, *mut i32, *mut MochiError) -> i32;
type Str2 = unsafe extern "system" fn(
    *const u8,
    i32,
    *const u8,
    i32,
    *mut *mut u8,
    *mut i32,
    *mut MochiError,
) -> i32;

fn str2_call(f: Str2, a: &str, b: &str) -> Result<Option<String>, ManagedException> {
    let (a, b) = (MochiStr::borrowed(a), MochiStr::borrowed(b));
    let (mut p, mut n) = (ptr::null_mut(), 0);
    call!(f, a.ptr, a.len, b.ptr, b.len, &mut p, &mut n)?;
    Ok(unsafe { shim().take_string(p, n) })
}

#[test]
fn scalar_encodings() {
    let next_char: Str1 = export("mochi_abi_fixture_scalars_next_char");
    assert_eq!(
        str_call(next_char, Some("a")).unwrap().as_deref(),
        Some("b")
    );
    assert_eq!(
        str_call(next_char, Some("é")).unwrap().as_deref(),
        Some("ê")
    );
    for bad in ["", "ab", "🎉"] {
        let e = str_call(next_char, Some(bad)).unwrap_err();
        assert_eq!(e.type_name, "System.ArgumentException", "{bad:?}");
    }

    let guid: Str1 = export("mochi_abi_fixture_scalars_same");
    assert_eq!(
        str_call(guid, Some("6F9619FF-8B86-D011-B42D-00C04FC964FF"))
            .unwrap()
            .as_deref(),
        Some("6f9619ff-8b86-d011-b42d-00c04fc964ff"),
        "format D, lower case out"
    );
    for bad in [
        "6F9619FF8B86D011B42D00C04FC964FF",
        "6F9619FF-8B86-D011-B42D-00C04FC964FG",
        "nope",
    ] {
        assert_eq!(
            str_call(guid, Some(bad)).unwrap_err().type_name,
            "System.FormatException"
        );
    }

    let resolve: Str2 = export("mochi_abi_fixture_scalars_resolve");
    assert_eq!(
        str2_call(resolve, "https://example.com/a/b", "../c?q=1")
            .unwrap()
            .as_deref(),
        Some("https://example.com/c?q=1")
    );

    type AddDays = unsafe extern "system" fn(
        *const u8,
        i32,
        i64,
        *mut *mut u8,
        *mut i32,
        *mut MochiError,
    ) -> i32;
    let add_days: AddDays = export("mochi_abi_fixture_scalars_add_days");
    let day = |s: &str, n: i64| {
        let a = MochiStr::borrowed(s);
        let (mut p, mut len) = (ptr::null_mut(), 0);
        call!(add_days, a.ptr, a.len, n, &mut p, &mut len)
            .map(|_| unsafe { shim().take_string(p, len) }.unwrap())
    };
    // The Kind survives: Z stays UTC, no suffix stays Unspecified.
    assert_eq!(
        day("2024-02-28T23:30:00.0000000Z", 1).unwrap(),
        "2024-02-29T23:30:00.0000000Z"
    );
    assert_eq!(
        day("2023-02-28T10:00:00.1234567", 1).unwrap(),
        "2023-03-01T10:00:00.1234567"
    );
    assert_eq!(
        day("2024-01-31T00:00:00Z", 0).unwrap(),
        "2024-01-31T00:00:00.0000000Z"
    );
    for bad in [
        "yesterday",
        "2023-02-29T00:00:00",
        "2024-01-01T00:00:00.12345678Z",
        "2024-01-01T00:00:00+2:00",
    ] {
        assert_eq!(
            day(bad, 1).unwrap_err().type_name,
            "System.FormatException",
            "{bad}"
        );
    }

    let to_utc: Str1 = export("mochi_abi_fixture_scalars_to_utc");
    assert_eq!(
        str_call(to_utc, Some("2024-01-01T00:00:00.0000000+02:00"))
            .unwrap()
            .as_deref(),
        Some("2023-12-31T22:00:00.0000000+00:00")
    );
    let e = str_call(to_utc, Some("2024-01-01T00:00:00")).unwrap_err();
    assert_eq!(
        e.type_name, "System.FormatException",
        "an offset is required"
    );

    type Twice = unsafe extern "system" fn(i64, *mut i64, *mut MochiError) -> i32;
    let twice: Twice = export("mochi_abi_fixture_scalars_twice");
    let mut t = 0;
    call!(twice, 36_000_000_001, &mut t).unwrap(); // 1 h + 100 ns, in ticks
    assert_eq!(t, 72_000_000_002);
    assert_eq!(
        call!(twice, i64::MAX, &mut t).unwrap_err().type_name,
        "System.OverflowException"
    );

    let add: Str2 = export("mochi_abi_fixture_scalars_add");
    assert_eq!(
        str2_call(add, "0.1", "0.2").unwrap().as_deref(),
        Some("0.3"),
        "exact, unlike a double"
    );
    assert_eq!(
        str2_call(add, "79228162514264337593543950334", "1")
            .unwrap()
            .as_deref(),
        Some("79228162514264337593543950335")
    );
    assert_eq!(
        str2_call(add, "-1.50", "0.25").unwrap().as_deref(),
        Some("-1.25")
    );
    assert_eq!(
        str2_call(add, "1e5", "0").unwrap_err().type_name,
        "System.FormatException"
    );
}

#[test]
fn cold_resolution_from_many_threads_at_once() {
    // A copy of the fixture at another path, loaded in isolation (the shared context
    // holds the original, and names are unique there): a cold cache and a fresh context.
    let dir = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(shim().assembly().parent().unwrap()).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), dir.path().join(e.file_name())).unwrap();
    }
    let copy = dir.path().join(shim().assembly().file_name().unwrap());
    let rt = shim().runtime();
    let names = [
        "mochi_abi_fixture_calc_add",
        "mochi_abi_fixture_calc_add_long",
        "mochi_abi_fixture_text_echo",
        "mochi_abi_fixture_lists_sum",
        "mochi_abi_fixture_counter_new",
        "mochi_abi_fixture_counter_increment",
    ];
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let copy = copy.clone();
            std::thread::spawn(move || {
                let s = Shim::load_isolated(rt, &copy).unwrap();
                let ptrs: Vec<usize> = names
                    .iter()
                    .map(|n| {
                        rt.entry_point_in(LoadContext::Isolated, s.assembly(), EXPORTS, n)
                            .unwrap()
                            .as_ptr() as usize
                    })
                    .collect();
                type Add = unsafe extern "system" fn(i64, i64, *mut i64, *mut MochiError) -> i32;
                let add: Add = unsafe { s.export(EXPORTS, names[0]) }.unwrap();
                let (mut out, mut err) = (0, MochiError::new());
                assert_eq!(unsafe { add(1, 2, &mut out, &mut err) }, STATUS_OK);
                assert_eq!(out, 3);
                ptrs
            })
        })
        .collect();
    let results: Vec<Vec<usize>> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    // The shared context already holds an assembly of that name (the original).
    let e = Shim::load(rt, &copy).unwrap_err();
    assert!(matches!(e, Error::ShimNameClash { .. }), "{e}");
    assert!(e.to_string().contains("unique assembly name"), "{e}");
    assert!(
        results.windows(2).all(|w| w[0] == w[1]),
        "every thread got the same pointers"
    );
    let original = rt
        .entry_point(shim().assembly(), EXPORTS, names[0])
        .unwrap()
        .as_ptr() as usize;
    assert_ne!(
        results[0][0], original,
        "the copy is a separate assembly load"
    );
}

/// Objects cross between shims of the shared context (one copy of each package,
/// as in an ordinary .NET app) but not into an isolated one (its own copy of the
/// package, so the "same" type is another type).
#[test]
fn objects_cross_between_shims_in_the_shared_context_only() {
    let _g = HANDLES.lock().unwrap_or_else(|e| e.into_inner());
    let fixture_dir = shim().assembly().parent().unwrap().to_path_buf();
    let build = |name: &str| {
        let src = support::fixtures_dir().join("AbiConsumerShim.cs");
        let lib = fixture_dir.join("Mochi.Fixtures.Abi.dll");
        support::real_library_shim(name, &[src], &[lib])
    };
    let shared = Shim::load(support::runtime(), &build("Mochi.Fixtures.Abi.Consumer")).unwrap();
    let isolated = Shim::load_isolated(
        support::runtime(),
        &build("Mochi.Fixtures.Abi.ConsumerIsolated"),
    )
    .unwrap();
    type Describe =
        unsafe extern "system" fn(isize, *mut *mut u8, *mut i32, *mut MochiError) -> i32;
    let describe = |s: &Shim, h: isize| {
        let f: Describe = unsafe {
            s.export(
                "Mochi.Shim.AbiConsumer.Exports",
                "mochi_abi_consumer_describe_counter",
            )
        }
        .unwrap();
        let (mut p, mut n, mut err) = (ptr::null_mut(), 0, MochiError::new());
        let status = unsafe { f(h, &mut p, &mut n, &mut err) };
        s.check(status, &mut err)
            .map(|_| unsafe { s.take_string(p, n) }.unwrap())
    };

    let h = new_counter("shared", 7); // made by the fixture shim
    assert_eq!(
        describe(&shared, h).unwrap(),
        "shared=7 (seen by the consumer)"
    );
    let e = describe(&isolated, h).unwrap_err();
    assert_eq!(e.type_name, "System.InvalidCastException", "{e}");
    shim().release_handle(h).unwrap();
}
