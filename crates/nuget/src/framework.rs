//! Target framework monikers and NuGet's nearest-framework choice.
//!
//! Parses the short forms used in project files and package folders (`net8.0`,
//! `net8.0-windows`, `netstandard2.0`, `netcoreapp3.1`, `net472`) and the long forms
//! used in `.nuspec` dependency groups (`.NETStandard2.0`, `.NETFramework4.5`,
//! `.NETCoreApp,Version=v3.1`). [`nearest`] picks, among the frameworks a package
//! offers, the one NuGet would use for a project: the same family at the highest
//! version not above the project's, then .NET Standard at the highest version the
//! project implements, then framework-neutral assets.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A framework family. `net5.0` and later are [`Family::NetCoreApp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    NetCoreApp,
    NetStandard,
    NetFramework,
    /// Framework-neutral assets (files directly under `lib/`, a dependency group
    /// without `targetFramework`, `any`).
    Any,
}

/// A parsed target framework.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Framework {
    pub family: Family,
    /// Up to four version parts, zero-padded.
    pub version: [u32; 4],
    /// An OS platform such as `windows`, lower-case, for `net5.0`+ only.
    pub platform: Option<String>,
    /// The platform version, e.g. `10.0.19041`, zero-padded.
    pub platform_version: [u32; 4],
}

/// Why a framework string was rejected, or why no framework fits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameworkError {
    #[error(
        "`{input}` is not a target framework this bridge understands (use e.g. net8.0, net8.0-windows, netstandard2.0, netcoreapp3.1, net472)"
    )]
    Unknown { input: String },
    #[error(
        "`{input}` is not a target framework: {reason} (use e.g. net8.0, netstandard2.0, net472)"
    )]
    Invalid { input: String, reason: String },
}

/// No asset folder or dependency group of a package fits the project's framework.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "package {package} has no assets compatible with {target}; it offers {}\n  hint: pick a version of {package} that supports {target}, or set `framework = \"<one of those>\"` on its line in [dotnet-dependencies]",
    offered_list(.offered)
)]
pub struct IncompatibleError {
    pub package: String,
    pub target: String,
    pub offered: Vec<String>,
}

fn offered_list(offered: &[String]) -> String {
    if offered.is_empty() {
        "nothing".into()
    } else {
        offered.join(", ")
    }
}

impl Framework {
    pub const ANY: Framework = Framework {
        family: Family::Any,
        version: [0; 4],
        platform: None,
        platform_version: [0; 4],
    };

    fn new(family: Family, version: [u32; 4]) -> Self {
        Framework {
            family,
            version,
            platform: None,
            platform_version: [0; 4],
        }
    }

    /// Parses short (`net8.0`) and long (`.NETStandard2.0`, `.NETCoreApp,Version=v3.1`)
    /// forms; an empty string or `any` is [`Framework::ANY`].
    pub fn parse(input: &str) -> Result<Self, FrameworkError> {
        let s = input.trim();
        let lower = s.to_ascii_lowercase();
        if lower.is_empty() || lower == "any" || lower == "agnostic" {
            return Ok(Framework::ANY);
        }
        let unknown = || FrameworkError::Unknown {
            input: input.into(),
        };
        let invalid = |reason: &str| FrameworkError::Invalid {
            input: input.into(),
            reason: reason.into(),
        };

        // Long forms: `.NETStandard2.0`, `.NETStandard,Version=v2.0`, `.NETFramework4.5`.
        if let Some(rest) = lower.strip_prefix('.') {
            let (name, ver) = split_name_version(rest);
            let ver = ver
                .trim_start_matches(',')
                .trim_start_matches("version=")
                .trim_start_matches('v');
            let family = match name {
                "netstandard" => Family::NetStandard,
                "netframework" => Family::NetFramework,
                "netcoreapp" => Family::NetCoreApp,
                _ => return Err(unknown()),
            };
            let version = parse_dotted(ver).ok_or_else(|| invalid("bad version"))?;
            // NuGet reads `.NETFramework5.0` and later as net5.0+ (.NET 5 is the
            // successor of both; Dapper 2.0.123 names its group so).
            let family = if family == Family::NetFramework && version[0] >= 5 {
                Family::NetCoreApp
            } else {
                family
            };
            return Ok(Framework::new(family, version));
        }

        let (main, platform) = match lower.split_once('-') {
            Some((m, p)) => (m, Some(p)),
            None => (lower.as_str(), None),
        };
        let (name, ver) = split_name_version(main);
        let (family, version) = match name {
            "netstandard" => (
                Family::NetStandard,
                parse_dotted(ver).ok_or_else(|| invalid("bad version"))?,
            ),
            "netcoreapp" => (
                Family::NetCoreApp,
                parse_dotted(ver).ok_or_else(|| invalid("bad version"))?,
            ),
            "net" if ver.contains('.') => {
                let v = parse_dotted(ver).ok_or_else(|| invalid("bad version"))?;
                if v[0] >= 5 {
                    (Family::NetCoreApp, v)
                } else {
                    (Family::NetFramework, v)
                }
            }
            "net" if !ver.is_empty() && ver.bytes().all(|c| c.is_ascii_digit()) => {
                // `net45`, `net472`, `net48`: one digit per part.
                if ver.len() > 4 {
                    return Err(invalid("too many digits"));
                }
                let mut v = [0u32; 4];
                for (i, c) in ver.bytes().enumerate() {
                    v[i] = (c - b'0') as u32;
                }
                if v[0] >= 5 {
                    return Err(invalid("net5.0 and later are written with a dot (net5.0)"));
                }
                (Family::NetFramework, v)
            }
            _ => return Err(unknown()),
        };
        let mut fw = Framework::new(family, version);
        if let Some(p) = platform {
            if family != Family::NetCoreApp || version[0] < 5 {
                return Err(invalid(
                    "an OS platform suffix needs net5.0 or later (e.g. net8.0-windows)",
                ));
            }
            let split = p.find(|c: char| c.is_ascii_digit()).unwrap_or(p.len());
            let (pname, pver) = p.split_at(split);
            if pname.is_empty() || !pname.bytes().all(|c| c.is_ascii_alphabetic()) {
                return Err(invalid("bad platform name"));
            }
            fw.platform = Some(pname.to_string());
            if !pver.is_empty() {
                fw.platform_version =
                    parse_dotted(pver).ok_or_else(|| invalid("bad platform version"))?;
            }
        }
        Ok(fw)
    }

    /// The short folder name NuGet uses (`net8.0`, `netstandard2.0`, `net472`,
    /// `netcoreapp3.1`, `net8.0-windows10.0.19041`, `any`).
    pub fn short_name(&self) -> String {
        let v = self.version;
        let dotted = |min_parts: usize| {
            let mut n = 4;
            while n > min_parts && v[n - 1] == 0 {
                n -= 1;
            }
            v[..n]
                .iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(".")
        };
        match self.family {
            Family::Any => "any".into(),
            Family::NetStandard => format!("netstandard{}", dotted(2)),
            Family::NetCoreApp if v[0] < 5 => format!("netcoreapp{}", dotted(2)),
            Family::NetCoreApp => {
                let mut s = format!("net{}", dotted(2));
                if let Some(p) = &self.platform {
                    s.push('-');
                    s.push_str(p);
                    if self.platform_version != [0; 4] {
                        let pv = self.platform_version;
                        let mut n = 4;
                        while n > 2 && pv[n - 1] == 0 {
                            n -= 1;
                        }
                        let t: Vec<String> = pv[..n].iter().map(|x| x.to_string()).collect();
                        s.push_str(&t.join("."));
                    }
                }
                s
            }
            Family::NetFramework => {
                let mut n = 4;
                while n > 2 && v[n - 1] == 0 {
                    n -= 1;
                }
                let digits: String = v[..n].iter().map(|x| x.to_string()).collect();
                format!("net{digits}")
            }
        }
    }

    /// The highest .NET Standard version a framework implements, if any.
    fn netstandard_supported(&self) -> Option<[u32; 4]> {
        let v = self.version;
        let ns = |a, b| Some([a, b, 0, 0]);
        match self.family {
            Family::NetStandard => Some(v),
            Family::NetCoreApp => {
                if v[0] >= 3 || (v[0] == 2 && v[1] >= 1) {
                    ns(2, 1)
                } else if v[0] == 2 {
                    ns(2, 0)
                } else {
                    ns(1, 6)
                }
            }
            Family::NetFramework => {
                // net461 and later implement netstandard2.0 (with the shims NuGet assumes).
                match (v[0], v[1], v[2]) {
                    (4, 6, n) if n >= 1 => ns(2, 0),
                    (4, m, _) if m >= 7 => ns(2, 0),
                    (4, 6, 0) => ns(1, 3),
                    (4, 5, n) if n >= 1 => ns(1, 2),
                    (4, 5, 0) => ns(1, 1),
                    _ => None,
                }
            }
            Family::Any => None,
        }
    }

    /// Whether assets built for `candidate` can be used by a project targeting `self`.
    pub fn is_compatible(&self, candidate: &Framework) -> bool {
        self.compat_rank(candidate).is_some()
    }

    /// A sort key for `candidate` as seen from the project `self`: higher is nearer.
    /// `None` when incompatible.
    fn compat_rank(&self, c: &Framework) -> Option<Rank> {
        if c.family == Family::Any {
            return Some((0, [0; 4], 0, [0; 4]));
        }
        if c.family == self.family {
            if cmp_ver(&c.version, &self.version) == Ordering::Greater {
                return None;
            }
            let platform_rank = match (&self.platform, &c.platform) {
                (_, None) => 0,
                (Some(p), Some(q)) if p == q && c.platform_version <= self.platform_version => 1,
                _ => return None,
            };
            return Some((2, c.version, platform_rank, c.platform_version));
        }
        if c.family == Family::NetStandard {
            let max = self.netstandard_supported()?;
            if cmp_ver(&c.version, &max) == Ordering::Greater {
                return None;
            }
            return Some((1, c.version, 0, [0; 4]));
        }
        None
    }
}

/// Nearness of a candidate: (family rank, version, platform match, platform version).
type Rank = (u8, [u32; 4], u8, [u32; 4]);

fn cmp_ver(a: &[u32; 4], b: &[u32; 4]) -> Ordering {
    a.cmp(b)
}

fn split_name_version(s: &str) -> (&str, &str) {
    let i = s
        .find(|c: char| c.is_ascii_digit() || c == ',')
        .unwrap_or(s.len());
    s.split_at(i)
}

fn parse_dotted(s: &str) -> Option<[u32; 4]> {
    if s.is_empty() {
        return None;
    }
    let mut v = [0u32; 4];
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() > 4 {
        return None;
    }
    for (i, p) in parts.iter().enumerate() {
        if p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        v[i] = p.parse().ok()?;
    }
    Some(v)
}

impl fmt::Display for Framework {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.short_name())
    }
}

impl FromStr for Framework {
    type Err = FrameworkError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Framework::parse(s)
    }
}

/// NuGet's nearest framework: among `offered`, the index of the one a `target`
/// project uses, or `None` when none is compatible. Ties (the same framework written
/// twice) go to the first offered, so the choice is deterministic.
pub fn nearest(target: &Framework, offered: &[Framework]) -> Option<usize> {
    let mut best: Option<(usize, Rank)> = None;
    for (i, c) in offered.iter().enumerate() {
        if let Some(rank) = target.compat_rank(c)
            && best.as_ref().is_none_or(|(_, b)| rank > *b)
        {
            best = Some((i, rank));
        }
    }
    best.map(|(i, _)| i)
}

/// Like [`nearest`] but an error listing what the package offers when nothing fits.
pub fn nearest_or_error(
    package: &str,
    target: &Framework,
    offered: &[Framework],
) -> Result<usize, IncompatibleError> {
    nearest(target, offered).ok_or_else(|| {
        let mut names: Vec<String> = offered.iter().map(Framework::short_name).collect();
        names.sort();
        names.dedup();
        IncompatibleError {
            package: package.into(),
            target: target.short_name(),
            offered: names,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> Framework {
        Framework::parse(s).unwrap()
    }

    #[test]
    fn parses_short_and_long_forms() {
        for (input, short) in [
            ("net8.0", "net8.0"),
            ("NET8.0", "net8.0"),
            ("net6.0-windows", "net6.0-windows"),
            ("net8.0-windows10.0.19041", "net8.0-windows10.0.19041"),
            ("netstandard2.0", "netstandard2.0"),
            ("netstandard2.1", "netstandard2.1"),
            ("netcoreapp3.1", "netcoreapp3.1"),
            ("net45", "net45"),
            ("net472", "net472"),
            ("net48", "net48"),
            ("net4.7.2", "net472"),
            (".NETStandard2.0", "netstandard2.0"),
            (".NETStandard,Version=v2.1", "netstandard2.1"),
            (".NETFramework4.5", "net45"),
            (".NETFramework4.7.2", "net472"),
            (".NETCoreApp3.1", "netcoreapp3.1"),
            (".NETCoreApp5.0", "net5.0"),
            ("", "any"),
        ] {
            assert_eq!(f(input).short_name(), short, "{input}");
        }
        assert!(f("net5.0").family == Family::NetCoreApp);
        assert!(f("net48").family == Family::NetFramework);
    }

    #[test]
    fn rejects_unknown() {
        for bad in [
            "net",
            "netx",
            "portable-net45+win8",
            "uap10.0",
            "net472-windows",
            "net50",
            "netstandard",
        ] {
            assert!(Framework::parse(bad).is_err(), "{bad}");
        }
    }

    fn pick(target: &str, offered: &[&str]) -> Option<String> {
        let offered: Vec<Framework> = offered.iter().map(|s| f(s)).collect();
        nearest(&f(target), &offered).map(|i| offered[i].short_name())
    }

    #[test]
    fn nearest_follows_nuget() {
        let all = [
            "net45",
            "net472",
            "netstandard1.3",
            "netstandard2.0",
            "netstandard2.1",
            "netcoreapp3.1",
            "net6.0",
            "net7.0",
            "net8.0",
        ];
        assert_eq!(pick("net8.0", &all).unwrap(), "net8.0");
        assert_eq!(pick("net9.0", &all).unwrap(), "net8.0");
        assert_eq!(pick("net6.0", &all).unwrap(), "net6.0");
        assert_eq!(pick("net5.0", &all).unwrap(), "netcoreapp3.1");
        assert_eq!(
            pick("net8.0", &["netcoreapp3.1", "netstandard2.1"]).unwrap(),
            "netcoreapp3.1"
        );
        assert_eq!(
            pick("net8.0", &["netstandard2.0", "netstandard2.1"]).unwrap(),
            "netstandard2.1"
        );
        assert_eq!(
            pick("net8.0", &["net45", "netstandard2.0"]).unwrap(),
            "netstandard2.0"
        );
        assert_eq!(
            pick("net8.0", &["net45", "net48"]),
            None,
            "never .NET Framework for net8.0"
        );
        assert_eq!(
            pick("netcoreapp2.0", &["netstandard2.1", "netstandard2.0"]).unwrap(),
            "netstandard2.0"
        );
        assert_eq!(pick("net472", &all).unwrap(), "net472");
        assert_eq!(
            pick("net461", &["netstandard2.1", "netstandard2.0"]).unwrap(),
            "netstandard2.0"
        );
        assert_eq!(
            pick("net45", &["netstandard1.3", "netstandard1.1"]).unwrap(),
            "netstandard1.1"
        );
        assert_eq!(pick("netstandard2.0", &["netstandard2.1", "net8.0"]), None);
        assert_eq!(
            pick("net8.0", &["any", "netstandard2.0"]).unwrap(),
            "netstandard2.0"
        );
        assert_eq!(pick("net8.0", &["any"]).unwrap(), "any");
    }

    #[test]
    fn platforms() {
        assert_eq!(
            pick("net8.0", &["net8.0-windows", "net6.0"]).unwrap(),
            "net6.0"
        );
        assert_eq!(
            pick("net8.0-windows", &["net8.0-windows", "net8.0"]).unwrap(),
            "net8.0-windows"
        );
        assert_eq!(
            pick("net8.0-windows", &["net8.0-android", "net7.0"]).unwrap(),
            "net7.0"
        );
    }

    #[test]
    fn incompatible_error_lists_offers() {
        let offered = [f("net48"), f("net45")];
        let e = nearest_or_error("Old.Lib", &f("net8.0"), &offered).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("Old.Lib") && msg.contains("net8.0") && msg.contains("net45, net48"),
            "{msg}"
        );
    }
}
