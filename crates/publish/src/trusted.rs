//! Credentials for a push: an API key from the environment, or nuget.org's trusted
//! publishing from GitHub Actions — an OIDC token requested from the Actions runtime
//! (`ACTIONS_ID_TOKEN_REQUEST_URL`/`_TOKEN`, with the registry as audience), exchanged
//! at the registry's token service for a short-lived API key.

use base64::Engine;

use crate::config::Manifest;
use crate::env::Env;
use crate::error::{PublishError, Result};
use crate::http::{Http, credential_safe, encode_query};
use crate::registry::{Endpoints, Target};
use crate::secret::{Scrubber, Secret};

/// How the push will authenticate (decided without network access).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// `NUGET_API_KEY` is set (a login step's output, or a private feed's key).
    ApiKey,
    /// Trusted publishing as `username`.
    Trusted { username: String },
}

impl Plan {
    pub fn describe(&self) -> String {
        match self {
            Plan::ApiKey => "the API key in NUGET_API_KEY".into(),
            Plan::Trusted { username } => format!(
                "trusted publishing (GitHub Actions OIDC token exchanged for a short-lived API key of user `{username}`)"
            ),
        }
    }
}

/// A credential ready for the push.
#[derive(Debug, Clone)]
pub struct Credential {
    pub key: Secret,
    pub plan: Plan,
    /// Claims of the OIDC token (trusted publishing only), for messages.
    pub claims: Option<serde_json::Value>,
}

/// Decides how to authenticate; an error says how to run when nothing applies.
pub fn plan(env: &Env, manifest: &Manifest, target: &Target) -> Result<Plan> {
    if env.get(envvars::NUGET_API_KEY).is_some() {
        return Ok(Plan::ApiKey);
    }
    let in_actions = env.in_github_actions();
    let has_oidc = env.get(envvars::ACTIONS_ID_TOKEN_REQUEST_URL).is_some()
        && env.get(envvars::ACTIONS_ID_TOKEN_REQUEST_TOKEN).is_some();
    if in_actions && !has_oidc {
        return Err(PublishError::Credentials {
            message: "this GitHub Actions job cannot request an OIDC token: ACTIONS_ID_TOKEN_REQUEST_URL/ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set".into(),
            hint: "give the publishing job `permissions: id-token: write` (see `mochi-dotnet publish --emit-ci`), or set NUGET_API_KEY".into(),
        });
    }
    if !in_actions {
        return Err(PublishError::Credentials {
            message: format!("no credentials to push to {}: this is not a GitHub Actions job and NUGET_API_KEY is not set", target.label),
            hint: "publish from GitHub Actions with trusted publishing: run `mochi-dotnet publish --emit-ci` to write .github/workflows/release.yml, configure the trusted publisher on nuget.org (docs/publishing.md), push a tag; or set NUGET_API_KEY to an API key; `--dry-run` builds and checks the package without pushing".into(),
        });
    }
    let username = env.get(envvars::NUGET_USER).map(str::to_string).or_else(|| manifest.publish.nuget_user.clone()).ok_or_else(|| PublishError::Credentials {
        message: "trusted publishing needs the nuget.org user (or organization) that owns the policy".into(),
        hint: format!("set nuget-user = \"<name>\" under [dotnet.publish] in {}, or NUGET_USER in the workflow", manifest.path.display()),
    })?;
    Ok(Plan::Trusted { username })
}

/// Gets the key (network for trusted publishing). Every secret seen is added to `scrubber`.
pub fn obtain(
    plan: &Plan,
    env: &Env,
    target: &Target,
    endpoints: &Endpoints,
    http: &Http,
    scrubber: &mut Scrubber,
) -> Result<Credential> {
    match plan {
        Plan::ApiKey => {
            let key = Secret::new(env.get(envvars::NUGET_API_KEY).unwrap_or_default());
            scrubber.add(&key);
            Ok(Credential {
                key,
                plan: plan.clone(),
                claims: None,
            })
        }
        Plan::Trusted { username } => {
            let request_token = Secret::new(
                env.get(envvars::ACTIONS_ID_TOKEN_REQUEST_TOKEN)
                    .unwrap_or_default(),
            );
            scrubber.add(&request_token);
            let oidc =
                request_oidc_token(env, &endpoints.audience, &request_token, http, scrubber)?;
            scrubber.add(&oidc);
            let claims = claims(&oidc);
            let key = exchange(
                endpoints,
                username,
                &oidc,
                claims.as_ref(),
                target,
                http,
                scrubber,
            )?;
            scrubber.add(&key);
            Ok(Credential {
                key,
                plan: plan.clone(),
                claims,
            })
        }
    }
}

fn request_oidc_token(
    env: &Env,
    audience: &str,
    request_token: &Secret,
    http: &Http,
    scrubber: &Scrubber,
) -> Result<Secret> {
    let base = env
        .get(envvars::ACTIONS_ID_TOKEN_REQUEST_URL)
        .unwrap_or_default();
    if !credential_safe(base) {
        return Err(PublishError::Oidc {
            message: format!(
                "ACTIONS_ID_TOKEN_REQUEST_URL is not an https:// URL ({})",
                scrubber.scrub(base)
            ),
            hint: "it is set by the GitHub Actions runner; do not override it".into(),
        });
    }
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}audience={}", encode_query(audience));
    let auth = format!("Bearer {}", request_token.expose());
    let answer = http
        .send(
            "GET",
            &url,
            &[("Authorization", &auth), ("Accept", "application/json")],
            None,
            false,
        )
        .map_err(|e| PublishError::Oidc {
            message: format!(
                "cannot reach the GitHub Actions token endpoint: {}",
                scrubber.scrub(&e.0)
            ),
            hint: "a network problem on the runner; re-run the job".into(),
        })?;
    if answer.status != 200 {
        return Err(PublishError::Oidc {
            message: format!("GitHub Actions refused the OIDC token request ({} {}): {}", answer.status, answer.status_text, excerpt(&scrubber.scrub(&answer.body))),
            hint: "the job needs `permissions: id-token: write`; a pull request from a fork never gets one".into(),
        });
    }
    let value = serde_json::from_str::<serde_json::Value>(&answer.body)
        .ok()
        .and_then(|v| v["value"].as_str().map(str::to_string))
        .filter(|v| !v.is_empty());
    value.map(Secret::new).ok_or_else(|| PublishError::Oidc {
        message: "the GitHub Actions token endpoint answered without a token (`value`)".into(),
        hint: "re-run the job; if it persists, GitHub Actions' OIDC service is failing".into(),
    })
}

/// The claims of a JWT, unverified (the registry verifies; these only explain).
pub fn claims(jwt: &Secret) -> Option<serde_json::Value> {
    let payload = jwt.expose().split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn exchange(
    endpoints: &Endpoints,
    username: &str,
    oidc: &Secret,
    claims: Option<&serde_json::Value>,
    target: &Target,
    http: &Http,
    scrubber: &Scrubber,
) -> Result<Secret> {
    let body = serde_json::json!({ "username": username, "tokenType": "ApiKey" }).to_string();
    let auth = format!("Bearer {}", oidc.expose());
    let answer = http
        .send(
            "POST",
            &endpoints.token,
            &[
                ("Authorization", &auth),
                ("Content-Type", "application/json"),
                ("Accept", "application/json"),
            ],
            Some(body.as_bytes()),
            false,
        )
        .map_err(|e| PublishError::TokenExchange {
            status: None,
            message: format!(
                "cannot reach the token service {}: {}",
                endpoints.token,
                scrubber.scrub(&e.0)
            ),
            guide: "  hint: a network problem; re-run the job".into(),
        })?;
    match answer.status {
        200 => {
            let key = serde_json::from_str::<serde_json::Value>(&answer.body)
                .ok()
                .and_then(|v| v["apiKey"].as_str().map(str::to_string))
                .filter(|k| !k.is_empty());
            key.map(Secret::new).ok_or_else(|| PublishError::TokenExchange {
                status: Some(200),
                message: format!("the token service {} answered 200 without an `apiKey`", endpoints.token),
                guide: "  hint: the registry's trusted-publishing service is misbehaving; retry later or report it".into(),
            })
        }
        401 | 403 => Err(PublishError::TokenExchange {
            status: Some(answer.status),
            message: format!(
                "{} refused the trusted-publishing login of user `{username}` ({} {}): {}",
                target.label,
                answer.status,
                answer.status_text,
                excerpt(&scrubber.scrub(&answer.body))
            ),
            guide: guide(target, username, claims),
        }),
        _ => Err(PublishError::TokenExchange {
            status: Some(answer.status),
            message: format!(
                "the token service {} answered {} {}: {}",
                endpoints.token,
                answer.status,
                answer.status_text,
                excerpt(&scrubber.scrub(&answer.body))
            ),
            guide: if answer.status >= 500 {
                "  hint: the registry is failing; re-run the job later (nothing was pushed)".into()
            } else {
                "  hint: the request was refused as malformed; check nuget-user in mochi.toml (or NUGET_USER) and that the registry supports trusted publishing".into()
            },
        }),
    }
}

fn claim<'a>(claims: Option<&'a serde_json::Value>, key: &str) -> Option<&'a str> {
    claims
        .and_then(|c| c[key].as_str())
        .filter(|s| !s.is_empty())
}

/// The step-by-step set-up of a trusted publisher, filled in from this run's claims.
pub fn guide(target: &Target, username: &str, claims: Option<&serde_json::Value>) -> String {
    let repository = claim(claims, "repository").unwrap_or("<owner>/<repository>");
    let owner = claim(claims, "repository_owner")
        .unwrap_or_else(|| repository.split('/').next().unwrap_or("<owner>"));
    let repo = repository.split('/').nth(1).unwrap_or("<repository>");
    let workflow_ref = claim(claims, "job_workflow_ref").or_else(|| claim(claims, "workflow_ref"));
    let workflow_file = workflow_ref
        .and_then(|r| r.split('@').next())
        .and_then(|p| p.rsplit('/').next())
        .unwrap_or("release.yml");
    let environment = claim(claims, "environment");
    let site = if target.is_nuget_org {
        "https://www.nuget.org".to_string()
    } else {
        target.label.clone()
    };
    let mut g = String::new();
    g.push_str(&format!(
        "  To let this workflow publish, configure a trusted publisher on {site}:\n"
    ));
    g.push_str(&format!("    1. Sign in as `{username}` (or as an administrator of the organization `{username}`).\n"));
    g.push_str(
        "    2. Open the account menu → Trusted Publishing → Create a policy for GitHub Actions.\n",
    );
    g.push_str("    3. Enter exactly:\n");
    g.push_str(&format!("         Repository owner:  {owner}\n"));
    g.push_str(&format!("         Repository:        {repo}\n"));
    g.push_str(&format!("         Workflow file:     {workflow_file}   (the file name under .github/workflows/, not its path)\n"));
    match environment {
        Some(e) => g.push_str(&format!("         Environment:       {e}\n")),
        None => {
            g.push_str("         Environment:       (leave empty: the job has no `environment:`)\n")
        }
    }
    g.push_str(&format!("    4. The policy's owner must be `{username}`, the nuget-user of mochi.toml, and own the package id (or the id must be new).\n"));
    g.push_str("    5. Re-run the workflow: each run gets a new OIDC token.\n");
    if let Some(c) = claims {
        g.push_str(&format!(
            "  This run presented: repository {repository}, workflow {}, environment {}, ref {}.",
            workflow_ref.unwrap_or("?"),
            environment.unwrap_or("(none)"),
            c["ref"].as_str().unwrap_or("?")
        ));
    }
    g
}

/// A server's answer for a message: the `error` (or `message`) of a JSON body, else at
/// most 300 characters of the body, on one line.
pub fn excerpt(body: &str) -> String {
    let json = serde_json::from_str::<serde_json::Value>(body).ok();
    let text = json
        .as_ref()
        .and_then(|v| v["error"].as_str().or_else(|| v["message"].as_str()))
        .unwrap_or(body);
    let one: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.is_empty() {
        return "(empty answer)".into();
    }
    if one.chars().count() > 300 {
        format!("{}…", one.chars().take(300).collect::<String>())
    } else {
        one
    }
}
