//! Finding a .NET installation (hostfxr + shared frameworks) and the newest
//! runtime in it that a shim's framework can run on.
//!
//! Order: an explicit root, `DOTNET_ROOT`, the `dotnet` on `PATH` (through
//! symlinks, so `/usr/bin/dotnet -> /usr/lib/dotnet/dotnet` finds `/usr/lib/dotnet`),
//! `/etc/dotnet/install_location*`, then the standard folders. The first
//! installation with a compatible runtime wins; every folder looked at is
//! reported when none does.

use std::ffi::OsString;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Probe, Result};
use crate::version::RuntimeVersion;

/// The shared framework every shim runs on.
pub const NETCORE_APP: &str = "Microsoft.NETCore.App";

#[cfg(target_os = "linux")]
const HOSTFXR_FILE: &str = "libhostfxr.so";
#[cfg(target_os = "macos")]
const HOSTFXR_FILE: &str = "libhostfxr.dylib";
#[cfg(windows)]
const HOSTFXR_FILE: &str = "hostfxr.dll";

/// How far past the requested version a runtime may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RollForward {
    /// Same major version, newest minor and patch (what a `net8.0` shim needs).
    #[default]
    LatestMinor,
    /// Any newer major version too, newest first.
    LatestMajor,
}

/// The framework a shim was built for: `net8.0` is `8.0.0` with `LatestMinor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameworkRequirement {
    pub minimum: RuntimeVersion,
    pub roll_forward: RollForward,
}

impl FrameworkRequirement {
    pub fn net(major: u32, minor: u32) -> Self {
        FrameworkRequirement {
            minimum: RuntimeVersion::new(major, minor, 0),
            roll_forward: RollForward::LatestMinor,
        }
    }

    /// Parses a target framework moniker of .NET 5 or later (`net8.0`).
    pub fn from_tfm(tfm: &str) -> Option<Self> {
        let rest = tfm.strip_prefix("net")?;
        let (major, minor) = rest.split_once('.')?;
        let minor = minor.split('-').next()?;
        let major: u32 = major.parse().ok()?;
        (major >= 5).then_some(())?;
        Some(Self::net(major, minor.parse().ok()?))
    }

    pub fn accepts(&self, v: &RuntimeVersion) -> bool {
        if v < &self.minimum || (v.is_prerelease() && !self.minimum.is_prerelease()) {
            return false;
        }
        match self.roll_forward {
            RollForward::LatestMinor => v.major == self.minimum.major,
            RollForward::LatestMajor => true,
        }
    }

    /// The newest acceptable version among `installed`.
    pub fn select<'a>(&self, installed: &'a [RuntimeVersion]) -> Option<&'a RuntimeVersion> {
        installed.iter().filter(|v| self.accepts(v)).max()
    }

    /// `net8.0`-style name.
    pub fn tfm(&self) -> String {
        format!("net{}.{}", self.minimum.major, self.minimum.minor)
    }

    /// `8.0` as used in install hints.
    pub fn short(&self) -> String {
        format!("{}.{}", self.minimum.major, self.minimum.minor)
    }
}

impl fmt::Display for FrameworkRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.roll_forward {
            RollForward::LatestMinor => {
                write!(
                    f,
                    "{} >= {}, < {}.0.0",
                    NETCORE_APP,
                    self.minimum,
                    self.minimum.major + 1
                )
            }
            RollForward::LatestMajor => write!(f, "{} >= {}", NETCORE_APP, self.minimum),
        }
    }
}

/// A .NET installation: a folder with `host/fxr/<ver>/libhostfxr.so` and `shared/Microsoft.NETCore.App/<ver>/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DotnetInstall {
    pub root: PathBuf,
    pub hostfxr: PathBuf,
    pub hostfxr_version: RuntimeVersion,
    /// Installed `Microsoft.NETCore.App` versions, ascending.
    pub runtimes: Vec<RuntimeVersion>,
}

impl DotnetInstall {
    /// Reads the layout under `root`; the error string says what is missing.
    pub fn probe(root: &Path) -> std::result::Result<Self, String> {
        let fxr_dir = root.join("host").join("fxr");
        let fxrs = versions_in(&fxr_dir)
            .map_err(|e| format!("no {}: {e}", fxr_dir.display()))?
            .into_iter()
            .filter(|v| fxr_dir.join(v.to_string()).join(HOSTFXR_FILE).is_file())
            .collect::<Vec<_>>();
        let hostfxr_version = fxrs
            .into_iter()
            .max()
            .ok_or_else(|| format!("no {}/<version>/{HOSTFXR_FILE}", fxr_dir.display()))?;
        let hostfxr = fxr_dir.join(hostfxr_version.to_string()).join(HOSTFXR_FILE);
        let shared = root.join("shared").join(NETCORE_APP);
        let mut runtimes = versions_in(&shared).unwrap_or_default();
        runtimes.retain(|v| {
            shared
                .join(v.to_string())
                .join("System.Private.CoreLib.dll")
                .is_file()
        });
        runtimes.sort();
        Ok(DotnetInstall {
            root: root.to_path_buf(),
            hostfxr,
            hostfxr_version,
            runtimes,
        })
    }

    /// The folder of one installed runtime (its framework assemblies).
    pub fn framework_dir(&self, version: &RuntimeVersion) -> PathBuf {
        self.root
            .join("shared")
            .join(NETCORE_APP)
            .join(version.to_string())
    }
}

/// Subfolders of `dir` whose names are versions; others are ignored.
fn versions_in(dir: &Path) -> std::io::Result<Vec<RuntimeVersion>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if entry.path().is_dir()
            && let Some(v) = entry.file_name().to_str().and_then(|n| n.parse().ok())
        {
            out.push(v);
        }
    }
    Ok(out)
}

/// Where to look, with every environment input explicit so it can be tested
/// without touching the process environment.
#[derive(Debug, Clone, Default)]
pub struct Locator {
    pub explicit_root: Option<PathBuf>,
    pub dotnet_root_env: Option<OsString>,
    pub path_env: Option<OsString>,
    pub install_location_files: Vec<PathBuf>,
    pub standard_dirs: Vec<PathBuf>,
}

impl Locator {
    /// Reads `DOTNET_ROOT`, `PATH` and `HOME` of this process.
    pub fn from_env() -> Self {
        let mut standard_dirs = vec![
            PathBuf::from("/usr/share/dotnet"),
            PathBuf::from("/usr/lib/dotnet"),
            PathBuf::from("/usr/lib64/dotnet"),
            PathBuf::from("/usr/local/share/dotnet"),
            PathBuf::from("/opt/dotnet"),
        ];
        if let Some(home) = std::env::var_os("HOME") {
            standard_dirs.push(PathBuf::from(home).join(".dotnet"));
        }
        Locator {
            explicit_root: None,
            dotnet_root_env: std::env::var_os("DOTNET_ROOT").filter(|v| !v.is_empty()),
            path_env: std::env::var_os("PATH"),
            install_location_files: vec![
                PathBuf::from(format!("/etc/dotnet/install_location_{}", arch_name())),
                PathBuf::from("/etc/dotnet/install_location"),
            ],
            standard_dirs,
        }
    }

    /// Only `root` is considered.
    pub fn with_root(root: impl Into<PathBuf>) -> Self {
        Locator {
            explicit_root: Some(root.into()),
            ..Locator::default()
        }
    }

    /// Candidate roots in priority order, deduplicated.
    pub fn candidates(&self) -> Vec<(PathBuf, &'static str)> {
        if let Some(root) = &self.explicit_root {
            return vec![(root.clone(), "explicit root")];
        }
        let mut out: Vec<(PathBuf, &'static str)> = Vec::new();
        if let Some(r) = &self.dotnet_root_env {
            out.push((PathBuf::from(r), "DOTNET_ROOT"));
        }
        if let Some(path) = &self.path_env {
            for dir in std::env::split_paths(path) {
                let exe = dir.join(if cfg!(windows) {
                    "dotnet.exe"
                } else {
                    "dotnet"
                });
                if exe.is_file() {
                    // The muxer is often a symlink (/usr/bin/dotnet); its real folder is the root.
                    let real = fs::canonicalize(&exe).unwrap_or(exe);
                    if let Some(root) = real.parent() {
                        out.push((root.to_path_buf(), "`dotnet` on PATH"));
                    }
                    break;
                }
            }
        }
        for f in &self.install_location_files {
            if let Ok(text) = fs::read_to_string(f)
                && let Some(line) = text.lines().map(str::trim).find(|l| !l.is_empty())
            {
                out.push((PathBuf::from(line), "/etc/dotnet/install_location"));
            }
        }
        for d in &self.standard_dirs {
            if d.exists() {
                out.push((d.clone(), "standard folder"));
            }
        }
        let mut seen = Vec::new();
        out.retain(|(p, _)| {
            let key = fs::canonicalize(p).unwrap_or_else(|_| p.clone());
            if seen.contains(&key) {
                false
            } else {
                seen.push(key);
                true
            }
        });
        out
    }

    /// The first installation with a runtime `req` accepts, and that runtime (the newest acceptable one).
    pub fn find(&self, req: &FrameworkRequirement) -> Result<(DotnetInstall, RuntimeVersion)> {
        let mut tried = Vec::new();
        let mut any_install = false;
        for (root, via) in self.candidates() {
            match DotnetInstall::probe(&root) {
                Ok(install) => {
                    any_install = true;
                    if let Some(v) = req.select(&install.runtimes).cloned() {
                        return Ok((install, v));
                    }
                    let found = if install.runtimes.is_empty() {
                        "hostfxr but no runtime".to_owned()
                    } else {
                        let vs: Vec<String> =
                            install.runtimes.iter().map(|v| v.to_string()).collect();
                        format!("runtimes {}", vs.join(", "))
                    };
                    tried.push(Probe {
                        root,
                        via,
                        outcome: format!("has {found}, none satisfies {req}"),
                    });
                }
                Err(reason) => tried.push(Probe {
                    root,
                    via,
                    outcome: reason,
                }),
            }
        }
        if any_install {
            Err(Error::NoCompatibleRuntime {
                framework: NETCORE_APP,
                required: req.short(),
                tried,
            })
        } else {
            Err(Error::DotnetNotFound {
                required: req.short(),
                tried,
            })
        }
    }
}

fn arch_name() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "x64",
        "aarch64" => "arm64",
        "x86" => "x86",
        "arm" => "arm",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_install(root: &Path, fxr: &[&str], runtimes: &[&str]) {
        for v in fxr {
            let d = root.join("host/fxr").join(v);
            fs::create_dir_all(&d).unwrap();
            fs::write(d.join(HOSTFXR_FILE), b"").unwrap();
        }
        for v in runtimes {
            let d = root.join("shared").join(NETCORE_APP).join(v);
            fs::create_dir_all(&d).unwrap();
            fs::write(d.join("System.Private.CoreLib.dll"), b"").unwrap();
        }
    }

    #[test]
    fn tfm_parsing() {
        assert_eq!(
            FrameworkRequirement::from_tfm("net8.0"),
            Some(FrameworkRequirement::net(8, 0))
        );
        assert_eq!(
            FrameworkRequirement::from_tfm("net10.0"),
            Some(FrameworkRequirement::net(10, 0))
        );
        assert_eq!(
            FrameworkRequirement::from_tfm("net8.0-windows"),
            Some(FrameworkRequirement::net(8, 0))
        );
        assert_eq!(FrameworkRequirement::from_tfm("net48"), None);
        assert_eq!(FrameworkRequirement::from_tfm("netstandard2.0"), None);
        assert_eq!(FrameworkRequirement::from_tfm("netcoreapp3.1"), None);
    }

    #[test]
    fn selects_newest_same_major() {
        let vs: Vec<RuntimeVersion> = ["3.1.23", "8.0.4", "8.0.11", "8.1.0-preview.1", "9.0.0"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let net8 = FrameworkRequirement::net(8, 0);
        assert_eq!(net8.select(&vs).unwrap().to_string(), "8.0.11");
        let major = FrameworkRequirement {
            roll_forward: RollForward::LatestMajor,
            ..net8.clone()
        };
        assert_eq!(major.select(&vs).unwrap().to_string(), "9.0.0");
        assert_eq!(FrameworkRequirement::net(10, 0).select(&vs), None);
        assert!(!net8.accepts(&"8.1.0-preview.1".parse().unwrap()));
    }

    #[test]
    fn probe_reads_layout_and_picks_newest_hostfxr() {
        let t = tempfile::tempdir().unwrap();
        fake_install(t.path(), &["8.0.4", "9.0.1"], &["8.0.4", "9.0.1"]);
        fs::create_dir_all(t.path().join("host/fxr/not-a-version")).unwrap();
        fs::create_dir_all(t.path().join("shared").join(NETCORE_APP).join("7.0.0")).unwrap(); // no CoreLib
        let i = DotnetInstall::probe(t.path()).unwrap();
        assert_eq!(i.hostfxr_version.to_string(), "9.0.1");
        assert!(i.hostfxr.ends_with("host/fxr/9.0.1/libhostfxr.so"));
        let rs: Vec<String> = i.runtimes.iter().map(|v| v.to_string()).collect();
        assert_eq!(rs, ["8.0.4", "9.0.1"]);
    }

    #[test]
    fn search_order_and_fallthrough() {
        let t = tempfile::tempdir().unwrap();
        let old = t.path().join("old");
        let new = t.path().join("new");
        let std_dir = t.path().join("std");
        fake_install(&old, &["3.1.23"], &["3.1.23"]);
        fake_install(&new, &["8.0.4"], &["8.0.4"]);
        fake_install(&std_dir, &["8.0.2"], &["8.0.2"]);
        // DOTNET_ROOT has only 3.1: the locator goes on to the standard folder.
        let l = Locator {
            dotnet_root_env: Some(old.clone().into()),
            standard_dirs: vec![t.path().join("missing"), std_dir.clone()],
            ..Locator::default()
        };
        let (i, v) = l.find(&FrameworkRequirement::net(8, 0)).unwrap();
        assert_eq!(i.root, std_dir);
        assert_eq!(v.to_string(), "8.0.2");
        // The explicit root wins over everything.
        let (i, _) = Locator {
            explicit_root: Some(new.clone()),
            ..l.clone()
        }
        .find(&FrameworkRequirement::net(8, 0))
        .unwrap();
        assert_eq!(i.root, new);
    }

    #[cfg(unix)]
    #[test]
    fn dotnet_on_path_is_resolved_through_symlinks() {
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("lib/dotnet");
        fake_install(&root, &["8.0.4"], &["8.0.4"]);
        fs::write(root.join("dotnet"), b"").unwrap();
        let bin = t.path().join("bin");
        fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(root.join("dotnet"), bin.join("dotnet")).unwrap();
        let l = Locator {
            path_env: Some(std::env::join_paths([t.path().join("nothing"), bin]).unwrap()),
            ..Locator::default()
        };
        let (i, _) = l.find(&FrameworkRequirement::net(8, 0)).unwrap();
        assert_eq!(
            fs::canonicalize(i.root).unwrap(),
            fs::canonicalize(root).unwrap()
        );
    }

    #[test]
    fn errors_list_every_folder_and_say_what_to_install() {
        let t = tempfile::tempdir().unwrap();
        let old = t.path().join("old");
        fake_install(&old, &["3.1.23"], &["3.1.23"]);
        let l = Locator {
            dotnet_root_env: Some(old.into()),
            standard_dirs: vec![t.path().to_path_buf()],
            ..Locator::default()
        };
        let msg = l
            .find(&FrameworkRequirement::net(8, 0))
            .unwrap_err()
            .to_string();
        assert!(
            msg.contains("no installed .NET runtime satisfies Microsoft.NETCore.App 8.0"),
            "{msg}"
        );
        assert!(msg.contains("runtimes 3.1.23"), "{msg}");
        assert!(msg.contains("DOTNET_ROOT"), "{msg}");
        assert!(msg.contains("standard folder"), "{msg}");

        let none = Locator::default()
            .find(&FrameworkRequirement::net(8, 0))
            .unwrap_err();
        assert!(matches!(none, Error::DotnetNotFound { .. }));
        assert!(none.to_string().contains("dotnet-runtime-8.0"), "{none}");
    }
}
