//! Regressions seen on real nuget.org packages (issue 10, "Already seen on
//! real packages"), one test each, on in-memory graphs: no registry needed.

use lock::resolver::{
    MemoryIndex, RawDependencyGroup, ResolveError, ResolveRequest, RootRequirement, resolve,
};
use nuget::framework::{Family, Framework};
use nuget::version::VersionRange;

fn fw(s: &str) -> Framework {
    Framework::parse(s).unwrap()
}

fn request(roots: &[(&str, &str)]) -> ResolveRequest {
    ResolveRequest {
        roots: roots
            .iter()
            .map(|(id, r)| RootRequirement {
                id: id.to_string(),
                range: VersionRange::parse(r).unwrap(),
                framework: fw("net8.0"),
            })
            .collect(),
        framework: fw("net8.0"),
        preferred: Default::default(),
    }
}

fn group(tfm: &str, deps: &[(&str, &str)]) -> RawDependencyGroup {
    RawDependencyGroup {
        target_framework: Some(tfm.to_string()),
        dependencies: deps
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
    }
}

/// Dapper 2.0.123 names a `.NETFramework5.0` group: NuGet reads it as net5.0,
/// so net8.0 takes it, not the netstandard2.0 group (whose dependency the feed
/// lacks at that version: lock failed with `no version of
/// System.Reflection.Emit.Lightweight satisfies [4.7.0, )`).
#[test]
fn dot_net_framework_5_is_net5() {
    let f = fw(".NETFramework5.0");
    assert_eq!(f.family, Family::NetCoreApp);
    assert_eq!(f.short_name(), "net5.0");
    assert_eq!(fw(".NETFramework4.6.1").short_name(), "net461");
    assert_eq!(fw(".NETFramework,Version=v5.0"), fw("net5.0"));

    let mut ix = MemoryIndex::new();
    ix.add_groups(
        "Dapper",
        "2.0.123",
        vec![
            group(
                ".NETFramework4.6.1",
                &[("System.Reflection.Emit.Lightweight", "[4.7.0, )")],
            ),
            group(".NETFramework5.0", &[]),
            group(
                ".NETStandard2.0",
                &[("System.Reflection.Emit.Lightweight", "[4.7.0, )")],
            ),
        ],
    );
    ix.add("System.Reflection.Emit.Lightweight", "4.3.0", &[]);
    let r = resolve(&ix, &request(&[("Dapper", "2.0.123")])).unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<String> = r
        .packages
        .values()
        .map(|p| format!("{} {}", p.id, p.version))
        .collect();
    assert_eq!(got, ["Dapper 2.0.123"]);
    assert_eq!(
        r.packages.values().next().unwrap().group_framework,
        Some(fw("net5.0"))
    );
}

/// When the sources have only versions below what a dependency path needs,
/// the hint no longer suggests pinning one of them (that pin then failed as a
/// downgrade): it says why a pin cannot help and what can.
#[test]
fn a_missing_version_is_not_answered_with_a_downgrading_pin() {
    let mut ix = MemoryIndex::new();
    ix.add("App", "1.0.0", &[("Lib", "[4.7.0, )")])
        .add("Lib", "4.3.0", &[])
        .add("Lib", "4.6.0", &[]);
    let e = resolve(&ix, &request(&[("App", "1.0.0")])).unwrap_err();
    let ResolveError::NoMatch { hint, .. } = &e else {
        panic!("{e}")
    };
    assert!(!hint.contains("\"Lib\" = \"4.6.0\""), "{hint}");
    assert!(
        hint.contains("every available version of Lib is older than App 1.0.0 needs (4.7.0)"),
        "{hint}"
    );
    assert!(hint.contains("a pin cannot help"), "{hint}");
    assert!(
        hint.contains("add a NuGet source that serves Lib 4.7.0 or later"),
        "{hint}"
    );

    // A pin that satisfies the path is still suggested.
    let mut ix = MemoryIndex::new();
    ix.add("App", "1.0.0", &[("Lib", "[4.7.0, 5.0.0)")])
        .add("Lib", "5.1.0", &[]);
    let e = resolve(&ix, &request(&[("App", "1.0.0")])).unwrap_err();
    assert!(e.to_string().contains("\"Lib\" = \"5.1.0\""), "{e}");
}

/// `MediatR` became the Mochi package `mediat_r`.
#[test]
fn package_names_keep_a_trailing_capital() {
    use shimgen::plan::package_name;
    assert_eq!(package_name("MediatR"), "mediatr");
    assert_eq!(package_name("Newtonsoft.Json"), "newtonsoft_json");
    assert_eq!(package_name("AWSSDK.Core"), "awssdk_core");
    assert_eq!(package_name("xunit.assert"), "xunit_assert");
    assert_eq!(package_name("StackExchange.Redis"), "stack_exchange_redis");
    assert_eq!(
        package_name("Microsoft.Extensions.DependencyInjection"),
        "microsoft_extensions_dependency_injection"
    );
    assert_eq!(package_name("SQLitePCLRaw.core"), "sq_lite_pcl_raw_core");
}
