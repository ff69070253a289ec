//! Two processes (and several threads) filling one cache at the same time.
//!
//! The parent test starts the registry, then runs this test binary twice more as
//! children (`child_download`, selected by an environment variable) against the same
//! cache folder. Each package must be downloaded exactly once in total, both children
//! must see the same hashes, and no temporary file may remain.

use std::process::{Command, Stdio};
use std::time::Duration;

use fixtures::{Fault, Registry, graphs};
use nuget::PackageCache;
use nuget::client::RetryPolicy;
use nuget::config::{PackageSource, SourceLocation};
use nuget::{ClientOptions, NuGetClient};

const CHILD_ENV: &str = "MOCHI_TEST_CACHE_CHILD_SOURCE";

fn client(source: &str, cache_dir: &std::path::Path) -> NuGetClient {
    NuGetClient::new(
        vec![PackageSource {
            name: "fixture".to_string(),
            location: SourceLocation::Http(source.to_string()),
        }],
        PackageCache::open(cache_dir).unwrap(),
        ClientOptions {
            offline: false,
            quiet: true,
            retry: RetryPolicy {
                max_attempts: 3,
                backoff_base: Duration::from_millis(10),
                backoff_max: Duration::from_millis(50),
                connect_timeout: Duration::from_secs(5),
                read_timeout: Duration::from_secs(5),
            },
            parallelism: 3,
            global_packages_folder: None,
            source_mapping: None,
            proxy: nuget::client::ProxyConfig::default(),
        },
    )
}

fn wanted() -> Vec<(String, String)> {
    graphs::wide(8, b"MZ")
        .iter()
        .map(|p| (p.id.clone(), p.version.clone()))
        .collect()
}

/// Runs only as a child process (see the module comment).
#[test]
fn child_download() {
    let Ok(source) = std::env::var(CHILD_ENV) else {
        return;
    };
    let cache_dir = std::env::var("MOCHI_DOTNET_CACHE").unwrap();
    let got = client(&source, std::path::Path::new(&cache_dir))
        .download_all(&wanted())
        .unwrap();
    for p in got {
        println!("HASH {} {} {}", p.id, p.version, p.sha512_hex);
    }
}

fn hashes(out: &std::process::Output) -> Vec<String> {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        // libtest may print "test child_download ... " on the same line.
        .filter_map(|l| l.find("HASH ").map(|i| l[i..].to_string()))
        .collect()
}

#[test]
fn two_processes_share_one_cache() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let pkgs = graphs::wide(8, b"MZ");
    let reg = Registry::start(&pkgs).unwrap();
    // Slow the downloads so that the two processes really overlap.
    reg.inject(".nupkg", Fault::Delay(Duration::from_millis(150)), None);
    let tmp = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let spawn = || {
        Command::new(&exe)
            .args([
                "--exact",
                "cache_concurrency::child_download",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env(CHILD_ENV, reg.index_url())
            .env("MOCHI_DOTNET_CACHE", tmp.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let (ha, hb) = (hashes(&a), hashes(&b));
    assert_eq!(ha.len(), 8);
    assert_eq!(ha, hb);
    for p in &pkgs {
        assert!(ha.iter().any(|l| l.ends_with(&p.sha512_hex())), "{}", p.id);
        assert_eq!(
            reg.hits(&format!("/{}", p.file_name())),
            1,
            "{} downloaded once across both processes",
            p.id
        );
    }
    assert_eq!(
        std::fs::read_dir(tmp.path().join(".tmp")).unwrap().count(),
        0
    );
    let entries = std::fs::read_dir(tmp.path())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().len() == 128)
        .count();
    let listing: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, 8, "{listing:?}");
}

#[test]
fn threads_racing_on_one_package() {
    let pkgs = graphs::diamond();
    let reg = Registry::start(&pkgs).unwrap();
    reg.inject(".nupkg", Fault::Delay(Duration::from_millis(100)), None);
    let tmp = tempfile::tempdir().unwrap();
    // Separate clients (no shared memory state), one cache folder.
    let results: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                s.spawn(|| {
                    client(&reg.index_url(), tmp.path())
                        .download("Diamond.Base", "1.1.0")
                        .unwrap()
                        .sha512_hex
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(results.iter().all(|h| *h == results[0]));
    assert_eq!(reg.hits("/diamond.base.1.1.0.nupkg"), 1);
}

#[test]
fn default_root_follows_the_environment() {
    // Only the documented precedence; the variables are read, not set, here.
    let root = PackageCache::default_root().unwrap();
    if let Some(p) = std::env::var_os("MOCHI_DOTNET_CACHE").filter(|v| !v.is_empty()) {
        assert_eq!(root, std::path::PathBuf::from(p));
    } else if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        assert_eq!(root, std::path::PathBuf::from(x).join("mochi/dotnet-deps"));
    } else {
        assert!(root.ends_with(".cache/mochi/dotnet-deps"));
    }
}
