//! The .NET a shim is compiled against, and the build of a generated shim
//! through the shim cache. The .NET installation is the one given, else
//! hosting's locator (`DOTNET_ROOT`, the `dotnet` on `PATH`, the standard
//! folders); nothing else is probed.

use std::path::PathBuf;

use crate::compile::{Announce, BuildOptions, BuiltShim};
use crate::error::ShimError;
use crate::generate::Generated;

/// Where and with what shims are built.
#[derive(Debug, Clone, Default)]
pub struct Toolchain {
    /// The shim cache (`<package cache>/shims`).
    pub cache_dir: PathBuf,
    /// A .NET installation to use instead of the locator's.
    pub dotnet_root: Option<PathBuf>,
    /// Told which compiler builds, and why, before each compile.
    pub announce: Option<Announce>,
}

impl Toolchain {
    /// The .NET installation: the one given, else the locator's for .NET 8.
    pub fn dotnet_root(&self) -> Option<PathBuf> {
        if let Some(r) = &self.dotnet_root {
            return Some(r.clone());
        }
        hosting::Locator::from_env()
            .find(&hosting::FrameworkRequirement::net(8, 0))
            .ok()
            .map(|(install, _)| install.root)
    }

    /// The newest `shared/Microsoft.NETCore.App/<major>.x` of [`Toolchain::dotnet_root`].
    pub fn shared_framework_dir(&self, major: u32) -> Option<PathBuf> {
        let root = self.dotnet_root()?;
        let install = hosting::DotnetInstall::probe(&root).ok()?;
        let v = hosting::FrameworkRequirement::net(major, 0)
            .select(&install.runtimes)?
            .clone();
        Some(install.framework_dir(&v))
    }

    /// Builds (or finds in the cache) a generated shim.
    pub fn build(&self, generated: &Generated) -> Result<BuiltShim, ShimError> {
        let root = self.dotnet_root();
        let options = BuildOptions {
            cache_dir: self.cache_dir.clone(),
            framework_dir: self.shared_framework_dir(8),
            dotnet: root.map(|r| r.join("dotnet")),
            announce: self.announce,
            ..BuildOptions::default()
        };
        Ok(crate::compile::build(
            &generated.project,
            &generated.dlls,
            &options,
        )?)
    }
}
