//! Bad input is a typed error naming the file, the place and what to do; nothing is
//! written.

use crate::common;

use common::{Library, Project, clean_env, publish};
use publish::PublishError;

/// The error of publishing a project whose manifest is `edit(manifest)`.
fn manifest_error(edit: impl Fn(String) -> String) -> (String, String, String) {
    let project = Project::new(&Library::new("Mochi.Mathx"));
    let text = edit(std::fs::read_to_string(&project.manifest).unwrap());
    std::fs::write(&project.manifest, text).unwrap();
    let (result, out) = publish(&project.manifest, "nuget.org", &["--dry-run"], &clean_env());
    assert!(
        !project.path().join("target/nuget").exists(),
        "a bad manifest wrote a package"
    );
    match result {
        Err(PublishError::Manifest {
            location,
            message,
            hint,
        }) => {
            let file = project.manifest.display().to_string();
            assert!(
                location.starts_with(&file),
                "{location} does not name {file}"
            );
            (location[file.len()..].to_string(), message, hint)
        }
        other => panic!("expected a manifest error, got {other:?}\n{out}"),
    }
}

#[test]
fn manifest_errors_name_the_field_and_the_fix() {
    // (edit, location suffix, message part, hint part)
    type Edit = Box<dyn Fn(String) -> String>;
    let cases: Vec<(Edit, &str, &str, &str)> = vec![
        (
            Box::new(|m| m.replace("aot = false", "aot = false\nbrige = 1")),
            ":16:1",
            "unknown field `brige`",
            "the keys of [dotnet.publish] are",
        ),
        (
            Box::new(|m| m.replace("version = \"1.2.0\"\ntarget", "version = \"1.2.1\"\ntarget")),
            ":13:11",
            "[dotnet.publish].version `1.2.1` differs from [package].version `1.2.0`",
            "make them equal",
        ),
        (
            Box::new(|m| {
                m.replace(
                    "package-id = \"Mochi.Mathx\"",
                    "package-id = \"Mochi..Mathx\"",
                )
            }),
            ":12:14",
            "is not a NuGet package id: `.` must sit between two words",
            "at most 100 characters",
        ),
        (
            Box::new(|m| m.replacen("version = \"1.2.0\"", "version = \"1.2\"", 1)),
            ":3:11",
            "[package].version `1.2` is not a publishable version: it needs exactly three numbers",
            "SemVer 2",
        ),
        (
            Box::new(|m| {
                m.replace(
                    "target-framework = \"net8.0\"",
                    "target-framework = \"netstandard2.0\"",
                )
            }),
            ":14:20",
            "[dotnet.publish].target-framework `netstandard2.0` is not supported",
            "net7.0 or later",
        ),
        (
            Box::new(|m| m.replace("api = \"mathx.mochi\"", "api = \"missing.mochi\"")),
            ":16:7",
            "[dotnet.publish].api:",
            "relative to mochi.toml",
        ),
        (
            Box::new(|m| m.replace("linux-x64 = ", "linux-x128 = ")),
            ":20:14",
            "`linux-x128` is not a supported runtime identifier",
            "linux-x64, linux-arm64",
        ),
        (
            Box::new(|m| {
                m.replace("linux-x64 = \"build/linux-x64/libmathx.so\"", "linux-x64 = \"build/linux-x64/libmathx.so\"\nwin-x64 = \"build/win-x64/mathy.dll\"")
            }),
            ":21:11",
            "the win-x64 library is named `mathy` but the linux-x64 one `mathx`",
            "the same name",
        ),
        (
            Box::new(|m| {
                m.replace(
                    "linux-x64 = \"build/linux-x64/libmathx.so\"",
                    "linux-x64 = \"build/linux-x64/mathx.dll\"",
                )
            }),
            ":20:13",
            "`mathx.dll` is not a linux-x64 library name",
            "lib<name>.so",
        ),
        (
            Box::new(|m| m.replace("license = \"MIT\"", "license = \"MIT OR\"")),
            ":5:11",
            "license `MIT OR` is not an SPDX license expression",
            "Apache-2.0 OR MIT",
        ),
        (
            Box::new(|m| m.replace("license = \"MIT\"", "license = \"LICENSE.txt\"")),
            ":5:11",
            "license file",
            "an existing file",
        ),
        (
            Box::new(|m| m.replace("authors = [\"Ada Lovelace\"]", "authors = []")),
            ":11:1",
            "the package has no authors",
            "[package].authors",
        ),
        (
            Box::new(|m| {
                m.replace(
                    "description = \"Integer, list and text helpers written in Mochi.\"\n",
                    "",
                )
            }),
            ":1:1",
            "the package has no description",
            "nuget.org requires one",
        ),
        (
            Box::new(|m| m.replace("readme = \"README.md\"", "readme = \"docs/README.md\"")),
            ":8:10",
            "readme",
            "fix the path",
        ),
        (
            Box::new(|m| m.replace("package-id = \"Mochi.Mathx\"\n", "")),
            ":11:1",
            "[dotnet.publish].package-id is missing",
            "package-id = \"Mochi.Mathx\"",
        ),
        (
            Box::new(|m| {
                m.replace("[dotnet.publish]", "[dotnet.publsh]")
                    .replace("[dotnet.publish.native]", "[dotnet.publsh.native]")
            }),
            "",
            "[dotnet.publish] is missing",
            "add [dotnet.publish]",
        ),
        (
            Box::new(|m| m.replace("name = \"mathx\"", "name = \"math-x\"")),
            ":2:8",
            "[package].name `math-x` is not a Mochi package name",
            "letters, digits and `_`",
        ),
        (
            Box::new(|m| m.replace("nuget-user = \"ada\"", "nuget-user = \"a b\"")),
            ":17:14",
            "nuget-user is empty or contains spaces",
            "owns the trusted-publishing policy",
        ),
        (
            Box::new(|m| {
                m.replace(
                    "[dotnet.publish.native]",
                    "[dotnet.publish.registries]\nmine = \"ftp://x\"\n[dotnet.publish.native]",
                )
            }),
            ":20:8",
            "[dotnet.publish.registries].mine: `ftp://x` is not an http(s) URL",
            "service index",
        ),
        (
            Box::new(|m| m.replace("aot = false", "aot = \"yes\"")),
            ":15:7",
            "invalid type: string \"yes\", expected a boolean",
            "docs/publishing.md lists",
        ),
    ];
    let mut failures = Vec::new();
    for (i, (edit, at, message, hint)) in cases.iter().enumerate() {
        let (location, msg, h) = manifest_error(edit);
        if location != *at || !msg.contains(message) || !h.contains(hint) {
            failures.push(format!("case {i}: expected {at} {message:?} / {hint:?}\n        got {location} {msg:?} / {h:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn declaration_errors_name_file_line_and_column() {
    let project = Project::new(&Library::new("Mochi.Mathx"));
    let api = project.path().join("mathx.mochi");
    let text = std::fs::read_to_string(&api).unwrap().replace(
        "fun scale(x: float, k: float): float",
        "fun scale(x: float, k: any): float",
    );
    std::fs::write(&api, text).unwrap();
    let (result, _) = publish(&project.manifest, "nuget.org", &["--dry-run"], &clean_env());
    let e = result.unwrap_err();
    assert!(
        matches!(
            e,
            PublishError::Declaration {
                line: 17,
                column: 24,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        format!(
            "{}:17:24: `any` cannot cross a native library's ABI\n  hint: declare a `type` for the value and pass it as a handle",
            api.display()
        )
    );
    assert!(!project.path().join("target/nuget").exists());
}

#[test]
fn the_binary_reports_a_manifest_error_and_exits_1() {
    let project = Project::new(&Library::new("Mochi.Mathx"));
    let text = std::fs::read_to_string(&project.manifest)
        .unwrap()
        .replace("version = \"1.2.0\"\ntarget", "version = \"2.0.0\"\ntarget");
    std::fs::write(&project.manifest, text).unwrap();
    let out = clean_env()
        .command(common::mochi_dotnet())
        .args(["publish", "--dry-run"])
        .current_dir(project.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: mochi.toml:13:11: [dotnet.publish].version `2.0.0` differs from [package].version `1.2.0`\n  hint: the package version is [package].version: make them equal, or remove [dotnet.publish].version\n"
    );
    assert!(out.stdout.is_empty());
    let out = clean_env()
        .command(common::mochi_dotnet())
        .args([
            "publish",
            "--dry-run",
            "--manifest-path",
            "nowhere/mochi.toml",
        ])
        .current_dir(project.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .starts_with("error: nowhere/mochi.toml: cannot read the manifest:")
    );
}

#[test]
fn an_sdk_pinned_by_global_json_that_is_not_installed_is_named() {
    // The remembered `dotnet --version` must not hide a global.json added later.
    let project = Project::new(&Library::new("Mochi.Mathx"));
    let (ok, out) = publish(&project.manifest, "nuget.org", &["--dry-run"], &clean_env());
    assert!(ok.is_ok(), "{out}");
    std::fs::write(
        project.path().join("global.json"),
        r#"{"sdk": {"version": "99.0.100", "rollForward": "disable"}}"#,
    )
    .unwrap();
    let (result, _) = publish(&project.manifest, "nuget.org", &["--dry-run"], &clean_env());
    let Err(e @ PublishError::Sdk { .. }) = result else {
        panic!("{result:?}")
    };
    let msg = e.to_string();
    assert!(
        msg.contains("--version failed")
            && msg.contains("a global.json may pin an SDK that is not installed"),
        "{msg}"
    );
}
