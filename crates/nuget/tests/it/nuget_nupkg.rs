//! Safe extraction and nuspec parsing: the hostile set, limits, and real packages.

use std::path::Path;

use fixtures::{PackageBuilder, hostile};
use nuget::nupkg::{self, ExtractLimits, NupkgError};
use nuget::{CacheError, PackageCache};

fn small_limits() -> ExtractLimits {
    ExtractLimits {
        max_entries: 100,
        max_total_bytes: 8 << 20,
        max_entry_bytes: 4 << 20,
        max_ratio: 100,
        ratio_threshold_bytes: 64 << 10,
    }
}

/// Extracts `bytes` as a package in a fresh folder; returns the error, after checking
/// that nothing was written outside the extraction folder.
fn extract_err(bytes: &[u8], limits: &ExtractLimits) -> NupkgError {
    let tmp = tempfile::tempdir().unwrap();
    let nested = tmp.path().join("a/b/c");
    std::fs::create_dir_all(&nested).unwrap();
    let file = nested.join("pkg.nupkg");
    std::fs::write(&file, bytes).unwrap();
    let dest = nested.join("out");
    let e = nupkg::extract(&file, &dest, limits, "Hostile 1.0.0 (test)").unwrap_err();
    for escaped in [
        tmp.path().join("evil.txt"),
        tmp.path().join("a/evil.txt"),
        tmp.path().join("a/b/evil.txt"),
        nested.join("evil.txt"),
    ] {
        assert!(!escaped.exists(), "{} was written", escaped.display());
    }
    assert!(!Path::new("/tmp/mochi-hostile-absolute.txt").exists());
    e
}

#[test]
fn path_escapes_are_refused() {
    for (name, bytes) in [
        ("zip-slip", hostile::zip_slip()),
        ("absolute", hostile::absolute_path()),
        ("backslash", hostile::backslash_slip()),
        ("percent", hostile::percent_encoded_slip()),
        ("drive", hostile::drive_letter()),
    ] {
        let e = extract_err(&bytes, &ExtractLimits::default());
        assert!(matches!(e, NupkgError::UnsafePath { .. }), "{name}: {e}");
        let msg = e.to_string();
        assert!(msg.contains("Hostile 1.0.0 (test)"), "{name}: {msg}");
        assert!(msg.contains("refusing"), "{name}: {msg}");
    }
}

#[test]
fn symlinks_are_refused() {
    let e = extract_err(&hostile::symlink_entry(), &ExtractLimits::default());
    assert!(
        matches!(&e, NupkgError::Symlink { entry, .. } if entry == "lib/net45/link.dll"),
        "{e}"
    );
}

#[test]
fn zip_bombs_are_refused_on_ratio_size_and_count() {
    // 32 MiB of zeros deflates to ~32 KiB: about 1000:1.
    let bomb = hostile::zip_bomb(32 << 20);
    assert!(bomb.len() < 256 << 10);
    let e = extract_err(&bomb, &ExtractLimits::default());
    assert!(matches!(e, NupkgError::TooLarge { .. }), "{e}");
    assert!(e.to_string().contains("ratio"), "{e}");

    let e = extract_err(
        &bomb,
        &ExtractLimits {
            max_ratio: u64::MAX,
            ..small_limits()
        },
    );
    assert!(e.to_string().contains("limit of 4194304"), "{e}");

    let e = extract_err(
        &bomb,
        &ExtractLimits {
            max_ratio: u64::MAX,
            max_entry_bytes: u64::MAX,
            ..small_limits()
        },
    );
    assert!(e.to_string().contains("total limit"), "{e}");

    let e = extract_err(&hostile::many_entries(150), &small_limits());
    assert!(
        e.to_string()
            .contains("151 entries exceed the limit of 100"),
        "{e}"
    );
}

#[test]
fn malformed_metadata_names_the_package_and_file() {
    let e = extract_err(&hostile::bad_nuspec(), &ExtractLimits::default());
    match &e {
        NupkgError::Nuspec { package, file, .. } => {
            assert_eq!(package, "Hostile 1.0.0 (test)");
            assert_eq!(file, "Hostile.BadNuspec.nuspec");
        }
        other => panic!("unexpected {other}"),
    }
    let e = extract_err(&hostile::nuspec_without_id(), &ExtractLimits::default());
    assert!(e.to_string().contains("missing or empty <id>"), "{e}");
    let e = extract_err(&hostile::no_nuspec(), &ExtractLimits::default());
    assert!(matches!(e, NupkgError::NoNuspec { .. }), "{e}");
    let e = extract_err(&hostile::not_a_zip(), &ExtractLimits::default());
    assert!(matches!(e, NupkgError::Zip { .. }), "{e}");
}

#[test]
fn hostile_packages_never_enter_the_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = PackageCache::open(tmp.path().join("cache"))
        .unwrap()
        .with_limits(small_limits());
    for (i, bytes) in [
        hostile::zip_slip(),
        hostile::backslash_slip(),
        hostile::symlink_entry(),
        hostile::zip_bomb(8 << 20),
        hostile::bad_nuspec(),
        hostile::no_nuspec(),
    ]
    .iter()
    .enumerate()
    {
        let f = tmp.path().join(format!("h{i}.nupkg"));
        std::fs::write(&f, bytes).unwrap();
        let e = cache
            .insert_file("Hostile", "1.0.0", "test", &f, None)
            .unwrap_err();
        assert!(matches!(e, CacheError::Nupkg(_)), "{i}: {e}");
        assert!(e.to_string().contains("Hostile 1.0.0"), "{i}: {e}");
        assert!(cache.lookup("Hostile", "1.0.0").is_none());
        let entries: Vec<String> = std::fs::read_dir(cache.root())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(entries.len(), 3, "{i}: {entries:?}");
        assert_eq!(
            std::fs::read_dir(cache.root().join(".tmp"))
                .unwrap()
                .count(),
            0
        );
    }
    assert!(!tmp.path().join("evil.txt").exists());
}

#[test]
fn nuspec_variants_parse() {
    let flat = br#"<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2010/07/nuspec.xsd">
  <metadata minClientVersion="2.12">
    <id>Old.Style</id><version>1.2</version><authors>A, B</authors>
    <licenseUrl>https://example.invalid/license</licenseUrl>
    <dependencies>
      <dependency id="Dep.One" version="[1.0, 2.0)" />
      <dependency id="Dep.Any" />
    </dependencies>
  </metadata>
</package>"#;
    let s = nupkg::parse_nuspec(flat, "Old.Style 1.2", "Old.Style.nuspec").unwrap();
    assert_eq!((s.id.as_str(), s.version.as_str()), ("Old.Style", "1.2"));
    assert_eq!(s.authors.as_deref(), Some("A, B"));
    assert_eq!(s.min_client_version.as_deref(), Some("2.12"));
    assert_eq!(s.dependency_groups.len(), 1);
    assert_eq!(s.dependency_groups[0].target_framework, None);
    assert_eq!(
        s.dependency_groups[0].dependencies,
        [
            ("Dep.One".to_string(), "[1.0, 2.0)".to_string()),
            ("Dep.Any".to_string(), String::new())
        ]
    );

    let built = PackageBuilder::new("New.Style", "2.0.0-beta.1")
        .dependency_group(None, &[])
        .dependency_group(Some(".NETStandard2.0"), &[("X", "1.0.0")])
        .nuspec_xml();
    let s = nupkg::parse_nuspec(built.as_bytes(), "p", "f").unwrap();
    assert_eq!(s.license.as_deref(), Some("MIT"));
    assert_eq!(s.license_type.as_deref(), Some("expression"));
    assert_eq!(s.dependency_groups.len(), 2);
    assert!(s.dependency_groups[0].dependencies.is_empty());
    assert_eq!(
        s.dependency_groups[1].target_framework.as_deref(),
        Some(".NETStandard2.0")
    );

    let bad = b"<package><metadata><id>X</id><version>1.0</version><dependencies><group><dependency version=\"1.0\"/></group></dependencies></metadata></package>";
    let e = nupkg::parse_nuspec(bad, "X 1.0", "X.nuspec").unwrap_err();
    assert!(
        e.to_string()
            .contains("X 1.0: invalid nuspec X.nuspec: a <dependency> has no id"),
        "{e}"
    );
}

#[test]
fn assembly_groups_of_lib_and_ref() {
    let tmp = tempfile::tempdir().unwrap();
    let pkg = PackageBuilder::new("Groups", "1.0.0")
        .file("lib/net45/A.dll", b"MZ".to_vec())
        .file("lib/net45/A.xml", b"<doc/>".to_vec())
        .file("lib/netstandard2.0/A.dll", b"MZ".to_vec())
        .file("lib/netstandard2.0/B.dll", b"MZ".to_vec())
        .file("lib/net8.0/_._", Vec::new())
        .file("lib/Root.dll", b"MZ".to_vec())
        .file("ref/netstandard2.0/A.dll", b"MZ".to_vec())
        .file("lib/net45/Sub%2BDir.dll", b"MZ".to_vec())
        .build();
    let f = tmp.path().join("g.nupkg");
    std::fs::write(&f, &pkg.bytes).unwrap();
    let c = nupkg::extract(
        &f,
        &tmp.path().join("x"),
        &ExtractLimits::default(),
        "Groups",
    )
    .unwrap();
    let lib: Vec<(&str, Vec<&str>)> = c
        .lib
        .iter()
        .map(|g| {
            (
                g.folder.as_str(),
                g.assemblies.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        lib,
        [
            ("", vec!["lib/Root.dll"]),
            ("net45", vec!["lib/net45/A.dll", "lib/net45/Sub+Dir.dll"]),
            ("net8.0", vec![]),
            (
                "netstandard2.0",
                vec!["lib/netstandard2.0/A.dll", "lib/netstandard2.0/B.dll"]
            ),
        ]
    );
    assert_eq!(c.ref_groups.len(), 1);
    assert_eq!(c.ref_groups[0].assemblies, ["ref/netstandard2.0/A.dll"]);
    assert_eq!(c.nuspec_file, "Groups.nuspec");
    assert!(tmp.path().join("x/[Content_Types].xml").is_file());
}

#[test]
fn builder_output_is_deterministic() {
    let a = fixtures::graphs::diamond();
    let b = fixtures::graphs::diamond();
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.sha512_hex(), y.sha512_hex());
    }
}

proptest::proptest! {
    /// Whatever the entry name, an accepted one stays inside the extraction folder.
    #[test]
    fn sanitized_names_never_escape(name in "[a-zA-Z0-9./\\\\%:_ -]{0,40}") {
        if let Ok((rel, _)) = nupkg::sanitize_entry_name(&name) {
            let p = Path::new(&rel);
            proptest::prop_assert!(p.is_relative(), "{rel}");
            for c in p.components() {
                proptest::prop_assert!(
                    matches!(c, std::path::Component::Normal(_)),
                    "{name:?} -> {rel:?}"
                );
            }
            proptest::prop_assert!(!rel.contains('\\'));
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Arbitrary bytes as a nuspec: an error or a value, never a panic.
    #[test]
    fn nuspec_parser_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
        let _ = nupkg::parse_nuspec(&bytes, "fuzz", "fuzz.nuspec");
    }

    /// A real package with a few bytes corrupted: extraction fails cleanly or
    /// succeeds, never panics, and never writes outside its folder.
    #[test]
    fn corrupted_packages_fail_cleanly(
        flips in proptest::collection::vec((proptest::prelude::any::<usize>(), proptest::prelude::any::<u8>()), 1..8)
    ) {
        let mut bytes = PackageBuilder::new("Fuzz.Target", "1.0.0")
            .dependency_group(Some("net8.0"), &[("Dep", "[1.0, )")])
            .file("lib/net8.0/Fuzz.Target.dll", vec![0x4d; 4096])
            .build()
            .bytes;
        for (at, value) in flips {
            let i = at % bytes.len();
            bytes[i] ^= value | 1;
        }
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("p.nupkg");
        std::fs::write(&file, &bytes).unwrap();
        let _ = nupkg::extract(&file, &tmp.path().join("out"), &small_limits(), "fuzz");
        let _ = nupkg::read_nuspec_from_nupkg(&file, "fuzz");
        let top: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        proptest::prop_assert!(top.len() <= 2, "{top:?}");
    }
}
