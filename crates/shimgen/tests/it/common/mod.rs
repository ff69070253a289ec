//! Shared by the shimgen tests: the .NET 8 shared framework of the test
//! environment, context loading and a one-call bind.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ecma335::Surface;
use shimgen::{BindOptions, BindOutput, TypeUniverse};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The .NET 8 shared framework folder of the test environment; panics with
/// the setup command when it is missing (tests never pass without it).
pub fn framework_dir() -> Option<PathBuf> {
    Some(fixtures::assemblies::dotnet8_framework_dir())
}

/// Surfaces of the framework assemblies that `surface` references,
/// transitively (references and type forwards), CoreLib always.
pub fn framework_context(surface: &Surface, fw: &Path) -> Vec<Surface> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut queue: Vec<String> = vec!["System.Private.CoreLib".into()];
    queue.extend(surface.references.iter().map(|r| r.name.clone()));
    queue.extend(
        surface
            .forwarded_types
            .iter()
            .filter_map(|f| f.scope.as_deref().map(str::to_string)),
    );
    if surface.references.iter().any(|r| r.name == "mscorlib") {
        queue.push("mscorlib".into());
    }
    while let Some(name) = queue.pop() {
        if !seen.insert(name.clone()) || name == surface.assembly.name {
            continue;
        }
        let path = fw.join(format!("{name}.dll"));
        let Ok(s) = ecma335::read_surface_file(&path) else {
            continue;
        };
        queue.extend(s.references.iter().map(|r| r.name.clone()));
        queue.extend(
            s.forwarded_types
                .iter()
                .filter_map(|f| f.scope.as_deref().map(str::to_string)),
        );
        out.push(s);
    }
    out.sort_by(|a, b| a.assembly.name.cmp(&b.assembly.name));
    out
}

pub fn bind_file(path: &Path, package_id: &str, options: BindOptions) -> (Surface, BindOutput) {
    let surface =
        ecma335::read_surface_file(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // As the product does: framework types from the committed .NET 8 index.
    let universe = TypeUniverse::with_framework(&surface, []);
    let options = BindOptions {
        package_id: package_id.to_string(),
        version: if options.version.is_empty() {
            surface.assembly.version.clone()
        } else {
            options.version.clone()
        },
        ..options
    };
    let out = shimgen::bind(&surface, &universe, &options).expect("bind");
    (surface, out)
}

/// Compiles fixtures/bindings/Bindings.cs with mcs against the .NET 8
/// framework and Bindings.il with ilasm, into `dir`; `None` when a tool or
/// the framework is missing.
pub fn build_fixtures(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    let fw = framework_dir()?;
    let src = repo_root().join("fixtures/bindings");
    let cs_out = dir.join("Bindings.dll");
    let r = |n: &str| format!("-r:{}", fw.join(n).display());
    let status = std::process::Command::new("mcs")
        .args([
            "-langversion:experimental",
            "-target:library",
            "-unsafe",
            "-nostdlib",
        ])
        .arg(r("System.Private.CoreLib.dll"))
        .arg(r("System.Runtime.dll"))
        .arg(r("System.Collections.dll"))
        .arg(r("System.Private.Uri.dll"))
        .arg(format!("-out:{}", cs_out.display()))
        .arg(src.join("Bindings.cs"))
        .status()
        .ok()?;
    assert!(
        status.success(),
        "mcs failed on fixtures/bindings/Bindings.cs"
    );
    let il_out = dir.join("BindingsIl.dll");
    let status = std::process::Command::new("ilasm")
        .arg("/dll")
        .arg("/quiet")
        .arg(format!("/output:{}", il_out.display()))
        .arg(src.join("Bindings.il"))
        .status()
        .ok()?;
    assert!(
        status.success(),
        "ilasm failed on fixtures/bindings/Bindings.il"
    );
    Some((cs_out, il_out))
}

/// The golden numbers of one bound assembly.
pub fn golden_numbers(plan: &shimgen::BindingPlan) -> serde_json::Value {
    serde_json::json!({
        "assembly": plan.assembly,
        "translated": plan.translated_count(),
        "conversions": plan.conversion_count(),
        "skipped-total": plan.skipped.len(),
        "skipped": plan.skip_counts,
    })
}

/// Compares with crates/shimgen/golden/<name>.json; `SHIMGEN_BLESS=1` rewrites it.
pub fn assert_golden(name: &str, plan: &shimgen::BindingPlan) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("golden")
        .join(format!("{name}.json"));
    let mut actual = serde_json::to_string_pretty(&golden_numbers(plan)).unwrap();
    actual.push('\n');
    if std::env::var_os("SHIMGEN_BLESS").is_some() {
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} is missing; run with SHIMGEN_BLESS=1 and review it",
            path.display()
        )
    });
    assert_eq!(
        expected, actual,
        "golden numbers of {name} changed; review and re-bless with SHIMGEN_BLESS=1"
    );
}

/// Parses both emitted Mochi files with the repository's grammar.
pub fn assert_mochi_parses(out: &BindOutput) {
    if let Err(e) = shimgen::grammar::check_pair(&out.extern_mochi, &out.alias_mochi) {
        panic!(
            "emitted Mochi of {} does not parse: {e}",
            out.plan.package_id
        );
    }
}
