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

/// The .NET 8 shared framework folder, when present.
pub fn framework_dir() -> Option<PathBuf> {
    let fw = repo_root().join(".tools/dotnet8/shared/Microsoft.NETCore.App/8.0.4");
    fw.join("System.Private.CoreLib.dll").exists().then_some(fw)
}

/// Surfaces of the framework assemblies that `surface` references,
/// transitively (references and type forwards), CoreLib always.
pub fn framework_context(surface: &Surface, fw: &Path) -> Vec<Surface> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut queue: Vec<String> = vec!["System.Private.CoreLib".into()];
    queue.extend(surface.references.iter().map(|r| r.name.clone()));
    queue.extend(surface.forwarded_types.iter().filter_map(|f| f.scope.as_deref().map(str::to_string)));
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
        queue.extend(s.forwarded_types.iter().filter_map(|f| f.scope.as_deref().map(str::to_string)));
        out.push(s);
    }
    out.sort_by(|a, b| a.assembly.name.cmp(&b.assembly.name));
    out
}

pub fn bind_file(path: &Path, package_id: &str, options: BindOptions) -> (Surface, BindOutput) {
    let surface = ecma335::read_surface_file(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let context = framework_dir().map(|fw| framework_context(&surface, &fw)).unwrap_or_default();
    let universe = TypeUniverse::with_context(&surface, &context);
    let options = BindOptions {
        package_id: package_id.to_string(),
        version: if options.version.is_empty() { surface.assembly.version.clone() } else { options.version.clone() },
        ..options
    };
    let out = shimgen::bind(&surface, &universe, &options).expect("bind");
    (surface, out)
}
