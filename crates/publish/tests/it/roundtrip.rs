//! The three round trips of docs/publishing.md, for real: the test library (C, built
//! by gcc) is published with trusted publishing to the mock nuget.org, then
//!
//! (a) `dotnet new console` + `dotnet add package` from the mock + `dotnet run`;
//! (b) `mochi-dotnet lock` from the mock, `bind`, and `invoke` through its shim —
//!     Mochi → .NET → Mochi;
//! (c) with `aot = true`, a consumer published with `PublishAot=true` runs it.

use crate::common;

use std::path::Path;
use std::process::{Command, Output};

use common::{Library, Project, clean_env, dotnet_env, publish};
use fixtures::mock_nugetorg::{MockNugetOrg, MockOptions, Policy, Run};
use publish::cli::Outcome;

const PROGRAM: &str = r#"using Mochi.Mathx;

Console.WriteLine(Mathx.Add(2, 40));
Console.WriteLine(Mathx.IsEven(7));
Console.WriteLine(Mathx.Scale(1.5, 4).ToString(System.Globalization.CultureInfo.InvariantCulture));
Console.WriteLine(Mathx.Greet("wörld"));
Console.WriteLine(string.Join("|", Mathx.Words("to be  or not")));
Console.WriteLine(Mathx.Sum(new long[] { 1, 2, 3, 4 }));
Console.WriteLine(Mathx.Mean(new double[] { 1, 2, 4.5 })?.ToString(System.Globalization.CultureInfo.InvariantCulture));
Console.WriteLine(Mathx.Mean(Array.Empty<double>()) is null ? "no mean" : "mean");
Console.WriteLine(Mathx.FirstLong(new[] { "a", "abc", "abcd" }, 2) ?? "none");
Console.WriteLine(string.Join(",", Mathx.WordCounts("a b a c a").Select(kv => kv.Key + "=" + kv.Value)));
Console.WriteLine(Mathx.Total(new Dictionary<string, long> { ["x"] = 2, ["y"] = 5 }));
Console.WriteLine(Mathx.Flip(true));
using (var c = Mathx.CounterNew(10))
{
    Mathx.CounterAdd(c, 5);
    Console.WriteLine(Mathx.CounterPeek(c));
    Console.WriteLine(Mathx.LiveCounters());
}
Console.WriteLine(Mathx.LiveCounters());
try
{
    Mathx.Div(1, 0);
    Console.WriteLine("no error");
}
catch (MochiException e)
{
    Console.WriteLine(e.GetType().FullName + " " + e.ErrorType + ": " + e.Message);
}
try
{
    Mathx.Fail("ünïcode message");
}
catch (MochiException e)
{
    Console.WriteLine(e.ErrorType + ": " + e.Message);
}
"#;

const EXPECTED: &str = "42\nFalse\n6\nHello, wörld!\nto|be|or|not\n10\n2.5\nno mean\nabc\na=3,b=1,c=1\n7\nFalse\n15\n1\n0\nMochi.Mathx.MochiException DivideByZero: division of an integer by zero\nBoom: ünïcode message\n";

fn policy() -> Policy {
    Policy {
        owner: "ada".into(),
        repository_owner: "octo-org".into(),
        repository: "mathx".into(),
        workflow_file: "release.yml".into(),
        environment: None,
    }
}

/// Publishes `lib` to a new mock with trusted publishing; the mock serves it.
fn published(lib: &Library) -> (MockNugetOrg, Project, String) {
    let mock = MockNugetOrg::start(MockOptions {
        policies: vec![policy()],
        ..MockOptions::default()
    })
    .unwrap();
    let project = Project::new(lib);
    let mut env = clean_env();
    for (k, v) in mock.actions_env(&Run::new("octo-org", "mathx", "release.yml")) {
        env.set(k, v);
    }
    let (result, out) = publish(&project.manifest, &mock.service_index_url(), &[], &env);
    assert!(
        matches!(result, Ok(Outcome::Published { status: 201, .. })),
        "{out}"
    );
    let sha = mock.pushes()[0].sha512_hex.clone();
    (mock, project, sha)
}

/// A NuGet.config: the mock for `Mochi.*`, the machine's feed for the rest (the SDK's packs).
fn nuget_config(dir: &Path, mock: &MockNugetOrg, with_machine_feed: bool) {
    let machine = if with_machine_feed {
        "    <add key=\"nuget.org\" value=\"https://api.nuget.org/v3/index.json\" />\n"
    } else {
        ""
    };
    let mapping = if with_machine_feed {
        "    <packageSource key=\"nuget.org\"><package pattern=\"*\" /></packageSource>\n"
    } else {
        ""
    };
    std::fs::write(
        dir.join("NuGet.config"),
        format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n  <packageSources>\n    <clear />\n    <add key=\"mock\" value=\"{}\" allowInsecureConnections=\"true\" />\n{machine}  </packageSources>\n  <packageSourceMapping>\n    <packageSource key=\"mock\"><package pattern=\"Mochi.*\" /></packageSource>\n{mapping}  </packageSourceMapping>\n</configuration>\n",
            mock.service_index_url()
        ),
    )
    .unwrap();
}

fn run(cmd: &mut Command, what: &str) -> Output {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `dotnet <args>` with `packages` as the global packages folder.
fn dotnet(dir: &Path, scratch: &Path, packages: &Path, args: &[&str]) -> Command {
    let mut c = Command::new("dotnet");
    c.args(args).current_dir(dir);
    dotnet_env(&mut c, scratch);
    c.env("NUGET_PACKAGES", packages)
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .env_remove("DOTNET_ROOT");
    c
}

/// `dotnet new console` with PROGRAM and `dotnet add package <id>` from the mock.
fn console_app(
    dir: &Path,
    packages: &Path,
    mock: &MockNugetOrg,
    id: &str,
    version: &str,
) -> std::path::PathBuf {
    let app = dir.join("app");
    std::fs::create_dir_all(&app).unwrap();
    nuget_config(dir, mock, true);
    run(
        &mut dotnet(&app, dir, packages, &["new", "console", "--force"]),
        "dotnet new console",
    );
    run(
        &mut dotnet(
            &app,
            dir,
            packages,
            &["add", "package", id, "--version", version],
        ),
        "dotnet add package",
    );
    std::fs::write(
        app.join("Program.cs"),
        PROGRAM.replace("using Mochi.Mathx;", &format!("using {id};")),
    )
    .unwrap();
    let csproj = std::fs::read_to_string(app.join("app.csproj")).unwrap();
    assert!(
        csproj.contains(&format!(
            "<PackageReference Include=\"{id}\" Version=\"{version}\" />"
        )),
        "{csproj}"
    );
    app
}

#[test]
fn a_dotnet_console_app_installs_and_calls_the_published_package() {
    let (mock, _project, sha) = published(&Library::new("Mochi.Mathx"));
    let dir = tempfile::tempdir().unwrap();
    // A global packages folder of this test only: the package comes from the mock.
    let packages = dir.path().join("nuget-packages");
    let app = console_app(dir.path(), &packages, &mock, "Mochi.Mathx", "1.2.0");
    let out = run(
        &mut dotnet(&app, dir.path(), &packages, &["run", "-c", "Release"]),
        "dotnet run",
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), EXPECTED);
    // What was installed is what was pushed.
    let installed =
        std::fs::read_to_string(packages.join("mochi.mathx/1.2.0/mochi.mathx.1.2.0.nupkg.sha512"))
            .expect("the restored package's .sha512");
    use base64::Engine;
    assert_eq!(
        hex::encode(
            base64::engine::general_purpose::STANDARD
                .decode(installed.trim())
                .unwrap()
        ),
        sha
    );
    assert!(
        mock.requests()
            .iter()
            .any(|r| r == "GET /v3/flat/mochi.mathx/1.2.0/mochi.mathx.1.2.0.nupkg"),
        "{:?}",
        mock.requests()
    );
}

#[test]
fn the_bridge_locks_binds_and_invokes_the_published_package() {
    let (mock, _project, sha) = published(&Library::new("Mochi.Mathx"));
    let consumer = tempfile::tempdir().unwrap();
    let scratch = consumer.path().join("scratch");
    std::fs::write(
        consumer.path().join("mochi.toml"),
        "[package]\nname = \"consumer\"\nversion = \"0.1.0\"\n\n[dotnet-dependencies]\n\"Mochi.Mathx\" = \"1.2.0\"\n\n[dotnet.capabilities]\nnet = true\nfs = true\n",
    )
    .unwrap();
    nuget_config(consumer.path(), &mock, false);
    let dotnet8 = fixtures::assemblies::dotnet8_root();
    let mochi = |args: &[&str]| -> Output {
        let mut c = Command::new(common::mochi_dotnet());
        c.args(args).current_dir(consumer.path());
        dotnet_env(&mut c, &scratch);
        c.env("NUGET_PACKAGES", scratch.join("nuget-packages"))
            .env("MOCHI_DOTNET8_ROOT", &dotnet8)
            .env("DOTNET_ROOT", &dotnet8);
        c.output().unwrap()
    };
    let ok = |args: &[&str]| -> String {
        let out = mochi(args);
        assert!(
            out.status.success(),
            "mochi-dotnet {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim_end().to_string()
    };

    ok(&["lock"]);
    let lock = std::fs::read_to_string(consumer.path().join("mochi.lock")).unwrap();
    assert!(
        lock.contains("id = \"Mochi.Mathx\"\nversion = \"1.2.0\""),
        "{lock}"
    );
    assert!(
        lock.contains(&format!("source = \"{}\"", mock.service_index_url())),
        "{lock}"
    );
    // The bridge locked exactly the bytes that were pushed.
    assert!(
        lock.contains(&format!("nupkg-sha512 = \"{sha}\"")),
        "{lock}"
    );
    assert!(lock.contains("assets-framework = \"net8.0\""), "{lock}");
    assert!(lock.contains("shim-sha256 = \""), "{lock}");
    ok(&["lock", "--check"]);

    // The Mochi side of the .NET facade of a Mochi library.
    ok(&["bind", "Mochi.Mathx", "--out", "bindings"]);
    let externs =
        std::fs::read_to_string(consumer.path().join("bindings/mochi_mathx_extern.mochi")).unwrap();
    for line in [
        "extern type Counter // Mochi.Mathx.Counter",
        "extern fun mochi_mochi_mathx_mathx_add(a: int64, b: int64): int64",
        "extern fun mochi_mochi_mathx_mathx_greet(name: string): string",
        "extern fun mochi_mochi_mathx_mathx_mean(xs: list<float>): float?",
        "extern fun mochi_mochi_mathx_mathx_word_counts(text: string): map<string, int64>",
        "extern fun mochi_mochi_mathx_mathx_counter_peek(c: Counter?): int64?",
    ] {
        assert!(externs.contains(line), "{line:?} missing from\n{externs}");
    }

    // Calls: Mochi (invoke) → .NET (shim → facade) → Mochi (the native library).
    assert_eq!(ok(&["invoke", "Mochi.Mathx", "Mathx.Add", "2", "40"]), "42");
    assert_eq!(
        ok(&["invoke", "Mochi.Mathx", "Mathx.Greet", "wörld"]),
        "\"Hello, wörld!\""
    );
    assert_eq!(
        ok(&["invoke", "Mochi.Mathx", "Mathx.Words", "to be or"]),
        "[\"to\",\"be\",\"or\"]"
    );
    assert_eq!(
        ok(&["invoke", "Mochi.Mathx", "Mathx.WordCounts", "a b a"]),
        "{\"a\":2,\"b\":1}"
    );
    assert_eq!(ok(&["invoke", "Mochi.Mathx", "Mathx.Mean", "[]"]), "null");
    assert_eq!(
        ok(&["invoke", "Mochi.Mathx", "Mathx.Mean", "[1, 2.5]"]),
        "1.75"
    );
    assert_eq!(
        ok(&[
            "invoke",
            "Mochi.Mathx",
            "Mathx.CounterNew",
            "10",
            "+",
            "Mathx.CounterAdd",
            "5"
        ]),
        "15"
    );
    let out = mochi(&["invoke", "Mochi.Mathx", "Mathx.Div", "1", "0"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        "error: Mochi.Mathx.MochiException: division of an integer by zero"
    );
}

#[test]
fn a_native_aot_consumer_runs_the_aot_package() {
    let mut lib = Library::new("Mochi.MathxAot");
    lib.aot = true;
    let (mock, _project, _) = published(&lib);
    let dir = tempfile::tempdir().unwrap();
    // The ILCompiler and runtime packs are large: the shared test folder keeps them.
    // Our package must still come from this mock: drop an earlier run's copy.
    let packages = common::shared_nuget_packages();
    let _ = std::fs::remove_dir_all(packages.join("mochi.mathxaot"));
    let app = console_app(dir.path(), &packages, &mock, "Mochi.MathxAot", "1.2.0");
    let csproj = std::fs::read_to_string(app.join("app.csproj")).unwrap().replace("</PropertyGroup>", "  <PublishAot>true</PublishAot>\n    <InvariantGlobalization>true</InvariantGlobalization>\n  </PropertyGroup>");
    std::fs::write(app.join("app.csproj"), csproj).unwrap();
    let out = run(
        &mut dotnet(
            &app,
            dir.path(),
            &packages,
            &["publish", "-c", "Release", "-r", "linux-x64", "-o", "out"],
        ),
        "dotnet publish (NativeAOT)",
    );
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(
        log.contains("Generating native code"),
        "not a NativeAOT publish:\n{log}"
    );
    assert!(!log.contains("warning IL"), "trim/AOT warnings:\n{log}");
    // A native executable, no managed entry assembly beside it, the library's .so copied.
    let exe = app.join("out/app");
    assert!(!app.join("out/app.dll").exists());
    assert!(app.join("out/libmathx.so").is_file());
    let bytes = std::fs::read(&exe).unwrap();
    assert_eq!(&bytes[..4], b"\x7fELF");
    let out = run(Command::new(&exe).current_dir(&app), "the AOT app");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        EXPECTED.replace(
            "Mochi.Mathx.MochiException",
            "Mochi.MathxAot.MochiException"
        )
    );
}
