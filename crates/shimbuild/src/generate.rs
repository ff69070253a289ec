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
    /// Every DLL the shim needs beside it (package, then dependencies).
    pub dlls: Vec<PathBuf>,
}

/// Binds and generates; dependencies and the .NET 8 framework index are type context.
pub fn generate(input: &ShimInput) -> Result<Generated, ShimError> {
    let mut context: Vec<Surface> = Vec::new();
    for p in &input.dependency_dlls {
        let s = ecma335::read_surface_file(p).map_err(|e| ShimError::Assembly {
            path: p.clone(),
            message: e.to_string(),
        })?;
        context.push(s);
    }
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
    let dlls: Vec<PathBuf> = input
        .dlls
        .iter()
        .chain(&input.dependency_dlls)
        .cloned()
        .collect();
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
    Ok(Generated {
        plan,
        project,
        dlls,
    })
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
