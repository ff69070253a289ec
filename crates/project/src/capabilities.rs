//! The capability audit: which resolved packages reach the network or the file system,
//! checked against `[dotnet.capabilities]`.
//!
//! The database is `data/capabilities.toml`, compiled in and versioned with the
//! bridge. A package it does not list counts as needing every capability.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::OnceLock;

use toml_edit::{Document, Item, Value};

use nuget::version::{NuGetVersion, VersionRange};

use crate::location::Location;
use crate::manifest::{Capability, CapabilityGrant};

const BUILTIN: &str = include_str!("../data/capabilities.toml");

/// One database entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapabilityEntry {
    pub id: String,
    pub versions: VersionRange,
    pub capabilities: BTreeSet<Capability>,
    pub note: Option<String>,
}

/// The capability database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapabilityDb {
    pub revision: u64,
    entries: Vec<CapabilityEntry>,
}

/// What the database says about one package version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Declared {
    Known(BTreeSet<Capability>),
    /// Not in the database: treated as needing every capability.
    Unknown,
}

impl Declared {
    /// The capabilities the package is taken to need.
    pub fn needs(&self) -> BTreeSet<Capability> {
        match self {
            Declared::Known(c) => c.clone(),
            Declared::Unknown => Capability::ALL.into_iter().collect(),
        }
    }
}

/// A malformed capability database (only reachable for a database other than the
/// built-in one, which a unit test parses).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("capability database, line {}: {message}", at.line)]
pub struct CapabilityDbError {
    pub at: Location,
    pub message: String,
}

impl CapabilityDb {
    /// The database compiled into this bridge.
    pub fn builtin() -> &'static CapabilityDb {
        static DB: OnceLock<CapabilityDb> = OnceLock::new();
        DB.get_or_init(|| {
            CapabilityDb::parse(BUILTIN).expect("data/capabilities.toml is valid (unit-tested)")
        })
    }

    /// The database in force: the file named by `MOCHI_DOTNET_CAPABILITIES` when set
    /// (an organisation's own reviewed database, or a test's), else the built-in one.
    pub fn active() -> Result<std::borrow::Cow<'static, CapabilityDb>, CapabilityDbError> {
        match envvars::nonempty(envvars::MOCHI_DOTNET_CAPABILITIES) {
            None => Ok(std::borrow::Cow::Borrowed(CapabilityDb::builtin())),
            Some(path) => {
                let text = std::fs::read_to_string(&path).map_err(|e| CapabilityDbError {
                    at: Location::default(),
                    message: format!(
                        "cannot read {} (named by MOCHI_DOTNET_CAPABILITIES): {e}",
                        std::path::Path::new(&path).display()
                    ),
                })?;
                CapabilityDb::parse(&text).map(std::borrow::Cow::Owned)
            }
        }
    }

    pub fn parse(text: &str) -> Result<CapabilityDb, CapabilityDbError> {
        let err = |span: Option<std::ops::Range<usize>>, message: String| CapabilityDbError {
            at: Location::of(text, span.map_or(0, |s| s.start)),
            message,
        };
        let doc = Document::parse(text).map_err(|e| err(e.span(), e.message().to_string()))?;
        let root = doc.as_table();
        let schema = root.get("schema").and_then(Item::as_integer);
        if schema != Some(1) {
            return Err(err(None, "`schema = 1` is required".into()));
        }
        let revision = root
            .get("revision")
            .and_then(Item::as_integer)
            .ok_or_else(|| err(None, "`revision = <n>` is required".into()))?
            as u64;
        let mut entries = Vec::new();
        if let Some(item) = root.get("package") {
            let aot = item
                .as_array_of_tables()
                .ok_or_else(|| err(item.span(), "`package` must be [[package]] tables".into()))?;
            for t in aot.iter() {
                for (k, _) in t.iter() {
                    if !["id", "versions", "capabilities", "note"].contains(&k) {
                        return Err(err(
                            t.key(k).and_then(|k| k.span()),
                            format!("unknown key `{k}`"),
                        ));
                    }
                }
                let id = t
                    .get("id")
                    .and_then(Item::as_str)
                    .ok_or_else(|| err(t.span(), "entry without `id`".into()))?
                    .to_string();
                let versions = match t.get("versions") {
                    None => VersionRange::all(),
                    Some(v) => {
                        let s = v
                            .as_str()
                            .ok_or_else(|| err(v.span(), "`versions` must be a string".into()))?;
                        VersionRange::parse(s).map_err(|e| err(v.span(), e.to_string()))?
                    }
                };
                let caps_item = t
                    .get("capabilities")
                    .ok_or_else(|| err(t.span(), format!("{id}: `capabilities` is required")))?;
                let arr = caps_item.as_array().ok_or_else(|| {
                    err(caps_item.span(), "`capabilities` must be an array".into())
                })?;
                let mut capabilities = BTreeSet::new();
                for v in arr.iter() {
                    let c = match v {
                        Value::String(s) => Capability::parse(s.value()),
                        _ => None,
                    }
                    .ok_or_else(|| err(v.span(), "capabilities are \"net\" and \"fs\"".into()))?;
                    capabilities.insert(c);
                }
                let note = t.get("note").and_then(Item::as_str).map(str::to_string);
                entries.push(CapabilityEntry {
                    id,
                    versions,
                    capabilities,
                    note,
                });
            }
        }
        Ok(CapabilityDb { revision, entries })
    }

    /// The first entry matching `id` (case-insensitive) and `version`.
    pub fn entry(&self, id: &str, version: &NuGetVersion) -> Option<&CapabilityEntry> {
        // Version ranges here must also match prereleases of covered versions.
        let release = version.release_only();
        self.entries.iter().find(|e| {
            e.id.eq_ignore_ascii_case(id)
                && (e.versions.satisfies(version) || e.versions.satisfies(&release))
        })
    }

    pub fn lookup(&self, id: &str, version: &NuGetVersion) -> Declared {
        match self.entry(id, version) {
            Some(e) => Declared::Known(e.capabilities.clone()),
            None => Declared::Unknown,
        }
    }
}

/// One package needing a capability the manifest does not grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub id: String,
    pub version: String,
    pub capability: Capability,
    pub unknown: bool,
}

/// The graph needs capabilities `mochi.toml` does not grant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CapabilityError {
    pub manifest: String,
    pub violations: Vec<Violation>,
}

impl CapabilityError {
    /// The capabilities to grant, sorted.
    pub fn missing(&self) -> BTreeSet<Capability> {
        self.violations.iter().map(|v| v.capability).collect()
    }
}

impl fmt::Display for CapabilityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "capability audit failed: {} does not grant what these packages need:",
            self.manifest
        )?;
        // One line per package, its capabilities joined (violations are sorted by id);
        // packages missing from the database share one line, however many there are.
        let mut unknown: Vec<String> = Vec::new();
        let mut unknown_caps = std::collections::BTreeSet::new();
        let mut i = 0;
        while i < self.violations.len() {
            let v = &self.violations[i];
            let group: Vec<&Violation> = self.violations[i..]
                .iter()
                .take_while(|w| w.id == v.id && w.version == v.version)
                .collect();
            i += group.len();
            if v.unknown {
                unknown.push(format!("{} {}", v.id, v.version));
                unknown_caps.extend(group.iter().map(|w| w.capability));
                continue;
            }
            let caps: Vec<String> = group
                .iter()
                .map(|w| format!("`{}`", w.capability))
                .collect();
            writeln!(f, "  - {} {} needs {}", v.id, v.version, caps.join(" and "))?;
        }
        let caps: Vec<String> = unknown_caps.iter().map(|c| format!("`{c}`")).collect();
        let caps = caps.join(" and ");
        match unknown.len() {
            0 => {}
            1 => writeln!(
                f,
                "  - {} needs {caps} (it is not in the capability database, so it counts as needing every capability)",
                unknown[0]
            )?,
            n => {
                const SHOWN: usize = 6;
                let mut names = unknown[..n.min(SHOWN)].join(", ");
                if n > SHOWN {
                    names.push_str(&format!(", and {} more", n - SHOWN));
                }
                writeln!(
                    f,
                    "  - {n} packages need {caps}: they are not in the capability database, so each counts as needing every capability ({names})"
                )?;
            }
        }
        let missing = self.missing();
        let flags: Vec<String> = missing
            .iter()
            .map(|c| format!("--accept-capability={c}"))
            .collect();
        writeln!(f, "  fix: run `mochi-dotnet lock {}`", flags.join(" "))?;
        writeln!(f, "       or add to {}:", self.manifest)?;
        writeln!(f, "         [dotnet.capabilities]")?;
        let lines: Vec<String> = missing
            .iter()
            .map(|c| format!("         {c} = true"))
            .collect();
        write!(f, "{}", lines.join("\n"))
    }
}

/// Looks every package up, and checks the union against `grant`. Returns what the
/// database declares per lower-case id (for mochi.lock), or every violation.
pub fn audit<'a>(
    db: &CapabilityDb,
    packages: impl IntoIterator<Item = (&'a str, &'a NuGetVersion)>,
    grant: &CapabilityGrant,
    manifest: &str,
) -> Result<BTreeMap<String, Declared>, CapabilityError> {
    let mut declared = BTreeMap::new();
    let mut violations = Vec::new();
    for (id, version) in packages {
        let d = db.lookup(id, version);
        for cap in d.needs() {
            if !grant.allows(cap) {
                violations.push(Violation {
                    id: id.into(),
                    version: version.to_string(),
                    capability: cap,
                    unknown: d == Declared::Unknown,
                });
            }
        }
        declared.insert(id.to_ascii_lowercase(), d);
    }
    if violations.is_empty() {
        Ok(declared)
    } else {
        violations.sort_by(|a, b| {
            (a.id.to_ascii_lowercase(), a.capability)
                .cmp(&(b.id.to_ascii_lowercase(), b.capability))
        });
        Err(CapabilityError {
            manifest: manifest.into(),
            violations,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> NuGetVersion {
        s.parse().unwrap()
    }

    #[test]
    fn builtin_database_parses() {
        let db = CapabilityDb::builtin();
        assert!(db.revision >= 1);
        assert_eq!(
            db.lookup("newtonsoft.json", &v("13.0.3")),
            Declared::Known(BTreeSet::new())
        );
        assert_eq!(
            db.lookup("Microsoft.Extensions.Http", &v("8.0.0")),
            Declared::Known([Capability::Net].into())
        );
        assert_eq!(
            db.lookup("Mochi.Test.Net", &v("1.5.0")),
            Declared::Known(BTreeSet::new())
        );
        assert_eq!(
            db.lookup("Mochi.Test.Net", &v("2.0.0-rc.1")),
            Declared::Known([Capability::Net].into())
        );
        assert_eq!(db.lookup("No.Such.Package", &v("1.0.0")), Declared::Unknown);
    }

    #[test]
    fn audit_names_package_capability_and_fix() {
        let db = CapabilityDb::builtin();
        let pkgs = [
            ("Newtonsoft.Json".to_string(), v("13.0.3")),
            ("Mochi.Test.Net".to_string(), v("2.1.0")),
            ("Some.Unknown".to_string(), v("1.0.0")),
        ];
        let grant = CapabilityGrant {
            net: false,
            fs: false,
        };
        let e = audit(
            db,
            pkgs.iter().map(|(a, b)| (a.as_str(), b)),
            &grant,
            "mochi.toml",
        )
        .unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("Mochi.Test.Net 2.1.0 needs `net`\n"), "{msg}");
        assert!(
            msg.contains(
                "Some.Unknown 1.0.0 needs `fs` and `net` (it is not in the capability database"
            ),
            "{msg}"
        );
        assert!(
            msg.contains("mochi-dotnet lock --accept-capability=fs --accept-capability=net"),
            "{msg}"
        );
        assert!(
            msg.contains("[dotnet.capabilities]\n         fs = true\n         net = true"),
            "{msg}"
        );
        let grant = CapabilityGrant {
            net: true,
            fs: true,
        };
        let ok = audit(
            db,
            pkgs.iter().map(|(a, b)| (a.as_str(), b)),
            &grant,
            "mochi.toml",
        )
        .unwrap();
        assert_eq!(ok["some.unknown"], Declared::Unknown);
    }

    #[test]
    fn malformed_database_is_rejected_with_a_line() {
        let e = CapabilityDb::parse(
            "schema = 1\nrevision = 1\n[[package]]\nid = \"A\"\ncapabilities = [\"gpu\"]\n",
        )
        .unwrap_err();
        assert_eq!(e.at.line, 5);
    }
}
