//! `mochi.lock`: the resolved .NET packages, with the hashes `lock --check` verifies.
//!
//! The text is canonical: a fixed header, `version = 1`, then one `[[dotnet-package]]`
//! table per package sorted by lower-case id, keys in a fixed order, LF line ends and
//! one trailing newline. The same graph always gives the same bytes, and the file is
//! rewritten only when those bytes change.

mod deserialize;
mod serialize;

use std::path::{Path, PathBuf};

use crate::location::Location;

/// The conventional lockfile name.
pub const LOCK_FILE: &str = "mochi.lock";

/// The lockfile format version written by this bridge.
pub const FORMAT_VERSION: i64 = 1;

/// One `[[dotnet-package]]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LockedPackage {
    pub id: String,
    /// NuGet's normalised version.
    pub version: String,
    /// The source the package came from (service index URL or feed folder).
    pub source: String,
    /// Lower-case hex SHA-512 of the `.nupkg`.
    pub nupkg_sha512: String,
    /// SHA-256 over the surfaces of the chosen assemblies (see [`crate::lock`]).
    pub metadata_sha256: String,
    /// SHA-256 of the generated shim, once shims exist.
    pub shim_sha256: Option<String>,
    /// Capabilities the capability database declares for this package.
    pub capabilities_declared: Vec<String>,
    /// The framework the package was resolved for (`[dotnet] framework` or the
    /// dependency's own `framework`).
    pub target_framework: String,
    /// The nearest `lib/`/`ref/` folder actually used, `none` when the package ships
    /// no assemblies.
    pub assets_framework: String,
    /// Resolved dependencies as `"Id Version"`, sorted by lower-case id.
    pub dependencies: Vec<String>,
}

/// The whole lockfile.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lockfile {
    pub packages: Vec<LockedPackage>,
}

/// Why a lockfile could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LockfileError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}\n  hint: check that the folder is writable", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{at}: {message}\n  hint: mochi.lock is generated; delete it and run `mochi-dotnet lock` to write it again", path.display())]
    Invalid {
        path: PathBuf,
        at: Location,
        message: String,
    },
}

/// One difference between a recorded lockfile and a recomputed one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// A package the graph needs is not in mochi.lock.
    Missing { id: String, version: String },
    /// mochi.lock holds a package the graph no longer needs.
    Extra { id: String, version: String },
    /// A field differs.
    Field {
        id: String,
        field: &'static str,
        recorded: String,
        actual: String,
    },
}

impl std::fmt::Display for Drift {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Drift::Missing { id, version } => {
                write!(f, "{id} {version}: needed but not in mochi.lock")
            }
            Drift::Extra { id, version } => {
                write!(f, "{id} {version}: in mochi.lock but no longer needed")
            }
            Drift::Field {
                id,
                field,
                recorded,
                actual,
            } => write!(
                f,
                "{id}: `{field}` is recorded as {recorded} but is now {actual}"
            ),
        }
    }
}

impl Lockfile {
    /// Sorts packages and their lists so rendering is canonical.
    pub fn canonicalize(&mut self) {
        self.packages.sort_by(|a, b| {
            (a.id.to_ascii_lowercase(), &a.version).cmp(&(b.id.to_ascii_lowercase(), &b.version))
        });
        for p in &mut self.packages {
            p.capabilities_declared.sort();
            p.capabilities_declared.dedup();
            p.dependencies.sort_by_key(|d| d.to_ascii_lowercase());
        }
    }

    /// The canonical text (see the module docs): what [`Lockfile::write`] writes.
    pub fn render(&self) -> String {
        serialize::render(self)
    }

    pub fn load(path: &Path) -> Result<Lockfile, LockfileError> {
        let text = std::fs::read_to_string(path).map_err(|source| LockfileError::Read {
            path: path.into(),
            source,
        })?;
        Lockfile::parse(&text, path)
    }

    /// Reads a lockfile strictly: unknown keys, missing fields, a different format
    /// version and a package listed twice are errors with a line.
    pub fn parse(text: &str, path: &Path) -> Result<Lockfile, LockfileError> {
        deserialize::parse(text, path)
    }

    /// Writes the canonical text to `path` unless the file already holds exactly
    /// it (atomically: a concurrent reader or a second `lock` never sees half a
    /// file). Returns whether the file changed.
    pub fn write(&self, path: &Path) -> Result<bool, LockfileError> {
        fsutil::write_if_changed(path, self.render().as_bytes()).map_err(|source| {
            LockfileError::Write {
                path: path.into(),
                source,
            }
        })
    }

    /// The package with this id (case-insensitive).
    pub fn get(&self, id: &str) -> Option<&LockedPackage> {
        self.packages.iter().find(|p| p.id.eq_ignore_ascii_case(id))
    }

    /// Every difference from `self` (recorded) to `actual` (recomputed), in package
    /// order. `source` is not compared: it says where bytes came from, and the hash
    /// says what they are.
    pub fn drift(&self, actual: &Lockfile) -> Vec<Drift> {
        let mut out = Vec::new();
        let mut recorded = self.clone();
        recorded.canonicalize();
        let mut actual = actual.clone();
        actual.canonicalize();
        for a in &actual.packages {
            let Some(r) = recorded.get(&a.id) else {
                out.push(Drift::Missing {
                    id: a.id.clone(),
                    version: a.version.clone(),
                });
                continue;
            };
            let mut field = |name: &'static str, rv: String, av: String| {
                if rv != av {
                    out.push(Drift::Field {
                        id: a.id.clone(),
                        field: name,
                        recorded: rv,
                        actual: av,
                    });
                }
            };
            let list = |l: &[String]| format!("[{}]", l.join(", "));
            field("version", r.version.clone(), a.version.clone());
            field(
                "nupkg-sha512",
                r.nupkg_sha512.clone(),
                a.nupkg_sha512.clone(),
            );
            field(
                "metadata-sha256",
                r.metadata_sha256.clone(),
                a.metadata_sha256.clone(),
            );
            field(
                "shim-sha256",
                r.shim_sha256.clone().unwrap_or_else(|| "none".into()),
                a.shim_sha256.clone().unwrap_or_else(|| "none".into()),
            );
            field(
                "capabilities-declared",
                list(&r.capabilities_declared),
                list(&a.capabilities_declared),
            );
            field(
                "target-framework",
                r.target_framework.clone(),
                a.target_framework.clone(),
            );
            field(
                "assets-framework",
                r.assets_framework.clone(),
                a.assets_framework.clone(),
            );
            field("dependencies", list(&r.dependencies), list(&a.dependencies));
        }
        for r in &recorded.packages {
            if actual.get(&r.id).is_none() {
                out.push(Drift::Extra {
                    id: r.id.clone(),
                    version: r.version.clone(),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Lockfile {
        Lockfile {
            packages: vec![
                LockedPackage {
                    id: "Zeta".into(),
                    version: "1.0.0".into(),
                    source: "https://example.invalid/v3/index.json".into(),
                    nupkg_sha512: "ab".repeat(64),
                    metadata_sha256: "cd".repeat(32),
                    shim_sha256: None,
                    capabilities_declared: vec!["net".into(), "fs".into()],
                    target_framework: "net8.0".into(),
                    assets_framework: "netstandard2.0".into(),
                    dependencies: vec![
                        "beta 2.0.0".into(),
                        "Alpha 1.0.0".into(),
                        "Gamma 3.0.0".into(),
                    ],
                },
                LockedPackage {
                    id: "alpha".into(),
                    version: "1.0.0".into(),
                    source: "feed \"quoted\"".into(),
                    shim_sha256: Some("ef".repeat(32)),
                    target_framework: "net8.0".into(),
                    assets_framework: "none".into(),
                    ..Default::default()
                },
            ],
        }
    }

    #[test]
    fn render_is_canonical_and_round_trips() {
        let l = sample();
        let text = l.render();
        assert!(text.ends_with("]\n") && !text.ends_with("\n\n"));
        assert!(!text.contains('\r'));
        let alpha = text.find("id = \"alpha\"").unwrap();
        let zeta = text.find("id = \"Zeta\"").unwrap();
        assert!(alpha < zeta, "sorted by lower-case id");
        assert!(text.contains("capabilities-declared = [\"fs\", \"net\"]"));
        assert!(text.contains(
            "dependencies = [\n    \"Alpha 1.0.0\",\n    \"beta 2.0.0\",\n    \"Gamma 3.0.0\",\n]"
        ));
        let back = Lockfile::parse(&text, Path::new("mochi.lock")).unwrap();
        assert_eq!(back.render(), text);
        let mut shuffled = l.clone();
        shuffled.packages.reverse();
        assert_eq!(shuffled.render(), text, "order of input does not matter");
    }

    #[test]
    fn strict_parse() {
        let text = sample()
            .render()
            .replace("assets-framework", "asset-framework");
        let e = Lockfile::parse(&text, Path::new("mochi.lock")).unwrap_err();
        assert!(
            e.to_string().contains("unknown key `asset-framework`"),
            "{e}"
        );
        let e = Lockfile::parse("version = 2\n", Path::new("mochi.lock")).unwrap_err();
        assert!(e.to_string().contains("format 2"), "{e}");
    }

    #[test]
    fn drift_names_package_and_field() {
        let a = sample();
        let mut b = a.clone();
        b.packages[0].metadata_sha256 = "00".repeat(32);
        b.packages[0].target_framework = "net6.0".into();
        b.packages.remove(1);
        let d = a.drift(&b);
        let text: Vec<String> = d.iter().map(|x| x.to_string()).collect();
        assert_eq!(text.len(), 3, "{text:?}");
        assert!(
            text[0].starts_with("Zeta: `metadata-sha256` is recorded as cdcd"),
            "{text:?}"
        );
        assert!(
            text[1].contains("`target-framework` is recorded as net8.0 but is now net6.0"),
            "{text:?}"
        );
        assert_eq!(text[2], "alpha 1.0.0: in mochi.lock but no longer needed");
    }

    #[test]
    fn write_only_when_changed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("mochi.lock");
        let l = sample();
        assert!(l.write(&p).unwrap());
        let m1 = std::fs::metadata(&p).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(!l.write(&p).unwrap());
        assert_eq!(std::fs::metadata(&p).unwrap().modified().unwrap(), m1);
        assert_eq!(std::fs::read_to_string(&p).unwrap(), l.render());
    }

    #[test]
    fn errors_point_at_the_line() {
        let text = sample().render();
        let bad = text.replacen(
            "assets-framework = \"none\"",
            "asset-framework = \"none\"",
            1,
        );
        let e = Lockfile::parse(&bad, Path::new("mochi.lock")).unwrap_err();
        let line = bad
            .lines()
            .position(|l| l.starts_with("asset-framework"))
            .unwrap()
            + 1;
        assert!(
            e.to_string()
                .starts_with(&format!("mochi.lock:{line}:1: unknown key")),
            "{e}"
        );
        let missing = text.replacen("source = \"feed \\\"quoted\\\"\"\n", "", 1);
        let e = Lockfile::parse(&missing, Path::new("mochi.lock")).unwrap_err();
        assert!(
            e.to_string()
                .contains("a [[dotnet-package]] has no `source`"),
            "{e}"
        );
        let e = Lockfile::parse("id = 1\n", Path::new("mochi.lock")).unwrap_err();
        assert!(e.to_string().contains("unknown key `id`"), "{e}");
        let e = Lockfile::parse("[[dotnet-package]\n", Path::new("mochi.lock")).unwrap_err();
        assert!(e.to_string().contains("invalid TOML"), "{e}");
    }
}
