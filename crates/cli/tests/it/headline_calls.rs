//! The headline calls of the twenty packages (issue 10, item 2): what a user of
//! each writes first, through the generated exports, with real results. Each
//! test locks its packages from the machine's registry (as the gate does),
//! builds their shims (mcs: the fastest compiler; the gate builds each with the
//! SDK too) and calls them in a process of its own: a fresh CLR whose shared load
//! context holds only this package set (`--exact`, `MOCHI_HEADLINE_CHILD`).
//! Servers a call needs (Redis, PostgreSQL, HTTP) are started by the test on
//! 127.0.0.1 with temporary data, and stopped by a guard.
//!
//! Where a headline call cannot be made, the test asserts exactly where and why
//! it stops (the README's report says the same).

use std::path::PathBuf;

use hosting::Shim;
use invoke::{Package, Session, Val};
use serde_json::{Value, json};
use shimbuild::compile::{BuildOptions, CompilerKind};

use crate::gate_support::*;

const CHILD: &str = "MOCHI_HEADLINE_CHILD";

/// Runs `body` in a process of its own (this test binary again, `--exact`).
fn own_process(test: &str, body: impl FnOnce()) {
    if std::env::var(CHILD).as_deref() == Ok(test) {
        body();
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD, test)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "{test} in its own process:\n{stdout}\n{stderr}"
    );
    eprint!("{stderr}");
}

/// A locked project, its shims built and loaded into one session.
struct Calls {
    s: Session,
}

fn headline_shims() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("headline-shims")
}

impl Calls {
    /// Locks `roots` (pinned) with `extra` appended to mochi.toml, then loads
    /// the shims of `load`.
    fn new(name: &str, roots: &[&str], extra: &str, load: &[&str]) -> Calls {
        let dir = project(name, roots);
        let mut toml = std::fs::read_to_string(dir.join("mochi.toml")).unwrap();
        toml.push_str(extra);
        std::fs::write(dir.join("mochi.toml"), toml).unwrap();
        cli_ok(&dir, &["lock", "-q"]);
        let mut s = Session::new();
        for id in load {
            let g = generate(&dir, id).unwrap_or_else(|e| panic!("{id}: {e}"));
            let opts = BuildOptions {
                cache_dir: headline_shims(),
                framework_dir: Some(framework_dir()),
                compiler: Some(CompilerKind::Mcs),
                ..BuildOptions::default()
            };
            let built = shimbuild::compile::build(&g.project, &g.dlls, &opts)
                .unwrap_or_else(|e| panic!("{id}: {e}"));
            assert!(built.dropped.is_empty(), "{id}: {:?}", built.dropped);
            // A package copy of a framework assembly (System.Text.Json 11 over .NET 8's)
            // cannot be loaded into the shared context, which resolves framework
            // names to the framework's own copies: such a shim runs isolated.
            let replaces_framework = g
                .conflicts
                .iter()
                .any(|c| c.winner == shimgen::platform::Winner::Package);
            let shim = if replaces_framework {
                Shim::load_isolated(runtime(), &built.assembly)
            } else {
                Shim::load(runtime(), &built.assembly)
            }
            .unwrap_or_else(|e| panic!("{id}: {e}"));
            s.add(Package {
                id: id.to_string(),
                plan: g.plan,
                shim,
                exports: built.exports_type,
            });
        }
        hosting::prepare_current_thread().unwrap();
        Calls { s }
    }

    fn call(&self, m: &str, recv: Option<&Val>, args: &[Val]) -> Val {
        self.s
            .call(m, recv, args)
            .unwrap_or_else(|e| panic!("{m}: {}", error_chain(&e)))
    }

    fn json(&self, m: &str, recv: Option<&Val>, args: &[Val]) -> Value {
        match self.call(m, recv, args) {
            Val::Json(v) => v,
            other => panic!("{m} returned {other:?}"),
        }
    }

    fn err(&self, m: &str, recv: Option<&Val>, args: &[Val]) -> String {
        match self.s.call(m, recv, args) {
            Ok(v) => panic!("{m} succeeded with {v:?}"),
            Err(e) => error_chain(&e),
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(x) = src {
        s.push_str(": ");
        s.push_str(&x.to_string());
        src = x.source();
    }
    s
}

fn j(v: Value) -> Val {
    Val::Json(v)
}

#[test]
fn newtonsoft_json() {
    own_process("headline_calls::newtonsoft_json", || {
        let c = Calls::new(
            "headline-newtonsoft",
            &["Newtonsoft.Json"],
            "\n[dotnet.monomorphise]\n\"Newtonsoft.Json.Linq.JToken::ToObject``1\" = [\"System.Int64\"]\n",
            &["Newtonsoft.Json"],
        );
        let o = c.call(
            "JObject.Parse",
            None,
            &[j(json!(r#"{"a":{"b":[1,"héllo",{"n":42}]}}"#))],
        );
        let t = c.call("JToken.SelectToken", Some(&o), &[j(json!("a.b[1]"))]);
        assert_eq!(c.json("JToken.ToString", Some(&t), &[]), json!("héllo"));
        let n = c.call("JToken.SelectToken", Some(&o), &[j(json!("a.b[2].n"))]);
        assert_eq!(c.json("JToken.ToObject", Some(&n), &[]), json!(42));
        // SerializeObject of a map: JSON for the `object` parameter, boxed by the shim.
        assert_eq!(
            c.json(
                "JsonConvert.SerializeObject",
                None,
                &[j(json!({"b": 2, "a": [1, "x"]}))]
            ),
            json!(r#"{"a":[1,"x"],"b":2}"#)
        );
    });
}

#[test]
fn dependency_injection() {
    own_process("headline_calls::dependency_injection", || {
        let c = Calls::new(
            "headline-di",
            &["Microsoft.Extensions.DependencyInjection"],
            "\n[dotnet.monomorphise]\n\"Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions::AddSingleton``1\" = [\"System.String\"]\n\"Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions::GetRequiredService``1\" = [\"System.String\"]\n",
            &[
                "Microsoft.Extensions.DependencyInjection",
                "Microsoft.Extensions.DependencyInjection.Abstractions",
            ],
        );
        // A ServiceCollection of one package into extension methods of another.
        let services = c.call("ServiceCollection.new", None, &[]);
        c.call(
            "IServiceCollection.AddSingleton",
            Some(&services),
            &[j(json!("hello from DI"))],
        );
        let provider = c.call(
            "IServiceCollection.BuildServiceProvider",
            Some(&services),
            &[],
        );
        assert_eq!(
            c.json("IServiceProvider.GetRequiredService", Some(&provider), &[]),
            json!("hello from DI")
        );
    });
}

#[test]
fn system_text_json() {
    own_process("headline_calls::system_text_json", || {
        let c = Calls::new(
            "headline-stj",
            &["System.Text.Json"],
            "",
            &["System.Text.Json"],
        );
        let doc = c.call(
            "JsonDocument.Parse",
            None,
            &[j(json!(r#"{"n": 42, "s": "x"}"#))],
        );
        // RootElement is a struct: a boxed copy whose methods run through reflection.
        let root = c.call("JsonDocument.RootElement", Some(&doc), &[]);
        let n = c.call("JsonElement.GetProperty", Some(&root), &[j(json!("n"))]);
        assert_eq!(c.json("JsonElement.GetInt32", Some(&n), &[]), json!(42));
    });
}

#[test]
fn xunit_assert() {
    own_process("headline_calls::xunit_assert", || {
        let c = Calls::new("headline-xunit", &["xunit.assert"], "", &["xunit.assert"]);
        assert_eq!(c.json("Assert.True", None, &[j(json!(true))]), Value::Null);
        assert_eq!(
            c.json("Assert.Equal", None, &[j(json!("a")), j(json!("a"))]),
            Value::Null
        );
        let e = c.err(
            "Assert.Equal",
            None,
            &[j(json!("mochi")), j(json!("mocha"))],
        );
        assert!(
            e.contains("Xunit.Sdk.EqualException") && e.contains("Assert.Equal() Failure"),
            "{e}"
        );
    });
}

#[test]
fn nunit() {
    own_process("headline_calls::nunit", || {
        let c = Calls::new("headline-nunit", &["NUnit"], "", &["NUnit"]);
        assert_eq!(
            c.json("ClassicAssert.IsTrue", None, &[j(json!(true))]),
            Value::Null
        );
        // Outside a test run NUnit keeps failures in its ad-hoc context: one per process.
        let e = c.err("ClassicAssert.IsTrue", None, &[j(json!(false))]);
        assert!(
            e.contains("NUnit.Framework.AssertionException")
                && e.contains("Expected: True")
                && e.contains("But was:  False"),
            "{e}"
        );
    });
}

#[test]
fn fluent_assertions() {
    own_process("headline_calls::fluent_assertions", || {
        let c = Calls::new(
            "headline-fluent",
            &["FluentAssertions"],
            "\n[dotnet.monomorphise]\n\"FluentAssertions.Primitives.StringAssertions`1\" = [\"FluentAssertions.Primitives.StringAssertions\"]\n",
            &["FluentAssertions"],
        );
        let should = c.call("AssertionExtensions.Should", None, &[j(json!("mochi"))]);
        c.call("StringAssertions.Be", Some(&should), &[j(json!("mochi"))]);
        let e = c.err("StringAssertions.Be", Some(&should), &[j(json!("mocha"))]);
        assert!(e.contains("Expected") && e.contains("mocha"), "{e}");
    });
}

#[test]
fn bogus() {
    own_process("headline_calls::bogus", || {
        let c = Calls::new("headline-bogus", &["Bogus"], "", &["Bogus"]);
        let name = |seed: i64| {
            let f = c.call("Faker.new", None, &[]);
            let r = c.call("Randomizer.new", None, &[j(json!(seed))]);
            c.call("Faker.set_Random", Some(&f), &[r]);
            let n = c.call("Faker.Name", Some(&f), &[]);
            c.json("Name.FirstName", Some(&n), &[])
        };
        let a = name(42);
        assert!(a.as_str().is_some_and(|s| !s.is_empty()), "{a}");
        assert_eq!(name(42), a, "a seeded Faker is deterministic");
    });
}

#[test]
fn dapper_over_sqlite() {
    own_process("headline_calls::dapper_over_sqlite", || {
        let c = Calls::new(
            "headline-dapper",
            &["Dapper", "Microsoft.Data.Sqlite"],
            "\n[dotnet.monomorphise]\n\"Dapper.SqlMapper::ExecuteScalar``1\" = [\"System.Int64\"]\n",
            &[
                "SQLitePCLRaw.bundle_e_sqlite3",
                "Microsoft.Data.Sqlite.Core",
                "Dapper",
            ],
        );
        // What the Microsoft.Data.Sqlite meta-package does for a .NET program:
        // the bundle picks the e_sqlite3 provider, whose libe_sqlite3.so
        // (SQLitePCLRaw.lib.e_sqlite3's runtimes/linux-x64/native) sits beside its shim.
        c.call("Batteries_V2.Init", None, &[]);
        let conn = c.call(
            "SqliteConnection.new",
            None,
            &[j(json!("Data Source=:memory:"))],
        );
        c.call("SqliteConnection.Open", Some(&conn), &[]);
        assert_eq!(
            c.json(
                "SqlMapper.ExecuteScalar_Int64",
                None,
                &[conn.clone(), j(json!("select 40 + 2"))]
            ),
            json!(42)
        );
        assert_eq!(
            c.json(
                "SqlMapper.ExecuteScalar_Int64",
                None,
                &[conn, j(json!("select length('mochi')"))]
            ),
            json!(5)
        );
    });
}

#[test]
fn serilog_file_sink() {
    own_process("headline_calls::serilog_file_sink", || {
        let c = Calls::new(
            "headline-serilog",
            &["Serilog", "Serilog.Sinks.File"],
            "\n[dotnet.monomorphise]\n\"Serilog.Core.Logger::Information``1\" = [\"System.Int32\"]\n",
            &["Serilog", "Serilog.Sinks.File"],
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.txt");
        let config = c.call("LoggerConfiguration.new", None, &[]);
        let write_to = c.call("LoggerConfiguration.WriteTo", Some(&config), &[]);
        c.call(
            "LoggerSinkConfiguration.File",
            Some(&write_to),
            &[
                j(json!(path.to_str().unwrap())),
                j(json!(0)),
                j(json!("{Level:u3} {Message:lj}{NewLine}")),
            ],
        );
        let logger = c.call("LoggerConfiguration.CreateLogger", Some(&config), &[]);
        c.call(
            "Logger.Information",
            Some(&logger),
            &[j(json!("The answer is {Answer}")), j(json!(42))],
        );
        c.call("Logger.Dispose", Some(&logger), &[]);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "INF The answer is 42\n"
        );
    });
}

#[test]
fn awssdk_core() {
    own_process("headline_calls::awssdk_core", || {
        let c = Calls::new("headline-aws", &["AWSSDK.Core"], "", &["AWSSDK.Core"]);
        let region = c.call(
            "RegionEndpoint.GetBySystemName",
            None,
            &[j(json!("us-east-1"))],
        );
        assert_eq!(
            c.json("RegionEndpoint.SystemName", Some(&region), &[]),
            json!("us-east-1")
        );
        assert_eq!(
            c.json("RegionEndpoint.DisplayName", Some(&region), &[]),
            json!("US East (N. Virginia)")
        );
        // Signature V4's signing key, computed offline: AWS's documented example.
        let key = c.json(
            "AWS4Signer.ComposeSigningKey",
            None,
            &[
                j(json!("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")),
                j(json!("us-east-1")),
                j(json!("20120215")),
                j(json!("iam")),
            ],
        );
        let hex: String = key
            .as_array()
            .unwrap()
            .iter()
            .map(|b| format!("{:02x}", b.as_i64().unwrap()))
            .collect();
        assert_eq!(
            hex,
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    });
}

// ---- callbacks from native code (docs/hosting.md, "Callbacks") ----

use std::ffi::c_void;
use std::sync::atomic::{AtomicI64, Ordering};

/// Fails twice, then answers 42: Polly retries it.
extern "C" fn flaky(ctx: *mut c_void, r: *mut i64, err: *mut hosting::MochiError) -> i32 {
    let calls = unsafe { &*(ctx as *const AtomicI64) };
    if calls.fetch_add(1, Ordering::SeqCst) < 2 {
        unsafe { give_error(err, "Mochi.Flaky", "not yet") };
        return 1;
    }
    unsafe { *r = 42 };
    0
}

unsafe extern "C" {
    fn malloc(size: usize) -> *mut c_void;
}

unsafe fn give(s: &str, p: *mut *mut u8, len: *mut i32) {
    unsafe {
        let b = malloc(s.len().max(1)) as *mut u8;
        std::ptr::copy_nonoverlapping(s.as_ptr(), b, s.len());
        *p = b;
        *len = s.len() as i32;
    }
}

unsafe fn give_error(err: *mut hosting::MochiError, ty: &str, msg: &str) {
    unsafe {
        give(ty, &mut (*err).type_name, &mut (*err).type_name_len);
        give(msg, &mut (*err).message, &mut (*err).message_len);
    }
}

fn callback(f: usize, ctx: *const c_void) -> Val {
    Val::Callback {
        function: f,
        context: ctx as usize,
        release: 0,
    }
}

#[test]
fn polly_retry_through_a_callback() {
    own_process("headline_calls::polly_retry_through_a_callback", || {
        let c = Calls::new(
            "headline-polly",
            &["Polly"],
            "\n[dotnet.monomorphise]\n\"Polly.ResiliencePipeline::Execute``1\" = [\"System.Int64\"]\n\"Polly.Retry.RetryStrategyOptions`1\" = [\"System.Object\"]\n",
            &["Polly.Core"],
        );
        let options = c.call("RetryStrategyOptions.new", None, &[]);
        c.call(
            "RetryStrategyOptions.set_MaxRetryAttempts",
            Some(&options),
            &[j(json!(3))],
        );
        c.call(
            "RetryStrategyOptions.set_Delay",
            Some(&options),
            &[j(json!(0))],
        );
        let builder = c.call("ResiliencePipelineBuilder.new", None, &[]);
        c.call(
            "ResiliencePipelineBuilder.AddRetry",
            Some(&builder),
            &[options],
        );
        let pipeline = c.call("ResiliencePipelineBuilder.Build", Some(&builder), &[]);
        let calls = AtomicI64::new(0);
        let cb = callback(
            flaky as *const () as usize,
            &calls as *const _ as *const c_void,
        );
        assert_eq!(
            c.json(
                "ResiliencePipeline.Execute_Int64_func_m0",
                Some(&pipeline),
                &[cb]
            ),
            json!(42)
        );
        assert_eq!(
            calls.load(Ordering::SeqCst),
            3,
            "two failures retried, then success"
        );
    });
}

/// `mochi-dotnet invoke` follows a chain across locked packages (issue 10: a
/// `ServiceCollection` could not flow into the DI abstractions package).
#[test]
fn invoke_chains_across_packages() {
    let dir = project(
        "headline-di-cli",
        &["Microsoft.Extensions.DependencyInjection"],
    );
    let mut toml = std::fs::read_to_string(dir.join("mochi.toml")).unwrap();
    toml.push_str("\n[dotnet.monomorphise]\n\"Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions::AddSingleton``1\" = [\"System.String\"]\n\"Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions::GetRequiredService``1\" = [\"System.String\"]\n");
    std::fs::write(dir.join("mochi.toml"), toml).unwrap();
    cli_ok(&dir, &["lock", "-q"]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mochi-dotnet"))
        .args([
            "invoke",
            "Microsoft.Extensions.DependencyInjection",
            "ServiceCollection.new",
            "+",
            "IServiceCollection.AddSingleton",
            "\"hello from DI\"",
            "+",
            "IServiceCollection.BuildServiceProvider",
            "+",
            "IServiceProvider.GetRequiredService",
        ])
        .current_dir(&dir)
        .env("MOCHI_DOTNET_CACHE", package_cache_dir())
        .env("MOCHI_DOTNET8_ROOT", dotnet8_root())
        .env("MOCHI_DOTNET_SHIM_COMPILER", "mcs")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "\"hello from DI\""
    );
    assert!(
        stderr.contains("Mochi.Shim.MicrosoftExtensionsDependencyInjectionAbstractions")
            || !stderr.contains("building"),
        "both packages' shims: {stderr}"
    );
}
