//! The reader on real assemblies, warm (bytes already in memory): the listing
//! walk that the System.Reflection.Metadata reference lister and the Mono.Cecil
//! and dnlib peer readers also perform (their warm timings come from their
//! `--bench` modes; see scripts/bench-reader.sh), the full surface with its
//! canonical JSON, and the surface model alone.
//!
//! The files: `MOCHI_BENCH_FILES` when set (one `<id>=<path>` a line, the
//! criterion group and the file; scripts/bench-reader.sh passes the files it
//! measures the other readers on), else CoreLib 10.x of the .NET SDK
//! (`MOCHI_DOTNET_SDK_ROOT`, default `/usr/share/dotnet`), CoreLib 8.0.x of the
//! test environment's .NET 8 and Newtonsoft.Json 13.0.4 (`lib/net6.0`) from
//! `MOCHI_NUGET_PACKAGES` (default `.tools/nuget-packages`).

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn version(p: &Path) -> Vec<u32> {
    p.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .split(['.', '-'])
        .map_while(|s| s.parse().ok())
        .collect()
}

/// The newest `<sdk>/shared/Microsoft.NETCore.App/10.*` folder.
fn dotnet10_framework_dir() -> PathBuf {
    let sdk = std::env::var_os("MOCHI_DOTNET_SDK_ROOT")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from("/usr/share/dotnet"), PathBuf::from);
    let shared = sdk.join("shared/Microsoft.NETCore.App");
    std::fs::read_dir(&shared)
        .unwrap_or_else(|e| panic!("{}: {e} (set MOCHI_DOTNET_SDK_ROOT)", shared.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| version(p).first() == Some(&10))
        .max_by_key(|p| version(p))
        .unwrap_or_else(|| panic!("no 10.x framework under {}", shared.display()))
}

fn corpus() -> Vec<(String, PathBuf)> {
    if let Some(list) = std::env::var("MOCHI_BENCH_FILES")
        .ok()
        .filter(|v| !v.trim().is_empty())
    {
        return list
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let (id, path) = l
                    .split_once('=')
                    .unwrap_or_else(|| panic!("MOCHI_BENCH_FILES: {l:?} is not <id>=<path>"));
                (id.to_string(), PathBuf::from(path))
            })
            .collect();
    }
    let packages = std::env::var_os("MOCHI_NUGET_PACKAGES")
        .filter(|v| !v.is_empty())
        .map_or_else(
            || fixtures::assemblies::workspace_root().join(".tools/nuget-packages"),
            PathBuf::from,
        );
    vec![
        (
            "CoreLib-10".to_string(),
            dotnet10_framework_dir().join("System.Private.CoreLib.dll"),
        ),
        (
            "CoreLib-8".to_string(),
            fixtures::assemblies::dotnet8_framework_dir().join("System.Private.CoreLib.dll"),
        ),
        (
            "Newtonsoft.Json-13".to_string(),
            packages.join("newtonsoft.json/13.0.4/lib/net6.0/Newtonsoft.Json.dll"),
        ),
    ]
}

fn reader(c: &mut Criterion) {
    for (name, path) in corpus() {
        let bytes = std::fs::read(&path).unwrap_or_else(|e| {
            panic!("{}: {e} (run scripts/setup-test-tools.sh)", path.display())
        });
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function("surface+json", |b| {
            b.iter(|| {
                let md = ecma335::Metadata::parse(&bytes).unwrap();
                ecma335::write_canonical_json(&md, Vec::with_capacity(1 << 20)).unwrap()
            })
        });
        g.bench_function("listing", |b| b.iter(|| ecma335::listing(&bytes).unwrap()));
        g.bench_function("model", |b| {
            b.iter(|| {
                let md = ecma335::Metadata::parse(&bytes).unwrap();
                ecma335::build_surface(&md, ecma335::Detail::Full).unwrap()
            })
        });
        g.finish();
    }
}

criterion_group!(benches, reader);
criterion_main!(benches);
