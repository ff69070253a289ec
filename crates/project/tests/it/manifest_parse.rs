//! mochi.toml parsing: every section, defaults, and errors that point at the line.

use std::path::Path;

use project::manifest::{AsyncMode, BridgeKind, Location, Manifest, ManifestError};

fn parse(text: &str) -> Result<Manifest, ManifestError> {
    Manifest::parse(text, Path::new("proj/mochi.toml"))
}

fn err_at(text: &str) -> (Location, String) {
    let e = parse(text).expect_err("should fail");
    (e.location().expect("has a location"), e.to_string())
}

const FULL: &str = r#"# a comment
[package]
name = "hello"
version = "0.1.0"

[dotnet-dependencies]
Newtonsoft.Json = "^13.0"
"Serilog" = { version = "[3.0,4.0)", framework = "netstandard2.0" }
Local.Thing = { path = "../feed" }

[dotnet]
framework = "net6.0"
bridge = "nativeaot"

[dotnet.monomorphise]
"System.Collections.Generic.List`1" = ["System.String", "System.Int32"]
"System.Collections.Generic.Dictionary`2" = [["System.String", "System.Int32"]]

[dotnet.publish]
id = "Mochi.Hello"
authors = ["a", "b"]
license = "MIT"

[dotnet.capabilities]
net = true
fs = false

[dotnet.runtime]
id = "linux-arm64"
async-mode = "callback"
"#;

#[test]
fn full_manifest() {
    let m = parse(FULL).unwrap();
    let p = m.package.as_ref().unwrap();
    assert_eq!(p.name, "hello");
    assert_eq!(p.version.as_ref().unwrap().to_string(), "0.1.0");
    assert_eq!(m.dependencies.len(), 3);
    let nj = &m.dependencies["newtonsoft.json"];
    assert_eq!(nj.id, "Newtonsoft.Json");
    assert_eq!(nj.range.to_string(), "[13.0.0, 14.0.0)");
    assert_eq!(nj.at, Location { line: 7, column: 1 });
    let s = &m.dependencies["serilog"];
    assert_eq!(s.framework.as_ref().unwrap().to_string(), "netstandard2.0");
    assert_eq!(m.framework_for("Serilog").to_string(), "netstandard2.0");
    assert_eq!(m.framework_for("Newtonsoft.Json").to_string(), "net6.0");
    let l = &m.dependencies["local.thing"];
    assert_eq!(l.path.as_deref(), Some(Path::new("../feed")));
    assert_eq!(m.dotnet.bridge, BridgeKind::NativeAot);
    assert_eq!(m.dotnet.runtime, "linux-arm64");
    assert_eq!(m.dotnet.async_mode, AsyncMode::Callback);
    assert!(m.dotnet.capabilities.net && !m.dotnet.capabilities.fs);
    assert_eq!(
        m.dotnet.monomorphise["System.Collections.Generic.List`1"],
        vec![
            vec!["System.String".to_string()],
            vec!["System.Int32".to_string()]
        ]
    );
    assert_eq!(m.dotnet.publish.authors, ["a", "b"]);
    assert_eq!(m.root_dir(), Path::new("proj"));
}

#[test]
fn defaults() {
    let m = parse("[dotnet-dependencies]\nA = \"1.0\"\n").unwrap();
    assert_eq!(m.dotnet.framework.to_string(), "net8.0");
    assert_eq!(m.dotnet.runtime, project::manifest::host_runtime());
    assert_eq!(m.dotnet.bridge, BridgeKind::ClrHosting);
    assert_eq!(m.dotnet.async_mode, AsyncMode::Blocking);
    assert!(!m.dotnet.capabilities.net && !m.dotnet.capabilities.fs);
    assert!(m.package.is_none());
}

#[test]
fn unquoted_dotted_ids_are_package_ids() {
    let m = parse("[dotnet-dependencies]\nNewtonsoft.Json = \"13.0.1\"\nMicrosoft.Extensions.Logging = { version = \"8.0\" }\nMicrosoft.Extensions.Http = \"8.0\"\n").unwrap();
    let ids: Vec<&str> = m.dependencies.values().map(|d| d.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "Microsoft.Extensions.Http",
            "Microsoft.Extensions.Logging",
            "Newtonsoft.Json"
        ]
    );
    assert_eq!(m.dependencies["microsoft.extensions.http"].at.line, 4);
}

#[test]
fn dependency_tables_with_dotted_headers() {
    let m = parse(
        "[dotnet-dependencies.Newtonsoft.Json]\nversion = \"13.0.1\"\nframework = \"netstandard2.0\"\n\n[dotnet-dependencies.Serilog]\nversion = \"3.0\"\n",
    )
    .unwrap();
    let nj = &m.dependencies["newtonsoft.json"];
    assert_eq!(nj.id, "Newtonsoft.Json");
    assert_eq!(nj.framework.as_ref().unwrap().to_string(), "netstandard2.0");
    assert_eq!(m.dependencies["serilog"].range.to_string(), "[3.0.0, )");
}

#[test]
fn runtime_as_string() {
    let m = parse("[dotnet]\nruntime = \"win-x64\"\n").unwrap();
    assert_eq!(m.dotnet.runtime, "win-x64");
    assert_eq!(m.dotnet.roll_forward, None);
}

/// `[dotnet.runtime] roll-forward` (an extension of the spec's manifest):
/// .NET's six values, case-insensitive as hostfxr reads them, beside the
/// table's other keys; no setting is .NET's default.
#[test]
fn runtime_roll_forward() {
    use hosting::RollForward;
    let m = parse(FULL).unwrap();
    assert_eq!(m.dotnet.roll_forward, None);
    for rf in RollForward::ALL {
        let m = parse(&format!(
            "[dotnet.runtime]\nid = \"linux-x64\"\nroll-forward = \"{}\"\nasync-mode = \"callback\"\n",
            rf.name()
        ))
        .unwrap();
        assert_eq!(m.dotnet.roll_forward, Some(rf));
        assert_eq!(m.dotnet.runtime, "linux-x64");
        assert_eq!(m.dotnet.async_mode, AsyncMode::Callback);
    }
    let m = parse("[dotnet]\nruntime = { roll-forward = \"latestmajor\" }\n").unwrap();
    assert_eq!(m.dotnet.roll_forward, Some(RollForward::LatestMajor));
    assert_eq!(m.dotnet.runtime, project::manifest::host_runtime());

    let (at, msg) = err_at("[dotnet.runtime]\nroll-forward = \"Sideways\"\n");
    assert_eq!(
        at,
        Location {
            line: 2,
            column: 16
        }
    );
    assert!(msg.contains("`roll-forward` cannot be `Sideways`"), "{msg}");
    assert!(msg.contains("\"LatestMajor\""), "{msg}");
    let (at, _) = err_at("[dotnet.runtime]\nroll-forward = 3\n");
    assert_eq!(at.line, 2);
    let (_, msg) = err_at("[dotnet.runtime]\nrollforward = \"Major\"\n");
    assert!(msg.contains("id, async-mode, roll-forward"), "{msg}");
}

#[test]
fn unknown_keys_point_at_the_line() {
    let (at, msg) = err_at("[package]\nname = \"x\"\nversoin = \"1.0\"\n");
    assert_eq!(at, Location { line: 3, column: 1 });
    assert!(msg.contains("proj/mochi.toml:3:1"), "{msg}");
    assert!(msg.contains("unknown key `versoin` in [package]"), "{msg}");
    assert!(msg.contains("allowed keys there: name, version"), "{msg}");

    let (at, msg) = err_at("[dotnet]\n\n  frmework = \"net8.0\"\n");
    assert_eq!(at, Location { line: 3, column: 3 });
    assert!(msg.contains("frmework"), "{msg}");

    let (at, _) = err_at("[dotnet.capabilities]\nnet = true\ndisk = true\n");
    assert_eq!(at.line, 3);
    let (at, _) =
        err_at("[dotnet-dependencies]\nA = { version = \"1.0\", frmaework = \"net8.0\" }\n");
    assert_eq!(
        at,
        Location {
            line: 2,
            column: 24
        }
    );
    let (at, _) = err_at("[project]\n");
    assert_eq!(at.line, 1);
}

#[test]
fn bad_values_point_at_the_value() {
    let (at, msg) = err_at("[dotnet-dependencies]\nNewtonsoft.Json = \"^13.x\"\n");
    assert_eq!(
        at,
        Location {
            line: 2,
            column: 19
        }
    );
    assert!(msg.contains("`^13.x` is not a version range"), "{msg}");
    assert!(msg.contains("hint:"), "{msg}");

    let (at, msg) = err_at("[dotnet]\nframework = \"net9x\"\n");
    assert_eq!(
        at,
        Location {
            line: 2,
            column: 13
        }
    );
    assert!(msg.contains("net9x"), "{msg}");

    let (at, msg) = err_at("[dotnet]\nbridge = \"jni\"\n");
    assert_eq!(at.line, 2);
    assert!(msg.contains("clr-hosting"), "{msg}");

    let (at, _) = err_at("[dotnet.capabilities]\nnet = \"yes\"\n");
    assert_eq!(at, Location { line: 2, column: 7 });

    let (at, msg) = err_at("[dotnet]\nruntime = \"amiga-68k\"\n");
    assert_eq!(at.line, 2);
    assert!(msg.contains("linux-x64"), "{msg}");

    let (at, _) = err_at("[dotnet.runtime]\nasync-mode = \"threads\"\n");
    assert_eq!(at.line, 2);

    let (at, msg) = err_at(
        "[dotnet.monomorphise]\n\"System.Collections.Generic.List\" = [\"System.String\"]\n",
    );
    assert_eq!(at.line, 2);
    assert!(msg.contains("arity"), "{msg}");

    let (at, _) = err_at(
        "[dotnet.monomorphise]\n\"System.Collections.Generic.Dictionary`2\" = [\"System.String\"]\n",
    );
    assert_eq!(
        at,
        Location {
            line: 2,
            column: 46
        }
    );

    let (at, msg) = err_at("[dotnet-dependencies]\n\"Bad Id\" = \"1.0\"\n");
    assert_eq!(at.line, 2);
    assert!(msg.contains("not a NuGet package id"), "{msg}");

    let (at, msg) = err_at("[dotnet-dependencies]\nA = \"1.0\"\na = \"2.0\"\n");
    assert_eq!(at.line, 3);
    assert!(msg.contains("twice"), "{msg}");

    let (at, msg) = err_at("[dotnet-dependencies]\nA = { framework = \"net8.0\" }\n");
    assert_eq!(at.line, 2);
    assert!(msg.contains("neither `version` nor `path`"), "{msg}");
}

#[test]
fn toml_syntax_errors_have_a_location() {
    let (at, msg) = err_at("[dotnet]\nframework = \n");
    assert_eq!(at.line, 2);
    assert!(msg.contains("invalid TOML"), "{msg}");
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let e = Manifest::load(Path::new("/nonexistent/mochi.toml")).unwrap_err();
    assert!(e.to_string().contains("/nonexistent/mochi.toml"));
}
