//! The push: `PUT <PackagePublish>` with the package as a multipart form part and the
//! key in `X-NuGet-ApiKey`, as `dotnet nuget push` does.

use sha2::{Digest, Sha256};

use crate::error::{PublishError, Result};
use crate::http::{Http, credential_safe};
use crate::package::BuiltPackage;
use crate::registry::{Endpoints, Target};
use crate::secret::Scrubber;
use crate::trusted::{Credential, Plan, excerpt, guide};

/// A successful push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    pub status: u16,
    pub status_text: String,
}

/// The multipart body and its boundary (derived from the package, not random).
pub fn multipart(package: &BuiltPackage) -> (String, Vec<u8>) {
    let mut boundary = format!(
        "mochi-dotnet-{}",
        &hex::encode(Sha256::digest(&package.bytes))[..24]
    );
    while package
        .bytes
        .windows(boundary.len())
        .any(|w| w == boundary.as_bytes())
    {
        boundary.push('x');
    }
    let mut body = Vec::with_capacity(package.bytes.len() + 256);
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"package\"; filename=\"{}\"\r\nContent-Type: application/octet-stream\r\n\r\n", package.file_name).as_bytes());
    body.extend_from_slice(&package.bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (boundary, body)
}

/// Pushes; every failure is explained (409: bump the version; 403: the trusted
/// publisher guide or the key's scope; others by status).
pub fn push(
    package: &BuiltPackage,
    endpoints: &Endpoints,
    target: &Target,
    credential: &Credential,
    manifest_label: &str,
    http: &Http,
    scrubber: &Scrubber,
) -> Result<Pushed> {
    if !credential_safe(&endpoints.push) {
        return Err(PublishError::Push {
            status: None,
            message: format!(
                "refusing to send the API key to {} over plain HTTP",
                endpoints.push
            ),
            guide: "  hint: use an https:// registry".into(),
        });
    }
    let (boundary, body) = multipart(package);
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let answer = http
        .send(
            "PUT",
            &endpoints.push,
            &[("X-NuGet-ApiKey", credential.key.expose()), ("X-NuGet-Protocol-Version", "4.1.0"), ("Content-Type", &content_type)],
            Some(&body),
            false,
        )
        .map_err(|e| PublishError::Push {
            status: None,
            message: format!("cannot reach {} to push {} {}: {}", endpoints.push, package.id, package.version, scrubber.scrub(&e.0)),
            guide: "  hint: a network problem; the push may or may not have arrived: re-run (a 409 then means it did)".into(),
        })?;
    let what = format!("{} {}", package.id, package.version);
    let server = excerpt(&scrubber.scrub(&answer.body));
    match answer.status {
        200..=299 => Ok(Pushed { status: answer.status, status_text: answer.status_text }),
        409 => Err(PublishError::VersionExists { id: package.id.clone(), version: package.version.clone(), registry: target.label.clone(), manifest: manifest_label.to_string() }),
        403 => Err(PublishError::Push {
            status: Some(403),
            message: format!("{} refused the push of {what} (403 Forbidden): {server}", target.label),
            guide: match &credential.plan {
                Plan::Trusted { username } => format!(
                    "  the short-lived key of `{username}` may not push {}: the package id belongs to another account, or the policy does not cover this repository and workflow.\n{}",
                    package.id,
                    guide(target, username, credential.claims.as_ref())
                ),
                Plan::ApiKey => format!("  hint: the key in NUGET_API_KEY may not push {}: give it the push scope for this id (or a glob covering it), or have an owner of {} add you", package.id, package.id),
            },
        }),
        401 => Err(PublishError::Push {
            status: Some(401),
            message: format!("{} rejected the API key (401 Unauthorized): {server}", target.label),
            guide: match credential.plan {
                Plan::Trusted { .. } => "  hint: the short-lived key expired or was revoked before the push; re-run the workflow (keys from trusted publishing last minutes)".into(),
                Plan::ApiKey => "  hint: NUGET_API_KEY is expired, revoked or for another registry; create a new key".into(),
            },
        }),
        400 => Err(PublishError::Push {
            status: Some(400),
            message: format!("{} refused {what} as invalid (400 Bad Request): {server}", target.label),
            guide: "  hint: the registry's own validation failed; fix what it names in mochi.toml and publish a new version".into(),
        }),
        413 => Err(PublishError::Push {
            status: Some(413),
            message: format!("{what} is too large for {} (413): {} bytes", target.label, package.bytes.len()),
            guide: "  hint: nuget.org takes packages up to 250 MB; strip the native libraries (release builds, no debug info)".into(),
        }),
        status => Err(PublishError::Push {
            status: Some(status),
            message: format!("{} answered {status} {} to the push of {what}: {server}", endpoints.push, answer.status_text),
            guide: if status >= 500 {
                "  hint: the registry is failing; re-run later (if the push arrived after all, the next attempt answers 409)".into()
            } else {
                "  hint: unexpected answer; check --to and the registry's documentation".into()
            },
        }),
    }
}
