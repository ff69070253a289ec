//! `mochi-dotnet publish --dry-run` against `dotnet pack` of the equivalent project,
//! in the same run, on the test library (tests/native/mathx.{c,mochi}):
//!
//! - `dry_run/process_cold`: the release binary with an empty facade cache (the facade
//!   is compiled by `dotnet build`, restore included), packed, validated;
//! - `dry_run/process_warm`: the same with the facade cache filled (no compiler);
//! - `dry_run/in_process_warm`: `publish::cli::run_with`, warm;
//! - `dotnet_pack/clean`: `dotnet pack` of the same C# project with the same package
//!   metadata and native asset, after removing bin/ and obj/ (restore + compile + pack);
//! - `dotnet_pack/incremental`: `dotnet pack` again with everything up to date.
//!
//! `cargo bench -p publish --bench dry_run`

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn release_binary() -> PathBuf {
    let st = Command::new(env!("CARGO"))
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "bridge",
            "--bin",
            "mochi-dotnet",
        ])
        .current_dir(workspace_root())
        .status()
        .unwrap();
    assert!(st.success());
    workspace_root().join("target/release/mochi-dotnet")
}

const MANIFEST: &str = r#"[package]
name = "mathx"
version = "1.2.0"
description = "Integer, list and text helpers written in Mochi."
license = "MIT"
authors = ["Ada Lovelace"]
repository = "https://github.com/octo-org/mathx"
readme = "README.md"
keywords = ["math", "text"]

[dotnet.publish]
package-id = "Mochi.Mathx"
api = "mathx.mochi"
nuget-user = "ada"

[dotnet.publish.native]
linux-x64 = "build/linux-x64/libmathx.so"
"#;

/// The library project: mochi.toml, declarations, README, the native library.
fn library(dir: &Path) {
    let native = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/native");
    std::fs::create_dir_all(dir.join("build/linux-x64")).unwrap();
    std::fs::write(dir.join("mochi.toml"), MANIFEST).unwrap();
    std::fs::copy(native.join("mathx.mochi"), dir.join("mathx.mochi")).unwrap();
    std::fs::write(dir.join("README.md"), "# mathx\n").unwrap();
    let st = Command::new("gcc")
        .args(["-shared", "-fPIC", "-O2", "-fvisibility=hidden", "-o"])
        .arg(dir.join("build/linux-x64/libmathx.so"))
        .arg(native.join("mathx.c"))
        .status()
        .unwrap();
    assert!(st.success());
}

/// The equivalent `dotnet pack` project: the generated facade plus pack metadata.
fn pack_project(lib: &Path, dir: &Path) {
    let manifest = publish::config::load(&lib.join("mochi.toml")).unwrap();
    let api = publish::decl::load(&manifest.publish.api).unwrap();
    let project = publish::facade::generate(&manifest, &api).unwrap();
    std::fs::create_dir_all(dir).unwrap();
    for (name, text) in &project.files {
        let text = if name.ends_with(".csproj") {
            text.replace("<IsPackable>false</IsPackable>", "<IsPackable>true</IsPackable>").replace(
                "  </PropertyGroup>",
                "    <PackageId>Mochi.Mathx</PackageId>\n    <PackageLicenseExpression>MIT</PackageLicenseExpression>\n    <PackageReadmeFile>README.md</PackageReadmeFile>\n    <RepositoryUrl>https://github.com/octo-org/mathx</RepositoryUrl>\n    <PackageTags>math text</PackageTags>\n  </PropertyGroup>\n  <ItemGroup>\n    <None Include=\"README.md\" Pack=\"true\" PackagePath=\"\\\" />\n    <None Include=\"libmathx.so\" Pack=\"true\" PackagePath=\"runtimes/linux-x64/native/\" />\n  </ItemGroup>",
            )
        } else {
            text.clone()
        };
        std::fs::write(dir.join(name), text).unwrap();
    }
    std::fs::copy(lib.join("README.md"), dir.join("README.md")).unwrap();
    std::fs::copy(
        lib.join("build/linux-x64/libmathx.so"),
        dir.join("libmathx.so"),
    )
    .unwrap();
}

fn env(cmd: &mut Command, packages: &Path) {
    cmd.env("NUGET_PACKAGES", packages)
        .env("DOTNET_CLI_TELEMETRY_OPTOUT", "1")
        .env("DOTNET_NOLOGO", "1")
        .env_remove("DOTNET_ROOT");
}

fn bench(c: &mut Criterion) {
    let bin = release_binary();
    let packages = workspace_root().join("target/publish-tests/nuget-packages");
    std::fs::create_dir_all(&packages).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let lib = tmp.path().join("lib");
    library(&lib);
    let pack = tmp.path().join("pack");
    pack_project(&lib, &pack);
    let warm_cache = tmp.path().join("cache-warm");

    let dry_run = |cache: &Path| {
        let mut cmd = Command::new(&bin);
        cmd.args(["publish", "--dry-run"])
            .current_dir(&lib)
            .env("MOCHI_DOTNET_CACHE", cache);
        env(&mut cmd, &packages);
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let dotnet_pack = || {
        let mut cmd = Command::new("dotnet");
        cmd.args([
            "pack",
            "Mochi.Mathx.csproj",
            "-c",
            "Release",
            "-o",
            "out",
            "-nologo",
            "-v:q",
        ])
        .current_dir(&pack);
        env(&mut cmd, &packages);
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    };
    // Warm-ups: restore the packs, fill the facade cache, start the build servers.
    dry_run(&warm_cache);
    dotnet_pack();

    let mut g = c.benchmark_group("dry_run");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .warm_up_time(Duration::from_secs(1));
    let mut n = 0u32;
    g.bench_function("process_cold", |b| {
        b.iter_batched(
            || {
                n += 1;
                tmp.path().join(format!("cache-cold-{n}"))
            },
            |cache| dry_run(&cache),
            BatchSize::PerIteration,
        )
    });
    g.bench_function("process_warm", |b| b.iter(|| dry_run(&warm_cache)));
    let process_env = {
        let mut e = publish::Env::from_process();
        e.set("MOCHI_DOTNET_CACHE", warm_cache.display().to_string());
        e.set("NUGET_PACKAGES", packages.display().to_string());
        e
    };
    let args = publish::cli::PublishArgs {
        to: "nuget.org".into(),
        dry_run: true,
        emit_ci: false,
        force: false,
        manifest_path: lib.join("mochi.toml"),
    };
    g.bench_function("in_process_warm", |b| {
        b.iter(|| {
            publish::cli::run_with(
                &args,
                &process_env,
                &mut std::io::sink(),
                &mut std::io::sink(),
            )
            .unwrap()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("dotnet_pack");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(20))
        .warm_up_time(Duration::from_secs(1));
    g.bench_function("clean", |b| {
        b.iter_batched(
            || {
                let _ = std::fs::remove_dir_all(pack.join("bin"));
                let _ = std::fs::remove_dir_all(pack.join("obj"));
            },
            |_| dotnet_pack(),
            BatchSize::PerIteration,
        )
    });
    g.bench_function("incremental", |b| b.iter(dotnet_pack));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
