//! `publish --to=<mock>` in a (simulated) GitHub Actions job: the OIDC exchange, the
//! push, and every failure of docs/publishing.md "Failures" — against the mock
//! nuget.org of `fixtures`. Every test scans all output for the run's secrets.

use crate::common;

use std::collections::BTreeMap;

use common::{Library, Project, assert_no_secrets, clean_env, publish};
use fixtures::mock_nugetorg::{MockNugetOrg, MockOptions, Policy, PushAuth, Run, Signer};
use publish::PublishError;
use publish::cli::Outcome;
use sha2::{Digest, Sha512};

fn policy() -> Policy {
    Policy {
        owner: "ada".into(),
        repository_owner: "octo-org".into(),
        repository: "mathx".into(),
        workflow_file: "release.yml".into(),
        environment: None,
    }
}

fn mock_with(policies: Vec<Policy>) -> MockNugetOrg {
    MockNugetOrg::start(MockOptions {
        policies,
        ..MockOptions::default()
    })
    .unwrap()
}

fn ci_env(mock: &MockNugetOrg, run: &Run) -> publish::Env {
    let mut env = clean_env();
    for (k, v) in mock.actions_env(run) {
        env.set(k, v);
    }
    env
}

fn run() -> Run {
    Run::new("octo-org", "mathx", "release.yml")
}

#[test]
fn trusted_publishing_pushes_and_the_registry_logs_the_claims() {
    let mock = mock_with(vec![policy()]);
    let project = Project::new(&Library::new("Mochi.Mathx"));
    let (result, out) = publish(
        &project.manifest,
        &mock.service_index_url(),
        &[],
        &ci_env(&mock, &run()),
    );
    let Ok(Outcome::Published {
        package,
        path,
        status,
        ..
    }) = result
    else {
        panic!("{out}")
    };
    assert_eq!(status, 201);
    assert!(
        out.contains(&format!(
            "published Mochi.Mathx 1.2.0 to {} (201 Created)",
            mock.service_index_url()
        )),
        "{out}"
    );

    let pushes = mock.pushes();
    assert_eq!(pushes.len(), 1);
    let p = &pushes[0];
    assert_eq!(
        (p.id.as_str(), p.version.as_str()),
        ("Mochi.Mathx", "1.2.0")
    );
    assert_eq!(
        p.sha512_hex,
        hex::encode(Sha512::digest(std::fs::read(&path).unwrap()))
    );
    assert_eq!(p.sha512_hex, hex::encode(Sha512::digest(&package.bytes)));
    assert_eq!(
        p.auth,
        PushAuth::TrustedPublishing {
            owner: "ada".into()
        }
    );
    let claims = p.claims.as_ref().expect("claims logged");
    assert_eq!(claims["repository"], "octo-org/mathx");
    assert_eq!(claims["repository_owner"], "octo-org");
    assert_eq!(
        claims["job_workflow_ref"],
        "octo-org/mathx/.github/workflows/release.yml@refs/tags/v1.2.0"
    );
    assert_eq!(claims["aud"], mock.audience());
    assert_eq!(claims["iss"], mock.issuer());
    // One OIDC token, one key, requested in this order.
    assert_eq!(mock.minted_tokens().len(), 1);
    assert_eq!(mock.issued_keys().len(), 1);
    let reqs: Vec<String> = mock
        .requests()
        .into_iter()
        .filter(|r| !r.starts_with("GET /v3/flat") && !r.starts_with("GET /v3/registration"))
        .collect();
    assert_eq!(
        reqs,
        [
            "GET /v3/index.json",
            "GET /_actions/idtoken",
            "POST /api/v2/token",
            "PUT /api/v2/package"
        ]
    );
    assert_no_secrets(&out, &mock, &[]);
    // The package served back is the one pushed.
    let http = publish::http::Http::new(&publish::Env::default());
    let a = http
        .send(
            "GET",
            &format!("{}/v3/flat/mochi.mathx/index.json", mock.base_url()),
            &[],
            None,
            false,
        )
        .unwrap();
    assert_eq!(a.body, r#"{"versions":["1.2.0"]}"#);
}

#[test]
fn a_key_from_the_login_step_or_a_private_feed_is_used_as_is() {
    // The workflow's NuGet/login step exchanges the token and hands the key over in
    // NUGET_API_KEY: do that exchange here, then publish with the key.
    let mock = mock_with(vec![policy()]);
    let token = mock.mint(&run(), &mock.audience(), 300, Signer::Issuer);
    let http = publish::http::Http::new(&publish::Env::default());
    let a = http
        .send(
            "POST",
            &format!("{}/api/v2/token", mock.base_url()),
            &[
                ("Authorization", &format!("Bearer {token}")),
                ("Content-Type", "application/json"),
            ],
            Some(br#"{"username":"ada","tokenType":"ApiKey"}"#),
            false,
        )
        .unwrap();
    let key = serde_json::from_str::<serde_json::Value>(&a.body).unwrap()["apiKey"]
        .as_str()
        .unwrap()
        .to_string();
    let project = Project::new(&Library::new("Mochi.Mathx"));
    let mut env = clean_env();
    env.set("GITHUB_ACTIONS", "true");
    env.set("NUGET_API_KEY", &key);
    let (result, out) = publish(&project.manifest, &mock.service_index_url(), &[], &env);
    assert!(
        matches!(result, Ok(Outcome::Published { status: 201, .. })),
        "{out}"
    );
    assert_eq!(
        mock.pushes()[0].auth,
        PushAuth::TrustedPublishing {
            owner: "ada".into()
        }
    );
    assert_no_secrets(&out, &mock, &[&key, &token]);

    // A private feed's long-lived key, outside CI.
    let feed = MockNugetOrg::start(MockOptions {
        api_keys: BTreeMap::from([("feed-key-0123456789".to_string(), "team".to_string())]),
        ..MockOptions::default()
    })
    .unwrap();
    let mut env = clean_env();
    env.set("NUGET_API_KEY", "feed-key-0123456789");
    let (result, out) = publish(&project.manifest, &feed.service_index_url(), &[], &env);
    assert!(matches!(result, Ok(Outcome::Published { .. })), "{out}");
    assert_eq!(
        feed.pushes()[0].auth,
        PushAuth::ApiKey {
            owner: "team".into()
        }
    );
    assert!(feed.pushes()[0].claims.is_none());
    assert!(!out.contains("feed-key-0123456789"), "{out}");
}

#[test]
fn an_existing_version_is_409_and_says_to_bump_the_version() {
    let mock = mock_with(vec![policy()]);
    let project = Project::new(&Library::new("Mochi.Mathx"));
    let (first, out) = publish(
        &project.manifest,
        &mock.service_index_url(),
        &[],
        &ci_env(&mock, &run()),
    );
    assert!(first.is_ok(), "{out}");
    let (second, out) = publish(
        &project.manifest,
        &mock.service_index_url(),
        &[],
        &ci_env(&mock, &run()),
    );
    let Err(e @ PublishError::VersionExists { .. }) = second else {
        panic!("{out}")
    };
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!(
            "Mochi.Mathx 1.2.0 already exists on {} (409 Conflict)",
            mock.service_index_url()
        )),
        "{msg}"
    );
    assert!(msg.contains("bump [package].version in"), "{msg}");
    assert!(msg.contains("mochi.toml"), "{msg}");
    assert_eq!(mock.pushes().len(), 1);
    assert_no_secrets(&out, &mock, &[]);
}

#[test]
fn no_matching_policy_is_403_with_the_setup_guide() {
    // The policy names another workflow file and an environment.
    let mut p = policy();
    p.workflow_file = "publish.yml".into();
    p.environment = Some("production".into());
    let mock = mock_with(vec![p]);
    let project = Project::new(&Library::new("Mochi.Mathx"));
    let (result, out) = publish(
        &project.manifest,
        &mock.service_index_url(),
        &[],
        &ci_env(&mock, &run().with_environment("release")),
    );
    let Err(
        e @ PublishError::TokenExchange {
            status: Some(403), ..
        },
    ) = result
    else {
        panic!("{out}")
    };
    let msg = e.to_string();
    for line in [
        "refused the trusted-publishing login of user `ada` (403 Forbidden): no trusted publishing policy of ada matches this token",
        "To let this workflow publish, configure a trusted publisher on",
        "1. Sign in as `ada`",
        "Trusted Publishing",
        "Repository owner:  octo-org",
        "Repository:        mathx",
        "Workflow file:     release.yml",
        "Environment:       release",
        "This run presented: repository octo-org/mathx, workflow octo-org/mathx/.github/workflows/release.yml@refs/tags/v1.2.0, environment release, ref refs/tags/v1.2.0.",
    ] {
        assert!(msg.contains(line), "missing {line:?} in\n{msg}");
    }
    assert!(mock.pushes().is_empty());
    assert_no_secrets(&out, &mock, &[]);
}

#[test]
fn a_package_owned_by_another_account_is_403_on_push_with_the_guide() {
    let mock = MockNugetOrg::start(MockOptions {
        policies: vec![policy()],
        owners: BTreeMap::from([("mochi.mathx".to_string(), "grace".to_string())]),
        ..MockOptions::default()
    })
    .unwrap();
    let project = Project::new(&Library::new("Mochi.Mathx"));
    let (result, out) = publish(
        &project.manifest,
        &mock.service_index_url(),
        &[],
        &ci_env(&mock, &run()),
    );
    let Err(
        e @ PublishError::Push {
            status: Some(403), ..
        },
    ) = result
    else {
        panic!("{out}")
    };
    let msg = e.to_string();
    assert!(
        msg.contains(
            "refused the push of Mochi.Mathx 1.2.0 (403 Forbidden): ada does not own Mochi.Mathx"
        ),
        "{msg}"
    );
    assert!(
        msg.contains("the short-lived key of `ada` may not push Mochi.Mathx"),
        "{msg}"
    );
    assert!(msg.contains("Workflow file:     release.yml"), "{msg}");
    assert_no_secrets(&out, &mock, &[]);
}

#[test]
fn every_other_failure_is_explained() {
    let project = Project::new(&Library::new("Mochi.Mathx"));
    let cases: &[(&str, u16, &str)] = &[
        (
            "/_actions/idtoken",
            500,
            "GitHub Actions refused the OIDC token request (500 Internal Server Error)",
        ),
        ("/api/v2/token", 503, "answered 503 Service Unavailable"),
        ("/api/v2/token", 400, "the request was refused as malformed"),
        (
            "/api/v2/package",
            500,
            "the registry is failing; re-run later (if the push arrived after all, the next attempt answers 409)",
        ),
        (
            "/api/v2/package",
            400,
            "refused Mochi.Mathx 1.2.0 as invalid (400 Bad Request)",
        ),
        ("/api/v2/package", 413, "is too large for"),
        ("/api/v2/package", 418, "unexpected answer; check --to"),
        ("/v3/index.json", 404, "answered 404 Not Found"),
    ];
    for (path, status, expected) in cases {
        let mock = mock_with(vec![policy()]);
        mock.inject(path, *status, 1);
        let (result, out) = publish(
            &project.manifest,
            &mock.service_index_url(),
            &[],
            &ci_env(&mock, &run()),
        );
        let e = result.expect_err(&out);
        assert!(
            e.to_string().contains(expected),
            "{path} {status}: expected {expected:?} in\n{e}"
        );
        assert!(mock.pushes().is_empty());
        assert_no_secrets(&out, &mock, &[]);
    }

    // The short-lived key expired before the push.
    let mock = mock_with(vec![policy()]);
    mock.set_options(|o| o.key_lifetime = std::time::Duration::ZERO);
    let (result, out) = publish(
        &project.manifest,
        &mock.service_index_url(),
        &[],
        &ci_env(&mock, &run()),
    );
    let e = result.expect_err(&out).to_string();
    assert!(
        e.contains("rejected the API key (401 Unauthorized): the API key expired"),
        "{e}"
    );
    assert!(e.contains("re-run the workflow"), "{e}");
    assert_no_secrets(&out, &mock, &[]);

    // A registry that cannot be reached, one that takes no pushes.
    let (result, _) = publish(
        &project.manifest,
        "http://127.0.0.1:9/v3/index.json",
        &[],
        &ci_env(&mock, &run()),
    );
    assert!(
        result
            .unwrap_err()
            .to_string()
            .starts_with("cannot reach the service index http://127.0.0.1:9/v3/index.json")
    );
    let read_only = fixtures::Registry::start(&[]).unwrap();
    let (result, _) = publish(
        &project.manifest,
        &read_only.index_url(),
        &[],
        &ci_env(&mock, &run()),
    );
    assert!(
        result
            .unwrap_err()
            .to_string()
            .contains("lists no PackagePublish/2.0.0 resource")
    );
    // No such registry name.
    let (result, _) = publish(&project.manifest, "myget", &[], &ci_env(&mock, &run()));
    assert!(
        result
            .unwrap_err()
            .to_string()
            .starts_with("--to=myget: no such registry")
    );
}

#[test]
fn outside_ci_without_a_key_says_how_to_run_it() {
    let mock = mock_with(vec![policy()]);
    let project = Project::new(&Library::new("Mochi.Mathx"));
    let (result, out) = publish(&project.manifest, "nuget.org", &[], &clean_env());
    let Err(e @ PublishError::Credentials { .. }) = result else {
        panic!("{out}")
    };
    let msg = e.to_string();
    assert!(msg.contains("no credentials to push to nuget.org: this is not a GitHub Actions job and NUGET_API_KEY is not set"), "{msg}");
    assert!(msg.contains("mochi-dotnet publish --emit-ci"), "{msg}");
    assert!(msg.contains("--dry-run"), "{msg}");
    // Failing before the build: nothing was written.
    assert!(!project.path().join("target/nuget").exists());

    // In Actions but without `permissions: id-token: write`.
    let mut env = clean_env();
    env.set("GITHUB_ACTIONS", "true");
    let (result, _) = publish(&project.manifest, &mock.service_index_url(), &[], &env);
    let msg = result.unwrap_err().to_string();
    assert!(
        msg.contains("cannot request an OIDC token")
            && msg.contains("permissions: id-token: write"),
        "{msg}"
    );

    // No nuget.org user to exchange the token for.
    let mut lib = Library::new("Mochi.Mathx");
    lib.extra_publish = String::new();
    let p2 = Project::new(&lib);
    let text = std::fs::read_to_string(&p2.manifest)
        .unwrap()
        .replace("nuget-user = \"ada\"\n", "");
    std::fs::write(&p2.manifest, text).unwrap();
    let (result, _) = publish(
        &p2.manifest,
        &mock.service_index_url(),
        &[],
        &ci_env(&mock, &run()),
    );
    let msg = result.unwrap_err().to_string();
    assert!(
        msg.contains("needs the nuget.org user") && msg.contains("nuget-user"),
        "{msg}"
    );
    assert!(mock.requests().is_empty(), "{:?}", mock.requests());
}

#[test]
fn the_binary_publishes_and_prints_no_secret() {
    let mock = mock_with(vec![policy()]);
    let project = Project::new(&Library::new("Mochi.Mathx"));
    let mut cmd = clean_env().command(common::mochi_dotnet());
    cmd.args(["publish", &format!("--to={}", mock.service_index_url())])
        .current_dir(project.path());
    for (k, v) in mock.actions_env(&run()) {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("published Mochi.Mathx 1.2.0"), "{text}");
    assert_eq!(mock.pushes().len(), 1);
    assert_no_secrets(&text, &mock, &[]);

    // A failure's message, from the binary: exit status 1, the 409 advice, no secret.
    let mut cmd = clean_env().command(common::mochi_dotnet());
    cmd.args(["publish", &format!("--to={}", mock.service_index_url())])
        .current_dir(project.path());
    for (k, v) in mock.actions_env(&run()) {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("error: Mochi.Mathx 1.2.0 already exists on"),
        "{text}"
    );
    assert_no_secrets(&text, &mock, &[]);
    // Nothing the run left on disk holds a secret either.
    for entry in walk(project.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert_no_secrets(&String::from_utf8_lossy(&bytes), &mock, &[]);
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p))
        } else {
            out.push(p)
        }
    }
    out
}
