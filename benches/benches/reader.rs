//! The reader on three real assemblies, warm (bytes already in memory):
//! the full surface with its canonical JSON, and the listing walk that the
//! System.Reflection.Metadata reference lister also performs (its own warm
//! timing comes from `lister --bench`; see scripts/bench-reader.sh).

use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn corpus() -> Vec<(&'static str, PathBuf)> {
    let fw = fixtures::assemblies::dotnet8_framework_dir();
    vec![
        (
            "System.Private.CoreLib",
            fw.join("System.Private.CoreLib.dll"),
        ),
        (
            "Newtonsoft.Json",
            PathBuf::from("/usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll"),
        ),
        ("System.Collections", fw.join("System.Collections.dll")),
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
