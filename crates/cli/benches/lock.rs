//! `lock` of a 20-package graph from the loopback registry with a cold cache, and
//! `lock --check` with a warm one.
//!
//!     cargo bench -p mochi-dotnet --bench lock
//!
//! Each package carries a real assembly (Debian's Newtonsoft.Json 6.0.8, 520 KB, when
//! installed; else a small one compiled with mcs), so downloads, extraction and
//! surface hashing are realistic. Targets (issue 3): cold lock under 2 s, check under
//! 300 ms.

use std::path::Path;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use fixtures::registry::Registry;
use lock::{Ecma335Hasher, LockOptions};
use nuget::config::{PackageSource, SourceLocation};
use nuget::{ClientOptions, NuGetClient, PackageCache};
use project::{Project, ProjectOptions};

fn assembly() -> Vec<u8> {
    if let Some(p) = fixtures::assemblies::newtonsoft_json() {
        return std::fs::read(p).expect("read Newtonsoft.Json.dll");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let src = "namespace Bench { public class Widget { public int Size; public string Name() { return \"w\"; } } }";
    let p = fixtures::assemblies::compile_cs(src, "Bench", dir.path())
        .expect("the benchmark needs Newtonsoft.Json or mcs (scripts/setup-test-tools.sh)")
        .expect("mcs compiles");
    std::fs::read(p).expect("read compiled assembly")
}

fn client(registry: &Registry, cache: &Path) -> NuGetClient {
    NuGetClient::new(
        vec![PackageSource {
            name: "loopback".into(),
            location: SourceLocation::Http(registry.index_url()),
        }],
        PackageCache::open(cache).expect("open cache"),
        ClientOptions {
            quiet: true,
            global_packages_folder: None,
            ..Default::default()
        },
    )
}

fn bench_lock(c: &mut Criterion) {
    let registry = Registry::start(&fixtures::graphs::wide(20, &assembly())).expect("registry");
    let project = tempfile::tempdir().expect("tempdir");
    let manifest = project.path().join("mochi.toml");
    std::fs::write(
        &manifest,
        "[dotnet-dependencies]\n\"Wide.Root\" = \"1.0.0\"\n\n[dotnet.capabilities]\nnet = true\nfs = true\n",
    )
    .expect("write manifest");
    let options = LockOptions {
        quiet: true,
        parallelism: nuget::DEFAULT_PARALLELISM,
        ..Default::default()
    };
    let project_of = |cache: &Path| {
        let options = ProjectOptions {
            cache_root: Some(cache.to_path_buf()),
        };
        Project::load(&manifest, &options).expect("load the project")
    };

    let mut group = c.benchmark_group("lock");
    group.sample_size(10);
    group.bench_function("cold_20_packages", |b| {
        b.iter_batched(
            || {
                let _ = std::fs::remove_file(project.path().join("mochi.lock"));
                tempfile::tempdir().expect("cache dir")
            },
            |cache| {
                let client = client(&registry, cache.path());
                let out = lock::run(&project_of(cache.path()), &client, &Ecma335Hasher, &options)
                    .expect("lock");
                assert_eq!(out.lockfile.packages.len(), 20);
                cache
            },
            BatchSize::PerIteration,
        )
    });

    let warm = tempfile::tempdir().expect("cache dir");
    lock::run(
        &project_of(warm.path()),
        &client(&registry, warm.path()),
        &Ecma335Hasher,
        &options,
    )
    .expect("lock");
    let check = LockOptions {
        check: true,
        ..options.clone()
    };
    group.bench_function("check_warm_20_packages", |b| {
        b.iter(|| {
            let client = client(&registry, warm.path());
            lock::run(&project_of(warm.path()), &client, &Ecma335Hasher, &check)
                .expect("check passes")
        })
    });
    group.finish();

    // The same through the real binary, as a user runs it (process start, NuGet.config
    // discovery, argument parsing included).
    let home = tempfile::tempdir().expect("home");
    std::fs::write(
        project.path().join("NuGet.config"),
        format!(
            "<configuration><packageSources><clear /><add key=\"loopback\" value=\"{}\" /></packageSources></configuration>",
            registry.index_url()
        ),
    )
    .expect("write NuGet.config");
    let cli = |cache: &Path, args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_mochi-dotnet"))
            .args(args)
            .current_dir(project.path())
            .env("MOCHI_DOTNET_CACHE", cache)
            .env("HOME", home.path())
            .env("NUGET_PACKAGES", home.path().join("none"))
            .output()
            .expect("run mochi-dotnet");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let mut group = c.benchmark_group("cli");
    group.sample_size(10);
    group.bench_function("lock_cold_20_packages", |b| {
        b.iter_batched(
            || {
                let _ = std::fs::remove_file(project.path().join("mochi.lock"));
                tempfile::tempdir().expect("cache dir")
            },
            |cache| {
                cli(cache.path(), &["lock", "--quiet"]);
                cache
            },
            BatchSize::PerIteration,
        )
    });
    let warm = tempfile::tempdir().expect("cache dir");
    cli(warm.path(), &["lock", "--quiet"]);
    group.bench_function("check_warm_20_packages", |b| {
        b.iter(|| cli(warm.path(), &["lock", "--check", "--quiet"]))
    });
    group.finish();
}

criterion_group!(benches, bench_lock);
criterion_main!(benches);
