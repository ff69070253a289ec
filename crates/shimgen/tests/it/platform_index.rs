//! The committed .NET 8 platform lists of `shimgen::platform` — the framework's
//! assemblies with their versions (conflict resolution) and its method groups
//! with a ref-struct overload (calls `mcs` must make through reflection) —
//! equal the ones generated from the real shared framework of the test
//! environment; `SHIMGEN_BLESS=1` rewrites them.

use std::path::{Path, PathBuf};

fn framework_surfaces() -> Vec<ecma335::Surface> {
    let fw = fixtures::assemblies::dotnet8_framework_dir();
    let mut dlls: Vec<PathBuf> = std::fs::read_dir(&fw)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "dll"))
        .collect();
    dlls.sort();
    let surfaces: Vec<_> = dlls
        .iter()
        .filter_map(|p| ecma335::read_surface_file(p).ok())
        .collect();
    assert!(
        surfaces.len() > 150,
        "only {} managed framework assemblies in {}",
        surfaces.len(),
        fw.display()
    );
    surfaces
}

fn check(name: &str, generated: &str, committed: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(name);
    if std::env::var_os("SHIMGEN_BLESS").is_some() {
        std::fs::write(&path, generated).unwrap();
        return;
    }
    assert!(
        generated == committed,
        "{} is stale; review and re-bless with SHIMGEN_BLESS=1 cargo test -p shimgen --test it platform_index",
        path.display()
    );
}

#[test]
fn platform_lists_are_current() {
    let surfaces = framework_surfaces();
    check(
        "net8.0-assemblies.tsv",
        &shimgen::platform::assemblies_index(&surfaces),
        shimgen::platform::NET8_ASSEMBLIES,
    );
    check(
        "net8.0-classes.tsv",
        &shimgen::platform::classes_index(&surfaces),
        shimgen::platform::NET8_CLASSES,
    );
    check(
        "net8.0-span-groups.tsv",
        &shimgen::platform::span_groups_index(&surfaces),
        shimgen::platform::NET8_SPAN_GROUPS,
    );
}
