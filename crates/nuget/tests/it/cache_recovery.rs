//! Crashes and leftovers: a process killed mid-download, stale temporary files,
//! damaged entries. Nothing half-written is ever trusted, and the next run recovers.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use fixtures::{Fault, Registry, graphs};
use nuget::PackageCache;
use nuget::client::RetryPolicy;
use nuget::config::{PackageSource, SourceLocation};
use nuget::{ClientOptions, NuGetClient};

const CHILD_ENV: &str = "MOCHI_TEST_RECOVERY_SOURCE";

fn client(source: &str, cache_dir: &Path) -> NuGetClient {
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
                max_attempts: 2,
                backoff_base: Duration::from_millis(10),
                backoff_max: Duration::from_millis(20),
                connect_timeout: Duration::from_secs(5),
                read_timeout: Duration::from_secs(30),
            },
            parallelism: 2,
            global_packages_folder: None,
            source_mapping: None,
            proxy: nuget::client::ProxyConfig::default(),
        },
    )
}

/// Runs only as a child of `killed_mid_download_leaves_nothing_trusted`.
#[test]
fn child_slow_download() {
    let Ok(source) = std::env::var(CHILD_ENV) else {
        return;
    };
    let cache = std::env::var("MOCHI_DOTNET_CACHE").unwrap();
    let _ = client(&source, Path::new(&cache)).download("Diamond.Base", "1.1.0");
}

fn hash_dirs(root: &Path) -> usize {
    std::fs::read_dir(root)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().len() == 128)
        .count()
}

#[test]
fn killed_mid_download_leaves_nothing_trusted() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let pkgs = graphs::diamond();
    let reg = Registry::start(&pkgs).unwrap();
    reg.inject(NUPKG, Fault::Delay(Duration::from_secs(20)), Some(1));
    let tmp = tempfile::tempdir().unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "cache_recovery::child_slow_download",
            "--test-threads",
            "1",
        ])
        .env(CHILD_ENV, reg.index_url())
        .env("MOCHI_DOTNET_CACHE", tmp.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the child is inside the download (its request reached the server).
    let t = std::time::Instant::now();
    while reg.hits(NUPKG) == 0 {
        assert!(t.elapsed() < Duration::from_secs(20), "child never asked");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let cache = PackageCache::open(tmp.path()).unwrap();
    assert!(cache.lookup("Diamond.Base", "1.1.0").is_none());
    assert_eq!(hash_dirs(tmp.path()), 0);
    // The next run downloads and publishes normally, despite the dead process's
    // lock file and temporary file.
    let got = client(&reg.index_url(), tmp.path())
        .download("Diamond.Base", "1.1.0")
        .unwrap();
    let want = pkgs
        .iter()
        .find(|p| p.id == "Diamond.Base" && p.version == "1.1.0")
        .unwrap();
    assert_eq!(got.sha512_hex, want.sha512_hex());
    assert_eq!(hash_dirs(tmp.path()), 1);
}

const NUPKG: &str = "/diamond.base.1.1.0.nupkg";

#[test]
fn stale_temporary_files_are_swept_and_fresh_ones_kept() {
    let tmp = tempfile::tempdir().unwrap();
    PackageCache::open(tmp.path()).unwrap();
    let old_file = tmp.path().join(".tmp/dead-1.nupkg");
    let old_dir = tmp.path().join(".tmp/entry-dead-2");
    let fresh = tmp.path().join(".tmp/live-3.nupkg");
    std::fs::write(&old_file, b"partial").unwrap();
    std::fs::create_dir_all(old_dir.join("extracted/lib")).unwrap();
    std::fs::write(&fresh, b"in progress").unwrap();
    let two_days_ago = SystemTime::now() - Duration::from_secs(2 * 24 * 3600);
    for p in [&old_file, &old_dir] {
        std::fs::File::options()
            .read(true)
            .open(p)
            .unwrap()
            .set_modified(two_days_ago)
            .unwrap();
    }
    PackageCache::open(tmp.path()).unwrap();
    assert!(!old_file.exists());
    assert!(!old_dir.exists());
    assert!(fresh.exists(), "a live process's file is left alone");
}

#[test]
fn damaged_entries_are_not_trusted_and_get_replaced() {
    let pkgs = graphs::diamond();
    let reg = Registry::start(&pkgs).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let c = client(&reg.index_url(), tmp.path());
    let first = c.download("Diamond.Base", "1.1.0").unwrap();
    // Damage: the extracted folder disappears (say, a manual clean-up gone wrong).
    std::fs::remove_dir_all(&first.extracted_dir).unwrap();
    assert!(c.cache().lookup("Diamond.Base", "1.1.0").is_none());
    let second = c.download("Diamond.Base", "1.1.0").unwrap();
    assert_eq!(second, first);
    assert!(
        second
            .extracted_dir
            .join("lib/netstandard2.0/Diamond.Base.dll")
            .is_file()
    );
    assert_eq!(reg.hits(NUPKG), 2);
    assert_eq!(
        std::fs::read_dir(tmp.path().join(".tmp")).unwrap().count(),
        0
    );

    // An index record pointing at nothing is ignored too.
    std::fs::remove_dir_all(tmp.path().join(&first.sha512_hex)).unwrap();
    assert!(c.cache().lookup("Diamond.Base", "1.1.0").is_none());
    assert!(c.cache().versions("Diamond.Base").is_empty());
    assert_eq!(c.download("Diamond.Base", "1.1.0").unwrap(), first);
}
