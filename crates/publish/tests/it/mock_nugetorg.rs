//! The mock nuget.org itself is strict: a forged, expired, misaddressed or replayed
//! OIDC token gets no key, a policy must match, an expired key cannot push. (The
//! trusted-publishing tests are only worth what the mock refuses.)

use fixtures::mock_nugetorg::{MockNugetOrg, MockOptions, Policy, Run, Signer};
use publish::Env;
use publish::http::Http;

fn policy() -> Policy {
    Policy {
        owner: "ada".into(),
        repository_owner: "octo-org".into(),
        repository: "mathx".into(),
        workflow_file: "release.yml".into(),
        environment: None,
    }
}

fn exchange(mock: &MockNugetOrg, token: &str, user: &str) -> (u16, serde_json::Value) {
    let http = Http::new(&Env::default());
    let body = serde_json::json!({"username": user, "tokenType": "ApiKey"}).to_string();
    let a = http
        .send(
            "POST",
            &format!("{}/api/v2/token", mock.base_url()),
            &[
                ("Authorization", &format!("Bearer {token}")),
                ("Content-Type", "application/json"),
            ],
            Some(body.as_bytes()),
            false,
        )
        .unwrap();
    (a.status, serde_json::from_str(&a.body).unwrap_or_default())
}

#[test]
fn token_service_verifies_signature_audience_expiry_issuer_replay_and_policy() {
    let mock = MockNugetOrg::start(MockOptions {
        policies: vec![policy()],
        ..MockOptions::default()
    })
    .unwrap();
    let run = Run::new("octo-org", "mathx", "release.yml");

    let good = mock.mint(&run, &mock.audience(), 300, Signer::Issuer);
    let (status, body) = exchange(&mock, &good, "ada");
    assert_eq!(status, 200, "{body}");
    assert!(body["apiKey"].as_str().unwrap().starts_with("oy2"));

    // The same token twice: jti replay.
    assert_eq!(exchange(&mock, &good, "ada").0, 401);
    // Signed by a key the JWKS does not publish.
    assert_eq!(
        exchange(
            &mock,
            &mock.mint(&run, &mock.audience(), 300, Signer::Untrusted),
            "ada"
        ),
        (
            401,
            serde_json::json!({"error": "invalid token: InvalidSignature"})
        )
    );
    // Expired a minute ago.
    assert_eq!(
        exchange(
            &mock,
            &mock.mint(&run, &mock.audience(), -60, Signer::Issuer),
            "ada"
        )
        .1["error"],
        "invalid token: ExpiredSignature"
    );
    // For another audience (GitHub's default).
    assert_eq!(
        exchange(
            &mock,
            &mock.mint(&run, "https://github.com/octo-org", 300, Signer::Issuer),
            "ada"
        )
        .1["error"],
        "invalid token: InvalidAudience"
    );
    // A payload edited after signing.
    let t = mock.mint(&run, &mock.audience(), 300, Signer::Issuer);
    let mut parts: Vec<String> = t.split('.').map(str::to_string).collect();
    let claims = String::from_utf8(base64_decode(&parts[1]))
        .unwrap()
        .replace("octo-org/mathx", "evil-org/mathx");
    parts[1] = base64_encode(claims.as_bytes());
    assert_eq!(exchange(&mock, &parts.join("."), "ada").0, 401);
    // Another user's policy, another workflow file, a required environment.
    assert_eq!(
        exchange(
            &mock,
            &mock.mint(&run, &mock.audience(), 300, Signer::Issuer),
            "grace"
        )
        .0,
        403
    );
    assert_eq!(
        exchange(
            &mock,
            &mock.mint(
                &Run::new("octo-org", "mathx", "ci.yml"),
                &mock.audience(),
                300,
                Signer::Issuer
            ),
            "ada"
        )
        .0,
        403
    );
    mock.set_options(|o| o.policies[0].environment = Some("release".into()));
    assert_eq!(
        exchange(
            &mock,
            &mock.mint(&run, &mock.audience(), 300, Signer::Issuer),
            "ada"
        )
        .0,
        403
    );
    assert_eq!(
        exchange(
            &mock,
            &mock.mint(
                &run.clone().with_environment("release"),
                &mock.audience(),
                300,
                Signer::Issuer
            ),
            "ada"
        )
        .0,
        200
    );
    // A malformed request.
    let http = Http::new(&Env::default());
    let a = http
        .send(
            "POST",
            &format!("{}/api/v2/token", mock.base_url()),
            &[("Authorization", &format!("Bearer {good}"))],
            Some(b"{\"username\":\"ada\"}"),
            false,
        )
        .unwrap();
    assert_eq!(a.status, 400);
}

#[test]
fn jwks_and_discovery_describe_the_issuer() {
    let mock = MockNugetOrg::start(MockOptions::default()).unwrap();
    let http = Http::new(&Env::default());
    let conf: serde_json::Value = serde_json::from_str(
        &http
            .send(
                "GET",
                &format!("{}/.well-known/openid-configuration", mock.issuer()),
                &[],
                None,
                false,
            )
            .unwrap()
            .body,
    )
    .unwrap();
    assert_eq!(conf["issuer"], mock.issuer());
    let jwks: serde_json::Value = serde_json::from_str(
        &http
            .send("GET", conf["jwks_uri"].as_str().unwrap(), &[], None, false)
            .unwrap()
            .body,
    )
    .unwrap();
    assert_eq!(&jwks, mock.jwks());
    assert_eq!(jwks["keys"][0]["alg"], "RS256");
    assert_eq!(jwks["keys"][0]["e"], "AQAB");
}

#[test]
fn the_actions_endpoint_needs_the_request_token_and_sets_the_audience() {
    let mock = MockNugetOrg::start(MockOptions::default()).unwrap();
    let env: std::collections::BTreeMap<String, String> = mock
        .actions_env(&Run::new("octo-org", "mathx", "release.yml"))
        .into_iter()
        .collect();
    let http = Http::new(&Env::default());
    let url = format!(
        "{}&audience=https%3A%2F%2Fwww.nuget.org",
        env["ACTIONS_ID_TOKEN_REQUEST_URL"]
    );
    assert_eq!(
        http.send(
            "GET",
            &url,
            &[("Authorization", "Bearer wrong")],
            None,
            false
        )
        .unwrap()
        .status,
        401
    );
    let a = http
        .send(
            "GET",
            &url,
            &[(
                "Authorization",
                &format!("Bearer {}", env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]),
            )],
            None,
            false,
        )
        .unwrap();
    assert_eq!(a.status, 200);
    let token = serde_json::from_str::<serde_json::Value>(&a.body).unwrap()["value"]
        .as_str()
        .unwrap()
        .to_string();
    let claims: serde_json::Value =
        serde_json::from_slice(&base64_decode(token.split('.').nth(1).unwrap())).unwrap();
    assert_eq!(claims["aud"], "https://www.nuget.org");
    assert_eq!(claims["repository"], "octo-org/mathx");
    assert_eq!(
        claims["job_workflow_ref"],
        "octo-org/mathx/.github/workflows/release.yml@refs/tags/v1.2.0"
    );
    assert_eq!(claims["sub"], "repo:octo-org/mathx:ref:refs/tags/v1.2.0");
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s)
        .unwrap()
}

fn base64_encode(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}
