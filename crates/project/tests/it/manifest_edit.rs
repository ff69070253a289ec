//! Edits of mochi.toml by `add` and `lock --accept-capability`: everything else in the
//! file survives byte for byte.

use std::path::Path;

use project::Manifest;
use project::edit::{grant_capabilities, set_dependency};
use project::manifest::Capability;

fn edit(before: &str, f: impl FnOnce(&Path) -> bool) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mochi.toml");
    std::fs::write(&p, before).unwrap();
    let changed = f(&p);
    let after = std::fs::read_to_string(&p).unwrap();
    Manifest::parse(&after, &p).expect("an edited manifest still parses");
    (changed, after)
}

const BEFORE: &str = "# top comment\n[package]\nname = \"x\"  # aligned\n\n[dotnet-dependencies]\n# the JSON library\nNewtonsoft.Json = \"13.0.1\"   # pinned for a reason\nSerilog = { version = \"3.0\", framework = \"netstandard2.0\" }\n\n[dotnet-dependencies.Humanizer.Core]\nversion = \"2.14\"\n";

#[test]
fn add_new_dependency_appends_a_quoted_line() {
    let (changed, after) = edit(BEFORE, |p| {
        set_dependency(p, "Polly.Core", "^8.0.0").unwrap()
    });
    assert!(changed);
    assert_eq!(
        after,
        BEFORE.replace(
            "framework = \"netstandard2.0\" }\n",
            "framework = \"netstandard2.0\" }\n\"Polly.Core\" = \"^8.0.0\"\n"
        )
    );
}

#[test]
fn add_updates_dotted_inline_and_header_entries_in_place() {
    let (_, after) = edit(BEFORE, |p| {
        set_dependency(p, "newtonsoft.json", "^13.0.3").unwrap()
    });
    assert_eq!(
        after,
        BEFORE.replace(
            "Newtonsoft.Json = \"13.0.1\"   # pinned",
            "Newtonsoft.Json = \"^13.0.3\"   # pinned"
        )
    );
    let (_, after) = edit(BEFORE, |p| set_dependency(p, "Serilog", "[3.1]").unwrap());
    assert_eq!(
        after,
        BEFORE.replace(
            "version = \"3.0\", framework",
            "version = \"[3.1]\", framework"
        )
    );
    let (_, after) = edit(BEFORE, |p| {
        set_dependency(p, "Humanizer.Core", "2.14.1").unwrap()
    });
    assert_eq!(
        after,
        BEFORE.replace("version = \"2.14\"\n", "version = \"2.14.1\"\n")
    );
    let (changed, after) = edit(BEFORE, |p| set_dependency(p, "Serilog", "3.0").unwrap());
    assert!(!changed, "same value: the file is not rewritten");
    assert_eq!(after, BEFORE);
}

#[test]
fn add_creates_the_section_when_missing() {
    let (_, after) = edit("[package]\nname = \"x\"\n", |p| {
        set_dependency(p, "A", "1.0").unwrap()
    });
    assert_eq!(
        after,
        "[package]\nname = \"x\"\n\n[dotnet-dependencies]\nA = \"1.0\"\n"
    );
}

#[test]
fn accept_capability_keeps_comments_and_creates_tables() {
    let before = "[dotnet]\nframework = \"net8.0\"\n\n[dotnet.capabilities]\nnet = false # reviewed 2026-10\n";
    let (changed, after) = edit(before, |p| {
        grant_capabilities(p, &[Capability::Net, Capability::Fs]).unwrap()
    });
    assert!(changed);
    assert_eq!(
        after,
        "[dotnet]\nframework = \"net8.0\"\n\n[dotnet.capabilities]\nnet = true # reviewed 2026-10\nfs = true\n"
    );
    let (changed, _) = edit(&after, |p| {
        grant_capabilities(p, &[Capability::Net]).unwrap()
    });
    assert!(!changed);

    let (_, after) = edit("[package]\nname = \"x\"\n", |p| {
        grant_capabilities(p, &[Capability::Fs]).unwrap()
    });
    assert_eq!(
        after,
        "[package]\nname = \"x\"\n\n[dotnet.capabilities]\nfs = true\n"
    );
}
