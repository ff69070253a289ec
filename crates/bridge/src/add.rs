//! `mochi-dotnet add <Id>[@<range>]` and the other edits the CLI makes to mochi.toml
//! (`lock --accept-capability`). Edits go through `toml_edit`, so comments, ordering
//! and formatting of everything else survive byte for byte.

// Errors here carry whole dependency paths and advice; they are built once, on the
// failure path, so their size does not matter.
#![allow(clippy::result_large_err)]

use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table, Value, value};

use crate::lock::{AssemblyHasher, LockError, LockOptions, LockOutcome, PackageFetcher};
use crate::manifest::{Capability, valid_package_id};
use crate::resolver::PackageIndex;
use crate::version::{NuGetVersion, VersionRange};

/// Why mochi.toml could not be edited.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("cannot read {}: {source}\n  hint: run the command in the folder that holds mochi.toml", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot edit {}: it is not valid TOML ({message})\n  hint: fix the file first; `mochi-dotnet lock` points at the line", path.display())]
    Parse { path: PathBuf, message: String },
    #[error("cannot edit {}: {message}", path.display())]
    Shape { path: PathBuf, message: String },
    #[error(transparent)]
    Write(#[from] crate::lockfile::LockfileError),
    #[error(
        "`{spec}` is not a package to add: {message}\n  hint: write `mochi-dotnet add Newtonsoft.Json` or `mochi-dotnet add Newtonsoft.Json@^13.0`"
    )]
    Spec { spec: String, message: String },
}

/// Why `add` failed.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error(transparent)]
    Edit(#[from] EditError),
    #[error("cannot find the versions of {id}: {source}")]
    Versions {
        id: String,
        #[source]
        source: crate::resolver::SourceError,
    },
    #[error(
        "{id} has no versions on any source\n  hint: check the id and the sources in NuGet.config"
    )]
    NoVersions { id: String },
    #[error(transparent)]
    Setup(LockError),
    #[error("{source}\n  note: mochi.toml was restored; `{id}` was not added")]
    Lock {
        id: String,
        #[source]
        source: LockError,
    },
}

/// Splits `Id[@range]`, validating both parts.
pub fn parse_spec(spec: &str) -> Result<(String, Option<VersionRange>), EditError> {
    let bad = |message: String| EditError::Spec {
        spec: spec.into(),
        message,
    };
    let (id, range) = match spec.split_once('@') {
        Some((i, r)) => (i.trim(), Some(r.trim())),
        None => (spec.trim(), None),
    };
    if !valid_package_id(id) {
        return Err(bad(format!("`{id}` is not a NuGet package id")));
    }
    let range = range
        .map(|r| VersionRange::parse(r).map_err(|e| bad(e.to_string())))
        .transpose()?;
    Ok((id.to_string(), range))
}

fn read_doc(path: &Path) -> Result<(String, DocumentMut), EditError> {
    let text = std::fs::read_to_string(path).map_err(|source| EditError::Read {
        path: path.into(),
        source,
    })?;
    let doc = text.parse::<DocumentMut>().map_err(|e| EditError::Parse {
        path: path.into(),
        message: e.message().trim().to_string(),
    })?;
    Ok((text, doc))
}

fn table_mut<'a>(
    parent: &'a mut Table,
    key: &str,
    path: &Path,
    name: &str,
) -> Result<&'a mut Table, EditError> {
    let item = parent.entry(key).or_insert_with(|| {
        let mut t = Table::new();
        t.set_implicit(key == "dotnet");
        Item::Table(t)
    });
    item.as_table_mut().ok_or_else(|| EditError::Shape {
        path: path.into(),
        message: format!("`{name}` is not a table"),
    })
}

/// Sets `[dotnet.capabilities] <cap> = true` for each capability. Returns whether the
/// file changed.
pub fn grant_capabilities(path: &Path, caps: &[Capability]) -> Result<bool, EditError> {
    let (text, mut doc) = read_doc(path)?;
    let dotnet = table_mut(doc.as_table_mut(), "dotnet", path, "dotnet")?;
    let c = table_mut(dotnet, "capabilities", path, "dotnet.capabilities")?;
    c.set_implicit(false);
    for cap in caps {
        let already = c.get(cap.name()).and_then(Item::as_bool) == Some(true);
        if already {
            continue;
        }
        match c.get_mut(cap.name()).and_then(Item::as_value_mut) {
            // Keep the line's comment and spacing: `net = false # why` → `net = true # why`.
            Some(v) => {
                let decor = v.decor().clone();
                *v = Value::from(true);
                *v.decor_mut() = decor;
            }
            None => {
                c.insert(cap.name(), value(true));
            }
        }
    }
    let out = doc.to_string();
    if out == text {
        return Ok(false);
    }
    Ok(crate::lockfile::write_if_changed(path, out.as_bytes())?)
}

/// Finds an existing entry for `id`, quoted (`"A.B" = ...`) or dotted (`A.B = ...`),
/// ignoring case, and returns the path of keys to it.
fn find_entry(deps: &Table, id: &str) -> Option<Vec<String>> {
    for (k, _) in deps.iter() {
        if k.eq_ignore_ascii_case(id) {
            return Some(vec![k.to_string()]);
        }
    }
    // Dotted form: walk segment by segment.
    let segments: Vec<&str> = id.split('.').collect();
    let mut keys = Vec::new();
    let mut cur: &dyn toml_edit::TableLike = deps;
    for (i, seg) in segments.iter().enumerate() {
        let (k, item) = cur.iter().find(|(k, _)| k.eq_ignore_ascii_case(seg))?;
        keys.push(k.to_string());
        if i + 1 == segments.len() {
            return Some(keys);
        }
        let next = match item {
            Item::Table(t) if t.is_dotted() || t.is_implicit() => t as &dyn toml_edit::TableLike,
            Item::Value(Value::InlineTable(t)) if t.is_dotted() => t as &dyn toml_edit::TableLike,
            _ => return None,
        };
        cur = next;
    }
    None
}

/// Writes `id = "range"` into `[dotnet-dependencies]`, replacing an existing entry's
/// version (a table entry keeps its other keys). Returns whether the file changed.
pub fn set_dependency(path: &Path, id: &str, range: &str) -> Result<bool, EditError> {
    let (text, mut doc) = read_doc(path)?;
    let deps = table_mut(
        doc.as_table_mut(),
        "dotnet-dependencies",
        path,
        "dotnet-dependencies",
    )?;
    match find_entry(deps, id) {
        Some(keys) => {
            let mut item: &mut Item = deps.get_mut(&keys[0]).expect("found");
            for k in &keys[1..] {
                item = item
                    .as_table_like_mut()
                    .and_then(|t| t.get_mut(k))
                    .expect("found");
            }
            match item {
                Item::Value(Value::InlineTable(t)) => {
                    t.insert("version", range.into());
                }
                Item::Table(t) => {
                    t.insert("version", value(range));
                }
                other => {
                    // Keep the entry's trailing comment.
                    let decor = other.as_value().map(|v| v.decor().clone());
                    let mut v = Value::from(range);
                    if let Some(d) = decor {
                        *v.decor_mut() = d;
                    }
                    *other = Item::Value(v);
                }
            }
        }
        None => {
            deps.insert(id, value(range));
        }
    }
    let out = doc.to_string();
    if out == text {
        return Ok(false);
    }
    Ok(crate::lockfile::write_if_changed(path, out.as_bytes())?)
}

/// The range `add` writes when none is given: `^<newest stable>`, or the newest
/// prerelease as a minimum when there is no stable version.
pub fn default_range(versions: &[String]) -> Option<String> {
    let mut parsed: Vec<NuGetVersion> = versions
        .iter()
        .filter_map(|v| NuGetVersion::parse(v).ok())
        .collect();
    parsed.sort();
    if let Some(v) = parsed.iter().rev().find(|v| !v.is_prerelease()) {
        return Some(format!("^{v}"));
    }
    parsed.last().map(|v| v.to_string())
}

/// `mochi-dotnet add`: edits mochi.toml, then locks; restores mochi.toml if the lock
/// fails, so a failed add leaves the project as it was.
pub fn run<R>(
    manifest_path: &Path,
    spec: &str,
    registry: &R,
    hasher: &dyn AssemblyHasher,
    options: &LockOptions,
) -> Result<(String, String, LockOutcome), AddError>
where
    R: PackageIndex + PackageFetcher,
{
    let (id, range) = parse_spec(spec)?;
    let range_text = match range {
        Some(r) => r.original().to_string(),
        None => {
            let versions = registry
                .list_versions(&id)
                .map_err(|source| AddError::Versions {
                    id: id.clone(),
                    source,
                })?;
            default_range(&versions).ok_or_else(|| AddError::NoVersions { id: id.clone() })?
        }
    };
    let original = std::fs::read(manifest_path).map_err(|source| EditError::Read {
        path: manifest_path.into(),
        source,
    })?;
    set_dependency(manifest_path, &id, &range_text)?;
    match crate::lock::run(manifest_path, registry, hasher, options) {
        Ok(outcome) => Ok((id, range_text, outcome)),
        Err(source) => {
            let _ = crate::lockfile::write_if_changed(manifest_path, &original);
            Err(AddError::Lock { id, source })
        }
    }
}

/// `mochi-dotnet add` from the command line, over the NuGet client.
pub fn run_with_nuget(
    manifest_path: &Path,
    spec: &str,
    offline: bool,
    options: &LockOptions,
) -> Result<(String, String, LockOutcome), AddError> {
    let manifest =
        crate::manifest::Manifest::load(manifest_path).map_err(|e| AddError::Setup(e.into()))?;
    let client =
        crate::lock::open_client(&manifest, offline, options.quiet).map_err(AddError::Setup)?;
    run(
        manifest_path,
        spec,
        &client,
        &crate::lock::Ecma335Hasher,
        options,
    )
}
