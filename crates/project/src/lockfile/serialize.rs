//! The canonical writer of mochi.lock: the one place that turns a [`Lockfile`] into
//! bytes. Canonical means: the fixed header, `version = 1`, then one
//! `[[dotnet-package]]` table per package sorted by lower-case id, keys in the
//! order of [`KEYS`], strings always as TOML basic strings (`"…"`, escapes for `"`,
//! `\` and control characters), arrays of up to two strings on one line and longer
//! ones one string a line, LF line ends and one trailing newline. The same graph
//! always gives the same bytes (docs/lock.md, "The lockfile").

use std::fmt::Write as _;

use super::{FORMAT_VERSION, LockedPackage, Lockfile};

/// The first lines of every mochi.lock.
pub(super) const HEADER: &str = "# mochi.lock: written by `mochi-dotnet lock`; do not edit by hand.\n\
# `mochi-dotnet lock --check` recomputes every hash below.\n";

/// The keys of a `[[dotnet-package]]`, in the order they are written; every one
/// but `shim-sha256` is always present.
pub(super) const KEYS: [&str; 10] = [
    "id",
    "version",
    "source",
    "nupkg-sha512",
    "metadata-sha256",
    "shim-sha256",
    "capabilities-declared",
    "target-framework",
    "assets-framework",
    "dependencies",
];

/// A value as the writer renders it.
enum Field<'a> {
    Str(&'a str),
    List(&'a [String]),
}

/// The value of `key` in a package (`None`: the key is left out).
fn field<'a>(p: &'a LockedPackage, key: &str) -> Option<Field<'a>> {
    Some(match key {
        "id" => Field::Str(&p.id),
        "version" => Field::Str(&p.version),
        "source" => Field::Str(&p.source),
        "nupkg-sha512" => Field::Str(&p.nupkg_sha512),
        "metadata-sha256" => Field::Str(&p.metadata_sha256),
        "shim-sha256" => Field::Str(p.shim_sha256.as_deref()?),
        "capabilities-declared" => Field::List(&p.capabilities_declared),
        "target-framework" => Field::Str(&p.target_framework),
        "assets-framework" => Field::Str(&p.assets_framework),
        "dependencies" => Field::List(&p.dependencies),
        other => unreachable!("`{other}` is not a [[dotnet-package]] key"),
    })
}

/// The canonical text of `lockfile` (sorted first; the input order does not matter).
pub(super) fn render(lockfile: &Lockfile) -> String {
    let mut me = lockfile.clone();
    me.canonicalize();
    let mut s = String::from(HEADER);
    let _ = writeln!(s, "version = {FORMAT_VERSION}");
    for p in &me.packages {
        s.push_str("\n[[dotnet-package]]\n");
        for key in KEYS {
            match field(p, key) {
                None => {}
                Some(Field::Str(v)) => {
                    let _ = writeln!(s, "{key} = {}", basic_string(v));
                }
                Some(Field::List(v)) => {
                    let _ = writeln!(s, "{key} = {}", string_array(v));
                }
            }
        }
    }
    s
}

/// A TOML basic string.
fn basic_string(s: &str) -> String {
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

/// A TOML array of basic strings: inline up to two items, else one a line.
fn string_array(items: &[String]) -> String {
    if items.is_empty() {
        return "[]".into();
    }
    if items.len() <= 2 {
        let q: Vec<String> = items.iter().map(|s| basic_string(s)).collect();
        return format!("[{}]", q.join(", "));
    }
    let mut s = String::from("[\n");
    for i in items {
        let _ = writeln!(s, "    {},", basic_string(i));
    }
    s.push(']');
    s
}
