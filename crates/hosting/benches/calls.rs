//! Calls through resolved shim entry points on the real .NET 8 runtime, and
//! CLR start time (in child processes: the runtime starts once per process).
//!
//! `cargo bench -p hosting --bench calls`

#[path = "../tests/it/support/mod.rs"]
mod support;

use std::hint::black_box;
use std::process::Command;
use std::ptr;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput};
use hosting::{MochiError, MochiStr, Shim};

const CHILD: &str = "MOCHI_HOSTING_BENCH_CHILD";

type Add = unsafe extern "system" fn(i64, i64, *mut i64, *mut MochiError) -> i32;
type Echo =
    unsafe extern "system" fn(*const u8, i32, *mut *mut u8, *mut i32, *mut MochiError) -> i32;
type Sum = unsafe extern "system" fn(*const i64, i32, *mut i64, *mut MochiError) -> i32;
type Range = unsafe extern "system" fn(i64, *mut *mut i64, *mut i32, *mut MochiError) -> i32;
type Doubled =
    unsafe extern "system" fn(*const i64, i32, *mut *mut i64, *mut i32, *mut MochiError) -> i32;

fn export<F: Copy>(shim: &Shim, name: &str) -> F {
    // SAFETY: the types above match the fixture exports (fixtures/abi/AbiFixtureShim.cs).
    unsafe { shim.export::<F>(support::EXPORTS, name) }.unwrap()
}

fn calls(c: &mut Criterion) {
    let shim = support::shim();
    let mut g = c.benchmark_group("call");

    let add: Add = export(shim, "mochi_abi_fixture_calc_add");
    g.bench_function("int_add", |b| {
        let mut out = 0;
        let mut err = MochiError::new();
        b.iter(|| {
            let s = unsafe { add(black_box(20), black_box(22), &mut out, &mut err) };
            debug_assert_eq!(s, 0);
            black_box(out)
        })
    });

    // In and out, copied into a Rust String, and the returned buffer freed.
    let echo: Echo = export(shim, "mochi_abi_fixture_text_echo");
    let text = "sixteen bytes ok";
    assert_eq!(text.len(), 16);
    g.bench_function("string16_round_trip", |b| {
        let mut err = MochiError::new();
        b.iter(|| {
            let arg = MochiStr::borrowed(black_box(text));
            let (mut p, mut n) = (ptr::null_mut(), 0);
            let s = unsafe { echo(arg.ptr, arg.len, &mut p, &mut n, &mut err) };
            debug_assert_eq!(s, 0);
            unsafe { shim.take_string(p, n) }
        })
    });

    let xs: Vec<i64> = (0..1000).collect();
    g.throughput(Throughput::Elements(1000));
    let sum: Sum = export(shim, "mochi_abi_fixture_lists_sum");
    g.bench_with_input(BenchmarkId::new("list_in_sum", 1000), &xs, |b, xs| {
        let mut out = 0;
        let mut err = MochiError::new();
        b.iter(|| unsafe { sum(xs.as_ptr(), xs.len() as i32, &mut out, &mut err) })
    });
    let range: Range = export(shim, "mochi_abi_fixture_lists_range");
    g.bench_function(BenchmarkId::new("list_out_range", 1000), |b| {
        let mut err = MochiError::new();
        b.iter(|| {
            let (mut p, mut n) = (ptr::null_mut(), 0);
            unsafe { range(black_box(1000), &mut p, &mut n, &mut err) };
            let v = unsafe { std::slice::from_raw_parts(p, n as usize) }.to_vec();
            unsafe { shim.free(p.cast()) };
            v
        })
    });
    let doubled: Doubled = export(shim, "mochi_abi_fixture_lists_doubled");
    g.bench_with_input(BenchmarkId::new("list_round_trip", 1000), &xs, |b, xs| {
        let mut err = MochiError::new();
        b.iter(|| {
            let (mut p, mut n) = (ptr::null_mut(), 0);
            unsafe { doubled(xs.as_ptr(), xs.len() as i32, &mut p, &mut n, &mut err) };
            let v = unsafe { std::slice::from_raw_parts(p, n as usize) }.to_vec();
            unsafe { shim.free(p.cast()) };
            v
        })
    });
    g.throughput(Throughput::Elements(1));
    type New = unsafe extern "system" fn(*const u8, i32, i64, *mut isize, *mut MochiError) -> i32;
    let new: New = export(shim, "mochi_abi_fixture_counter_new");
    g.bench_function("handle_new_release", |b| {
        let name = MochiStr::borrowed("c");
        let mut err = MochiError::new();
        b.iter(|| {
            let mut h = 0;
            unsafe { new(name.ptr, name.len, black_box(1), &mut h, &mut err) };
            shim.release_handle(h).unwrap();
        })
    });
    type Fail = unsafe extern "system" fn(*const u8, i32, *mut i64, *mut MochiError) -> i32;
    let throw: Fail = export(shim, "mochi_abi_fixture_failing_throw");
    g.bench_function("exception_to_error_value", |b| {
        let msg = MochiStr::borrowed("boom");
        let mut err = MochiError::new();
        b.iter(|| {
            let mut out = 0;
            let s = unsafe { throw(msg.ptr, msg.len, &mut out, &mut err) };
            shim.check(s, &mut err).unwrap_err()
        })
    });
    g.finish();

    // The cache, for the cost of looking an export up again.
    let rt = shim.runtime();
    c.bench_function("entry_point_cached_lookup", |b| {
        b.iter(|| {
            rt.entry_point(
                shim.assembly(),
                support::EXPORTS,
                black_box("mochi_abi_fixture_calc_add"),
            )
        })
    });
}

/// One child process: start the runtime, load the shim, make one call; report
/// `runtime_ns` (Runtime::start) and `first_call_ns` (start + load + call).
fn child() {
    let t = Instant::now();
    let rt = support::runtime();
    let runtime = t.elapsed();
    let shim = Shim::load(rt, std::env::var_os("MOCHI_FIXTURE_SHIM").unwrap().as_ref()).unwrap();
    let add: Add = export(&shim, "mochi_abi_fixture_calc_add");
    let (mut out, mut err) = (0, MochiError::new());
    assert_eq!(unsafe { add(1, 2, &mut out, &mut err) }, 0);
    println!(
        "runtime_ns={} first_call_ns={}",
        runtime.as_nanos(),
        t.elapsed().as_nanos()
    );
}

fn spawn_child(shim: &std::path::Path) -> (Duration, Duration, Duration) {
    let t = Instant::now();
    let out = Command::new(std::env::current_exe().unwrap())
        .env(CHILD, "1")
        .env("MOCHI_FIXTURE_SHIM", shim)
        .output()
        .unwrap();
    let wall = t.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let field = |k: &str| -> Duration {
        let v = text
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(k))
            .unwrap();
        Duration::from_nanos(v.trim().parse().unwrap())
    };
    (field("runtime_ns="), field("first_call_ns="), wall)
}

fn clr_start(c: &mut Criterion) {
    let shim = support::fixture_shim_path();
    let mut g = c.benchmark_group("clr_start");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(4));
    g.bench_function("runtime_start", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| spawn_child(shim).0).sum())
    });
    g.bench_function("start_to_first_call", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| spawn_child(shim).1).sum())
    });
    g.bench_function("process_wall", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| spawn_child(shim).2).sum())
    });
    g.finish();
}

fn main() {
    if std::env::var_os(CHILD).is_some() {
        child();
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    calls(&mut c);
    clr_start(&mut c);
    c.final_summary();
}
