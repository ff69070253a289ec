//! The edits commands make to mochi.toml (cargo's `util/toml_mut`): a dependency
//! line for `add`, `[dotnet.capabilities]` grants for `lock --accept-capability`.
//! Edits go through `toml_edit`, so comments, ordering and formatting of everything
//! else survive byte for byte; the file is rewritten atomically, and only when it
//! changes.

use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table, Value, value};

use crate::manifest::Capability;

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
    #[error("cannot write {}: {source}\n  hint: check that the folder is writable", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
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
    write(path, out.as_bytes())
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
    write(path, out.as_bytes())
}

/// Writes mochi.toml back (atomically, keeping its permissions).
fn write(path: &Path, bytes: &[u8]) -> Result<bool, EditError> {
    fsutil::write_if_changed(path, bytes).map_err(|source| EditError::Write {
        path: path.into(),
        source,
    })
}

/// Puts the bytes of a manifest back as they were (a failed `add`), keeping its
/// permissions.
pub fn restore(path: &Path, original: &[u8]) -> Result<bool, EditError> {
    write(path, original)
}
