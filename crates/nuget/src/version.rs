//! NuGet versions and version ranges, plus the Mochi range forms (`^`, `~`, `=`).
//!
//! Versions follow NuGet: one to four numeric parts (missing parts are zero, leading
//! zeros are dropped), an optional SemVer 2 prerelease label compared per SemVer
//! (numeric identifiers numerically, alphanumeric ones case-insensitively, a numeric
//! identifier below an alphanumeric one, a shorter prefix first), and build metadata
//! that is kept for display but ignored for ordering and equality.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// Why a version or range string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    #[error("`{input}` is not a NuGet version: it is empty")]
    Empty { input: String },
    #[error(
        "`{input}` is not a NuGet version: `{part}` is not a number (versions look like 1.2.3 or 1.2.3-beta.1)"
    )]
    NotNumeric { input: String, part: String },
    #[error("`{input}` is not a NuGet version: it has more than four numeric parts")]
    TooManyParts { input: String },
    #[error("`{input}` is not a NuGet version: the number `{part}` is too large")]
    Overflow { input: String, part: String },
    #[error(
        "`{input}` is not a NuGet version: prerelease identifier `{label}` is invalid (use letters, digits and `-`, no empty parts, no leading zeros in numbers)"
    )]
    BadLabel { input: String, label: String },
    #[error(
        "`{input}` is not a NuGet version: build metadata `{metadata}` is invalid (use letters, digits, `-` and `.`)"
    )]
    BadMetadata { input: String, metadata: String },
}

/// Why a version range string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error(
        "`{input}` is not a version range: it is empty (write e.g. `13.0.1`, `[1.0,2.0)`, `^13.0` or `13.*`)"
    )]
    Empty { input: String },
    #[error("`{input}` is not a version range: {source}")]
    Version {
        input: String,
        #[source]
        source: VersionError,
    },
    #[error(
        "`{input}` is not a version range: an interval needs `[` or `(` at the start and `]` or `)` at the end, with at most one comma"
    )]
    BadInterval { input: String },
    #[error(
        "`{input}` is not a version range: `[x]` is the only single-version interval; `(x)`, `[x)` and `(x]` match nothing"
    )]
    BadExact { input: String },
    #[error("`{input}` is not a version range: its lower bound is above its upper bound")]
    Inverted { input: String },
    #[error(
        "`{input}` is not a version range: a floating range has `*` as its last part only (e.g. `13.*`, `13.0.*`, `1.0.0-beta*`)"
    )]
    BadFloat { input: String },
}

/// One prerelease identifier.
#[derive(Debug, Clone)]
enum Ident {
    Num(u64),
    Alpha(String),
}

impl Ident {
    fn cmp_semver(&self, other: &Ident) -> Ordering {
        match (self, other) {
            (Ident::Num(a), Ident::Num(b)) => a.cmp(b),
            (Ident::Num(_), Ident::Alpha(_)) => Ordering::Less,
            (Ident::Alpha(_), Ident::Num(_)) => Ordering::Greater,
            (Ident::Alpha(a), Ident::Alpha(b)) => cmp_ignore_case(a, b),
        }
    }
}

fn cmp_ignore_case(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// A NuGet package version.
#[derive(Debug, Clone)]
pub struct NuGetVersion {
    parts: [u64; 4],
    release: Vec<Ident>,
    release_text: String,
    metadata: Option<String>,
}

impl NuGetVersion {
    /// A release version from numbers (no label, no metadata).
    pub fn new(major: u64, minor: u64, patch: u64, revision: u64) -> Self {
        NuGetVersion {
            parts: [major, minor, patch, revision],
            release: Vec::new(),
            release_text: String::new(),
            metadata: None,
        }
    }

    pub fn parse(input: &str) -> Result<Self, VersionError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(VersionError::Empty {
                input: input.into(),
            });
        }
        let (rest, metadata) = match s.split_once('+') {
            Some((r, m)) => {
                if m.is_empty()
                    || m.split('.').any(|p| {
                        p.is_empty() || !p.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
                    })
                {
                    return Err(VersionError::BadMetadata {
                        input: input.into(),
                        metadata: m.into(),
                    });
                }
                (r, Some(m.to_string()))
            }
            None => (s, None),
        };
        let (numbers, release_text) = match rest.split_once('-') {
            Some((n, r)) => (n, r),
            None => (rest, ""),
        };
        let mut parts = [0u64; 4];
        let split: Vec<&str> = numbers.split('.').collect();
        if split.len() > 4 {
            return Err(VersionError::TooManyParts {
                input: input.into(),
            });
        }
        for (i, p) in split.iter().enumerate() {
            if p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) {
                return Err(VersionError::NotNumeric {
                    input: input.into(),
                    part: (*p).into(),
                });
            }
            parts[i] = p.parse().map_err(|_| VersionError::Overflow {
                input: input.into(),
                part: (*p).into(),
            })?;
        }
        let mut release = Vec::new();
        if rest.contains('-') {
            for label in release_text.split('.') {
                let bad = || VersionError::BadLabel {
                    input: input.into(),
                    label: label.into(),
                };
                if label.is_empty()
                    || !label
                        .bytes()
                        .all(|c| c.is_ascii_alphanumeric() || c == b'-')
                {
                    return Err(bad());
                }
                if label.bytes().all(|c| c.is_ascii_digit()) {
                    if label.len() > 1 && label.starts_with('0') {
                        return Err(bad());
                    }
                    release.push(Ident::Num(label.parse().map_err(|_| bad())?));
                } else {
                    release.push(Ident::Alpha(label.into()));
                }
            }
        }
        Ok(NuGetVersion {
            parts,
            release,
            release_text: release_text.into(),
            metadata,
        })
    }

    pub fn major(&self) -> u64 {
        self.parts[0]
    }
    pub fn minor(&self) -> u64 {
        self.parts[1]
    }
    pub fn patch(&self) -> u64 {
        self.parts[2]
    }
    pub fn revision(&self) -> u64 {
        self.parts[3]
    }
    pub fn is_prerelease(&self) -> bool {
        !self.release.is_empty()
    }
    pub fn release_label(&self) -> Option<&str> {
        (!self.release.is_empty()).then_some(self.release_text.as_str())
    }
    pub fn metadata(&self) -> Option<&str> {
        self.metadata.as_deref()
    }

    /// NuGet's normalised form: three parts (four when the revision is not zero), the
    /// prerelease label, no build metadata. This is the form written to mochi.lock.
    pub fn normalized(&self) -> String {
        let [a, b, c, d] = self.parts;
        let mut s = if d != 0 {
            format!("{a}.{b}.{c}.{d}")
        } else {
            format!("{a}.{b}.{c}")
        };
        if self.is_prerelease() {
            s.push('-');
            s.push_str(&self.release_text);
        }
        s
    }

    /// The normalised form with build metadata, if any.
    pub fn full(&self) -> String {
        match &self.metadata {
            Some(m) => format!("{}+{m}", self.normalized()),
            None => self.normalized(),
        }
    }

    /// The same version without prerelease label or metadata.
    pub fn release_only(&self) -> NuGetVersion {
        let [a, b, c, d] = self.parts;
        NuGetVersion::new(a, b, c, d)
    }
}

impl Ord for NuGetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.parts.cmp(&other.parts).then_with(|| {
            match (self.release.is_empty(), other.release.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.release.iter().zip(&other.release) {
                        let o = a.cmp_semver(b);
                        if o != Ordering::Equal {
                            return o;
                        }
                    }
                    self.release.len().cmp(&other.release.len())
                }
            }
        })
    }
}

impl PartialOrd for NuGetVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for NuGetVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for NuGetVersion {}

impl Hash for NuGetVersion {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.normalized().to_ascii_lowercase().hash(state);
    }
}

impl fmt::Display for NuGetVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.normalized())
    }
}

impl FromStr for NuGetVersion {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NuGetVersion::parse(s)
    }
}

/// One end of an interval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound {
    pub version: NuGetVersion,
    pub inclusive: bool,
}

/// How a floating range picks among the versions it matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Float {
    /// `*`: any stable version.
    Any,
    /// `13.*`, `13.0.*`: numeric prefix of this many parts fixed.
    Numeric { fixed: usize },
    /// `1.0.0-*`, `1.0.0-beta*`: the release number fixed, any prerelease whose label
    /// starts with the prefix (and the release itself).
    Prerelease { prefix: String },
}

/// A NuGet version range (interval notation, bare minimum, floating) or a Mochi form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRange {
    pub min: Option<Bound>,
    pub max: Option<Bound>,
    pub float: Option<Float>,
    /// The text the range was parsed from, trimmed, for messages and for rewriting.
    original: String,
}

impl VersionRange {
    /// Every version.
    pub fn all() -> Self {
        VersionRange {
            min: None,
            max: None,
            float: None,
            original: "*".into(),
        }
    }

    /// Exactly one version: `[v]`.
    pub fn exact(v: NuGetVersion) -> Self {
        let original = format!("[{v}]");
        VersionRange {
            min: Some(Bound {
                version: v.clone(),
                inclusive: true,
            }),
            max: Some(Bound {
                version: v,
                inclusive: true,
            }),
            float: None,
            original,
        }
    }

    pub fn parse(input: &str) -> Result<Self, RangeError> {
        let s = input.trim();
        let original = s.to_string();
        if s.is_empty() {
            return Err(RangeError::Empty {
                input: input.into(),
            });
        }
        let ver = |t: &str| {
            NuGetVersion::parse(t).map_err(|source| RangeError::Version {
                input: input.into(),
                source,
            })
        };
        let incl = |version| {
            Some(Bound {
                version,
                inclusive: true,
            })
        };
        let excl = |version| {
            Some(Bound {
                version,
                inclusive: false,
            })
        };
        let mk = |min, max, float| VersionRange {
            min,
            max,
            float,
            original: original.clone(),
        };

        if let Some(rest) = s.strip_prefix('^') {
            let (v, given) = parse_partial(rest, input)?;
            let upper = match (v.major(), v.minor(), given) {
                (0, 0, n) if n >= 3 => NuGetVersion::new(0, 0, v.patch() + 1, 0),
                (0, 0, 2) => NuGetVersion::new(0, 1, 0, 0),
                (0, _, n) if n >= 2 => NuGetVersion::new(0, v.minor() + 1, 0, 0),
                (m, _, _) => NuGetVersion::new(m + 1, 0, 0, 0),
            };
            return Ok(mk(incl(v), excl(upper), None));
        }
        if let Some(rest) = s.strip_prefix('~') {
            let (v, given) = parse_partial(rest, input)?;
            let upper = if given >= 2 {
                NuGetVersion::new(v.major(), v.minor() + 1, 0, 0)
            } else {
                NuGetVersion::new(v.major() + 1, 0, 0, 0)
            };
            return Ok(mk(incl(v), excl(upper), None));
        }
        if let Some(rest) = s.strip_prefix('=') {
            let v = ver(rest.trim())?;
            return Ok(mk(incl(v.clone()), incl(v), None));
        }
        if s.contains('*') {
            return parse_float(s, input).map(|(min, float)| mk(incl(min), None, Some(float)));
        }
        let first = s.as_bytes()[0];
        if first != b'[' && first != b'(' {
            if s.ends_with(']') || s.ends_with(')') || s.contains(',') {
                return Err(RangeError::BadInterval {
                    input: input.into(),
                });
            }
            return Ok(mk(incl(ver(s)?), None, None));
        }
        let last = *s.as_bytes().last().unwrap();
        if s.len() < 2 || (last != b']' && last != b')') {
            return Err(RangeError::BadInterval {
                input: input.into(),
            });
        }
        let lower_inclusive = first == b'[';
        let upper_inclusive = last == b']';
        let inner = &s[1..s.len() - 1];
        let pieces: Vec<&str> = inner.split(',').map(str::trim).collect();
        let range = match pieces.as_slice() {
            [one] => {
                if !(lower_inclusive && upper_inclusive) || one.is_empty() {
                    return Err(RangeError::BadExact {
                        input: input.into(),
                    });
                }
                let v = ver(one)?;
                mk(incl(v.clone()), incl(v), None)
            }
            [lo, hi] => {
                let min = if lo.is_empty() {
                    None
                } else {
                    Some(Bound {
                        version: ver(lo)?,
                        inclusive: lower_inclusive,
                    })
                };
                let max = if hi.is_empty() {
                    None
                } else {
                    Some(Bound {
                        version: ver(hi)?,
                        inclusive: upper_inclusive,
                    })
                };
                if min.is_none() && max.is_none() {
                    return Err(RangeError::BadInterval {
                        input: input.into(),
                    });
                }
                mk(min, max, None)
            }
            _ => {
                return Err(RangeError::BadInterval {
                    input: input.into(),
                });
            }
        };
        if let (Some(lo), Some(hi)) = (&range.min, &range.max) {
            let bad = match lo.version.cmp(&hi.version) {
                Ordering::Greater => true,
                Ordering::Equal => !(lo.inclusive && hi.inclusive),
                Ordering::Less => false,
            };
            if bad {
                return Err(RangeError::Inverted {
                    input: input.into(),
                });
            }
        }
        Ok(range)
    }

    /// The text the range was written as.
    pub fn original(&self) -> &str {
        &self.original
    }

    pub fn is_floating(&self) -> bool {
        self.float.is_some()
    }

    /// Whether `v` lies in the range. A prerelease version matches only when one of
    /// the bounds is itself a prerelease or the range floats over prereleases, as NuGet
    /// does, so that a stable range never silently picks a prerelease.
    pub fn satisfies(&self, v: &NuGetVersion) -> bool {
        if let Some(lo) = &self.min {
            match v.cmp(&lo.version) {
                Ordering::Less => return false,
                Ordering::Equal if !lo.inclusive => return false,
                _ => {}
            }
        }
        if let Some(hi) = &self.max {
            match v.cmp(&hi.version) {
                Ordering::Greater => return false,
                Ordering::Equal if !hi.inclusive => return false,
                _ => {}
            }
        }
        if let Some(f) = &self.float {
            let min = &self.min.as_ref().expect("floats have a minimum").version;
            match f {
                Float::Any => {}
                Float::Numeric { fixed } => {
                    if v.parts[..*fixed] != min.parts[..*fixed] {
                        return false;
                    }
                }
                Float::Prerelease { prefix } => {
                    if v.parts != min.parts {
                        return false;
                    }
                    if v.is_prerelease()
                        && !v
                            .release_text
                            .to_ascii_lowercase()
                            .starts_with(&prefix.to_ascii_lowercase())
                    {
                        return false;
                    }
                    return true;
                }
            }
        }
        if v.is_prerelease() {
            let bound_pre = self.min.as_ref().is_some_and(|b| b.version.is_prerelease())
                || self.max.as_ref().is_some_and(|b| b.version.is_prerelease());
            if !bound_pre {
                return false;
            }
        }
        true
    }

    /// The version NuGet picks among `available`: the lowest that satisfies the range,
    /// or for a floating range the highest.
    pub fn best_match<'a>(&self, available: &'a [NuGetVersion]) -> Option<&'a NuGetVersion> {
        let it = available.iter().filter(|v| self.satisfies(v));
        if self.is_floating() {
            it.max()
        } else {
            it.min()
        }
    }

    /// The intersection of two ranges as bounds (floats are taken at their interval).
    /// `None` when the two ranges cannot both hold.
    pub fn intersect(&self, other: &VersionRange) -> Option<VersionRange> {
        let min = match (&self.min, &other.min) {
            (None, b) | (b, None) => b.clone(),
            (Some(a), Some(b)) => Some(match a.version.cmp(&b.version) {
                Ordering::Greater => a.clone(),
                Ordering::Less => b.clone(),
                Ordering::Equal => Bound {
                    version: a.version.clone(),
                    inclusive: a.inclusive && b.inclusive,
                },
            }),
        };
        let max = match (&self.max, &other.max) {
            (None, b) | (b, None) => b.clone(),
            (Some(a), Some(b)) => Some(match a.version.cmp(&b.version) {
                Ordering::Less => a.clone(),
                Ordering::Greater => b.clone(),
                Ordering::Equal => Bound {
                    version: a.version.clone(),
                    inclusive: a.inclusive && b.inclusive,
                },
            }),
        };
        if let (Some(lo), Some(hi)) = (&min, &max) {
            match lo.version.cmp(&hi.version) {
                Ordering::Greater => return None,
                Ordering::Equal if !(lo.inclusive && hi.inclusive) => return None,
                _ => {}
            }
        }
        let r = VersionRange {
            min,
            max,
            float: None,
            original: String::new(),
        };
        let original = r.to_string();
        Some(VersionRange { original, ..r })
    }
}

/// Parses the version after `^` or `~`, returning it and how many numeric parts were
/// written (so `^0.3` and `^0.3.0` can differ as in Cargo).
fn parse_partial(rest: &str, input: &str) -> Result<(NuGetVersion, usize), RangeError> {
    let rest = rest.trim();
    let v = NuGetVersion::parse(rest).map_err(|source| RangeError::Version {
        input: input.into(),
        source,
    })?;
    let numbers = rest.split(['-', '+']).next().unwrap_or("");
    Ok((v, numbers.split('.').count()))
}

fn parse_float(s: &str, input: &str) -> Result<(NuGetVersion, Float), RangeError> {
    let bad = || RangeError::BadFloat {
        input: input.into(),
    };
    if s == "*" {
        return Ok((NuGetVersion::new(0, 0, 0, 0), Float::Any));
    }
    if !s.ends_with('*') || s.matches('*').count() != 1 {
        return Err(bad());
    }
    let head = &s[..s.len() - 1];
    if let Some((numbers, label)) = head.split_once('-') {
        // `1.0.0-*` or `1.0.0-beta*` (`1.0.0-beta.*` also allowed)
        let min_text = if label.is_empty() {
            format!("{numbers}-0")
        } else {
            format!("{numbers}-{}", label.trim_end_matches('.'))
        };
        let min = NuGetVersion::parse(&min_text).map_err(|_| bad())?;
        return Ok((
            min,
            Float::Prerelease {
                prefix: label.into(),
            },
        ));
    }
    let numbers = head.strip_suffix('.').ok_or_else(bad)?;
    let min = NuGetVersion::parse(numbers).map_err(|_| bad())?;
    let fixed = numbers.split('.').count();
    if fixed >= 4 {
        return Err(bad());
    }
    Ok((min, Float::Numeric { fixed }))
}

impl fmt::Display for VersionRange {
    /// NuGet's normalised interval notation, e.g. `[1.0.0, 2.0.0)` or `[13.0.0, )`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.float.is_some() {
            return f.write_str(&self.original);
        }
        match (&self.min, &self.max) {
            (Some(lo), Some(hi)) if lo.inclusive && hi.inclusive && lo.version == hi.version => {
                write!(f, "[{}]", lo.version)
            }
            (lo, hi) => {
                match lo {
                    Some(b) => write!(f, "{}{}", if b.inclusive { '[' } else { '(' }, b.version)?,
                    None => f.write_str("(")?,
                }
                f.write_str(", ")?;
                match hi {
                    Some(b) => write!(f, "{}{}", b.version, if b.inclusive { ']' } else { ')' }),
                    None => f.write_str(")"),
                }
            }
        }
    }
}

impl FromStr for VersionRange {
    type Err = RangeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        VersionRange::parse(s)
    }
}

/// THE version normaliser of the bridge: the key under which two spellings of one
/// version are the same (`1.0` and `1.0.0.0`, `1.0.0-Beta` and `1.0.0-beta`,
/// `1.0.0+build` and `1.0.0`) and the form NuGet uses in URLs and folder names:
/// [`NuGetVersion::normalized`], lower case. A string that is not a version is only
/// trimmed and lower-cased.
pub fn normalize_version(v: &str) -> String {
    match NuGetVersion::parse(v) {
        Ok(parsed) => parsed.normalized().to_ascii_lowercase(),
        Err(_) => v.trim().to_ascii_lowercase(),
    }
}

/// Whether two version strings name the same version (see [`normalize_version`]).
pub fn same_version(a: &str, b: &str) -> bool {
    normalize_version(a) == normalize_version(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> NuGetVersion {
        NuGetVersion::parse(s).unwrap()
    }
    fn r(s: &str) -> VersionRange {
        VersionRange::parse(s).unwrap()
    }

    #[test]
    fn normalises() {
        assert_eq!(v("1").normalized(), "1.0.0");
        assert_eq!(v("01.002.0003").normalized(), "1.2.3");
        assert_eq!(v("1.2.3.0").normalized(), "1.2.3");
        assert_eq!(v("1.2.3.4").normalized(), "1.2.3.4");
        assert_eq!(v("1.0.0-Beta.1+sha.abc").normalized(), "1.0.0-Beta.1");
        assert_eq!(v("1.0.0-Beta.1+sha.abc").full(), "1.0.0-Beta.1+sha.abc");
    }

    #[test]
    fn orders_per_semver() {
        let ordered = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.0.1",
            "1.0.1",
            "1.10.0",
        ];
        for w in ordered.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
        }
        assert_eq!(v("1.0.0+a"), v("1.0.0+b"));
        assert_eq!(v("1.0.0-BETA"), v("1.0.0-beta"));
        assert_eq!(v("1.0"), v("1.0.0.0"));
    }

    #[test]
    fn rejects_with_reasons() {
        assert!(matches!(
            NuGetVersion::parse("1.x"),
            Err(VersionError::NotNumeric { .. })
        ));
        assert!(matches!(
            NuGetVersion::parse("1.2.3.4.5"),
            Err(VersionError::TooManyParts { .. })
        ));
        assert!(matches!(
            NuGetVersion::parse("1.0.0-01"),
            Err(VersionError::BadLabel { .. })
        ));
        assert!(matches!(
            NuGetVersion::parse("1.0.0-a..b"),
            Err(VersionError::BadLabel { .. })
        ));
        assert!(matches!(
            NuGetVersion::parse("1.0.0+"),
            Err(VersionError::BadMetadata { .. })
        ));
        assert!(matches!(
            NuGetVersion::parse(""),
            Err(VersionError::Empty { .. })
        ));
    }

    #[test]
    fn intervals() {
        let x = r("[1.0,2.0)");
        assert!(x.satisfies(&v("1.0")) && x.satisfies(&v("1.9.9")) && !x.satisfies(&v("2.0")));
        let y = r("(,1.0]");
        assert!(y.satisfies(&v("0.1")) && y.satisfies(&v("1.0")) && !y.satisfies(&v("1.0.1")));
        let z = r("[1.0]");
        assert!(z.satisfies(&v("1.0.0")) && !z.satisfies(&v("1.0.1")));
        let m = r("1.0");
        assert!(m.satisfies(&v("1.0")) && m.satisfies(&v("99")) && !m.satisfies(&v("0.9")));
        assert!(
            !m.satisfies(&v("2.0.0-beta")),
            "stable range excludes prereleases"
        );
        assert!(r("1.0.0-beta").satisfies(&v("2.0.0-beta")));
        assert_eq!(r("[1.0,2.0)").to_string(), "[1.0.0, 2.0.0)");
        assert_eq!(r("1.0").to_string(), "[1.0.0, )");
        assert_eq!(r("(,1.0]").to_string(), "(, 1.0.0]");
        assert_eq!(r("[1.0]").to_string(), "[1.0.0]");
    }

    #[test]
    fn interval_errors() {
        for bad in [
            "(1.0)",
            "[1.0)",
            "[2.0,1.0]",
            "[1.0,1.0)",
            "[,]",
            "[1.0",
            "1.0]",
            "[1,2,3]",
        ] {
            assert!(VersionRange::parse(bad).is_err(), "{bad}");
        }
        assert!(matches!(
            VersionRange::parse("[2.0,1.0]"),
            Err(RangeError::Inverted { .. })
        ));
    }

    #[test]
    fn mochi_forms() {
        assert_eq!(r("^13.0").to_string(), "[13.0.0, 14.0.0)");
        assert_eq!(r("^0.3").to_string(), "[0.3.0, 0.4.0)");
        assert_eq!(r("^0.0.3").to_string(), "[0.0.3, 0.0.4)");
        assert_eq!(r("~13.0.1").to_string(), "[13.0.1, 13.1.0)");
        assert_eq!(r("~13").to_string(), "[13.0.0, 14.0.0)");
        assert_eq!(r("=13.0.3").to_string(), "[13.0.3]");
    }

    #[test]
    fn floating_picks_highest() {
        let avail: Vec<_> = ["12.0.3", "13.0.1", "13.0.3", "13.1.0-beta", "14.0.1"]
            .iter()
            .map(|s| v(s))
            .collect();
        assert_eq!(r("13.*").best_match(&avail).unwrap().to_string(), "13.0.3");
        assert_eq!(r("*").best_match(&avail).unwrap().to_string(), "14.0.1");
        assert_eq!(
            r("13.1.0-*").best_match(&avail).unwrap().to_string(),
            "13.1.0-beta"
        );
        assert_eq!(r("13.0").best_match(&avail).unwrap().to_string(), "13.0.1");
        assert_eq!(r("^13.0").best_match(&avail).unwrap().to_string(), "13.0.1");
        assert!(VersionRange::parse("1.*.3").is_err());
        assert!(VersionRange::parse("1*").is_err());
    }

    #[test]
    fn one_normaliser_for_keys_urls_and_folders() {
        assert_eq!(normalize_version("1.0"), "1.0.0");
        assert_eq!(normalize_version(" 01.2.3.0 "), "1.2.3");
        assert_eq!(normalize_version("1.2.3.4"), "1.2.3.4");
        assert_eq!(normalize_version("1.0.0-Beta.1+Sha.ABC"), "1.0.0-beta.1");
        assert_eq!(normalize_version("Not-A-Version"), "not-a-version");
        assert!(same_version("13.0", "13.0.0.0"));
        assert!(!same_version("13.0.1", "13.0.0"));
    }

    #[test]
    fn intersection() {
        let i = r("[1.0,3.0)").intersect(&r("[2.0,4.0]")).unwrap();
        assert_eq!(i.to_string(), "[2.0.0, 3.0.0)");
        assert!(r("[1.0,2.0)").intersect(&r("[2.0,3.0]")).is_none());
        assert!(r("[1.0,2.0]").intersect(&r("[2.0,3.0]")).is_some());
    }
}
