//! The resolver over in-memory graphs: NuGet's rules, conflicts, cycles, frameworks.

use lock::resolver::{
    MemoryIndex, RawDependencyGroup, ResolveError, ResolveRequest, RootRequirement, resolve,
};
use nuget::framework::Framework;
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

fn versions(index: &MemoryIndex, roots: &[(&str, &str)]) -> Vec<String> {
    let r = resolve(index, &request(roots)).unwrap();
    r.packages
        .values()
        .map(|p| format!("{} {}", p.id, p.version))
        .collect()
}

fn group(tfm: Option<&str>, deps: &[(&str, &str)]) -> RawDependencyGroup {
    RawDependencyGroup {
        target_framework: tfm.map(str::to_string),
        dependencies: deps
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
    }
}

#[test]
fn lowest_applicable_version() {
    let mut ix = MemoryIndex::new();
    ix.add("A", "1.0.0", &[("B", "2.0")])
        .add("A", "1.1.0", &[])
        .add("B", "1.0.0", &[])
        .add("B", "2.0.0", &[])
        .add("B", "2.1.0", &[])
        .add("B", "3.0.0-beta", &[]);
    assert_eq!(versions(&ix, &[("A", "1.0")]), ["A 1.0.0", "B 2.0.0"]);
    assert_eq!(versions(&ix, &[("A", "^1.0")]), ["A 1.0.0", "B 2.0.0"]);
    assert_eq!(
        versions(&ix, &[("A", "1.*")]),
        ["A 1.1.0"],
        "floating picks highest"
    );
}

#[test]
fn diamond_cousins_take_lowest_satisfying_all() {
    // App → A → C >= 1.0 ; App → B → C >= 1.2 (and < 2.0)
    let mut ix = MemoryIndex::new();
    ix.add("A", "1.0.0", &[("C", "1.0")])
        .add("B", "1.0.0", &[("C", "[1.2,2.0)")])
        .add("C", "1.0.0", &[])
        .add("C", "1.2.0", &[])
        .add("C", "1.5.0", &[])
        .add("C", "2.0.0", &[]);
    let r = resolve(&ix, &request(&[("A", "1.0"), ("B", "1.0")])).unwrap();
    assert_eq!(r.packages["c"].version.to_string(), "1.2.0");
    assert!(!r.packages["c"].direct && r.packages["a"].direct);
    let a = &r.packages["a"];
    assert_eq!(
        a.dependencies,
        [("C".to_string(), "1.2.0".parse().unwrap())]
    );
}

#[test]
fn direct_dependency_wins_over_a_cap() {
    let mut ix = MemoryIndex::new();
    ix.add("A", "1.0.0", &[("C", "[1.0,2.0)")])
        .add("C", "1.0.0", &[])
        .add("C", "3.0.0", &[]);
    let r = resolve(&ix, &request(&[("A", "1.0"), ("C", "3.0")])).unwrap();
    assert_eq!(r.packages["c"].version.to_string(), "3.0.0");
    assert_eq!(r.warnings.len(), 1);
    assert!(
        r.warnings[0].contains("the direct dependency wins"),
        "{:?}",
        r.warnings
    );
}

#[test]
fn direct_downgrade_is_an_error_with_both_paths() {
    let mut ix = MemoryIndex::new();
    ix.add("A", "1.0.0", &[("C", "2.0")])
        .add("C", "1.0.0", &[])
        .add("C", "2.0.0", &[]);
    let e = resolve(&ix, &request(&[("A", "1.0"), ("C", "[1.0]")])).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, ResolveError::Downgrade { .. }), "{msg}");
    assert!(msg.contains("mochi.toml picks 1.0.0"), "{msg}");
    assert!(
        msg.contains("mochi.toml → A 1.0.0 requires [2.0.0, )"),
        "{msg}"
    );
    assert!(msg.contains("\"C\" = \"2.0.0\""), "{msg}");
}

#[test]
fn cousin_conflict_names_both_paths_and_the_override() {
    let mut ix = MemoryIndex::new();
    ix.add("A", "1.0.0", &[("X", "1.0.0")])
        .add("X", "1.0.0", &[("C", "[1.0,2.0)")])
        .add("B", "1.0.0", &[("C", "[2.0,3.0)")])
        .add("C", "1.0.0", &[])
        .add("C", "2.0.0", &[]);
    let e = resolve(&ix, &request(&[("A", "1.0"), ("B", "1.0")])).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, ResolveError::Conflict { .. }), "{msg}");
    assert!(
        msg.contains("mochi.toml → A 1.0.0 → X 1.0.0 requires [1.0.0, 2.0.0)"),
        "{msg}"
    );
    assert!(
        msg.contains("mochi.toml → B 1.0.0 requires [2.0.0, 3.0.0)"),
        "{msg}"
    );
    assert!(msg.contains("[dotnet-dependencies]: \"C\" = "), "{msg}");
    // ... and the override the message suggests resolves it.
    let r = resolve(&ix, &request(&[("A", "1.0"), ("B", "1.0"), ("C", "2.0.0")])).unwrap();
    assert_eq!(r.packages["c"].version.to_string(), "2.0.0");
}

#[test]
fn cycles_are_errors_naming_the_cycle() {
    let mut ix = MemoryIndex::new();
    ix.add("A", "1.0.0", &[("B", "1.0")])
        .add("B", "1.0.0", &[("C", "1.0")])
        .add("C", "1.0.0", &[("A", "1.0")]);
    let e = resolve(&ix, &request(&[("A", "1.0")])).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, ResolveError::Cycle { .. }), "{msg}");
    assert!(
        msg.contains("A 1.0.0 → B 1.0.0 → C 1.0.0 → A 1.0.0"),
        "{msg}"
    );
}

#[test]
fn no_match_lists_what_exists() {
    let mut ix = MemoryIndex::new();
    ix.add("A", "1.0.0", &[]).add("A", "1.5.0", &[]);
    let e = resolve(&ix, &request(&[("A", "[2.0,3.0)")])).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("no version of A satisfies [2.0.0, 3.0.0)"),
        "{msg}"
    );
    assert!(msg.contains("available: 1.0.0, 1.5.0"), "{msg}");
    let e = resolve(&ix, &request(&[("Missing", "1.0")])).unwrap_err();
    assert!(e.to_string().contains("on no source"), "{e}");
}

#[test]
fn framework_specific_groups() {
    let mut ix = MemoryIndex::new();
    ix.add_groups(
        "Multi",
        "1.0.0",
        vec![
            group(Some(".NETFramework4.6.1"), &[("Legacy", "1.0")]),
            group(Some(".NETStandard2.0"), &[("Std", "1.0")]),
            group(Some("net6.0"), &[("Modern", "1.0")]),
        ],
    )
    .add("Legacy", "1.0.0", &[])
    .add("Std", "1.0.0", &[])
    .add("Modern", "1.0.0", &[]);
    let ids = |framework: &str| {
        let mut req = request(&[("Multi", "1.0")]);
        req.framework = fw(framework);
        req.roots[0].framework = fw(framework);
        let r = resolve(&ix, &req).unwrap();
        r.packages
            .values()
            .map(|p| p.id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids("net8.0"), ["Modern", "Multi"]);
    assert_eq!(ids("netcoreapp3.1"), ["Multi", "Std"]);
    assert_eq!(ids("net472"), ["Legacy", "Multi"]);
    assert_eq!(
        ids("netstandard1.0"),
        ["Multi"],
        "no compatible group: no dependencies"
    );
}

#[test]
fn ids_are_case_insensitive_and_output_is_sorted() {
    let mut ix = MemoryIndex::new();
    ix.add("zeta", "1.0.0", &[("ALPHA", "1.0")])
        .add("Alpha", "1.0.0", &[]);
    let r = resolve(&ix, &request(&[("Zeta", "1.0"), ("alpha", "1.0")])).unwrap();
    let keys: Vec<&String> = r.packages.keys().collect();
    assert_eq!(keys, ["alpha", "zeta"]);
    assert_eq!(r.packages["alpha"].id, "alpha", "direct casing wins");
    assert_eq!(r.packages["zeta"].id, "Zeta");
}

#[test]
fn deep_chain_resolves_deterministically() {
    let mut ix = MemoryIndex::new();
    for i in 0..30 {
        let next = format!("P{}", i + 1);
        let deps: Vec<(&str, &str)> = if i < 29 {
            vec![(next.as_str(), "1.0")]
        } else {
            vec![]
        };
        ix.add(&format!("P{i}"), "1.0.0", &deps)
            .add(&format!("P{i}"), "1.1.0", &deps);
    }
    let a = resolve(&ix, &request(&[("P0", "1.0")])).unwrap();
    let b = resolve(&ix, &request(&[("P0", "1.0")])).unwrap();
    assert_eq!(a, b);
    assert_eq!(a.packages.len(), 30);
    assert!(
        a.packages
            .values()
            .all(|p| p.version.to_string() == "1.0.0")
    );
}

#[test]
fn bad_dependency_range_names_package() {
    let mut ix = MemoryIndex::new();
    ix.add("A", "1.0.0", &[("B", "[oops")]);
    let e = resolve(&ix, &request(&[("A", "1.0")])).unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("A 1.0.0 declares a dependency on B"), "{msg}");
}

#[test]
fn recorded_versions_are_kept_while_they_still_fit() {
    let mut ix = MemoryIndex::new();
    ix.add("A", "13.0.1", &[("B", "1.0")])
        .add("A", "13.0.3", &[("B", "1.0")])
        .add("B", "1.0.0", &[])
        .add("B", "1.5.0", &[]);
    let mut req = request(&[("A", "13.*")]);
    let first = resolve(&ix, &req).unwrap();
    assert_eq!(first.packages["a"].version.to_string(), "13.0.3");
    // A newer version is published; a re-lock with the recorded versions keeps them.
    ix.add("A", "13.0.9", &[("B", "1.5")]);
    req.preferred = first
        .packages
        .iter()
        .map(|(k, p)| (k.clone(), p.version.clone()))
        .collect();
    let again = resolve(&ix, &req).unwrap();
    assert_eq!(again, first);
    // Without them, the float moves, and B follows the new requirement.
    req.preferred.clear();
    let fresh = resolve(&ix, &req).unwrap();
    assert_eq!(fresh.packages["a"].version.to_string(), "13.0.9");
    assert_eq!(fresh.packages["b"].version.to_string(), "1.5.0");
    // A recorded version that no longer fits the manifest is dropped.
    req.preferred = first
        .packages
        .iter()
        .map(|(k, p)| (k.clone(), p.version.clone()))
        .collect();
    req.roots[0].range = VersionRange::parse("[13.0.9]").unwrap();
    let moved = resolve(&ix, &req).unwrap();
    assert_eq!(moved.packages["a"].version.to_string(), "13.0.9");
    assert_eq!(moved.packages["b"].version.to_string(), "1.5.0");
}
