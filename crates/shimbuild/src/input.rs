//! What a shim is made from: the bound surface (read from the package's
//! assemblies), the package's identity, and the assemblies it references.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ecma335::Surface;

use crate::error::ShimError;

/// What a shim is made from.
#[derive(Debug)]
pub struct ShimInput {
    /// The bound surface (several assemblies of one package merged).
    pub surface: Surface,
    pub package_id: String,
    pub version: String,
    /// The Mochi package name (`mochi_<package>_…`); empty: from the id.
    pub package: String,
    pub monomorphise: BTreeMap<String, Vec<Vec<String>>>,
    /// The package's own assemblies (referenced by the shim, copied beside it).
    pub dlls: Vec<PathBuf>,
    /// Assemblies of dependencies: type context, and copied beside the shim.
    pub dependency_dlls: Vec<PathBuf>,
    /// `[dotnet.runtime] roll-forward`, written into the shim's runtimeconfig.
    pub roll_forward: Option<hosting::RollForward>,
    /// Native libraries of the package and its dependencies for this machine's
    /// runtime identifier (`runtimes/<rid>/native/*`, e.g. `libe_sqlite3.so`):
    /// copied beside the shim, where .NET's `DllImport` probing finds them.
    pub native_assets: Vec<PathBuf>,
}

impl ShimInput {
    /// An assembly file as a package of its own (`invoke path/to/Lib.dll`).
    pub fn from_assembly(path: &Path, package: Option<&str>) -> Result<ShimInput, ShimError> {
        let surface = ecma335::read_surface_file(path).map_err(|e| ShimError::Assembly {
            path: path.to_path_buf(),
            message: format!(
                "{e}\n  hint: pass a managed .NET assembly or a package id locked in mochi.lock"
            ),
        })?;
        Ok(ShimInput {
            package_id: surface.assembly.name.clone(),
            version: surface.assembly.version.clone(),
            package: package.unwrap_or_default().to_string(),
            surface,
            monomorphise: BTreeMap::new(),
            // A shared-framework assembly is already referenced and loaded by
            // the runtime: neither copied nor referenced again.
            dlls: if is_framework_assembly(path) {
                Vec::new()
            } else {
                vec![path.to_path_buf()]
            },
            dependency_dlls: Vec::new(),
            roll_forward: None,
            native_assets: Vec::new(),
        })
    }

    /// A package: its own assemblies (their surfaces merged into one), its
    /// dependencies' (type context) and the native libraries to copy beside it,
    /// as a locked package's closure (`project::closure`) gives them.
    pub fn from_package(
        package_id: &str,
        version: &str,
        own: &[PathBuf],
        dependencies: &[PathBuf],
        native_assets: &[PathBuf],
    ) -> Result<ShimInput, ShimError> {
        let mut surface: Option<Surface> = None;
        for path in own {
            let s = ecma335::read_surface_file(path).map_err(|e| ShimError::Assembly {
                path: path.clone(),
                message: e.to_string(),
            })?;
            match &mut surface {
                None => surface = Some(s),
                // One package, one binding: further assemblies add their types.
                Some(first) => first.types.extend(s.types),
            }
        }
        let surface = surface.ok_or_else(|| ShimError::NoAssemblies {
            id: package_id.to_string(),
            version: version.to_string(),
        })?;
        Ok(ShimInput {
            surface,
            package_id: package_id.to_string(),
            version: version.to_string(),
            package: String::new(),
            monomorphise: BTreeMap::new(),
            dlls: own.to_vec(),
            dependency_dlls: dependencies.to_vec(),
            roll_forward: None,
            native_assets: native_assets.to_vec(),
        })
    }

    /// The same input with `[dotnet]`'s monomorphise list and roll-forward.
    pub fn with_dotnet(
        mut self,
        monomorphise: &BTreeMap<String, Vec<Vec<String>>>,
        roll_forward: Option<hosting::RollForward>,
    ) -> ShimInput {
        self.monomorphise = monomorphise.clone();
        self.roll_forward = roll_forward;
        self
    }
}

/// Whether `path` sits in a .NET shared framework folder (next to System.Private.CoreLib.dll).
pub fn is_framework_assembly(path: &Path) -> bool {
    path.parent()
        .is_some_and(|d| d.join("System.Private.CoreLib.dll").is_file())
}
