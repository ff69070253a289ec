//! `mochi-dotnet lock` of the all-twenty project against `dotnet restore` of the
//! equivalent csproj (issue 10, item 5): the same machine, the same NuGet
//! registry (the machine's configuration; nothing here names a feed), the same
//! run.
//!
//!     cargo build --release -p mochi-dotnet --bin mochi-dotnet
//!     cargo bench -p mochi-benches --bench restore
//!
//! The csproj is fixtures/corpus-packages/corpus-packages.csproj (the twenty
//! packages pinned, net8.0); the mochi.toml names the same ids at the same
//! exact versions. Cases, each a whole process:
//!
//! - `cold`: empty caches for both — a fresh `MOCHI_DOTNET_CACHE` and
//!   `NUGET_PACKAGES` for mochi-dotnet (no mochi.lock); a fresh `--packages`
//!   folder, HTTP cache (`NUGET_HTTP_CACHE_PATH`) and `obj/` for dotnet: both
//!   resolve the 64-package graph, download, verify and extract every package
//!   (mochi-dotnet also reads every assembly's metadata and generates every
//!   shim's hash);
//! - `warm`: nothing to do — `lock` with mochi.lock and the cache in place (it
//!   still asks the registry for each package's versions), and a no-op
//!   `dotnet restore` (its assets file is up to date);
//! - `check`: `lock --check` (verifies every recorded hash from the cache, no
//!   network), against the same no-op restore.
//!
//! `MOCHI_DOTNET_BIN` names the binary (default `target/release/mochi-dotnet`);
//! the SDK's `dotnet` is `MOCHI_DOTNET_SDK_ROOT/dotnet`, else the one on PATH.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn mochi_dotnet() -> PathBuf {
    let p = std::env::var_os("MOCHI_DOTNET_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/release/mochi-dotnet"));
    assert!(
        p.is_file(),
        "{} missing: run `cargo build --release -p mochi-dotnet --bin mochi-dotnet` first (or set MOCHI_DOTNET_BIN)",
        p.display()
    );
    p
}

fn dotnet() -> PathBuf {
    std::env::var_os("MOCHI_DOTNET_SDK_ROOT")
        .filter(|v| !v.is_empty())
        .map(|r| PathBuf::from(r).join("dotnet"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("dotnet"))
}

/// The csproj's `<PackageReference Include="X" Version="V" />` pairs.
fn pins(csproj: &str) -> Vec<(String, String)> {
    csproj
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let rest = l.strip_prefix("<PackageReference Include=\"")?;
            let (id, rest) = rest.split_once('"')?;
            let v = rest.split_once("Version=\"")?.1.split_once('"')?.0;
            Some((id.to_string(), v.to_string()))
        })
        .collect()
}

struct Projects {
    _root: tempfile::TempDir,
    root: PathBuf,
    lock_dir: PathBuf,
    restore_dir: PathBuf,
}

fn projects() -> Projects {
    let root_dir = tempfile::tempdir().expect("tempdir");
    let root = root_dir.path().to_path_buf();
    let csproj_path = workspace().join("fixtures/corpus-packages/corpus-packages.csproj");
    let csproj = std::fs::read_to_string(&csproj_path).expect("read the corpus csproj");
    let pins = pins(&csproj);
    assert_eq!(pins.len(), 24, "the twenty packages and their companions");
    let lock_dir = root.join("lock");
    let restore_dir = root.join("restore");
    std::fs::create_dir_all(&lock_dir).unwrap();
    std::fs::create_dir_all(&restore_dir).unwrap();
    let mut toml = String::from(
        "[package]\nname = \"all-twenty\"\nversion = \"0.1.0\"\n\n[dotnet]\nframework = \"net8.0\"\n\n[dotnet-dependencies]\n",
    );
    for (id, v) in &pins {
        toml.push_str(&format!("\"{id}\" = \"={v}\"\n"));
    }
    toml.push_str("\n[dotnet.capabilities]\nfs = true\nnet = true\n");
    std::fs::write(lock_dir.join("mochi.toml"), toml).unwrap();
    std::fs::write(restore_dir.join("corpus-packages.csproj"), csproj).unwrap();
    Projects {
        _root: root_dir,
        root,
        lock_dir,
        restore_dir,
    }
}

fn run(mut cmd: Command, what: &str) -> Duration {
    cmd.env("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
        .env("DOTNET_NOLOGO", "1")
        .env("DOTNET_SKIP_FIRST_TIME_EXPERIENCE", "1");
    let start = Instant::now();
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    let t = start.elapsed();
    assert!(
        out.status.success(),
        "{what} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    t
}

fn lock(p: &Projects, cache: &Path, packages: &Path, args: &[&str]) -> Duration {
    let mut cmd = Command::new(mochi_dotnet());
    cmd.arg("lock")
        .arg("-q")
        .args(args)
        .current_dir(&p.lock_dir)
        .env("MOCHI_DOTNET_CACHE", cache)
        .env("NUGET_PACKAGES", packages)
        .env_remove("XDG_CACHE_HOME");
    run(cmd, "mochi-dotnet lock")
}

fn restore(p: &Projects, packages: &Path, http_cache: &Path) -> Duration {
    let mut cmd = Command::new(dotnet());
    cmd.arg("restore")
        .arg("corpus-packages.csproj")
        .arg("--packages")
        .arg(packages)
        .args(["-v", "quiet"])
        .current_dir(&p.restore_dir)
        .env("NUGET_HTTP_CACHE_PATH", http_cache)
        .env("NUGET_PACKAGES", packages);
    run(cmd, "dotnet restore")
}

fn fresh(p: &Projects, name: &str, n: u64) -> PathBuf {
    let d = p.root.join(format!("{name}-{n}"));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn bench_restore(c: &mut Criterion) {
    let p = projects();
    let mut g = c.benchmark_group("all-twenty");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(60))
        .warm_up_time(Duration::from_millis(1));
    let mut n = 0u64;

    g.bench_function("cold/mochi-dotnet lock", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                let cache = fresh(&p, "mcache", n);
                let packages = fresh(&p, "mpkgs", n);
                let _ = std::fs::remove_file(p.lock_dir.join("mochi.lock"));
                total += lock(&p, &cache, &packages, &[]);
                let _ = std::fs::remove_dir_all(&cache);
                let _ = std::fs::remove_dir_all(&packages);
            }
            total
        })
    });
    g.bench_function("cold/dotnet restore", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                n += 1;
                let packages = fresh(&p, "dpkgs", n);
                let http = fresh(&p, "dhttp", n);
                let _ = std::fs::remove_dir_all(p.restore_dir.join("obj"));
                total += restore(&p, &packages, &http);
                let _ = std::fs::remove_dir_all(&packages);
                let _ = std::fs::remove_dir_all(&http);
            }
            total
        })
    });

    // Warm: one populated cache each, then no-op runs.
    let mcache = fresh(&p, "mcache-warm", 0);
    let mpkgs = fresh(&p, "mpkgs-warm", 0);
    let _ = std::fs::remove_file(p.lock_dir.join("mochi.lock"));
    lock(&p, &mcache, &mpkgs, &[]);
    lock(&p, &mcache, &mpkgs, &[]);
    let dpkgs = fresh(&p, "dpkgs-warm", 0);
    let dhttp = fresh(&p, "dhttp-warm", 0);
    let _ = std::fs::remove_dir_all(p.restore_dir.join("obj"));
    restore(&p, &dpkgs, &dhttp);
    g.bench_function("warm/mochi-dotnet lock", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| lock(&p, &mcache, &mpkgs, &[])).sum())
    });
    g.bench_function("warm/mochi-dotnet lock --check", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| lock(&p, &mcache, &mpkgs, &["--check"]))
                .sum()
        })
    });
    g.bench_function("warm/dotnet restore", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| restore(&p, &dpkgs, &dhttp)).sum())
    });
    g.finish();
}

criterion_group!(benches, bench_restore);
criterion_main!(benches);
