//! The NuGet v3 client against the in-tree registry on 127.0.0.1: discovery,
//! version lists, registration metadata (inline, paged, linked, absent), downloads,
//! every injected fault, offline work, the global packages folder and folder feeds.

use std::path::Path;
use std::time::Duration;

use fixtures::{BuiltPackage, Fault, RegistrationMode, Registry, RegistryOptions, graphs};
use nuget::client::RetryPolicy;
use nuget::config::{PackageSource, SourceLocation};
use nuget::nupkg::RawDependencyGroup;
use nuget::{CacheError, ClientOptions, NuGetClient, NuGetError, PackageCache};

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        backoff_base: Duration::from_millis(10),
        backoff_max: Duration::from_millis(40),
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_millis(400),
    }
}

fn options() -> ClientOptions {
    ClientOptions {
        offline: false,
        quiet: true,
        retry: fast_retry(),
        parallelism: 4,
        global_packages_folder: None,
        source_mapping: None,
        proxy: nuget::client::ProxyConfig::default(),
    }
}

fn http(url: &str) -> PackageSource {
    PackageSource {
        name: "fixture".to_string(),
        location: SourceLocation::Http(url.to_string()),
    }
}

fn client_for(reg: &Registry, cache_dir: &Path) -> NuGetClient {
    NuGetClient::new(
        vec![http(&reg.index_url())],
        PackageCache::open(cache_dir).unwrap(),
        options(),
    )
}

/// The cache holds no entry, no index record and no temporary file.
fn assert_cache_clean(cache_dir: &Path) {
    let mut names: Vec<String> = std::fs::read_dir(cache_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [".locks", ".tmp", "index"],
        "unexpected cache entries"
    );
    let tmp: Vec<_> = std::fs::read_dir(cache_dir.join(".tmp")).unwrap().collect();
    assert!(tmp.is_empty(), "temporary files left behind: {tmp:?}");
    let index: Vec<_> = walk(&cache_dir.join("index"));
    assert!(index.is_empty(), "index records left behind: {index:?}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            if e.file_type().unwrap().is_dir() {
                out.extend(walk(&e.path()));
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

fn cache_err(e: &NuGetError) -> &CacheError {
    match e {
        NuGetError::Cache(c) => c,
        other => panic!("expected a cache error, got: {other}"),
    }
}

fn find<'a>(set: &'a [BuiltPackage], id: &str, version: &str) -> &'a BuiltPackage {
    set.iter()
        .find(|p| p.id == id && p.version == version)
        .unwrap()
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
fn real_assemblies_download_verified_and_extracted() {
    let pkgs = graphs::real_packages();
    assert!(
        pkgs.iter().any(|p| p.id == "Newtonsoft.Json"),
        "Debian's Newtonsoft.Json must be installed (scripts/setup)"
    );
    let reg = Registry::start(&pkgs).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let client = client_for(&reg, tmp.path());

    assert_eq!(client.list_versions("newtonsoft.json").unwrap(), ["6.0.8"]);
    let got = client.download("Newtonsoft.Json", "6.0.8").unwrap();
    let built = find(&pkgs, "Newtonsoft.Json", "6.0.8");
    assert_eq!(got.sha512_hex, built.sha512_hex());
    assert_eq!(std::fs::read(&got.nupkg_path).unwrap(), built.bytes);
    assert_eq!(got.source, reg.index_url());
    assert_eq!(
        got.nupkg_path,
        tmp.path().join(&got.sha512_hex).join("package.nupkg")
    );
    let dll = got.extracted_dir.join("lib/net45/Newtonsoft.Json.dll");
    assert_eq!(
        std::fs::read(&dll).unwrap(),
        std::fs::read(fixtures::assemblies::newtonsoft_json().unwrap()).unwrap()
    );
    let contents = nuget::nupkg::read_extracted(&got.extracted_dir, "test").unwrap();
    assert_eq!(contents.nuspec.id, "Newtonsoft.Json");
    assert_eq!(contents.lib.len(), 1);
    assert_eq!(contents.lib[0].folder, "net45");
    assert_eq!(
        contents.lib[0].assemblies,
        ["lib/net45/Newtonsoft.Json.dll"]
    );

    // A second download is served by the cache: no new request at all.
    let before = reg.requests().len();
    let again = client.download("Newtonsoft.Json", "6.0.8").unwrap();
    assert_eq!(again, got);
    assert_eq!(reg.requests().len(), before);

    for p in &pkgs {
        let c = client.download(&p.id, &p.version).unwrap();
        assert_eq!(c.sha512_hex, p.sha512_hex(), "{}", p.id);
    }
}

#[test]
fn dependency_groups_in_every_registration_shape() {
    let pkgs = graphs::diamond();
    let expected = vec![
        group(
            Some("net8.0"),
            &[
                ("Diamond.Left", "[1.0.0, )"),
                ("Diamond.Right", "[1.0.0, )"),
            ],
        ),
        group(Some("netstandard2.0"), &[("Diamond.Left", "[1.0.0, )")]),
    ];
    for (mode, ty) in [
        (RegistrationMode::Inline, "RegistrationsBaseUrl/3.6.0"),
        (RegistrationMode::Inline, "RegistrationsBaseUrl"),
        (RegistrationMode::Inline, "RegistrationsBaseUrl/3.4.0"),
        (RegistrationMode::Inline, "RegistrationsBaseUrl/3.0.0-rc"),
        (
            RegistrationMode::Paged { page_size: 1 },
            "RegistrationsBaseUrl/3.6.0",
        ),
        (RegistrationMode::CatalogLinks, "RegistrationsBaseUrl/3.6.0"),
        (RegistrationMode::None, ""),
        // A mirror whose catalog entries are only id/version/listed: the registration
        // says nothing about dependencies, so they come from the nuspec (a lock once
        // read "no dependencies" from such entries and dropped the whole graph).
        (RegistrationMode::Minimal, "RegistrationsBaseUrl/3.6.0"),
    ] {
        let reg = Registry::start_with(
            &pkgs,
            RegistryOptions {
                registration: mode,
                registration_type: ty.to_string(),
                advertise_hash: true,
                gzip_json: true,
            },
        )
        .unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let client = client_for(&reg, tmp.path());
        assert_eq!(
            client.dependency_groups("Diamond.App", "1.0.0").unwrap(),
            expected,
            "{mode:?} {ty}"
        );
        assert_eq!(
            client.dependency_groups("Diamond.Right", "1.0").unwrap(),
            [group(
                Some("netstandard2.0"),
                &[("Diamond.Base", "[1.1.0, )")]
            )],
            "{mode:?}"
        );
        assert!(
            client
                .dependency_groups("Diamond.Base", "2.0.0")
                .unwrap()
                .is_empty()
        );
        if mode == RegistrationMode::None {
            assert!(reg.hits(".nuspec") >= 3, "nuspec fallback used");
            assert_eq!(reg.hits("/registration/"), 0);
        } else if mode == RegistrationMode::Minimal {
            assert!(
                reg.hits(".nuspec") >= 3,
                "{mode:?}: dependencies from the nuspec"
            );
        } else {
            assert_eq!(reg.hits(".nuspec"), 0, "{mode:?}: registration used");
        }
        assert!(reg.gzipped_responses() > 0, "gzip-encoded JSON decoded");
        if let RegistrationMode::Paged { .. } = mode {
            // Pages of one version each: App, Right and Base 2.0.0 were asked for,
            // and only the page whose bounds hold each version was fetched.
            assert_eq!(reg.hits("/page/"), 3, "{:?}", reg.requests());
        }
        if mode == RegistrationMode::CatalogLinks {
            assert!(reg.hits("/catalog/") >= 1);
        }
        let mut versions = client.list_versions("Diamond.Base").unwrap();
        versions.sort();
        assert_eq!(versions, ["1.0.0", "1.1.0", "2.0.0"]);
    }
}

#[test]
fn unknown_package_and_version_name_the_package_and_source() {
    let reg = Registry::start(&graphs::diamond()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let client = client_for(&reg, tmp.path());
    let e = client.list_versions("No.Such.Package").unwrap_err();
    assert!(matches!(e, NuGetError::PackageNotFound { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("No.Such.Package") && msg.contains(&reg.index_url()),
        "{msg}"
    );
    let e = client.download("Diamond.Base", "9.9.9").unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("Diamond.Base 9.9.9"), "{msg}");
    let e = client
        .dependency_groups("Diamond.Base", "9.9.9")
        .unwrap_err();
    assert!(matches!(e, NuGetError::PackageNotFound { .. }), "{e}");
    assert_cache_clean(tmp.path());
}

const NUPKG: &str = "/diamond.base.1.1.0.nupkg";

fn fault_case(
    fault: Fault,
    times: Option<usize>,
) -> (
    Registry,
    tempfile::TempDir,
    Result<nuget::CachedPackage, NuGetError>,
) {
    let reg = Registry::start(&graphs::diamond()).unwrap();
    reg.inject(NUPKG, fault, times);
    let tmp = tempfile::tempdir().unwrap();
    let client = client_for(&reg, tmp.path());
    let r = client.download("Diamond.Base", "1.1.0");
    (reg, tmp, r)
}

#[test]
fn transient_faults_are_retried_until_success() {
    let pkgs = graphs::diamond();
    let want = find(&pkgs, "Diamond.Base", "1.1.0").sha512_hex();
    for (fault, times) in [
        (Fault::Status(503), 2),
        (Fault::Status(500), 1),
        (Fault::Status(429), 1),
        (Fault::Reset, 2),
        (Fault::ResetAfter(100), 1),
        (Fault::Truncate(200), 2),
        (Fault::Delay(Duration::from_millis(1500)), 1),
    ] {
        let (reg, tmp, r) = fault_case(fault.clone(), Some(times));
        let got = r.unwrap_or_else(|e| panic!("{fault:?} x{times}: {e}"));
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path().join(".tmp"))
            .unwrap()
            .collect();
        assert!(leftovers.is_empty(), "{fault:?}: {leftovers:?}");
        assert_eq!(got.sha512_hex, want, "{fault:?}");
        assert_eq!(reg.hits(NUPKG), times + 1, "{fault:?}: one retry per fault");
    }
}

#[test]
fn a_slow_but_timely_server_is_not_retried() {
    let (reg, _tmp, r) = fault_case(Fault::Delay(Duration::from_millis(100)), None);
    r.unwrap();
    assert_eq!(reg.hits(NUPKG), 1);
}

#[test]
fn persistent_faults_fail_with_the_url_and_leave_no_partial_entry() {
    for (fault, needle) in [
        (Fault::Status(503), "HTTP 503"),
        (Fault::Reset, "attempt"),
        (Fault::Truncate(200), "cut short"),
        (Fault::ResetAfter(300), "attempt"),
        (Fault::Delay(Duration::from_millis(1500)), "attempt"),
    ] {
        let (reg, tmp, r) = fault_case(fault.clone(), None);
        let e = r.expect_err(&format!("{fault:?} must fail"));
        let msg = e.to_string();
        match &e {
            NuGetError::Http { url, attempts, .. } => {
                assert!(url.ends_with(NUPKG), "{msg}");
                assert_eq!(*attempts, 3, "{msg}");
            }
            other => panic!("{fault:?}: unexpected error {other}"),
        }
        assert!(msg.contains(needle), "{fault:?}: {msg}");
        assert!(msg.contains("hint:"), "{msg}");
        assert_eq!(reg.hits(NUPKG), 3, "{fault:?}: bounded retries");
        assert_cache_clean(tmp.path());
    }
}

#[test]
fn client_errors_are_not_retried() {
    let (reg, tmp, r) = fault_case(Fault::Status(403), None);
    let e = r.unwrap_err();
    assert!(matches!(e, NuGetError::Http { attempts: 1, .. }), "{e}");
    assert!(e.to_string().contains("HTTP 403"), "{e}");
    assert_eq!(reg.hits(NUPKG), 1);
    assert_cache_clean(tmp.path());
}

#[test]
fn faults_on_metadata_are_retried_too() {
    let reg = Registry::start(&graphs::diamond()).unwrap();
    reg.inject("/v3/index.json", Fault::Status(502), Some(1));
    reg.inject("/flat/diamond.base/index.json", Fault::Truncate(5), Some(1));
    reg.inject(
        "/registration/diamond.app/index.json",
        Fault::Reset,
        Some(2),
    );
    let tmp = tempfile::tempdir().unwrap();
    let client = client_for(&reg, tmp.path());
    assert_eq!(client.list_versions("Diamond.Base").unwrap().len(), 3);
    assert_eq!(
        client
            .dependency_groups("Diamond.App", "1.0.0")
            .unwrap()
            .len(),
        2
    );
    assert_eq!(reg.hits("/v3/index.json"), 2);
    assert_eq!(reg.hits("/registration/diamond.app/index.json"), 3);
}

#[test]
fn a_closed_port_fails_after_bounded_retries() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("http://127.0.0.1:{port}/v3/index.json");
    let client = NuGetClient::new(
        vec![http(&url)],
        PackageCache::open(tmp.path()).unwrap(),
        options(),
    );
    let e = client.download("Diamond.Base", "1.0.0").unwrap_err();
    assert!(matches!(e, NuGetError::Http { attempts: 3, .. }), "{e}");
    assert!(e.to_string().contains(&url), "{e}");
    assert_cache_clean(tmp.path());
}

#[test]
fn wrong_content_is_a_hash_mismatch_naming_both_hashes() {
    let pkgs = graphs::diamond();
    let other = find(&pkgs, "Diamond.Base", "2.0.0").clone();
    let want = find(&pkgs, "Diamond.Base", "1.1.0").sha512_hex();
    let (reg, tmp, r) = fault_case(Fault::Body(other.bytes.clone()), None);
    let e = r.unwrap_err();
    match cache_err(&e) {
        CacheError::HashMismatch {
            id,
            version,
            expected,
            actual,
            ..
        } => {
            assert_eq!((id.as_str(), version.as_str()), ("Diamond.Base", "1.1.0"));
            assert_eq!(expected, &want);
            assert_eq!(actual, &other.sha512_hex());
        }
        other => panic!("unexpected {other}"),
    }
    let msg = e.to_string();
    assert!(
        msg.contains(&want) && msg.contains(&other.sha512_hex()),
        "{msg}"
    );
    assert_eq!(reg.hits(NUPKG), 1, "a hash mismatch is not retried");
    assert_cache_clean(tmp.path());
}

#[test]
fn wrong_content_without_advertised_hash_is_caught_by_the_nuspec() {
    let pkgs = graphs::diamond();
    let reg = Registry::start_with(
        &pkgs,
        RegistryOptions {
            advertise_hash: false,
            ..RegistryOptions::default()
        },
    )
    .unwrap();
    let other = find(&pkgs, "Diamond.Left", "1.0.0");
    reg.inject(NUPKG, Fault::Body(other.bytes.clone()), None);
    let tmp = tempfile::tempdir().unwrap();
    let client = client_for(&reg, tmp.path());
    let e = client.download("Diamond.Base", "1.1.0").unwrap_err();
    assert!(
        matches!(cache_err(&e), CacheError::WrongPackage { found_id, .. } if found_id == "Diamond.Left"),
        "{e}"
    );
    assert_cache_clean(tmp.path());

    reg.clear_faults();
    reg.inject(NUPKG, Fault::Body(b"garbage, not a zip".to_vec()), None);
    let e = client.download("Diamond.Base", "1.1.0").unwrap_err();
    assert!(e.to_string().contains("Diamond.Base 1.1.0"), "{e}");
    assert!(e.to_string().contains("zip"), "{e}");
    assert_cache_clean(tmp.path());
}

#[test]
fn expected_hash_from_a_lockfile_is_enforced() {
    let pkgs = graphs::diamond();
    let reg = Registry::start(&pkgs).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let client = client_for(&reg, tmp.path());
    let bogus = "ab".repeat(64);
    let e = client
        .download_verified("Diamond.Base", "1.0.0", Some(&bogus))
        .unwrap_err();
    assert!(
        matches!(cache_err(&e), CacheError::HashMismatch { expected, .. } if *expected == bogus),
        "{e}"
    );
    assert_cache_clean(tmp.path());
    let good = find(&pkgs, "Diamond.Base", "1.0.0");
    // NuGet's base64 spelling is accepted too.
    let got = client
        .download_verified("Diamond.Base", "1.0.0", Some(&good.sha512_base64()))
        .unwrap();
    assert_eq!(got.sha512_hex, good.sha512_hex());
    // With the lockfile's hash in hand the registration is not consulted at all.
    assert_eq!(reg.hits("/registration/"), 0);
    // A cached entry with another hash is not handed out against a lockfile.
    let e = client
        .download_verified("Diamond.Base", "1.0.0", Some(&bogus))
        .unwrap_err();
    assert!(
        matches!(cache_err(&e), CacheError::HashMismatch { .. }),
        "{e}"
    );
}

#[test]
fn hostile_package_from_a_server_is_refused_and_not_cached() {
    let mut evil = fixtures::PackageBuilder::new("Hostile.Served", "1.0.0").build();
    evil.bytes = fixtures::hostile::zip_slip();
    let reg = Registry::start_with(
        &[evil],
        RegistryOptions {
            advertise_hash: false,
            ..RegistryOptions::default()
        },
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let client = client_for(&reg, tmp.path());
    let e = client.download("Hostile.Served", "1.0.0").unwrap_err();
    assert!(
        e.to_string().contains("escapes the extraction folder"),
        "{e}"
    );
    assert!(!tmp.path().join("evil.txt").exists());
    assert_cache_clean(tmp.path());
}

#[test]
fn parallel_downloads_return_in_order_and_download_once() {
    let pkgs = graphs::diamond();
    let reg = Registry::start(&pkgs).unwrap();
    reg.inject(".nupkg", Fault::Delay(Duration::from_millis(300)), None);
    let tmp = tempfile::tempdir().unwrap();
    let client = client_for(&reg, tmp.path());
    let wanted: Vec<(String, String)> = pkgs
        .iter()
        .map(|p| (p.id.clone(), p.version.clone()))
        .collect();
    let t = std::time::Instant::now();
    let got = client.download_all(&wanted).unwrap();
    let elapsed = t.elapsed();
    assert_eq!(got.len(), pkgs.len());
    for (g, p) in got.iter().zip(&pkgs) {
        assert_eq!(
            (g.id.as_str(), g.sha512_hex.clone()),
            (p.id.as_str(), p.sha512_hex())
        );
    }
    for p in &pkgs {
        assert_eq!(reg.hits(&format!("/{}", p.file_name())), 1, "{}", p.id);
    }
    // 6 packages × 300 ms of server delay: 1.8 s one at a time, about 0.6 s four
    // at a time.
    assert!(
        elapsed < Duration::from_millis(1500),
        "not parallel: {elapsed:?}"
    );

    let before = reg.requests().len();
    assert_eq!(client.download_all(&wanted).unwrap(), got);
    assert_eq!(reg.requests().len(), before, "warm cache: no request");

    // One failing package fails the batch, naming it; the others are still cached.
    let mut with_missing = wanted.clone();
    with_missing.insert(1, ("Diamond.Missing".to_string(), "1.0.0".to_string()));
    let e = client.download_all(&with_missing).unwrap_err();
    assert!(e.to_string().contains("Diamond.Missing 1.0.0"), "{e}");
}

#[test]
fn offline_works_from_a_warm_cache_and_names_what_is_missing() {
    let pkgs = graphs::diamond();
    let tmp = tempfile::tempdir().unwrap();
    let index_url;
    let warm;
    {
        let reg = Registry::start(&pkgs).unwrap();
        index_url = reg.index_url();
        let client = client_for(&reg, tmp.path());
        warm = client.download("Diamond.App", "1.0.0").unwrap();
        client.download("Diamond.Base", "1.1.0").unwrap();
        client.download("Diamond.Base", "2.0.0").unwrap();
    } // the registry is gone
    let offline = NuGetClient::new(
        vec![http(&index_url)],
        PackageCache::open(tmp.path()).unwrap(),
        ClientOptions {
            offline: true,
            ..options()
        },
    );
    assert_eq!(offline.download("Diamond.App", "1.0.0").unwrap(), warm);
    assert_eq!(
        offline
            .dependency_groups("Diamond.App", "1.0.0")
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        offline.list_versions("Diamond.Base").unwrap(),
        ["1.1.0", "2.0.0"]
    );
    let e = offline.download("Diamond.Left", "1.0.0").unwrap_err();
    assert!(matches!(e, NuGetError::Offline { .. }), "{e}");
    let msg = e.to_string();
    assert!(
        msg.contains("Diamond.Left 1.0.0") && msg.contains("--offline"),
        "{msg}"
    );
    let e = offline.list_versions("Diamond.Left").unwrap_err();
    assert!(e.to_string().contains("Diamond.Left"), "{e}");
    let e = offline
        .dependency_groups("Diamond.Left", "1.0.0")
        .unwrap_err();
    assert!(matches!(e, NuGetError::Offline { .. }), "{e}");
}

#[test]
fn global_packages_folder_is_reused_when_its_hash_matches() {
    let pkgs = graphs::diamond();
    let reg = Registry::start(&pkgs).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let global = tmp.path().join("nuget-packages");
    let base = find(&pkgs, "Diamond.Base", "1.0.0");
    let left = find(&pkgs, "Diamond.Left", "1.0.0");
    fixtures::nupkg_builder::write_global_packages(
        &global,
        &[base.clone(), left.clone()],
        "https://api.nuget.org/v3/index.json",
    )
    .unwrap();
    // Corrupt Diamond.Left's copy: its recorded hash no longer matches.
    let lp = global.join("diamond.left/1.0.0/diamond.left.1.0.0.nupkg");
    std::fs::write(&lp, find(&pkgs, "Diamond.Right", "1.0.0").bytes.clone()).unwrap();

    let cache_dir = tmp.path().join("cache");
    let client = NuGetClient::new(
        vec![http(&reg.index_url())],
        PackageCache::open(&cache_dir).unwrap(),
        ClientOptions {
            global_packages_folder: Some(global.clone()),
            ..options()
        },
    );
    let got = client.download("Diamond.Base", "1.0.0").unwrap();
    assert_eq!(got.sha512_hex, base.sha512_hex());
    assert_eq!(got.source, "https://api.nuget.org/v3/index.json");
    assert_eq!(reg.hits(".nupkg"), 0, "reused, not downloaded");

    let got = client.download("Diamond.Left", "1.0.0").unwrap();
    assert_eq!(got.sha512_hex, left.sha512_hex());
    assert_eq!(
        reg.hits("/diamond.left.1.0.0.nupkg"),
        1,
        "corrupt copy ignored"
    );

    // Offline, the global folder answers too.
    let offline = NuGetClient::new(
        vec![],
        PackageCache::open(tmp.path().join("cache2")).unwrap(),
        ClientOptions {
            offline: true,
            global_packages_folder: Some(global),
            ..options()
        },
    );
    assert_eq!(offline.list_versions("diamond.base").unwrap(), ["1.0.0"]);
    assert!(
        offline
            .dependency_groups("Diamond.Base", "1.0.0")
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        offline
            .download("Diamond.Base", "1.0.0")
            .unwrap()
            .sha512_hex,
        base.sha512_hex()
    );
}

#[test]
fn folder_feeds_flat_and_hierarchical() {
    let pkgs = graphs::diamond();
    let tmp = tempfile::tempdir().unwrap();
    let flat = tmp.path().join("flat");
    let tree = tmp.path().join("tree");
    let (flat_pkgs, tree_pkgs): (Vec<_>, Vec<_>) =
        pkgs.iter().cloned().partition(|p| p.id != "Diamond.Base");
    fixtures::nupkg_builder::write_flat_feed(&flat, &flat_pkgs).unwrap();
    fixtures::nupkg_builder::write_hierarchical_feed(&tree, &tree_pkgs).unwrap();
    // A flat file whose name starts like another id must not confuse the listing.
    fixtures::nupkg_builder::write_flat_feed(
        &flat,
        &[fixtures::PackageBuilder::new("Diamond.App.Extras", "3.0.0").build()],
    )
    .unwrap();
    let sources = vec![
        PackageSource::from_value("flat", flat.to_str().unwrap(), tmp.path()),
        PackageSource::from_value("tree", "tree", tmp.path()),
    ];
    let client = NuGetClient::new(
        sources,
        PackageCache::open(tmp.path().join("cache")).unwrap(),
        options(),
    );
    assert_eq!(client.list_versions("Diamond.App").unwrap(), ["1.0.0"]);
    let mut v = client.list_versions("Diamond.Base").unwrap();
    v.sort();
    assert_eq!(v, ["1.0.0", "1.1.0", "2.0.0"]);
    assert_eq!(
        client.dependency_groups("Diamond.Left", "1.0.0").unwrap(),
        [group(
            Some("netstandard2.0"),
            &[("Diamond.Base", "[1.0.0, )")]
        )]
    );
    let app = client.download("Diamond.App", "1.0.0").unwrap();
    assert_eq!(
        app.sha512_hex,
        find(&pkgs, "Diamond.App", "1.0.0").sha512_hex()
    );
    assert_eq!(app.source, flat.display().to_string());
    let base = client.download("diamond.base", "2.0.0").unwrap();
    assert_eq!(base.source, tree.display().to_string());
    assert!(
        base.extracted_dir
            .join("lib/netstandard2.0/Diamond.Base.dll")
            .is_file()
    );
}

#[test]
fn sources_are_tried_in_order() {
    let pkgs = graphs::diamond();
    let (first_pkgs, second_pkgs): (Vec<_>, Vec<_>) =
        pkgs.iter().cloned().partition(|p| p.id == "Diamond.App");
    let first = Registry::start(&first_pkgs).unwrap();
    let second = Registry::start(&second_pkgs).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let client = NuGetClient::new(
        vec![http(&first.index_url()), http(&second.index_url())],
        PackageCache::open(tmp.path()).unwrap(),
        options(),
    );
    assert_eq!(
        client.download("Diamond.Left", "1.0.0").unwrap().source,
        second.index_url()
    );
    assert_eq!(
        client.download("Diamond.App", "1.0.0").unwrap().source,
        first.index_url()
    );
    assert_eq!(second.hits("diamond.app.1.0.0.nupkg"), 0);
}

const PROGRESS_CHILD: &str = "MOCHI_TEST_PROGRESS_SOURCE";

/// Runs only as a child process of `progress_bar_only_on_a_terminal`.
#[test]
fn child_progress() {
    let Ok(source) = std::env::var(PROGRESS_CHILD) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let client = NuGetClient::new(
        vec![http(&source)],
        PackageCache::open(tmp.path()).unwrap(),
        ClientOptions {
            quiet: std::env::var_os("MOCHI_TEST_PROGRESS_QUIET").is_some(),
            parallelism: 2,
            ..options()
        },
    );
    let wanted: Vec<(String, String)> = graphs::diamond()
        .iter()
        .map(|p| (p.id.clone(), p.version.clone()))
        .collect();
    client.download_all(&wanted).unwrap();
    eprintln!("CHILD DONE");
}

#[test]
fn progress_bar_only_on_a_terminal() {
    if std::env::var(PROGRESS_CHILD).is_ok() || !Path::new("/usr/bin/script").exists() {
        return;
    }
    let reg = Registry::start(&graphs::diamond()).unwrap();
    reg.inject(".nupkg", Fault::Delay(Duration::from_millis(120)), None);
    let exe = std::env::current_exe().unwrap();
    let cmd = format!(
        "{} --exact nuget_client::child_progress --nocapture --test-threads 1",
        exe.display()
    );
    let run = |tty: bool, quiet: bool| -> String {
        let mut c = if tty {
            let mut c = std::process::Command::new("/usr/bin/script");
            c.args(["-q", "-e", "-c", &cmd, "/dev/null"]);
            c
        } else {
            let mut c = std::process::Command::new(&exe);
            c.args([
                "--exact",
                "nuget_client::child_progress",
                "--nocapture",
                "--test-threads",
                "1",
            ]);
            c
        };
        c.env(PROGRESS_CHILD, reg.index_url())
            .stdin(std::process::Stdio::null());
        if quiet {
            c.env("MOCHI_TEST_PROGRESS_QUIET", "1");
        }
        let out = c.output().unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success() && all.contains("CHILD DONE"), "{all}");
        all
    };
    let on_tty = run(true, false);
    assert!(on_tty.contains("Downloading"), "{on_tty}");
    assert!(!run(true, true).contains("Downloading"), "--quiet hides it");
    assert!(!run(false, false).contains("Downloading"), "not a terminal");
}

/// 20 packages, each carrying Newtonsoft.Json.dll (~500 KB), from the loopback
/// registry into a cold cache, then again from the warm cache. Prints the timings
/// (`cargo test -p nuget --test it twenty -- --nocapture`).
#[test]
fn twenty_packages_cold_then_warm() {
    let dll = std::fs::read(fixtures::assemblies::newtonsoft_json().unwrap()).unwrap();
    let pkgs = graphs::wide(20, &dll);
    let reg = Registry::start(&pkgs).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let wanted: Vec<(String, String)> = pkgs
        .iter()
        .map(|p| (p.id.clone(), p.version.clone()))
        .collect();
    let client = client_for(&reg, tmp.path());
    let t = std::time::Instant::now();
    let cold = client.download_all(&wanted).unwrap();
    let cold_time = t.elapsed();
    let client = client_for(&reg, tmp.path());
    let t = std::time::Instant::now();
    let warm = client.download_all(&wanted).unwrap();
    let warm_time = t.elapsed();
    assert_eq!(cold, warm);
    eprintln!(
        "20 packages x {} KB: cold {cold_time:?}, warm {warm_time:?}",
        dll.len() / 1024
    );
    assert!(cold_time < Duration::from_secs(20), "{cold_time:?}");
    assert!(warm_time < Duration::from_secs(2), "{warm_time:?}");
}

#[test]
fn bytes_of_another_cached_package_are_not_recorded_under_this_name() {
    let pkgs = graphs::diamond();
    let reg = Registry::start_with(
        &pkgs,
        RegistryOptions {
            advertise_hash: false,
            ..RegistryOptions::default()
        },
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let client = client_for(&reg, tmp.path());
    let left = client.download("Diamond.Left", "1.0.0").unwrap();
    reg.inject(
        NUPKG,
        Fault::Body(find(&pkgs, "Diamond.Left", "1.0.0").bytes.clone()),
        None,
    );
    let e = client.download("Diamond.Base", "1.1.0").unwrap_err();
    assert!(
        matches!(cache_err(&e), CacheError::WrongPackage { found_id, .. } if found_id == "Diamond.Left"),
        "{e}"
    );
    assert!(client.cache().lookup("Diamond.Base", "1.1.0").is_none());
    assert_eq!(client.cache().lookup("Diamond.Left", "1.0.0"), Some(left));
}

#[test]
fn version_spellings_share_one_cache_entry() {
    let reg = Registry::start(&graphs::diamond()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let client = client_for(&reg, tmp.path());
    let a = client.download("Diamond.Base", "1.1.0").unwrap();
    let before = reg.requests().len();
    let b = client.download("diamond.base", "1.1").unwrap();
    let c = client.download("DIAMOND.BASE", "1.1.0.0").unwrap();
    assert_eq!(reg.requests().len(), before, "served from the cache");
    assert_eq!(a.sha512_hex, b.sha512_hex);
    assert_eq!(a.sha512_hex, c.sha512_hex);
}

#[test]
fn ids_and_versions_that_are_not_nuget_names_are_refused() {
    let reg = Registry::start(&graphs::diamond()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let client = client_for(&reg, tmp.path());
    for id in ["..", "../etc", "a/b", "a?x=1", "", "a..b", ".hidden", "a b"] {
        let e = client.list_versions(id).unwrap_err();
        assert!(matches!(e, NuGetError::InvalidId { .. }), "{id:?}: {e}");
        let e = client.download(id, "1.0.0").unwrap_err();
        assert!(matches!(e, NuGetError::InvalidId { .. }), "{id:?}: {e}");
    }
    for v in ["..", "1.0/../../x", "", "v1.0", "1..0", "1.0#x", "1.0?x"] {
        let e = client.download("Diamond.Base", v).unwrap_err();
        assert!(matches!(e, NuGetError::InvalidVersion { .. }), "{v:?}: {e}");
    }
    assert_eq!(reg.requests().len(), 0, "nothing reached the server");
    assert_cache_clean(tmp.path());
}

#[test]
fn retry_after_is_honoured_within_the_backoff_bound() {
    let pkgs = graphs::diamond();
    let reg = Registry::start(&pkgs).unwrap();
    reg.inject(NUPKG, Fault::StatusRetryAfter(503, 1), Some(1));
    let tmp = tempfile::tempdir().unwrap();
    let client = NuGetClient::new(
        vec![http(&reg.index_url())],
        PackageCache::open(tmp.path()).unwrap(),
        ClientOptions {
            retry: RetryPolicy {
                backoff_max: Duration::from_secs(2),
                ..fast_retry()
            },
            ..options()
        },
    );
    let t = std::time::Instant::now();
    client.download("Diamond.Base", "1.1.0").unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(950),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(reg.hits(NUPKG), 2);

    // A server asking for an hour gets backoff_max (40 ms here), not an hour.
    reg.inject(
        "/diamond.base.2.0.0.nupkg",
        Fault::StatusRetryAfter(429, 3600),
        Some(1),
    );
    let t = std::time::Instant::now();
    client_for(&reg, tmp.path())
        .download("Diamond.Base", "2.0.0")
        .unwrap();
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
}

#[test]
fn package_source_mapping_keeps_packages_on_their_sources() {
    let pkgs = graphs::diamond();
    // Both registries serve everything; the mapping sends Diamond.Base to "inner" only.
    let outer = Registry::start(&pkgs).unwrap();
    let inner = Registry::start(&pkgs).unwrap();
    let named = |name: &str, url: String| PackageSource {
        name: name.to_string(),
        location: SourceLocation::Http(url),
    };
    let mapping = nuget::config::SourceMapping {
        sources: vec![
            ("outer".to_string(), vec!["*".to_string()]),
            ("inner".to_string(), vec!["Diamond.Base".to_string()]),
        ],
        exempt: vec![],
    };
    let tmp = tempfile::tempdir().unwrap();
    let client = NuGetClient::new(
        vec![
            named("outer", outer.index_url()),
            named("inner", inner.index_url()),
        ],
        PackageCache::open(tmp.path()).unwrap(),
        ClientOptions {
            source_mapping: Some(mapping),
            ..options()
        },
    );
    assert_eq!(
        client.download("Diamond.Base", "1.0.0").unwrap().source,
        inner.index_url()
    );
    assert_eq!(client.list_versions("Diamond.Base").unwrap().len(), 3);
    assert_eq!(
        outer.hits("diamond.base"),
        0,
        "never asked the unmapped source"
    );
    assert_eq!(
        client.download("Diamond.Left", "1.0.0").unwrap().source,
        outer.index_url()
    );

    let strict = NuGetClient::new(
        vec![named("inner", inner.index_url())],
        PackageCache::open(tmp.path().join("c2")).unwrap(),
        ClientOptions {
            source_mapping: Some(nuget::config::SourceMapping {
                sources: vec![("inner".to_string(), vec!["Diamond.Base".to_string()])],
                exempt: vec![],
            }),
            ..options()
        },
    );
    let e = strict.download("Diamond.App", "1.0.0").unwrap_err();
    assert!(matches!(e, NuGetError::NoMappedSource { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("<package pattern=\"Diamond.App\" />"),
        "{e}"
    );
    assert_eq!(inner.hits("diamond.app"), 0);
}

#[test]
fn http_proxy_is_used_except_for_loopback_and_no_proxy_hosts() {
    use nuget::client::ProxyConfig;
    let pkgs = graphs::diamond();
    let reg = Registry::start(&pkgs).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    // A host that exists only behind the "proxy" (the registry answers absolute-form
    // requests for any host). Its service index then points at 127.0.0.1 directly.
    let source = "http://feed.behind-proxy.invalid/v3/index.json";
    let client = NuGetClient::new(
        vec![http(source)],
        PackageCache::open(tmp.path()).unwrap(),
        ClientOptions {
            proxy: ProxyConfig {
                http: Some(reg.base_url()),
                https: None,
                no_proxy: vec![],
            },
            ..options()
        },
    );
    assert_eq!(client.list_versions("Diamond.Base").unwrap().len(), 3);
    assert_eq!(
        reg.proxied_requests(),
        1,
        "only the non-loopback host was proxied"
    );
    assert_eq!(
        client.download("Diamond.Base", "1.0.0").unwrap().source,
        source
    );

    let p = ProxyConfig {
        http: Some("http://proxy.example:3128".to_string()),
        https: None,
        no_proxy: vec!["corp.example".to_string(), ".internal".to_string()],
    };
    for (host, bypass) in [
        ("127.0.0.1", true),
        ("[::1]", true),
        ("localhost", true),
        ("corp.example", true),
        ("nuget.corp.example", true),
        ("a.internal", true),
        ("notcorp.example", false),
        ("api.nuget.org", false),
    ] {
        assert_eq!(p.bypasses(host), bypass, "{host}");
    }

    let bad = NuGetClient::new(
        vec![http(source)],
        PackageCache::open(tmp.path().join("c2")).unwrap(),
        ClientOptions {
            proxy: ProxyConfig {
                http: Some("ftp://proxy.example".to_string()),
                ..ProxyConfig::default()
            },
            ..options()
        },
    );
    let e = bad.list_versions("Diamond.Base").unwrap_err();
    assert!(e.to_string().contains("invalid proxy setting"), "{e}");
}
