//! The Open Packaging Conventions parts of a `.nupkg`: `[Content_Types].xml`,
//! `_rels/.rels` and the core properties part, as NuGet writes them but with names and
//! relationship ids derived from content instead of random GUIDs.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use crate::nuspec::Nuspec;
use crate::xml::{self, Element, empty_element, text_element};

pub const CONTENT_TYPES: &str = "[Content_Types].xml";
pub const RELS: &str = "_rels/.rels";
pub const CORE_PROPERTIES_DIR: &str = "package/services/metadata/core-properties/";
pub const MANIFEST_REL: &str = "http://schemas.microsoft.com/packaging/2010/07/manifest";
pub const CORE_PROPERTIES_REL: &str =
    "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties";
const RELS_TYPE: &str = "application/vnd.openxmlformats-package.relationships+xml";
const CORE_TYPE: &str = "application/vnd.openxmlformats-package.core-properties+xml";
/// NuGet's content type for every other part.
const DEFAULT_TYPE: &str = "application/octet";

fn short_hash(s: &[u8]) -> String {
    hex::encode(&Sha256::digest(s)[..16])
}

/// `package/services/metadata/core-properties/<hash>.psmdcp`, the hash of the nuspec.
pub fn core_properties_name(nuspec_xml: &[u8]) -> String {
    format!("{CORE_PROPERTIES_DIR}{}.psmdcp", short_hash(nuspec_xml))
}

/// The core properties part.
pub fn core_properties(n: &Nuspec) -> Vec<u8> {
    let mut root = empty_element(
        "coreProperties",
        &[
            ("xmlns:dc", "http://purl.org/dc/elements/1.1/"),
            ("xmlns:dcterms", "http://purl.org/dc/terms/"),
            ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
            (
                "xmlns",
                "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
            ),
        ],
    );
    root.children.push(text_element("dc:creator", &n.authors));
    root.children
        .push(text_element("dc:description", &n.description));
    root.children.push(text_element("dc:identifier", &n.id));
    root.children.push(text_element("version", &n.version));
    if let Some(t) = &n.tags {
        root.children.push(text_element("keywords", t));
    }
    root.children
        .push(text_element("lastModifiedBy", "mochi-dotnet publish"));
    xml::write(&root)
}

/// `_rels/.rels`: the nuspec and the core properties.
pub fn relationships(nuspec_name: &str, core_name: &str) -> Vec<u8> {
    let mut root = empty_element(
        "Relationships",
        &[(
            "xmlns",
            "http://schemas.openxmlformats.org/package/2006/relationships",
        )],
    );
    for (ty, target) in [
        (MANIFEST_REL, format!("/{nuspec_name}")),
        (CORE_PROPERTIES_REL, format!("/{core_name}")),
    ] {
        let id = format!(
            "R{}",
            &short_hash(target.as_bytes())[..16].to_ascii_uppercase()
        );
        root.children.push(empty_element(
            "Relationship",
            &[("Type", ty), ("Target", &target), ("Id", &id)],
        ));
    }
    xml::write(&root)
}

fn extension(part: &str) -> Option<&str> {
    let file = part.rsplit('/').next().unwrap_or(part);
    file.rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| !e.is_empty())
}

/// `[Content_Types].xml` for these part names (the content types part excluded).
pub fn content_types<'a>(parts: impl IntoIterator<Item = &'a str>) -> Vec<u8> {
    let mut defaults: BTreeMap<String, &str> = BTreeMap::new();
    let mut overrides: Vec<String> = Vec::new();
    for p in parts {
        match extension(p) {
            Some(e) => {
                let e = e.to_ascii_lowercase();
                let ty = match e.as_str() {
                    "rels" => RELS_TYPE,
                    "psmdcp" => CORE_TYPE,
                    _ => DEFAULT_TYPE,
                };
                defaults.insert(e, ty);
            }
            None => overrides.push(format!("/{p}")),
        }
    }
    overrides.sort();
    let mut root = empty_element(
        "Types",
        &[(
            "xmlns",
            "http://schemas.openxmlformats.org/package/2006/content-types",
        )],
    );
    for (e, ty) in &defaults {
        root.children.push(empty_element(
            "Default",
            &[("Extension", e), ("ContentType", ty)],
        ));
    }
    for o in &overrides {
        root.children.push(empty_element(
            "Override",
            &[("PartName", o), ("ContentType", DEFAULT_TYPE)],
        ));
    }
    xml::write(&root)
}

/// Problems of the content types part for the package's parts.
pub fn check_content_types(text: &str, parts: &[&str]) -> Vec<String> {
    let root = match xml::parse(text) {
        Ok(r) => r,
        Err(e) => return vec![format!("{CONTENT_TYPES}: {e}")],
    };
    let defaults: Vec<String> = root
        .children_named("Default")
        .filter_map(|d| d.attr("Extension"))
        .map(|e| e.to_ascii_lowercase())
        .collect();
    let overrides: Vec<&str> = root
        .children_named("Override")
        .filter_map(|d| d.attr("PartName"))
        .collect();
    let mut problems = Vec::new();
    for p in parts {
        let covered = match extension(p) {
            Some(e) => defaults.contains(&e.to_ascii_lowercase()),
            None => overrides.contains(&format!("/{p}").as_str()),
        };
        if !covered {
            problems.push(format!("{CONTENT_TYPES} gives no content type for {p}"));
        }
    }
    problems
}

/// `(Type, Target)` pairs of `_rels/.rels`.
pub fn parse_relationships(text: &str) -> Result<Vec<(String, String)>, String> {
    let root: Element = xml::parse(text)?;
    Ok(root
        .children_named("Relationship")
        .map(|r| {
            (
                r.attr("Type").unwrap_or("").to_string(),
                r.attr("Target").unwrap_or("").to_string(),
            )
        })
        .collect())
}
