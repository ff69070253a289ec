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

/// How far past the requested version a runtime may be: .NET's `rollForward`
/// values (runtimeconfig.json `rollForward`, `DOTNET_ROLL_FORWARD`), with
/// .NET's meaning. After the major and minor version are chosen, the newest
/// patch of them is taken (except with `Disable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum RollForward {
    /// Exactly the requested version.
    Disable,
    /// The requested major.minor, newest patch.
    LatestPatch,
    /// The requested major.minor if installed, else the lowest newer minor of
    /// the same major (.NET's default).
    #[default]
    Minor,
    /// The newest minor of the requested major.
    LatestMinor,
    /// As `Minor` when the requested major is installed, else the lowest newer
    /// major (and its lowest minor).
    Major,
    /// The newest installed version, whatever its major.
    LatestMajor,
}

impl RollForward {
    pub const ALL: [RollForward; 6] = [
        RollForward::Disable,
        RollForward::LatestPatch,
        RollForward::Minor,
        RollForward::LatestMinor,
        RollForward::Major,
        RollForward::LatestMajor,
    ];

    /// The name .NET uses (`LatestMajor`).
    pub fn name(self) -> &'static str {
        match self {
            RollForward::Disable => "Disable",
            RollForward::LatestPatch => "LatestPatch",
            RollForward::Minor => "Minor",
            RollForward::LatestMinor => "LatestMinor",
            RollForward::Major => "Major",
            RollForward::LatestMajor => "LatestMajor",
        }
    }

    /// Parses a value as hostfxr does (ASCII case-insensitive).
    pub fn parse(s: &str) -> Option<RollForward> {
        RollForward::ALL
            .into_iter()
            .find(|r| r.name().eq_ignore_ascii_case(s.trim()))
    }

    /// `DOTNET_ROLL_FORWARD` of this process, when set to a valid value. As
    /// in .NET, it overrides the `rollForward` of a runtimeconfig.
    pub fn from_env() -> Option<RollForward> {
        std::env::var(envvars::DOTNET_ROLL_FORWARD)
            .ok()
            .and_then(|v| RollForward::parse(&v))
    }

    fn crosses_majors(self) -> bool {
        matches!(self, RollForward::Major | RollForward::LatestMajor)
    }
}

impl fmt::Display for RollForward {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The framework a shim was built for: `net8.0` is `8.0.0` with roll-forward `Minor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameworkRequirement {
    pub minimum: RuntimeVersion,
    pub roll_forward: RollForward,
}

impl FrameworkRequirement {
    pub fn net(major: u32, minor: u32) -> Self {
        FrameworkRequirement {
            minimum: RuntimeVersion::new(major, minor, 0),
            roll_forward: RollForward::Minor,
        }
    }

    pub fn with_roll_forward(mut self, roll_forward: RollForward) -> Self {
        self.roll_forward = roll_forward;
        self
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

    /// Whether `v` is among the versions the roll-forward policy may choose
    /// (which one it chooses is [`FrameworkRequirement::select`]). A pre-release
    /// is acceptable only for a pre-release request, as in .NET.
    pub fn accepts(&self, v: &RuntimeVersion) -> bool {
        let m = &self.minimum;
        if v < m || (v.is_prerelease() && !m.is_prerelease()) {
            return false;
        }
        match self.roll_forward {
            RollForward::Disable => v == m,
            RollForward::LatestPatch => (v.major, v.minor) == (m.major, m.minor),
            RollForward::Minor | RollForward::LatestMinor => v.major == m.major,
            RollForward::Major | RollForward::LatestMajor => true,
        }
    }

    /// The version .NET's roll-forward rules choose among `installed`.
    pub fn select<'a>(&self, installed: &'a [RuntimeVersion]) -> Option<&'a RuntimeVersion> {
        let candidates = || installed.iter().filter(|v| self.accepts(v));
        let newest_patch_of = |major: u32, minor: u32| {
            candidates()
                .filter(|v| v.major == major && v.minor == minor)
                .max()
        };
        match self.roll_forward {
            RollForward::Disable => candidates().next(),
            RollForward::LatestPatch | RollForward::LatestMinor | RollForward::LatestMajor => {
                candidates().max()
            }
            // The lowest acceptable major.minor (same major first: it is lower), newest patch.
            RollForward::Minor | RollForward::Major => {
                let lowest = candidates().map(|v| (v.major, v.minor)).min()?;
                newest_patch_of(lowest.0, lowest.1)
            }
        }
    }

    /// `net8.0`-style name.
    pub fn tfm(&self) -> String {
        format!("net{}.{}", self.minimum.major, self.minimum.minor)
    }

    /// `8.0` as used in install hints.
    pub fn short(&self) -> String {
        format!("{}.{}", self.minimum.major, self.minimum.minor)
    }

    /// Whether a newer major version could serve this requirement.
    pub fn rolls_over_majors(&self) -> bool {
        self.roll_forward.crosses_majors()
    }
}

impl fmt::Display for FrameworkRequirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.minimum;
        match self.roll_forward {
            RollForward::Disable => write!(f, "{NETCORE_APP} {m} exactly")?,
            RollForward::LatestPatch => {
                write!(f, "{NETCORE_APP} >= {m}, < {}.{}.0", m.major, m.minor + 1)?
            }
            RollForward::Minor | RollForward::LatestMinor => {
                write!(f, "{NETCORE_APP} >= {m}, < {}.0.0", m.major + 1)?
            }
            RollForward::Major | RollForward::LatestMajor => write!(f, "{NETCORE_APP} >= {m}")?,
        }
        write!(f, " (rollForward {})", self.roll_forward)
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
        if let Some(home) = std::env::var_os(envvars::HOME) {
            standard_dirs.push(PathBuf::from(home).join(".dotnet"));
        }
        Locator {
            explicit_root: None,
            dotnet_root_env: envvars::nonempty(envvars::DOTNET_ROOT),
            path_env: std::env::var_os(envvars::PATH),
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
        let mut newer: Vec<RuntimeVersion> = Vec::new();
        let mut any_install = false;
        for (root, via) in self.candidates() {
            match DotnetInstall::probe(&root) {
                Ok(install) => {
                    any_install = true;
                    if let Some(v) = req.select(&install.runtimes).cloned() {
                        return Ok((install, v));
                    }
                    newer.extend(
                        install
                            .runtimes
                            .iter()
                            .filter(|v| v.major > req.minimum.major && !v.is_prerelease())
                            .cloned(),
                    );
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
            if req.rolls_over_majors() {
                newer.clear();
            }
            newer.sort();
            newer.dedup();
            Err(Error::NoCompatibleRuntime {
                framework: NETCORE_APP,
                required: req.short(),
                requirement: req.to_string(),
                newer,
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
        assert_eq!(net8.roll_forward, RollForward::Minor, ".NET's default");
        assert_eq!(net8.select(&vs).unwrap().to_string(), "8.0.11");
        let major = net8.clone().with_roll_forward(RollForward::LatestMajor);
        assert_eq!(major.select(&vs).unwrap().to_string(), "9.0.0");
        assert_eq!(FrameworkRequirement::net(10, 0).select(&vs), None);
        assert!(!net8.accepts(&"8.1.0-preview.1".parse().unwrap()));
    }

    /// .NET's six policies (docs: "Select the .NET version to use").
    #[test]
    fn every_roll_forward_policy_chooses_as_dotnet_does() {
        let pick = |installed: &[&str], req: &str, rf: RollForward| -> Option<String> {
            let vs: Vec<RuntimeVersion> = installed.iter().map(|s| s.parse().unwrap()).collect();
            let req = FrameworkRequirement {
                minimum: req.parse().unwrap(),
                roll_forward: rf,
            };
            req.select(&vs).map(|v| v.to_string())
        };
        use RollForward::*;
        let all = [
            "6.0.30",
            "8.0.3",
            "8.0.7",
            "8.2.1",
            "8.2.4",
            "8.5.0",
            "10.0.1",
            "10.0.12",
            "10.3.0",
            "11.0.0-rc.1",
        ];
        let cases: &[(&str, RollForward, Option<&str>)] = &[
            ("8.0.5", Disable, None),
            ("8.0.7", Disable, Some("8.0.7")),
            ("8.0.0", LatestPatch, Some("8.0.7")),
            ("8.1.0", LatestPatch, None),
            ("8.0.0", Minor, Some("8.0.7")),
            // 8.1 missing: the lowest newer minor, newest patch.
            ("8.1.0", Minor, Some("8.2.4")),
            ("8.6.0", Minor, None),
            ("8.0.0", LatestMinor, Some("8.5.0")),
            ("8.6.0", LatestMinor, None),
            // The major is installed: Minor's choice.
            ("8.1.0", Major, Some("8.2.4")),
            // It is not: the lowest newer major, its lowest minor, newest patch.
            ("8.6.0", Major, Some("10.0.12")),
            ("9.0.0", Major, Some("10.0.12")),
            ("8.0.0", LatestMajor, Some("10.3.0")),
            ("12.0.0", LatestMajor, None),
            // A pre-release only for a pre-release request.
            ("11.0.0-rc.1", Disable, Some("11.0.0-rc.1")),
        ];
        for (req, rf, want) in cases {
            assert_eq!(
                pick(&all, req, *rf).as_deref(),
                *want,
                "{req} with rollForward {rf}"
            );
        }
        // Only the SDK's .NET 10 installed: a net8.0 shim runs only when it may cross majors.
        for rf in RollForward::ALL {
            let got = pick(&["10.0.12"], "8.0.0", rf);
            assert_eq!(
                got.is_some(),
                matches!(rf, Major | LatestMajor),
                "rollForward {rf}: {got:?}"
            );
        }
        for rf in RollForward::ALL {
            assert_eq!(RollForward::parse(rf.name()), Some(rf));
            assert_eq!(
                RollForward::parse(&rf.name().to_ascii_lowercase()),
                Some(rf)
            );
        }
        assert_eq!(RollForward::parse("Sideways"), None);
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
        assert!(msg.contains("(rollForward Minor)"), "{msg}");
        assert!(msg.contains("apt-get install dotnet-runtime-8.0"), "{msg}");
        assert!(!msg.contains("newer runtime installed"), "{msg}");
        assert!(msg.contains("runtimes 3.1.23"), "{msg}");
        assert!(msg.contains("DOTNET_ROOT"), "{msg}");
        assert!(msg.contains("standard folder"), "{msg}");
        // Only a newer major installed: the message says how to roll forward onto it.
        let new = t.path().join("new");
        fake_install(&new, &["10.0.12"], &["10.0.12"]);
        let newer = Locator::with_root(&new)
            .find(&FrameworkRequirement::net(8, 0))
            .unwrap_err()
            .to_string();
        assert!(newer.contains("has runtimes 10.0.12"), "{newer}");
        assert!(newer.contains("install the .NET 8.0 runtime"), "{newer}");
        assert!(
            newer.contains("newer runtime installed (10.0.12)") && newer.contains("LatestMajor"),
            "{newer}"
        );

        let none = Locator::default()
            .find(&FrameworkRequirement::net(8, 0))
            .unwrap_err();
        assert!(matches!(none, Error::DotnetNotFound { .. }));
        assert!(none.to_string().contains("dotnet-runtime-8.0"), "{none}");
    }
}
