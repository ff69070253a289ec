//! Service index discovery (`index.json` of a v3 source).

use super::error::NuGetError;
use super::http::{Fetched, HttpClient};

/// The resources of a v3 source that the client uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceEndpoints {
    /// `PackageBaseAddress/3.0.0` (the flat container), with a trailing `/`.
    pub package_base: String,
    /// The best registration hive, with a trailing `/`, if the source has one.
    pub registrations: Option<String>,
}

/// Registration hives in order of preference: SemVer 2 aware (and gzipped on
/// nuget.org) first, then the older ones.
const REGISTRATION_TYPES: [&str; 6] = [
    "RegistrationsBaseUrl/3.6.0",
    "RegistrationsBaseUrl/Versioned",
    "RegistrationsBaseUrl/3.4.0",
    "RegistrationsBaseUrl",
    "RegistrationsBaseUrl/3.0.0-rc",
    "RegistrationsBaseUrl/3.0.0-beta",
];

const PACKAGE_BASE: &str = "PackageBaseAddress/3.0.0";

fn with_slash(s: &str) -> String {
    if s.ends_with('/') {
        s.to_string()
    } else {
        format!("{s}/")
    }
}

/// Picks the endpoints out of a parsed service index.
pub fn parse_service_index(
    source_url: &str,
    doc: &serde_json::Value,
) -> Result<ServiceEndpoints, NuGetError> {
    let resources = doc["resources"]
        .as_array()
        .ok_or_else(|| NuGetError::Protocol {
            url: source_url.to_string(),
            message: "the service index has no \"resources\" array".to_string(),
        })?;
    // (@type, @id) pairs; @type may be a string or an array of strings.
    let mut pairs: Vec<(&str, &str)> = Vec::new();
    for r in resources {
        let Some(id) = r["@id"].as_str() else {
            continue;
        };
        match &r["@type"] {
            serde_json::Value::String(t) => pairs.push((t.as_str(), id)),
            serde_json::Value::Array(ts) => {
                pairs.extend(ts.iter().filter_map(|t| t.as_str()).map(|t| (t, id)))
            }
            _ => {}
        }
    }
    let find = |ty: &str| pairs.iter().find(|(t, _)| *t == ty).map(|(_, id)| *id);
    let package_base = find(PACKAGE_BASE).ok_or_else(|| NuGetError::MissingResource {
        source_url: source_url.to_string(),
        resource: PACKAGE_BASE,
    })?;
    let registrations = REGISTRATION_TYPES
        .iter()
        .find_map(|t| find(t))
        .map(with_slash);
    Ok(ServiceEndpoints {
        package_base: with_slash(package_base),
        registrations,
    })
}

/// Fetches and parses the service index of `source_url`.
pub(crate) fn discover(
    http: &HttpClient,
    source_url: &str,
) -> Result<ServiceEndpoints, NuGetError> {
    match http.get_json(source_url)? {
        Fetched::Found(doc) => parse_service_index(source_url, &doc),
        Fetched::NotFound => Err(NuGetError::Protocol {
            url: source_url.to_string(),
            message: "the service index was not found (HTTP 404)".to_string(),
        }),
    }
}
