//! A shim input → its binding plan and generated C# project (not built). The
//! generation itself is `shimgen`'s pure function; this reads the context
//! surfaces from disk first.

use std::path::PathBuf;

use ecma335::Surface;
use shimgen::BindingPlan;
use shimgen::csharp::{ShimOptions, ShimProject};

use crate::error::ShimError;
use crate::input::ShimInput;

/// A generated (not yet built) shim.
#[derive(Debug)]
pub struct Generated {
    pub plan: BindingPlan,
    pub project: ShimProject,
    /// Every file the shim needs beside it: package DLLs, then dependencies'
    /// DLLs (each referenced), then native libraries (copied only). Package
    /// assemblies the .NET 8 framework replaces are not among them.
    pub dlls: Vec<PathBuf>,
    /// Package assemblies the framework also ships, and which copy the shim
    /// uses (`shimgen::platform`, the SDK's rule: the higher version wins).
    pub conflicts: Vec<shimgen::platform::Conflict>,
}

/// Binds and generates; dependencies and the .NET 8 framework index are type context.
pub fn generate(input: &ShimInput) -> Result<Generated, ShimError> {
    let resolved = resolve_conflicts(input)?;
    let context = resolved.context;
    // Framework types from the committed .NET 8 index: the shim and its hash
    // do not depend on the runtime this machine has (or lacks).
    let universe = shimgen::TypeUniverse::with_framework(&input.surface, &context);
    let options = shimgen::BindOptions {
        package: input.package.clone(),
        package_id: input.package_id.clone(),
        version: input.version.clone(),
        monomorphise: input.monomorphise.clone(),
    };
    let plan = shimgen::build_plan(&input.surface, &universe, &options)?;
    let mut dlls: Vec<PathBuf> = resolved.dlls;
    let names: Vec<String> = dlls
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let project = shimgen::csharp::generate(
        &plan,
        &ShimOptions {
            package_dlls: names,
            roll_forward: input.roll_forward.map(|r| r.name().to_string()),
        },
    );
    dlls.extend(input.native_assets.iter().cloned());
    Ok(Generated {
        plan,
        project,
        dlls,
        conflicts: resolved.conflicts,
    })
}

/// The type context of a binding: the dependencies' surfaces after the SDK's
/// conflict rule (what [`generate`] binds with; `bind` uses it too, so its plan
/// is the shim's).
pub fn binding_context(input: &ShimInput) -> Result<Vec<Surface>, ShimError> {
    Ok(resolve_conflicts(input)?.context)
}

/// The assemblies a shim references after the SDK's conflict rule, and the
/// dependencies' surfaces that are type context.
struct Resolved {
    dlls: Vec<PathBuf>,
    context: Vec<Surface>,
    conflicts: Vec<shimgen::platform::Conflict>,
}

/// Applies `shimgen::platform::conflict` to every package and dependency
/// assembly: one the framework replaces is neither referenced, copied, nor
/// type context (the framework index describes its types).
fn resolve_conflicts(input: &ShimInput) -> Result<Resolved, ShimError> {
    use shimgen::platform::{Winner, conflict};
    let read = |p: &PathBuf| {
        ecma335::read_surface_file(p).map_err(|e| ShimError::Assembly {
            path: p.clone(),
            message: e.to_string(),
        })
    };
    let mut out = Resolved {
        dlls: Vec::new(),
        context: Vec::new(),
        conflicts: Vec::new(),
    };
    for (i, p) in input.dlls.iter().enumerate() {
        // The first assembly's identity is the bound surface's.
        let (name, version) = if i == 0 {
            (
                input.surface.assembly.name.clone(),
                input.surface.assembly.version.clone(),
            )
        } else {
            let s = read(p)?;
            (s.assembly.name, s.assembly.version)
        };
        match conflict(&name, &version) {
            Some(c) => {
                let keep = c.winner == Winner::Package;
                out.conflicts.push(c);
                if keep {
                    out.dlls.push(p.clone());
                }
            }
            None => out.dlls.push(p.clone()),
        }
    }
    for p in &input.dependency_dlls {
        let s = read(p)?;
        if let Some(c) = conflict(&s.assembly.name, &s.assembly.version) {
            let keep = c.winner == Winner::Package;
            out.conflicts.push(c);
            if !keep {
                continue;
            }
        }
        out.dlls.push(p.clone());
        out.context.push(s);
    }
    Ok(out)
}

/// The framework a shim needs: its runtimeconfig (`net8.0`, and the
/// `rollForward` of `[dotnet.runtime] roll-forward`).
pub fn shim_requirement(project: &ShimProject) -> Result<hosting::FrameworkRequirement, ShimError> {
    let name = format!("{}.runtimeconfig.json", project.assembly_name);
    let text = project
        .file(&name)
        .ok_or_else(|| ShimError::RuntimeConfig {
            file: name.clone(),
            message: "missing".into(),
        })?;
    hosting::runtimeconfig::parse_requirement(text).map_err(|e| ShimError::RuntimeConfig {
        file: name,
        message: e.to_string(),
    })
}
