//! The read-back validation catches what a wrong package would carry: each case
//! tampers with a real built package (or with what it must contain) and expects the
//! exact problem.

use crate::common;

use std::collections::BTreeMap;
use std::io::Write;

use common::{Library, Project, clean_env};
use publish::validate::{Expected, validate};
use publish::{config, nupkg, package};

struct Built {
    _project: Project,
    bytes: Vec<u8>,
    expected: Expected,
}

fn built(lib: &Library) -> Built {
    let project = Project::new(lib);
    let manifest = config::load(&project.manifest).unwrap();
    let package = package::build(&manifest, &clean_env()).unwrap();
    let expected = package::expected(&manifest).unwrap();
    Built {
        _project: project,
        bytes: package.bytes,
        expected,
    }
}

fn entries(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    nupkg::read(bytes).unwrap().into_iter().collect()
}

fn problems_after(b: &Built, edit: impl FnOnce(&mut BTreeMap<String, Vec<u8>>)) -> Vec<String> {
    let mut e = entries(&b.bytes);
    edit(&mut e);
    validate(&nupkg::write(&e), &b.expected)
}

fn assert_has(problems: &[String], needle: &str) {
    assert!(
        problems.iter().any(|p| p.contains(needle)),
        "no problem contains {needle:?}: {problems:#?}"
    );
}

#[test]
fn a_built_package_is_valid_and_every_tampering_is_named() {
    let b = built(&Library::new("Mochi.Mathx"));
    assert_eq!(validate(&b.bytes, &b.expected), Vec::<String>::new());
    let native = "runtimes/linux-x64/native/libmathx.so";

    let p = problems_after(&b, |e| {
        e.remove(native);
    });
    assert_has(
        &p,
        "runtimes/linux-x64/native/libmathx.so is missing: the linux-x64 native library was declared in [dotnet.publish.native]",
    );

    let p = problems_after(&b, |e| {
        let n = String::from_utf8(e["Mochi.Mathx.nuspec"].clone())
            .unwrap()
            .replace("<version>1.2.0</version>", "<version>1.2.1</version>");
        e.insert("Mochi.Mathx.nuspec".into(), n.into_bytes());
    });
    assert_has(
        &p,
        "Mochi.Mathx.nuspec: <version> is \"1.2.1\", expected \"1.2.0\"",
    );

    let p = problems_after(&b, |e| {
        let n = String::from_utf8(e["Mochi.Mathx.nuspec"].clone())
            .unwrap()
            .replace("<tags>", "<serviceable>true</serviceable><tags>");
        e.insert("Mochi.Mathx.nuspec".into(), n.into_bytes());
    });
    assert_has(
        &p,
        "Mochi.Mathx.nuspec: unexpected metadata element <serviceable>",
    );

    let p = problems_after(&b, |e| {
        for ext in ["dll", "xml"] {
            let v = e.remove(&format!("lib/net8.0/Mochi.Mathx.{ext}")).unwrap();
            e.insert(format!("lib/net6.0/Mochi.Mathx.{ext}"), v);
        }
    });
    assert_has(
        &p,
        "lib/net6.0/Mochi.Mathx.dll: lib/net6.0/ is not the package's target framework folder lib/net8.0/",
    );
    assert_has(&p, "lib/net8.0/Mochi.Mathx.dll is missing");

    // Another assembly in the facade's place.
    let other =
        std::fs::read(fixtures::assemblies::dotnet8_framework_dir().join("System.Runtime.dll"))
            .unwrap();
    let p = problems_after(&b, |e| {
        e.insert("lib/net8.0/Mochi.Mathx.dll".into(), other);
    });
    assert_has(
        &p,
        "lib/net8.0/Mochi.Mathx.dll: assembly name System.Runtime is not the package id Mochi.Mathx",
    );
    assert_has(
        &p,
        "lib/net8.0/Mochi.Mathx.dll: the public class Mochi.Mathx.Mathx is missing",
    );

    let p = problems_after(&b, |e| {
        e.insert(
            "lib/net8.0/Mochi.Mathx.dll".into(),
            b"MZ not really".to_vec(),
        );
    });
    assert_has(
        &p,
        "lib/net8.0/Mochi.Mathx.dll: not a readable .NET assembly",
    );

    let p = problems_after(&b, |e| {
        e.remove("[Content_Types].xml");
    });
    assert_has(&p, "[Content_Types].xml is missing");

    let p = problems_after(&b, |e| {
        e.insert("tools/install.ps1".into(), b"Write-Host hi".to_vec());
    });
    assert_has(&p, "tools/install.ps1: unexpected file");
    assert_has(
        &p,
        "[Content_Types].xml gives no content type for tools/install.ps1",
    );

    let p = problems_after(&b, |e| {
        let core: Vec<String> = e
            .keys()
            .filter(|k| k.ends_with(".psmdcp"))
            .cloned()
            .collect();
        e.remove(&core[0]);
    });
    assert_has(
        &p,
        "_rels/.rels points at /package/services/metadata/core-properties/",
    );
    assert_has(&p, "the core properties part (.psmdcp) is missing");

    // The native library of another platform (the facade is a PE file).
    let p = problems_after(&b, |e| {
        let dll = e["lib/net8.0/Mochi.Mathx.dll"].clone();
        e.insert(native.into(), dll);
    });
    assert_has(
        &p,
        "runtimes/linux-x64/native/libmathx.so differs from the declared file",
    );
}

#[test]
fn the_facade_and_native_checks_compare_against_the_declarations() {
    let b = built(&Library::new("Mochi.Mathx"));
    // A function declared after the facade was built.
    let mut expected = b.expected.clone();
    expected.methods.push(publish::facade::ExpectedMethod {
        mochi_name: "extra".into(),
        name: "Extra".into(),
        params: vec!["System.Int64".into()],
        returns: "System.Void".into(),
    });
    assert_has(
        &validate(&b.bytes, &expected),
        "Mochi.Mathx.Mathx.Extra(System.Int64) -> System.Void (for `extra`) is missing or has another signature",
    );
    // A changed signature.
    let mut expected = b.expected.clone();
    let add = expected
        .methods
        .iter_mut()
        .find(|m| m.name == "Add")
        .unwrap();
    add.returns = "System.Int32".into();
    assert_has(
        &validate(&b.bytes, &expected),
        "Mochi.Mathx.Mathx.Add(System.Int64, System.Int64) -> System.Int32 (for `add`) is missing or has another signature",
    );
    // aot = true needs the IsAotCompatible mark.
    let mut expected = b.expected.clone();
    expected.aot = true;
    assert_has(
        &validate(&b.bytes, &expected),
        "aot = true but the assembly is not marked IsAotCompatible",
    );
    // A symbol the native library must export.
    let mut expected = b.expected.clone();
    expected.required_symbols.push("mochi_mathx_extra".into());
    assert_has(
        &validate(&b.bytes, &expected),
        "runtimes/linux-x64/native/libmathx.so: it does not export mochi_mathx_extra",
    );
    // A PE file declared as the linux-x64 library.
    let mut expected = b.expected.clone();
    let dll = entries(&b.bytes)["lib/net8.0/Mochi.Mathx.dll"].clone();
    expected
        .native
        .insert("linux-x64".into(), ("libmathx.so".into(), dll.clone()));
    let mut e = entries(&b.bytes);
    e.insert("runtimes/linux-x64/native/libmathx.so".into(), dll);
    assert_has(
        &validate(&nupkg::write(&e), &expected),
        "it is a Pe I386 library, but linux-x64 needs Elf X86_64",
    );
}

#[test]
fn an_aot_package_is_marked_and_valid() {
    let mut lib = Library::new("Mochi.Mathx.Aot");
    lib.aot = true;
    let b = built(&lib);
    assert_eq!(validate(&b.bytes, &b.expected), Vec::<String>::new());
    let dll = entries(&b.bytes)["lib/net8.0/Mochi.Mathx.Aot.dll"].clone();
    let surface = ecma335::read_surface(&dll).unwrap();
    assert!(
        surface
            .assembly_metadata
            .contains(&("IsAotCompatible".to_string(), Some("True".to_string()))),
        "{:?}",
        surface.assembly_metadata
    );
    assert!(
        surface
            .assembly_metadata
            .contains(&("IsTrimmable".to_string(), Some("True".to_string()))),
        "{:?}",
        surface.assembly_metadata
    );
}

#[test]
fn zips_our_writer_never_makes_are_refused() {
    let b = built(&Library::new("Mochi.Mathx"));
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in entries(&b.bytes).into_iter().rev() {
        z.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        z.write_all(&bytes).unwrap();
    }
    let unsorted = z.finish().unwrap().into_inner();
    assert_has(&validate(&unsorted, &b.expected), "entries are not sorted");
    assert_has(
        &validate(b"PK\x03\x04 broken", &b.expected),
        "not a zip archive",
    );
}
