//! `mochi-dotnet invoke` as a real process, on the real .NET 8 runtime with
//! shims built by mcs: Debian's Newtonsoft.Json 6.0.8 (a net45 NuGet build)
//! and System.Text.RegularExpressions from the .NET 8 shared framework.

use fixtures::assemblies::dotnet8_root;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

const NEWTONSOFT: &str = "/usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll";

fn regex_dll() -> PathBuf {
    let root = dotnet8_root();
    let install = hosting::DotnetInstall::probe(&root).unwrap();
    let v = hosting::FrameworkRequirement::net(8, 0)
        .select(&install.runtimes)
        .unwrap()
        .clone();
    install
        .framework_dir(&v)
        .join("System.Text.RegularExpressions.dll")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn invoke(cache: &Path, args: &[&str]) -> Run {
    invoke_in(cache, args, None, &[])
}

/// `invoke` with environment overrides (`None` removes a variable), in `cwd`.
fn invoke_in(
    cache: &Path,
    args: &[&str],
    cwd: Option<&Path>,
    env: &[(&str, Option<&OsStr>)],
) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mochi-dotnet"));
    cmd.arg("invoke")
        .args(args)
        .env("MOCHI_DOTNET_CACHE", cache)
        .env("DOTNET_ROOT", dotnet8_root())
        .env("MOCHI_DOTNET_SHIM_COMPILER", "mcs")
        .env("MOCHI_DOTNET_INVOKE_VERBOSE", "1");
    if let Some(d) = cwd {
        cmd.current_dir(d);
    }
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let out = cmd.output().expect("run mochi-dotnet");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ok(cache: &Path, args: &[&str]) -> String {
    let r = invoke(cache, args);
    assert_eq!(r.code, 0, "invoke {args:?} failed:\n{}", r.stderr);
    assert!(
        r.stderr.contains("live handles after release: 0"),
        "handles leaked: {}",
        r.stderr
    );
    r.stdout.trim_end().to_string()
}

fn builds(cache: &Path) -> usize {
    std::fs::read_to_string(cache.join("shims/builds.log"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

#[test]
fn newtonsoft_json_parse_navigate_print_and_to_string_overloads() {
    if !Path::new(NEWTONSOFT).is_file() {
        eprintln!("skipped: {NEWTONSOFT} missing (apt-get install libnewtonsoft-json5.0-cil)");
        return;
    }
    let cache = tempfile::tempdir().unwrap();
    let c = cache.path();
    let doc = r#"{"name":"Mochi","tags":["a","日本"],"nested":{"n":42,"ok":true}}"#;
    // JObject.Parse, then SelectToken navigation and printing tokens.
    assert_eq!(
        ok(
            c,
            &[
                NEWTONSOFT,
                "JObject.Parse",
                doc,
                "+",
                "JToken.SelectToken",
                "tags[1]",
                "+",
                "JToken.ToString"
            ]
        ),
        r#""日本""#
    );
    assert_eq!(builds(c), 1, "the first call builds the shim");
    assert_eq!(
        ok(
            c,
            &[
                NEWTONSOFT,
                "JObject.Parse",
                doc,
                "+",
                "JToken.SelectToken",
                "nested.n",
                "+",
                "JToken.ToString"
            ]
        ),
        r#""42""#
    );
    assert_eq!(builds(c), 1, "a cache hit builds nothing");
    // Inherited members through the type's bases: JObject.SelectToken is JToken's.
    assert_eq!(
        ok(
            c,
            &[
                NEWTONSOFT,
                "JObject.Parse",
                doc,
                "+",
                "JObject.SelectToken",
                "name",
                "+",
                "JValue.ToString"
            ]
        ),
        r#""Mochi""#
    );
    let r = invoke(
        c,
        &[
            NEWTONSOFT,
            "JObject.Parse",
            doc,
            "+",
            "JToken.SelectToken",
            "nested",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("shim cache hit"), "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["handle"], "Newtonsoft.Json.Linq.JToken");
    let printed: serde_json::Value = serde_json::from_str(v["string"].as_str().unwrap()).unwrap();
    assert_eq!(printed, serde_json::json!({"n": 42, "ok": true}));
    // Compact printing: ToString(Formatting.None, converters[]).
    assert_eq!(
        ok(
            c,
            &[
                NEWTONSOFT,
                "JObject.Parse",
                doc,
                "+",
                "JToken.SelectToken",
                "tags",
                "+",
                "JToken.ToString_formatting_json_converter_array",
                "0",
                "[]"
            ]
        ),
        r#""[\"a\",\"日本\"]""#
    );
    // JsonConvert.ToString overloads: picked by the JSON argument, or named by alias.
    assert_eq!(
        ok(c, &[NEWTONSOFT, "JsonConvert.ToString", "42"]),
        r#""42""#
    );
    assert_eq!(
        ok(c, &[NEWTONSOFT, "JsonConvert.ToString", "2.5"]),
        r#""2.5""#
    );
    assert_eq!(
        ok(c, &[NEWTONSOFT, "JsonConvert.ToString", "true"]),
        r#""true""#
    );
    assert_eq!(
        ok(c, &[NEWTONSOFT, "JsonConvert.ToString", r#""say \"hé\"""#]),
        r#""\"say \\\"hé\\\"\"""#
    );
    assert_eq!(
        ok(
            c,
            &[NEWTONSOFT, "JsonConvert.ToString_string_char", "x", "'"]
        ),
        r#""'x'""#
    );
    assert_eq!(
        ok(
            c,
            &[
                NEWTONSOFT,
                "JsonConvert.ToString_guid",
                "0F8FAD5B-D9CB-469F-A165-70867728950E"
            ]
        ),
        r#""\"0f8fad5b-d9cb-469f-a165-70867728950e\"""#
    );
    assert_eq!(
        ok(
            c,
            &[
                NEWTONSOFT,
                "JsonConvert.ToString_date_time_offset",
                "2024-02-29T12:00:00+01:00"
            ]
        ),
        r#""\"2024-02-29T12:00:00+01:00\"""#
    );
    assert_eq!(
        ok(c, &[NEWTONSOFT, "JsonConvert.ToString_u_int64", "18"]),
        r#""18""#
    );
    assert_eq!(builds(c), 1);

    // Managed exceptions: a clear error and exit status 1.
    let r = invoke(c, &[NEWTONSOFT, "JObject.Parse", "{bad"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("error: Newtonsoft.Json.JsonReaderException: "),
        "{}",
        r.stderr
    );
    // SelectToken finding nothing returns null where the binding says non-null.
    let r = invoke(
        c,
        &[
            NEWTONSOFT,
            "JObject.Parse",
            doc,
            "+",
            "JToken.SelectToken",
            "missing",
        ],
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("System.InvalidOperationException: M Newtonsoft.Json.Linq.JToken::SelectToken(System.String)"), "{}", r.stderr);
    // Ambiguous and unknown members are named, with candidates.
    let r = invoke(c, &[NEWTONSOFT, "JsonConvert.ToString", "[1]"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("JsonConvert.ToString"), "{}", r.stderr);
    let r = invoke(c, &[NEWTONSOFT, "JObject.Parsley", "{}"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("is not a translated member"),
        "{}",
        r.stderr
    );
}

#[test]
fn framework_regex_is_match_replace_and_chains() {
    let rx = regex_dll();
    let rx = rx.to_str().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let c = cache.path();
    // IsMatch has Span overloads (mcs cannot compile a direct call): called through reflection.
    assert_eq!(
        ok(c, &[rx, "Regex.IsMatch", "héllo wörld", r"\bw\w+"]),
        "true"
    );
    assert_eq!(ok(c, &[rx, "Regex.IsMatch", "hello", r"^\d+$"]), "false");
    assert_eq!(
        ok(c, &[rx, "Regex.Replace", "a1b22c333", r"\d+", "#"]),
        r#""a#b#c#""#
    );
    assert_eq!(ok(c, &[rx, "Regex.Escape", "a.b*c"]), r#""a\\.b\\*c""#);
    // A constructor as receiver, then members of the result.
    assert_eq!(
        ok(
            c,
            &[
                rx,
                "Regex.new",
                r"(\d+)-(\w+)",
                "+",
                "Regex.Match",
                "id 42-ab!",
                "+",
                "Capture.Value"
            ]
        ),
        r#""42-ab""#
    );
    assert_eq!(
        ok(c, &[rx, "Regex.new", r"\s+", "+", "Regex.Split", "a  b\tc"]),
        r#"["a","b","c"]"#
    );
    assert_eq!(builds(c), 1);
    let r = invoke(c, &[rx, "Regex.IsMatch", "x", "("]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(
            "error: System.Text.RegularExpressions.RegexParseException: Invalid pattern '('"
        ),
        "{}",
        r.stderr
    );
}

/// CoreLib (16k exports; each call binds it again, about 3 s in a debug build).
#[test]
fn corelib_value_receivers_and_span_overloaded_members() {
    let corelib = regex_dll().with_file_name("System.Private.CoreLib.dll");
    let cl = corelib.to_str().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let c = cache.path();
    // int.Parse has Span overloads: called through reflection.
    assert_eq!(ok(c, &[cl, "Int32.Parse_string", r#""42""#]), "42");
    let r = invoke(c, &[cl, "Int32.Parse_string", "x"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("error: System.FormatException: "),
        "{}",
        r.stderr
    );
    // Value receivers: the first argument, or the previous result of a chain.
    assert_eq!(
        ok(c, &[cl, "Boolean.CompareTo_boolean", "true", "false"]),
        "1"
    );
    assert_eq!(
        ok(c, &[cl, "DateTime.AddDays", "2024-02-28T10:00:00Z", "1"]),
        r#""2024-02-29T10:00:00.0000000Z""#
    );
    assert_eq!(ok(c, &[cl, "TimeSpan.get_TotalSeconds", "15000000"]), "1.5");
    let g = ok(c, &[cl, "Guid.NewGuid", "+", "Guid.ToString"]);
    assert_eq!(g.len(), 38, "{g}");
    assert_eq!(builds(c), 1);
}

/// The .NET SDK of this machine, or `None` (skip) when it has none; with
/// MOCHI_DOTNET_SDK_ROOT set (the test environment found one) a missing SDK fails.
fn sdk_root() -> Option<PathBuf> {
    match shimbuild::compile::find_sdk(&shimbuild::BuildOptions::default()) {
        Ok(sdk) => Some(sdk.root),
        Err(why) => {
            assert!(
                std::env::var_os("MOCHI_DOTNET_SDK_ROOT").is_none(),
                "MOCHI_DOTNET_SDK_ROOT is set but {why}"
            );
            eprintln!("skipped: {why}");
            None
        }
    }
}

/// With no compiler forced, `invoke` builds with `dotnet build` when the SDK is
/// installed and with `mcs` on a machine that has a .NET 8 runtime and no
/// SDK, and says on stderr which one and why.
#[test]
fn the_shim_compiler_is_chosen_automatically_and_printed() {
    if !Path::new(NEWTONSOFT).is_file() {
        eprintln!("skipped: {NEWTONSOFT} missing (apt-get install libnewtonsoft-json5.0-cil)");
        return;
    }
    let call = [NEWTONSOFT, "JsonConvert.ToString", "42"];
    // No SDK: PATH holds only mcs (its script runs /usr/bin/mono), DOTNET_ROOT a runtime.
    let bin = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/usr/bin/mcs", bin.path().join("mcs")).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let r = invoke_in(
        cache.path(),
        &call,
        None,
        &[
            ("MOCHI_DOTNET_SHIM_COMPILER", None),
            ("MOCHI_DOTNET_SDK_ROOT", None),
            ("PATH", Some(bin.path().as_os_str())),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.trim_end(), r#""42""#);
    assert!(
        r.stderr
            .contains("note: building Mochi.Shim.NewtonsoftJson with mcs ("),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("no .NET SDK") && r.stderr.contains("no `csc` on PATH"),
        "{}",
        r.stderr
    );
    // A cache hit compiles nothing and announces nothing.
    let r = invoke_in(
        cache.path(),
        &call,
        None,
        &[
            ("MOCHI_DOTNET_SHIM_COMPILER", None),
            ("MOCHI_DOTNET_SDK_ROOT", None),
            ("PATH", Some(bin.path().as_os_str())),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("note: building"), "{}", r.stderr);

    let Some(sdk) = sdk_root() else {
        return;
    };
    let path = std::env::join_paths([
        sdk.clone(),
        PathBuf::from("/usr/bin"),
        PathBuf::from("/bin"),
    ])
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let r = invoke_in(
        cache.path(),
        &call,
        None,
        &[
            ("MOCHI_DOTNET_SHIM_COMPILER", None),
            ("PATH", Some(path.as_os_str())),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.trim_end(), r#""42""#);
    assert!(
        r.stderr
            .contains("note: building Mochi.Shim.NewtonsoftJson with dotnet build (.NET SDK "),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("a .NET SDK is installed")
            && r.stderr
                .contains("compiling against the targeting pack Microsoft.NETCore.App.Ref 8."),
        "{}",
        r.stderr
    );
    // A forced compiler that cannot work says which and why.
    let r = invoke_in(
        tempfile::tempdir().unwrap().path(),
        &call,
        None,
        &[("MOCHI_DOTNET_SHIM_COMPILER", Some(OsStr::new("fortran")))],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("MOCHI_DOTNET_SHIM_COMPILER is \"fortran\""),
        "{}",
        r.stderr
    );
}

/// A net8.0 shim on a machine whose only runtime is the SDK's .NET 10: by
/// default .NET's roll-forward (Minor) refuses it, with an error naming
/// Microsoft.NETCore.App 8.0 and how to get it or roll forward;
/// `[dotnet.runtime] roll-forward = "LatestMajor"` runs it on .NET 10. On
/// the .NET 8 runtime both run on 8.
#[test]
fn roll_forward_decides_whether_a_net8_shim_runs_on_dotnet10() {
    if !Path::new(NEWTONSOFT).is_file() {
        eprintln!("skipped: {NEWTONSOFT} missing (apt-get install libnewtonsoft-json5.0-cil)");
        return;
    }
    let Some(sdk) = sdk_root() else {
        return;
    };
    let call = [NEWTONSOFT, "JsonConvert.ToString", "42"];
    // A project folder with no .tools/dotnet8 above it, and only .NET 10 to be found.
    let project = tempfile::tempdir().unwrap();
    let path = std::env::join_paths([
        sdk.clone(),
        PathBuf::from("/usr/bin"),
        PathBuf::from("/bin"),
    ])
    .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let only10 = [
        ("MOCHI_DOTNET8_ROOT", None),
        ("MOCHI_DOTNET_SHIM_COMPILER", None),
        ("DOTNET_ROLL_FORWARD", None),
        ("DOTNET_ROOT", Some(sdk.as_os_str())),
        ("PATH", Some(path.as_os_str())),
    ];
    let r = invoke_in(cache.path(), &call, Some(project.path()), &only10);
    assert_eq!(r.code, 1, "{}\n{}", r.stdout, r.stderr);
    for part in [
        "no installed .NET runtime satisfies Microsoft.NETCore.App 8.0",
        "(rollForward Minor)",
        "has runtimes 10.",
        "install the .NET 8.0 runtime",
        "apt-get install dotnet-runtime-8.0",
        "roll-forward = \"LatestMajor\"",
    ] {
        assert!(r.stderr.contains(part), "{part:?} not in:\n{}", r.stderr);
    }

    std::fs::write(
        project.path().join("mochi.toml"),
        "[dotnet.runtime]\nroll-forward = \"LatestMajor\"\n",
    )
    .unwrap();
    let r = invoke_in(cache.path(), &call, Some(project.path()), &only10);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.trim_end(), r#""42""#);
    assert!(
        r.stderr.contains("running on Microsoft.NETCore.App 10."),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("(rollForward LatestMajor)"),
        "{}",
        r.stderr
    );
    let rcs: Vec<String> = std::fs::read_dir(cache.path().join("shims"))
        .unwrap()
        .flatten()
        .map(|e| {
            e.path()
                .join("bin/Mochi.Shim.NewtonsoftJson.runtimeconfig.json")
        })
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    assert!(
        rcs.iter()
            .any(|t| t.contains("\"rollForward\": \"LatestMajor\"")),
        "{rcs:?}"
    );

    // On .NET 8 the default and LatestMajor both run on 8 (the newest there).
    let on8 = [("MOCHI_DOTNET8_ROOT", Some(dotnet8_root().into_os_string()))];
    let on8: Vec<(&str, Option<&OsStr>)> = on8.iter().map(|(k, v)| (*k, v.as_deref())).collect();
    let r = invoke_in(cache.path(), &call, Some(project.path()), &on8);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("running on Microsoft.NETCore.App 8."),
        "{}",
        r.stderr
    );
    std::fs::remove_file(project.path().join("mochi.toml")).unwrap();
    let r = invoke_in(cache.path(), &call, Some(project.path()), &on8);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.trim_end(), r#""42""#);
    assert!(
        r.stderr.contains("running on Microsoft.NETCore.App 8."),
        "{}",
        r.stderr
    );
}
