//! Property tests for the parsers of the resolution core: versions, ranges,
//! frameworks, manifests and lockfiles never panic, and what they print they re-read
//! as the same value.

use std::path::Path;

use nuget::framework::{Framework, nearest};
use nuget::version::{NuGetVersion, VersionRange};
use project::manifest::Manifest;
use project::{LockedPackage, Lockfile};
use proptest::prelude::*;

fn version_strategy() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(0u64..1000, 1..=4),
        prop::option::of(prop::collection::vec(
            prop_oneof![
                "[a-zA-Z][a-zA-Z0-9-]{0,6}",
                (0u64..100).prop_map(|n| n.to_string())
            ],
            1..4,
        )),
        prop::option::of("[a-zA-Z0-9]{1,6}(\\.[a-zA-Z0-9]{1,4}){0,2}"),
    )
        .prop_map(|(nums, label, meta)| {
            let mut s = nums
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(".");
            if let Some(l) = label {
                s.push('-');
                s.push_str(&l.join("."));
            }
            if let Some(m) = meta {
                s.push('+');
                s.push_str(&m);
            }
            s
        })
}

proptest! {
    #[test]
    fn version_parse_never_panics(s in "\\PC{0,24}") {
        let _ = NuGetVersion::parse(&s);
    }

    #[test]
    fn range_parse_never_panics(s in "[\\[\\(]?[0-9.,* ^~=a-z-]{0,16}[\\]\\)]?") {
        let _ = VersionRange::parse(&s);
    }

    #[test]
    fn framework_parse_never_panics(s in "\\.?[a-zA-Z]{0,12}[0-9.,=v]{0,8}(-[a-z]{0,8}[0-9.]{0,6})?") {
        let _ = Framework::parse(&s);
    }

    #[test]
    fn normalized_version_round_trips(s in version_strategy()) {
        let v = NuGetVersion::parse(&s).unwrap();
        let n = NuGetVersion::parse(&v.normalized()).unwrap();
        prop_assert_eq!(&n, &v);
        prop_assert_eq!(n.normalized(), v.normalized());
        let f = NuGetVersion::parse(&v.full()).unwrap();
        prop_assert_eq!(f.full(), v.full());
    }

    #[test]
    fn ordering_is_total_and_ignores_metadata(a in version_strategy(), b in version_strategy()) {
        let (va, vb) = (NuGetVersion::parse(&a).unwrap(), NuGetVersion::parse(&b).unwrap());
        prop_assert_eq!(va.cmp(&vb), vb.cmp(&va).reverse());
        let stripped = NuGetVersion::parse(a.split('+').next().unwrap()).unwrap();
        prop_assert_eq!(stripped, va);
    }

    #[test]
    fn interval_display_round_trips(lo in version_strategy(), hi in version_strategy(), li: bool, hi_incl: bool, which in 0u8..4) {
        let (lo, hi) = {
            let (a, b) = (NuGetVersion::parse(&lo).unwrap(), NuGetVersion::parse(&hi).unwrap());
            if a <= b { (a, b) } else { (b, a) }
        };
        let text = match which {
            0 => format!("{}{}, {}{}", if li { '[' } else { '(' }, lo.full(), hi.full(), if hi_incl { ']' } else { ')' }),
            1 => format!("{}{}, )", if li { '[' } else { '(' }, lo.full()),
            2 => format!("(, {}{}", hi.full(), if hi_incl { ']' } else { ')' }),
            _ => format!("[{}]", lo.full()),
        };
        if let Ok(r) = VersionRange::parse(&text) {
            let again = VersionRange::parse(&r.to_string()).unwrap();
            prop_assert_eq!(again.to_string(), r.to_string());
            prop_assert_eq!(again.min, r.min);
            prop_assert_eq!(again.max, r.max);
        }
    }

    #[test]
    fn best_match_is_lowest_satisfying(vs in prop::collection::vec(version_strategy(), 1..12), r in version_strategy()) {
        let avail: Vec<NuGetVersion> = vs.iter().map(|s| NuGetVersion::parse(s).unwrap()).collect();
        let range = VersionRange::parse(&r).unwrap();
        if let Some(best) = range.best_match(&avail) {
            prop_assert!(range.satisfies(best));
            prop_assert!(avail.iter().all(|v| !range.satisfies(v) || v >= best));
        } else {
            prop_assert!(avail.iter().all(|v| !range.satisfies(v)));
        }
    }

    #[test]
    fn framework_short_names_round_trip(major in 5u32..12, minor in 0u32..3, ns_minor in 0u32..3, fx in prop::sample::select(vec!["net45", "net451", "net46", "net461", "net472", "net48"])) {
        for s in [format!("net{major}.{minor}"), format!("netstandard2.{ns_minor}"), format!("netcoreapp3.{minor}"), fx.to_string(), format!("net{major}.{minor}-windows")] {
            let f = Framework::parse(&s).unwrap();
            prop_assert_eq!(Framework::parse(&f.short_name()).unwrap(), f.clone());
            // A framework is always compatible with itself and nearest to itself.
            prop_assert_eq!(nearest(&f, std::slice::from_ref(&f)), Some(0));
        }
    }

    #[test]
    fn manifest_parse_never_panics(s in "(\\[[a-z.-]{0,20}\\]\n)?([a-zA-Z.\"-]{1,12} = (\"[^\"\n]{0,10}\"|true|1|\\{ version = \"1.0\" \\}|\\[\"a\"\\])\n){0,4}") {
        let _ = Manifest::parse(&s, Path::new("mochi.toml"));
    }

    #[test]
    fn manifest_parse_of_any_text_never_panics(s in "\\PC{0,80}") {
        if let Err(e) = Manifest::parse(&s, Path::new("mochi.toml")) {
            let at = e.location().unwrap();
            prop_assert!(at.line >= 1 && at.column >= 1);
        }
    }

    #[test]
    fn lockfile_render_parse_round_trips(ids in prop::collection::btree_set("[A-Za-z][A-Za-z0-9.]{0,10}", 0..6), src in "\\PC{0,12}") {
        // Ids are case-insensitive: keep one spelling of each.
        let mut lower = std::collections::BTreeSet::new();
        let ids: Vec<String> = ids.into_iter().filter(|id| lower.insert(id.to_ascii_lowercase())).collect();
        let lf = Lockfile {
            packages: ids.iter().map(|id| LockedPackage {
                id: id.clone(),
                version: "1.0.0".into(),
                source: src.clone(),
                nupkg_sha512: "ab".into(),
                metadata_sha256: "cd".into(),
                shim_sha256: None,
                capabilities_declared: vec!["net".into()],
                target_framework: "net8.0".into(),
                assets_framework: "none".into(),
                dependencies: ids.iter().filter(|d| *d != id).map(|d| format!("{d} 1.0.0")).collect(),
            }).collect(),
        };
        let text = lf.render();
        prop_assert!(text.ends_with('\n') && !text.ends_with("\n\n") && !text.contains('\r'));
        let back = Lockfile::parse(&text, Path::new("mochi.lock")).unwrap();
        prop_assert_eq!(back.render(), text);
        prop_assert!(lf.drift(&back).is_empty());
    }
}

#[test]
fn a_package_listed_twice_in_two_spellings_is_an_error() {
    let one = |id: &str| {
        format!(
            "[[dotnet-package]]\nid = \"{id}\"\nversion = \"1.0.0\"\nsource = \"s\"\nnupkg-sha512 = \"ab\"\n\
             metadata-sha256 = \"cd\"\ncapabilities-declared = []\ntarget-framework = \"net8.0\"\n\
             assets-framework = \"net8.0\"\ndependencies = []\n"
        )
    };
    let text = format!("version = 1\n\n{}\n{}", one("Foo.Bar"), one("foo.bar"));
    let e = Lockfile::parse(&text, Path::new("mochi.lock"))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`foo.bar` is listed twice") && e.contains("`Foo.Bar`"),
        "{e}"
    );
}
