//! Generated shims of two C# fixtures compiled with the SDK's Roslyn
//! (fixtures/issue10): `Regressions.cs`, one member per defect real packages
//! showed in generated C# (issue 10, "Already seen on real packages"), and
//! `Callbacks.cs`, the language features of item 3 (delegates as native
//! callbacks, extension methods in receiver style, conversion operators,
//! `params`, defaults, nullable value types, out results, JSON for `object`).
//!
//! Each shim is built by `mcs`, the SDK's `csc` and `dotnet build` with no
//! export left out or dropped, loaded, and called through a
//! `bridge::session::Session` with real results.

use std::ffi::c_void;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use hosting::{MochiError, Runtime, RuntimeOptions, Shim};
use invoke::{Package, Session, Val};
use serde_json::{Value, json};
use shimbuild::compile::{BuildOptions, CompilerKind};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn framework() -> PathBuf {
    fixtures::assemblies::dotnet8_framework_dir()
}

fn runtime() -> &'static Runtime {
    Runtime::start(
        &RuntimeOptions::default().with_dotnet_root(fixtures::assemblies::dotnet8_root()),
    )
    .expect("start .NET 8")
}

fn work() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("issue10-shims-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Compiles a fixture with the SDK's Roslyn against the .NET 8 runtime's assemblies.
fn roslyn(src: &str, name: &str) -> PathBuf {
    let sdk = shimbuild::compile::find_sdk(&BuildOptions::default())
        .unwrap_or_else(|e| panic!("these fixtures need the .NET SDK's C# compiler: {e}"));
    let out = work().join(format!("{name}.dll"));
    let mut cmd = std::process::Command::new(&sdk.dotnet);
    cmd.arg("exec").arg(sdk.csc_dll()).args([
        "-noconfig",
        "-nologo",
        "-target:library",
        "-nostdlib",
        "-langversion:latest",
        "-nowarn:CS8632",
    ]);
    for r in shimbuild::compile::framework_references(&framework()).unwrap() {
        cmd.arg(format!("-r:{}", r.display()));
    }
    let o = cmd
        .arg(format!("-out:{}", out.display()))
        .arg(repo().join(src))
        .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "csc {src}:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

/// Binds `dll`, builds its shim with `compiler`, loads it (isolated: the three
/// builds share an assembly name) into a session of its own.
fn session(
    dll: &Path,
    package: &str,
    compiler: CompilerKind,
) -> (Session, shimgen::BindingPlan, String) {
    let input = shimbuild::ShimInput::from_assembly(dll, Some(package)).unwrap();
    let generated = shimbuild::generate(&input).unwrap();
    assert!(
        generated.project.not_generated.is_empty(),
        "{package}: exports left out: {:?}",
        generated.project.not_generated
    );
    let opts = BuildOptions {
        cache_dir: work().join(format!("shims-{}", compiler.name().replace(' ', "-"))),
        framework_dir: Some(framework()),
        compiler: Some(compiler),
        ..BuildOptions::default()
    };
    let built = shimbuild::compile::build(&generated.project, &generated.dlls, &opts)
        .unwrap_or_else(|e| panic!("{package} with {}: {e}", compiler.name()));
    assert!(
        built.dropped.is_empty(),
        "{package}: {} dropped {:?}",
        compiler.name(),
        built.dropped
    );
    let shim = Shim::load_isolated(runtime(), &built.assembly).unwrap();
    let alias = shimgen::mochi::alias_file(&generated.plan);
    let mut s = Session::new();
    s.add(Package {
        id: package.into(),
        plan: generated.plan.clone(),
        shim,
        exports: built.exports_type,
    });
    (s, generated.plan, alias)
}

fn j(v: Value) -> Val {
    Val::Json(v)
}

fn compilers() -> Vec<CompilerKind> {
    vec![
        CompilerKind::Mcs,
        CompilerKind::Csc,
        CompilerKind::DotnetSdk,
    ]
}

#[test]
fn generated_csharp_that_failed_on_real_packages_now_builds_and_works() {
    let dll = roslyn("fixtures/issue10/Regressions.cs", "Issue10Regressions");
    for compiler in compilers() {
        let (s, plan, _) = session(&dll, "regressions", compiler);
        // `<Clone>$` and the polyfilled framework type are skipped, with reasons.
        let reason = |prefix: &str| {
            plan.skipped
                .iter()
                .find(|x| x.item.starts_with(prefix))
                .map(|x| x.reason.code())
        };
        assert_eq!(
            reason("M Issue10.Person::<Clone>$"),
            Some("compiler-generated")
        );
        assert_eq!(
            reason("M System.Runtime.CompilerServices.ScopedRefAttribute::.ctor"),
            Some("duplicate-type")
        );
        // out Guid? and out int? under the try pattern.
        let id = "0f8fad5b-d9cb-469f-a165-70867728950e";
        assert_eq!(
            s.json("Ids.TryParseNullable", None, &[j(json!(id))])
                .unwrap(),
            json!(id)
        );
        assert_eq!(
            s.json("Ids.TryParseNullable", None, &[j(json!("nope"))])
                .unwrap(),
            Value::Null
        );
        assert_eq!(
            s.json("Ids.TryCount", None, &[j(json!("abc"))]).unwrap(),
            json!(3)
        );
        // A struct receiver with an `in` parameter; operators with `in` operands.
        let five = s.call("Money.new", None, &[j(json!(5))]).unwrap();
        let seven = s.call("Money.new", None, &[j(json!(7))]).unwrap();
        assert_eq!(
            s.json("Money.Add", Some(&five), &[seven.clone()]).unwrap(),
            json!(12)
        );
        assert_eq!(
            s.json("Money.op_Equality", None, &[five.clone(), seven.clone()])
                .unwrap(),
            json!(false)
        );
        let minus = s
            .call("Money.op_LogicalNot", None, &[five.clone()])
            .unwrap();
        assert_eq!(
            s.json("Money.get_Cents", Some(&minus), &[]).unwrap(),
            json!(-5)
        );
        // A TextWriter's Write group (Span overloads in the framework).
        let w = s.call("UpperWriter.new", None, &[]).unwrap();
        s.call("UpperWriter.Write", Some(&w), &[j(json!("abc"))])
            .unwrap();
        assert_eq!(
            s.json("UpperWriter.Text", Some(&w), &[]).unwrap(),
            json!("ABC")
        );
        // [Experimental] and a static-abstract interface as a receiver.
        assert_eq!(s.json("Preview.Answer", None, &[]).unwrap(), json!(42));
        let made = s.call("Made.Create", None, &[]).unwrap();
        assert_eq!(s.json("IMade.Id", Some(&made), &[]).unwrap(), json!(7));
        // A record still binds its constructor and properties.
        let ann = s
            .call("Person.new", None, &[j(json!("Ann")), j(json!(31))])
            .unwrap();
        assert_eq!(
            s.json("Person.Name", Some(&ann), &[]).unwrap(),
            json!("Ann")
        );
        drop(s);
    }
}

// ---- native callbacks (docs/hosting.md, "Callbacks") ----

unsafe extern "C" {
    fn malloc(size: usize) -> *mut c_void;
}

/// A string a callback returns: a malloc'd block the shim frees.
unsafe fn give(s: &str, p: *mut *mut u8, len: *mut i32) {
    unsafe {
        let b = malloc(s.len().max(1)) as *mut u8;
        std::ptr::copy_nonoverlapping(s.as_ptr(), b, s.len());
        *p = b;
        *len = s.len() as i32;
    }
}

unsafe fn fail(err: *mut MochiError, ty: &str, msg: &str) -> i32 {
    unsafe {
        give(ty, &mut (*err).type_name, &mut (*err).type_name_len);
        give(msg, &mut (*err).message, &mut (*err).message_len);
    }
    1
}

unsafe fn text<'a>(p: *const u8, len: i32) -> &'a str {
    unsafe { std::str::from_utf8(std::slice::from_raw_parts(p, len.max(0) as usize)).unwrap() }
}

extern "C" fn add_one(_: *mut c_void, x: i64, r: *mut i64, _: *mut MochiError) -> i32 {
    unsafe { *r = x + 1 };
    0
}

extern "C" fn add_ten(_: *mut c_void, x: i64, r: *mut i64, _: *mut MochiError) -> i32 {
    unsafe { *r = x + 10 };
    0
}

extern "C" fn format(
    _: *mut c_void,
    v: i64,
    unit: *const u8,
    unit_len: i32,
    r: *mut *mut u8,
    r_len: *mut i32,
    _: *mut MochiError,
) -> i32 {
    let s = format!("{v} {}", unsafe { text(unit, unit_len) });
    unsafe { give(&s, r, r_len) };
    0
}

extern "C" fn constant(ctx: *mut c_void, r: *mut i64, _: *mut MochiError) -> i32 {
    unsafe { *r = *(ctx as *const i64) };
    0
}

extern "C" fn collect(ctx: *mut c_void, s: *const u8, len: i32, _: *mut MochiError) -> i32 {
    let seen = unsafe { &*(ctx as *const Mutex<Vec<String>>) };
    seen.lock()
        .unwrap()
        .push(unsafe { text(s, len) }.to_string());
    0
}

extern "C" fn starts_with_m(
    _: *mut c_void,
    s: *const u8,
    len: i32,
    r: *mut u8,
    _: *mut MochiError,
) -> i32 {
    unsafe { *r = u8::from(text(s, len).starts_with('m')) };
    0
}

extern "C" fn scale(_: *mut c_void, x: f64, r: *mut f64, _: *mut MochiError) -> i32 {
    unsafe { *r = x * 2.0 };
    0
}

extern "C" fn not(_: *mut c_void, b: u8, r: *mut u8, _: *mut MochiError) -> i32 {
    unsafe { *r = u8::from(b == 0) };
    0
}

/// Calls back into the session: the widget's name, shouted.
extern "C" fn describe(
    ctx: *mut c_void,
    w: isize,
    r: *mut *mut u8,
    r_len: *mut i32,
    err: *mut MochiError,
) -> i32 {
    let s = unsafe { &*(ctx as *const Session) };
    match s.json(
        "Widget.Name",
        Some(&Val::Handle(w, "Callbacks.Widget".into())),
        &[],
    ) {
        Ok(Value::String(n)) => {
            unsafe { give(&format!("{}!", n.to_uppercase()), r, r_len) };
            0
        }
        other => unsafe { fail(err, "Test.Unexpected", &format!("{other:?}")) },
    }
}

/// Makes a widget through the session and returns its handle (borrowed).
extern "C" fn make(ctx: *mut c_void, r: *mut isize, err: *mut MochiError) -> i32 {
    let s = unsafe { &*(ctx as *const Session) };
    match s.call("Widget.new", None, &[]) {
        Ok(Val::Handle(h, _)) => {
            unsafe { *r = h };
            0
        }
        other => unsafe { fail(err, "Test.Unexpected", &format!("{other:?}")) },
    }
}

extern "C" fn boom(_: *mut c_void, _: *mut i64, err: *mut MochiError) -> i32 {
    unsafe { fail(err, "Mochi.Test.Boom", "boom from the callback") }
}

static RELEASED: AtomicUsize = AtomicUsize::new(0);

extern "C" fn release(_: *mut c_void) {
    RELEASED.fetch_add(1, Ordering::SeqCst);
}

fn cb(f: usize, ctx: *const c_void) -> Val {
    Val::Callback {
        function: f,
        context: ctx as usize,
        release: 0,
    }
}

#[test]
fn delegates_extension_methods_conversions_params_defaults_and_outs() {
    let dll = roslyn("fixtures/issue10/Callbacks.cs", "Issue10Callbacks");
    for compiler in compilers() {
        let (s, plan, alias) = session(&dll, "callbacks", compiler);
        let sig = |source: &str| {
            let i = plan
                .items
                .iter()
                .find(|i| i.source == source)
                .unwrap_or_else(|| panic!("{source} not translated"));
            let ps: Vec<String> = i
                .mochi_params()
                .into_iter()
                .map(|(n, t)| format!("{n}: {t}"))
                .collect();
            format!("{}({}): {}", i.alias, ps.join(", "), i.returns.mochi_type)
        };
        // Delegates are Mochi function types.
        assert_eq!(
            sig(
                "M Callbacks.Calls::Apply(System.Func`2<System.Int64,System.Int64>,System.Int64) -> System.Int64 static"
            ),
            "Calls_Apply(f: fun(int64): int64, x: int64): int64"
        );
        assert_eq!(
            sig("M Callbacks.Calls::Format(Callbacks.Formatter) -> System.String static"),
            "Calls_Format(f: fun(int, string): string): string"
        );
        assert_eq!(
            sig(
                "M Callbacks.Calls::Describe(System.Func`2<Callbacks.Widget,System.String>) -> System.String static"
            ),
            "Calls_Describe(f: fun(Widget): string): string"
        );
        // Extension methods: static, and receiver style in the alias module.
        assert!(
            alias.contains("fun Widget_Shout(w: Widget, suffix: string): string {"),
            "{alias}"
        );
        assert!(alias.contains("fun WidgetExtensions_Shout(w: Widget, suffix: string): string {"));

        let sp = &s as *const Session as *const c_void;
        assert_eq!(
            s.json(
                "Calls.Apply",
                None,
                &[cb(add_one as *const () as usize, sp), j(json!(41))]
            )
            .unwrap(),
            json!(42)
        );
        assert_eq!(
            s.json(
                "Calls.Format",
                None,
                &[cb(format as *const () as usize, sp)]
            )
            .unwrap(),
            json!("42 kg")
        );
        let (three, four) = (3i64, 4i64);
        assert_eq!(
            s.json(
                "Calls.Sum",
                None,
                &[
                    cb(
                        constant as *const () as usize,
                        &three as *const i64 as *const c_void
                    ),
                    cb(
                        constant as *const () as usize,
                        &four as *const i64 as *const c_void
                    )
                ]
            )
            .unwrap(),
            json!(7)
        );
        let seen: Mutex<Vec<String>> = Mutex::new(Vec::new());
        assert_eq!(
            s.json(
                "Calls.Each",
                None,
                &[
                    cb(
                        collect as *const () as usize,
                        &seen as *const _ as *const c_void
                    ),
                    j(json!(["a", "b"]))
                ]
            )
            .unwrap(),
            json!(2)
        );
        assert_eq!(*seen.lock().unwrap(), ["a", "b"]);
        assert_eq!(
            s.json(
                "Calls.Check",
                None,
                &[
                    cb(starts_with_m as *const () as usize, sp),
                    j(json!("mochi"))
                ]
            )
            .unwrap(),
            json!(true)
        );
        assert_eq!(
            s.json("Calls.Scale", None, &[cb(scale as *const () as usize, sp)])
                .unwrap(),
            json!(3.0)
        );
        assert_eq!(
            s.json("Calls.Flip", None, &[cb(not as *const () as usize, sp)])
                .unwrap(),
            json!(false)
        );
        // Objects into and out of callbacks, calling back into the session.
        assert_eq!(
            s.json(
                "Calls.Describe",
                None,
                &[cb(describe as *const () as usize, sp)]
            )
            .unwrap(),
            json!("W1!")
        );
        let made = s
            .call("Calls.Make", None, &[cb(make as *const () as usize, sp)])
            .unwrap();
        assert_eq!(
            s.json("Units.Kind", None, &[made]).unwrap(),
            json!("Widget")
        );
        // A null delegate.
        assert_eq!(
            s.json("Calls.IsNull", None, &[j(Value::Null)]).unwrap(),
            json!(true)
        );
        // A callback that fails: an exception in .NET, an error value out of the export.
        assert_eq!(
            s.json("Calls.Guard", None, &[cb(boom as *const () as usize, sp)])
                .unwrap(),
            json!("MochiCallbackException: boom from the callback")
        );
        let e = s
            .call(
                "Calls.Unguarded",
                None,
                &[cb(boom as *const () as usize, sp)],
            )
            .unwrap_err();
        assert!(
            format!("{e:#}").contains("Mochi.Test.Boom: boom from the callback"),
            "{e:#}"
        );
        // A delegate kept after the call: still callable; released once when .NET drops it.
        let before = RELEASED.load(Ordering::SeqCst);
        s.call(
            "Calls.Keep",
            None,
            &[Val::Callback {
                function: add_ten as *const () as usize,
                context: 0,
                release: release as *const () as usize,
            }],
        )
        .unwrap();
        assert_eq!(
            s.json("Calls.CallKept", None, &[j(json!(1))]).unwrap(),
            json!(11)
        );
        s.call("Calls.Forget", None, &[]).unwrap();
        assert_eq!(
            RELEASED.load(Ordering::SeqCst),
            before + 1,
            "release(ctx) once after the delegate is collected"
        );

        // Extension methods in receiver style, defaults filled in.
        let w = s.call("Widget.new", None, &[]).unwrap();
        s.call("Widget.set_Name", Some(&w), &[j(json!("mochi"))])
            .unwrap();
        assert_eq!(
            s.json("Widget.Shout", Some(&w), &[]).unwrap(),
            json!("MOCHI!")
        );
        assert_eq!(
            s.json("WidgetExtensions.Shout", None, &[w.clone(), j(json!("?"))])
                .unwrap(),
            json!("MOCHI?")
        );
        // Conversion operators: implicit from a value, explicit to one.
        assert_eq!(
            s.json("Units.Twice", None, &[j(json!(2.5))]).unwrap(),
            json!(5.0)
        );
        let m = s.call("Meters.new", None, &[j(json!(2.5))]).unwrap();
        assert_eq!(
            s.json("Meters.op_Explicit", None, &[m]).unwrap(),
            json!(2.5)
        );
        // params arrays: a list, or nothing.
        assert_eq!(
            s.json("Units.Count", None, &[j(json!(["a", "b", "c"]))])
                .unwrap(),
            json!(3)
        );
        assert_eq!(s.json("Units.Count", None, &[]).unwrap(), json!(0));
        // Optional parameters with defaults.
        assert_eq!(
            s.json("Units.Opt", None, &[j(json!(1))]).unwrap(),
            json!("1/10/x")
        );
        assert_eq!(
            s.json("Units.Opt", None, &[j(json!(1)), j(json!(2))])
                .unwrap(),
            json!("1/2/x")
        );
        // Nullable value types, out results.
        assert_eq!(
            s.json("Units.MaybeDouble", None, &[j(json!(4))]).unwrap(),
            json!(8)
        );
        assert_eq!(
            s.json("Units.MaybeDouble", None, &[j(Value::Null)])
                .unwrap(),
            Value::Null
        );
        assert_eq!(
            s.json("Units.TryHalf", None, &[j(json!(8))]).unwrap(),
            json!(4)
        );
        assert_eq!(
            s.json("Units.TryHalf", None, &[j(json!(7))]).unwrap(),
            Value::Null
        );
        // JSON for an `object` parameter.
        assert_eq!(
            s.json("Units.Json", None, &[j(json!({"b": [1, "x"], "a": true}))])
                .unwrap(),
            json!("{a=Boolean:True,b=[Int64:1,String:x]}")
        );
        assert_eq!(
            s.json("Units.Kind", None, &[j(json!(1.5))]).unwrap(),
            json!("Double")
        );
        drop(s);
    }
}
