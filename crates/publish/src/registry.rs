//! Where `--to` pushes: nuget.org, a name from `[dotnet.publish.registries]`, or the
//! URL of a NuGet v3 service index.
//!
//! Endpoints: the push URL is the service index's `PackagePublish/2.0.0` resource;
//! the trusted-publishing token service is the push URL with its last segment
//! `package` replaced by `token`, and the OIDC audience is the push URL's origin.
//! For nuget.org that gives `https://www.nuget.org/api/v2/package`,
//! `https://www.nuget.org/api/v2/token` and `https://www.nuget.org`, which are known
//! without asking the network.

use crate::config::Manifest;
use crate::error::{PublishError, Result};
use crate::http::{Http, credential_safe, origin};

pub const NUGET_ORG_INDEX: &str = "https://api.nuget.org/v3/index.json";
pub const NUGET_ORG_PUSH: &str = "https://www.nuget.org/api/v2/package";

/// The registry `--to` names, before any network access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// What the user wrote (`nuget.org`, a name, a URL).
    pub label: String,
    pub service_index: String,
    pub is_nuget_org: bool,
}

/// The endpoints of a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub push: String,
    pub token: String,
    pub audience: String,
}

/// Resolves `--to` (no network).
pub fn target(to: &str, manifest: &Manifest) -> Result<Target> {
    let to = to.trim();
    if to.eq_ignore_ascii_case("nuget.org") || to.trim_end_matches('/') == NUGET_ORG_INDEX {
        return Ok(Target {
            label: "nuget.org".into(),
            service_index: NUGET_ORG_INDEX.into(),
            is_nuget_org: true,
        });
    }
    if let Some(url) = manifest.publish.registries.get(to) {
        return Ok(Target {
            label: to.to_string(),
            service_index: url.clone(),
            is_nuget_org: false,
        });
    }
    if to.starts_with("https://") || to.starts_with("http://") {
        return Ok(Target {
            label: to.to_string(),
            service_index: to.to_string(),
            is_nuget_org: false,
        });
    }
    let known: Vec<&str> = std::iter::once("nuget.org")
        .chain(manifest.publish.registries.keys().map(String::as_str))
        .collect();
    Err(PublishError::Registry {
        message: format!("--to={to}: no such registry"),
        hint: format!(
            "use {}, or the URL of a NuGet v3 service index (https://…/v3/index.json); name registries in {} under [dotnet.publish.registries]",
            known.join(", "),
            manifest.path.display()
        ),
    })
}

/// Derives the token service and audience from a push URL.
pub fn endpoints_for_push(push: &str) -> Endpoints {
    let base = push.trim_end_matches('/');
    let token = match base.rsplit_once('/') {
        Some((head, "package")) => format!("{head}/token"),
        _ => format!("{base}/token"),
    };
    Endpoints {
        push: push.to_string(),
        token,
        audience: origin(push),
    }
}

/// Finds the endpoints of `target` (reads the service index, except for nuget.org).
pub fn discover(target: &Target, http: &Http) -> Result<Endpoints> {
    if target.is_nuget_org {
        return Ok(endpoints_for_push(NUGET_ORG_PUSH));
    }
    let url = &target.service_index;
    let answer = http
        .send("GET", url, &[("Accept", "application/json")], None, true)
        .map_err(|e| PublishError::Registry {
            message: format!("cannot reach the service index {url}: {}", e.0),
            hint: "check the URL given to --to and the network".into(),
        })?;
    if answer.status != 200 {
        return Err(PublishError::Registry {
            message: format!(
                "the service index {url} answered {} {}",
                answer.status, answer.status_text
            ),
            hint: "--to takes the URL of a NuGet v3 service index (…/v3/index.json)".into(),
        });
    }
    let index: serde_json::Value =
        serde_json::from_str(&answer.body).map_err(|e| PublishError::Registry {
            message: format!("the service index {url} is not JSON: {e}"),
            hint: "--to takes the URL of a NuGet v3 service index (…/v3/index.json)".into(),
        })?;
    let push = index["resources"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["@type"].as_str().is_some_and(|t| t.starts_with("PackagePublish/2.0.0")))
        .and_then(|r| r["@id"].as_str())
        .ok_or_else(|| PublishError::Registry {
            message: format!("the service index {url} lists no PackagePublish/2.0.0 resource: this registry does not accept pushes"),
            hint: "push to a registry that accepts packages (nuget.org, a private feed)".into(),
        })?;
    if !credential_safe(push) {
        return Err(PublishError::Registry {
            message: format!(
                "the push endpoint {push} is plain HTTP on another machine: the API key would travel unencrypted"
            ),
            hint: "use the registry's https:// service index".into(),
        });
    }
    Ok(endpoints_for_push(push))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nuget_org_endpoints() {
        assert_eq!(
            endpoints_for_push(NUGET_ORG_PUSH),
            Endpoints {
                push: NUGET_ORG_PUSH.into(),
                token: "https://www.nuget.org/api/v2/token".into(),
                audience: "https://www.nuget.org".into()
            }
        );
        assert_eq!(
            endpoints_for_push("http://127.0.0.1:9/feed/push").token,
            "http://127.0.0.1:9/feed/push/token"
        );
    }
}
