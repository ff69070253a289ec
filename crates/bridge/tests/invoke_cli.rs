//! `mochi-dotnet invoke` as a real process, on the real .NET 8 runtime with
//! shims built by mcs: Debian's Newtonsoft.Json 6.0.8 (a net45 NuGet build)
//! and System.Text.RegularExpressions from the .NET 8 shared framework.

use fixtures::assemblies::dotnet8_root;
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
    let out = Command::new(env!("CARGO_BIN_EXE_mochi-dotnet"))
        .arg("invoke")
        .args(args)
        .env("MOCHI_DOTNET_CACHE", cache)
        .env("DOTNET_ROOT", dotnet8_root())
        .env("MOCHI_DOTNET_SHIM_COMPILER", "mcs")
        .env("MOCHI_DOTNET_INVOKE_VERBOSE", "1")
        .output()
        .expect("run mochi-dotnet");
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
