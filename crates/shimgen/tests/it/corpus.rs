//! Golden numbers (translated count, per-reason skip counts) of real
//! assemblies: the .NET 8 libraries that matter, Newtonsoft.Json and NUnit.
//! Every emitted Mochi file must parse. A changed number is a reviewed diff
//! of crates/shimgen/golden/*.json (re-bless with SHIMGEN_BLESS=1).

use crate::common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use shimgen::BindOptions;

fn check(name: &str, path: PathBuf, id: &str, monomorphise: BTreeMap<String, Vec<Vec<String>>>) {
    assert!(
        path.exists(),
        "{name}: {} is missing: run scripts/setup-test-tools.sh",
        path.display()
    );
    let (_, out) = common::bind_file(
        &path,
        id,
        BindOptions {
            monomorphise,
            ..Default::default()
        },
    );
    common::assert_mochi_parses(&out);
    common::assert_golden(name, &out.plan);
}

fn fw(dll: &str) -> PathBuf {
    common::framework_dir()
        .map(|d| d.join(dll))
        .unwrap_or_else(|| PathBuf::from("/nonexistent").join(dll))
}

#[test]
fn dotnet8_core_lib() {
    check(
        "dotnet8-System.Private.CoreLib",
        fw("System.Private.CoreLib.dll"),
        "System.Private.CoreLib",
        BTreeMap::new(),
    );
}

#[test]
fn dotnet8_libraries() {
    for lib in [
        "System.Runtime",
        "System.Collections",
        "System.Linq",
        "System.Text.Json",
        "System.Net.Http",
        "System.Private.Uri",
        "System.Console",
        "System.Text.RegularExpressions",
    ] {
        check(
            &format!("dotnet8-{lib}"),
            fw(&format!("{lib}.dll")),
            lib,
            BTreeMap::new(),
        );
    }
}

#[test]
fn newtonsoft_json() {
    let mut m = BTreeMap::new();
    m.insert(
        "Newtonsoft.Json.Linq.JToken::Value``1".to_string(),
        vec![
            vec!["System.String".to_string()],
            vec!["System.Int32".to_string()],
            vec!["System.Boolean".to_string()],
        ],
    );
    check(
        "newtonsoft-json",
        Path::new("/usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll").into(),
        "Newtonsoft.Json",
        m,
    );
}

#[test]
fn nunit() {
    check(
        "nunit-framework",
        Path::new("/usr/lib/cli/nunit.framework-2.6.3/nunit.framework.dll").into(),
        "NUnit",
        BTreeMap::new(),
    );
}

/// `SHIMGEN_DUMP=<dir> cargo test -p shimgen --test it corpus::dump -- --ignored`
/// writes every corpus binding's files for review.
#[test]
#[ignore]
fn dump() {
    let Some(dir) = std::env::var_os("SHIMGEN_DUMP") else {
        return;
    };
    let dir = PathBuf::from(dir);
    for (name, path) in [
        ("corelib", fw("System.Private.CoreLib.dll")),
        (
            "newtonsoft",
            PathBuf::from("/usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll"),
        ),
        (
            "nunit",
            PathBuf::from("/usr/lib/cli/nunit.framework-2.6.3/nunit.framework.dll"),
        ),
        ("stj", fw("System.Text.Json.dll")),
    ] {
        let (_, out) = common::bind_file(&path, name, BindOptions::default());
        let d = dir.join(name);
        std::fs::create_dir_all(&d).unwrap();
        for (f, text) in out.files() {
            std::fs::write(d.join(f), text).unwrap();
        }
    }
}
