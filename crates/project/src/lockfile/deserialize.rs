//! The reader of mochi.lock: typed wire structs through serde (`toml`), then the
//! checks serde cannot express (the format version, required keys, one entry per
//! case-insensitive id), each error pointing at a line of the file.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::serialize::KEYS;
use super::{FORMAT_VERSION, LockedPackage, Lockfile, LockfileError};
use crate::location::Location;

/// The file as written: every key optional here, so a missing one is reported
/// by name; unknown keys land in `unknown`.
#[derive(Deserialize)]
struct WireLockfile {
    version: Option<Spanned<i64>>,
    #[serde(rename = "dotnet-package", default)]
    packages: Vec<Spanned<WirePackage>>,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct WirePackage {
    id: Option<String>,
    version: Option<String>,
    source: Option<String>,
    nupkg_sha512: Option<String>,
    metadata_sha256: Option<String>,
    shim_sha256: Option<String>,
    capabilities_declared: Option<Vec<String>>,
    target_framework: Option<String>,
    assets_framework: Option<String>,
    dependencies: Option<Vec<String>>,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

pub(super) fn parse(text: &str, path: &Path) -> Result<Lockfile, LockfileError> {
    let err = |span: Option<Range<usize>>, message: String| LockfileError::Invalid {
        path: path.into(),
        at: Location::of(text, span.map_or(0, |s| s.start)),
        message,
    };
    let wire: WireLockfile = toml::from_str(text).map_err(|e| {
        let message = e.message().trim();
        let message =
            if message.starts_with("invalid type") || message.starts_with("invalid length") {
                message.to_string()
            } else {
                format!("invalid TOML: {message}")
            };
        err(e.span(), message)
    })?;
    if let Some(k) = wire.unknown.keys().next() {
        return Err(err(
            key_span(text, 0..text.len(), k),
            format!("unknown key `{k}`"),
        ));
    }
    match &wire.version {
        Some(v) if *v.get_ref() == FORMAT_VERSION => {}
        Some(v) => {
            return Err(err(
                Some(v.span()),
                format!(
                    "lockfile format {} is not supported (this bridge writes {FORMAT_VERSION})",
                    v.get_ref()
                ),
            ));
        }
        None => return Err(err(None, "`version = 1` is missing".into())),
    }
    let mut packages: Vec<LockedPackage> = Vec::new();
    for spanned in wire.packages {
        let span = spanned.span();
        let w = spanned.into_inner();
        if let Some(k) = w.unknown.keys().next() {
            // The table runs from its header to the next header (the span of an
            // array-of-tables element may cover the header only).
            let end = text[span.end.min(text.len())..]
                .find("\n[")
                .map_or(text.len(), |i| span.end + i);
            return Err(err(
                key_span(text, span.start..end, k).or(Some(span)),
                format!("unknown key `{k}` in [[dotnet-package]]"),
            ));
        }
        let present = |key: &str| match key {
            "id" => w.id.is_some(),
            "version" => w.version.is_some(),
            "source" => w.source.is_some(),
            "nupkg-sha512" => w.nupkg_sha512.is_some(),
            "metadata-sha256" => w.metadata_sha256.is_some(),
            "shim-sha256" => true,
            "capabilities-declared" => w.capabilities_declared.is_some(),
            "target-framework" => w.target_framework.is_some(),
            "assets-framework" => w.assets_framework.is_some(),
            "dependencies" => w.dependencies.is_some(),
            _ => unreachable!("KEYS lists the wire fields"),
        };
        if let Some(required) = KEYS.iter().find(|k| !present(k)) {
            return Err(err(
                Some(span),
                format!("a [[dotnet-package]] has no `{required}`"),
            ));
        }
        let p = LockedPackage {
            id: w.id.unwrap_or_default(),
            version: w.version.unwrap_or_default(),
            source: w.source.unwrap_or_default(),
            nupkg_sha512: w.nupkg_sha512.unwrap_or_default(),
            metadata_sha256: w.metadata_sha256.unwrap_or_default(),
            shim_sha256: w.shim_sha256,
            capabilities_declared: w.capabilities_declared.unwrap_or_default(),
            target_framework: w.target_framework.unwrap_or_default(),
            assets_framework: w.assets_framework.unwrap_or_default(),
            dependencies: w.dependencies.unwrap_or_default(),
        };
        // NuGet ids are case-insensitive: `B` and `b` are one package.
        if let Some(first) = packages.iter().find(|q| q.id.eq_ignore_ascii_case(&p.id)) {
            return Err(err(
                Some(span),
                format!(
                    "package `{}` is listed twice (also as `{}`; ids are case-insensitive); \
                     delete mochi.lock and run `mochi-dotnet lock`",
                    p.id, first.id
                ),
            ));
        }
        packages.push(p);
    }
    Ok(Lockfile { packages })
}

/// Where `key` is written (at the start of a line) inside `within`; serde does
/// not keep the spans of keys it does not know.
fn key_span(text: &str, within: Range<usize>, key: &str) -> Option<Range<usize>> {
    let start = within.start.min(text.len());
    let end = within.end.min(text.len());
    let region = text.get(start..end)?;
    let mut offset = 0;
    for line in region.split_inclusive('\n') {
        let t = line.trim_start();
        let rest = t
            .strip_prefix(key)
            .or_else(|| t.strip_prefix(&format!("\"{key}\"")));
        if rest.is_some_and(|r| r.trim_start().starts_with('=')) {
            let at = start + offset + (line.len() - t.len());
            return Some(at..at + key.len());
        }
        offset += line.len();
    }
    None
}
