//! Versions of .NET runtimes and hostfxr as they appear in folder names
//! (`shared/Microsoft.NETCore.App/8.0.4`, `host/fxr/9.0.0-preview.7.24405.7`).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// `major.minor.patch[-prerelease]`, ordered as SemVer orders them
/// (a pre-release sorts before its release).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RuntimeVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
    pub pre: Option<String>,
}

impl RuntimeVersion {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        RuntimeVersion {
            major,
            minor,
            patch,
            pre: None,
        }
    }

    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some()
    }
}

/// A version string that is not `major.minor.patch[-pre]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a runtime version: {0:?} (expected major.minor.patch)")]
pub struct ParseVersionError(pub String);

impl FromStr for RuntimeVersion {
    type Err = ParseVersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseVersionError(s.to_owned());
        let (core, pre) = match s.split_once('-') {
            Some((core, pre)) if !pre.is_empty() => (core, Some(pre.to_owned())),
            Some(_) => return Err(err()),
            None => (s, None),
        };
        let mut parts = core.split('.');
        let mut next = |required: bool| -> Result<u32, ParseVersionError> {
            match parts.next() {
                Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => {
                    p.parse().map_err(|_| err())
                }
                None if !required => Ok(0),
                _ => Err(err()),
            }
        };
        let major = next(true)?;
        let minor = next(true)?;
        let patch = next(false)?;
        if parts.next().is_some() {
            return Err(err());
        }
        Ok(RuntimeVersion {
            major,
            minor,
            patch,
            pre,
        })
    }
}

impl Ord for RuntimeVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (&self.pre, &other.pre) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => compare_prerelease(a, b),
            })
    }
}

impl PartialOrd for RuntimeVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// SemVer 2 pre-release order: numeric identifiers numerically, others lexically.
fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let mut xs = a.split('.');
    let mut ys = b.split('.');
    loop {
        match (xs.next(), ys.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let o = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(x), Ok(y)) => x.cmp(&y),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if o != Ordering::Equal {
                    return o;
                }
            }
        }
    }
}

impl fmt::Display for RuntimeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if let Some(pre) = &self.pre {
            write!(f, "-{pre}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> RuntimeVersion {
        s.parse().unwrap()
    }

    #[test]
    fn parses_release_and_prerelease() {
        assert_eq!(v("8.0.4"), RuntimeVersion::new(8, 0, 4));
        assert_eq!(v("8.0"), RuntimeVersion::new(8, 0, 0));
        let p = v("9.0.0-preview.7.24405.7");
        assert_eq!(p.pre.as_deref(), Some("preview.7.24405.7"));
        assert_eq!(p.to_string(), "9.0.0-preview.7.24405.7");
    }

    #[test]
    fn rejects_garbage() {
        for s in [
            "", "8", "8.x.1", "8.0.4.1", "8.0.4-", "-1.0.0", "8..1", "v8.0.1",
        ] {
            assert!(s.parse::<RuntimeVersion>().is_err(), "{s}");
        }
    }

    #[test]
    fn orders_like_semver() {
        let mut xs = [
            v("8.0.10"),
            v("9.0.0-rc.1"),
            v("8.0.4"),
            v("9.0.0"),
            v("9.0.0-preview.7"),
            v("3.1.23"),
            v("9.0.0-rc.10"),
        ];
        xs.sort();
        let s: Vec<String> = xs.iter().map(|x| x.to_string()).collect();
        assert_eq!(
            s,
            [
                "3.1.23",
                "8.0.4",
                "8.0.10",
                "9.0.0-preview.7",
                "9.0.0-rc.1",
                "9.0.0-rc.10",
                "9.0.0"
            ]
        );
    }
}
