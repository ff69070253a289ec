//! `mochi.lock`: the resolved .NET packages, with the hashes `lock --check` verifies.
//!
//! The text is canonical: a fixed header, `version = 1`, then one `[[dotnet-package]]`
//! table per package sorted by lower-case id, keys in a fixed order, LF line ends and
//! one trailing newline. The same graph always gives the same bytes, and the file is
//! rewritten only when those bytes change.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use toml_edit::{Document, Item, Value};

use crate::manifest::Location;

/// The conventional lockfile name.
pub const LOCK_FILE: &str = "mochi.lock";

/// The lockfile format version written by this bridge.
pub const FORMAT_VERSION: i64 = 1;

const HEADER: &str = "# mochi.lock: written by `mochi-dotnet lock`; do not edit by hand.\n\
# `mochi-dotnet lock --check` recomputes every hash below.\n";

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

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn quote_list(items: &[String]) -> String {
    if items.is_empty() {
        return "[]".into();
    }
    if items.len() <= 2 {
        let q: Vec<String> = items.iter().map(|s| quote(s)).collect();
        return format!("[{}]", q.join(", "));
    }
    let mut s = String::from("[\n");
    for i in items {
        let _ = writeln!(s, "    {},", quote(i));
    }
    s.push(']');
    s
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

    /// The canonical text.
    pub fn render(&self) -> String {
        let mut me = self.clone();
        me.canonicalize();
        let mut s = String::from(HEADER);
        let _ = writeln!(s, "version = {FORMAT_VERSION}");
        for p in &me.packages {
            s.push_str("\n[[dotnet-package]]\n");
            let _ = writeln!(s, "id = {}", quote(&p.id));
            let _ = writeln!(s, "version = {}", quote(&p.version));
            let _ = writeln!(s, "source = {}", quote(&p.source));
            let _ = writeln!(s, "nupkg-sha512 = {}", quote(&p.nupkg_sha512));
            let _ = writeln!(s, "metadata-sha256 = {}", quote(&p.metadata_sha256));
            if let Some(shim) = &p.shim_sha256 {
                let _ = writeln!(s, "shim-sha256 = {}", quote(shim));
            }
            let _ = writeln!(
                s,
                "capabilities-declared = {}",
                quote_list(&p.capabilities_declared)
            );
            let _ = writeln!(s, "target-framework = {}", quote(&p.target_framework));
            let _ = writeln!(s, "assets-framework = {}", quote(&p.assets_framework));
            let _ = writeln!(s, "dependencies = {}", quote_list(&p.dependencies));
        }
        s
    }

    pub fn load(path: &Path) -> Result<Lockfile, LockfileError> {
        let text = std::fs::read_to_string(path).map_err(|source| LockfileError::Read {
            path: path.into(),
            source,
        })?;
        Lockfile::parse(&text, path)
    }

    /// Reads a lockfile strictly: unknown keys, missing fields and a different format
    /// version are errors with a line.
    pub fn parse(text: &str, path: &Path) -> Result<Lockfile, LockfileError> {
        let err = |span: Option<std::ops::Range<usize>>, message: String| LockfileError::Invalid {
            path: path.into(),
            at: Location::of(text, span.map_or(0, |s| s.start)),
            message,
        };
        let doc = Document::parse(text)
            .map_err(|e| err(e.span(), format!("invalid TOML: {}", e.message().trim())))?;
        let root = doc.as_table();
        for (k, _) in root.iter() {
            if k != "version" && k != "dotnet-package" {
                return Err(err(
                    root.key(k).and_then(|k| k.span()),
                    format!("unknown key `{k}`"),
                ));
            }
        }
        match root.get("version").and_then(Item::as_integer) {
            Some(FORMAT_VERSION) => {}
            Some(v) => {
                return Err(err(
                    root.get("version").and_then(Item::span),
                    format!(
                        "lockfile format {v} is not supported (this bridge writes {FORMAT_VERSION})"
                    ),
                ));
            }
            None => return Err(err(None, "`version = 1` is missing".into())),
        }
        let mut packages = Vec::new();
        if let Some(item) = root.get("dotnet-package") {
            let aot = item.as_array_of_tables().ok_or_else(|| {
                err(
                    item.span(),
                    "`dotnet-package` must be [[dotnet-package]] tables".into(),
                )
            })?;
            for t in aot.iter() {
                let mut p = LockedPackage::default();
                let mut seen = Vec::new();
                for (k, v) in t.iter() {
                    let kspan = t.key(k).and_then(|k| k.span());
                    let string = || -> Result<String, LockfileError> {
                        v.as_str().map(str::to_string).ok_or_else(|| {
                            err(
                                v.span().or(kspan.clone()),
                                format!("`{k}` must be a string"),
                            )
                        })
                    };
                    let list = || -> Result<Vec<String>, LockfileError> {
                        v.as_array()
                            .and_then(|a| {
                                a.iter()
                                    .map(|x| match x {
                                        Value::String(s) => Some(s.value().clone()),
                                        _ => None,
                                    })
                                    .collect::<Option<Vec<_>>>()
                            })
                            .ok_or_else(|| {
                                err(
                                    v.span().or(kspan.clone()),
                                    format!("`{k}` must be an array of strings"),
                                )
                            })
                    };
                    match k {
                        "id" => p.id = string()?,
                        "version" => p.version = string()?,
                        "source" => p.source = string()?,
                        "nupkg-sha512" => p.nupkg_sha512 = string()?,
                        "metadata-sha256" => p.metadata_sha256 = string()?,
                        "shim-sha256" => p.shim_sha256 = Some(string()?),
                        "capabilities-declared" => p.capabilities_declared = list()?,
                        "target-framework" => p.target_framework = string()?,
                        "assets-framework" => p.assets_framework = string()?,
                        "dependencies" => p.dependencies = list()?,
                        _ => {
                            return Err(err(
                                kspan,
                                format!("unknown key `{k}` in [[dotnet-package]]"),
                            ));
                        }
                    }
                    seen.push(k.to_string());
                }
                for required in [
                    "id",
                    "version",
                    "source",
                    "nupkg-sha512",
                    "metadata-sha256",
                    "capabilities-declared",
                    "target-framework",
                    "assets-framework",
                    "dependencies",
                ] {
                    if !seen.iter().any(|s| s == required) {
                        return Err(err(
                            t.span(),
                            format!("a [[dotnet-package]] has no `{required}`"),
                        ));
                    }
                }
                // NuGet ids are case-insensitive: `B` and `b` are one package.
                if let Some(first) = packages
                    .iter()
                    .find(|q: &&LockedPackage| q.id.eq_ignore_ascii_case(&p.id))
                {
                    return Err(err(
                        t.span(),
                        format!(
                            "package `{}` is listed twice (also as `{}`; ids are case-insensitive); \
                             delete mochi.lock and run `mochi-dotnet lock`",
                            p.id, first.id
                        ),
                    ));
                }
                packages.push(p);
            }
        }
        Ok(Lockfile { packages })
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

/// Writes `bytes` to `path` unless the file already holds exactly them. The write is
/// atomic (temporary file in the same folder, fsync, rename), so a concurrent reader
/// or a second `lock` never sees half a file. Returns whether the file changed.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<bool, LockfileError> {
    crate::fsutil::write_if_changed(path, bytes).map_err(|source| LockfileError::Write {
        path: path.into(),
        source,
    })
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
        assert!(write_if_changed(&p, b"a\n").unwrap());
        let m1 = std::fs::metadata(&p).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(!write_if_changed(&p, b"a\n").unwrap());
        assert_eq!(std::fs::metadata(&p).unwrap().modified().unwrap(), m1);
        assert!(write_if_changed(&p, b"b\n").unwrap());
        assert_eq!(std::fs::read(&p).unwrap(), b"b\n");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp file left"
        );
    }
}
