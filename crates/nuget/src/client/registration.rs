//! Registration metadata: dependency groups and advertised package hashes.

use super::error::NuGetError;
use crate::hash::base64_sha512_to_hex;
use crate::nupkg::RawDependencyGroup;
use crate::version::same_version;

/// What a registration leaf says about one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationLeaf {
    pub version: String,
    /// `None` when the entry has no `dependencyGroups` key at all: a minimal entry
    /// (some mirrors) says nothing about dependencies, so the nuspec must be read.
    pub dependency_groups: Option<Vec<RawDependencyGroup>>,
    /// SHA-512 of the `.nupkg` in lower hex, when the catalog entry advertises it.
    pub package_hash_sha512: Option<String>,
    pub listed: Option<bool>,
}

/// URL of a package's registration index.
pub fn index_url(registrations_base: &str, id: &str) -> String {
    format!(
        "{registrations_base}{}/index.json",
        id.trim().to_ascii_lowercase()
    )
}

/// Parses a `catalogEntry` object.
pub fn parse_catalog_entry(
    url: &str,
    entry: &serde_json::Value,
) -> Result<RegistrationLeaf, NuGetError> {
    let bad = |message: String| NuGetError::Protocol {
        url: url.to_string(),
        message,
    };
    let version = entry["version"]
        .as_str()
        .ok_or_else(|| bad("a catalog entry has no \"version\"".to_string()))?
        .to_string();
    let mut dependency_groups = None;
    if let Some(groups) = entry["dependencyGroups"].as_array() {
        let dependency_groups = dependency_groups.get_or_insert_with(Vec::new);
        for g in groups {
            let mut dependencies = Vec::new();
            for d in g["dependencies"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or(&[])
            {
                let id = d["id"]
                    .as_str()
                    .ok_or_else(|| bad(format!("a dependency of {version} has no \"id\"")))?;
                dependencies.push((
                    id.to_string(),
                    d["range"].as_str().unwrap_or("").trim().to_string(),
                ));
            }
            dependency_groups.push(RawDependencyGroup {
                target_framework: g["targetFramework"]
                    .as_str()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty()),
                dependencies,
            });
        }
    }
    let algorithm_ok = entry["packageHashAlgorithm"]
        .as_str()
        .is_none_or(|a| a.eq_ignore_ascii_case("SHA512"));
    let package_hash_sha512 = entry["packageHash"]
        .as_str()
        .filter(|_| algorithm_ok)
        .and_then(base64_sha512_to_hex);
    Ok(RegistrationLeaf {
        version,
        dependency_groups,
        package_hash_sha512,
        listed: entry["listed"].as_bool(),
    })
}

/// Does a leaf (or the version inside its catalog entry) match `version`?
pub(crate) fn leaf_version(leaf: &serde_json::Value) -> Option<String> {
    leaf["catalogEntry"]["version"]
        .as_str()
        .map(str::to_string)
        .or_else(|| {
            // A leaf whose catalogEntry is a URL: the version is in the leaf URL
            // (`.../<id>/<version>.json`).
            leaf["@id"]
                .as_str()
                .and_then(|u| u.rsplit('/').next())
                .and_then(|f| f.strip_suffix(".json"))
                .map(str::to_string)
        })
}

pub(crate) fn matches(leaf: &serde_json::Value, version: &str) -> bool {
    leaf_version(leaf).is_some_and(|v| same_version(&v, version))
}
