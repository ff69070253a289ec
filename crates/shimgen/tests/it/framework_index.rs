//! The committed .NET 8 framework index (crates/shimgen/data/net8.0-types.tsv)
//! equals the one generated from the real shared framework of the test
//! environment; `SHIMGEN_BLESS=1` rewrites it.

use std::path::{Path, PathBuf};

use ecma335::surface::TypeKind;

fn framework() -> PathBuf {
    fixtures::assemblies::dotnet8_framework_dir()
}

#[test]
fn framework_index_is_current() {
    let fw = framework();
    let mut dlls: Vec<PathBuf> = std::fs::read_dir(&fw)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "dll"))
        .collect();
    dlls.sort();
    // CoreLib first: it defines the types others forward to.
    dlls.sort_by_key(|p| !p.ends_with("System.Private.CoreLib.dll"));
    let surfaces: Vec<_> = dlls
        .iter()
        .filter_map(|p| ecma335::read_surface_file(p).ok())
        .collect();
    assert!(
        surfaces.len() > 150,
        "only {} managed framework assemblies",
        surfaces.len()
    );
    let generated = shimgen::framework_index(&surfaces);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/net8.0-types.tsv");
    if std::env::var_os("SHIMGEN_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    assert!(
        generated == shimgen::NET8_FRAMEWORK_INDEX,
        "{} is stale; review and re-bless with SHIMGEN_BLESS=1 cargo test -p shimgen --test it framework_index",
        path.display()
    );
}

#[test]
fn the_index_answers_what_signatures_cannot() {
    let surface = ecma335::surface::Surface::default();
    let u = shimgen::TypeUniverse::with_framework(&surface, []);
    assert_eq!(u.kind_of("System.DayOfWeek", true), Some(TypeKind::Enum));
    assert_eq!(u.kind_of("System.Guid", true), Some(TypeKind::Struct));
    assert_eq!(
        u.kind_of("System.IDisposable", false),
        Some(TypeKind::Interface)
    );
    assert_eq!(
        u.kind_of("System.EventHandler", false),
        Some(TypeKind::Delegate)
    );
    assert!(u.is_by_ref_like("System.Span`1"));
    let dow = u.get("System.DayOfWeek").unwrap();
    assert_eq!(
        dow.enum_underlying,
        Some(ecma335::surface::TypeSig::Primitive("System.Int32".into()))
    );
    // Classes are the default: absent from the index, a reference type is a class.
    assert_eq!(u.kind_of("System.Uri", false), Some(TypeKind::Class));
}
