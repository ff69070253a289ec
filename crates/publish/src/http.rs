//! HTTP for publishing: one `ureq` agent with rustls (the Mozilla roots plus the
//! system bundle, as `dotnet` trusts the system store), timeouts, no redirects for
//! requests that carry a credential (a redirect must not take it elsewhere).

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use crate::env::Env;

/// An answer: status and body (at most 1 MiB of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub status_text: String,
    pub body: String,
}

/// Why no answer came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreachable(pub String);

const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

fn tls_config(env: &Env) -> Arc<rustls::ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let bundle = env
        .get(envvars::SSL_CERT_FILE)
        .map(PathBuf::from)
        .or_else(|| {
            SYSTEM_BUNDLES
                .iter()
                .map(PathBuf::from)
                .find(|p| p.is_file())
        });
    if let Some(b) = bundle
        && let Ok(iter) = CertificateDer::pem_file_iter(&b)
    {
        roots.add_parsable_certificates(iter.filter_map(Result::ok));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// The client of one run.
pub struct Http {
    agent: ureq::Agent,
    follow: ureq::Agent,
}

impl Http {
    pub fn new(env: &Env) -> Http {
        let build = |redirects: u32| {
            ureq::AgentBuilder::new()
                .tls_config(tls_config(env))
                .timeout_connect(Duration::from_secs(15))
                .timeout_read(Duration::from_secs(120))
                .timeout_write(Duration::from_secs(120))
                .redirects(redirects)
                .user_agent(concat!("mochi-dotnet-publish/", env!("CARGO_PKG_VERSION")))
                .build()
        };
        Http {
            agent: build(0),
            follow: build(5),
        }
    }

    /// A request; `follow` allows redirects (only for requests without credentials).
    pub fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
        follow: bool,
    ) -> Result<Answer, Unreachable> {
        let agent = if follow { &self.follow } else { &self.agent };
        let mut req = agent.request(method, url);
        for (k, v) in headers {
            req = req.set(k, v);
        }
        let result = match body {
            Some(b) => req.send_bytes(b),
            None => req.call(),
        };
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(ureq::Error::Transport(t)) => return Err(Unreachable(t.to_string())),
        };
        let status = response.status();
        let status_text = response.status_text().to_string();
        let mut body = Vec::new();
        let _ = response.into_reader().take(1 << 20).read_to_end(&mut body);
        Ok(Answer {
            status,
            status_text,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    }
}

/// Whether sending a credential to `url` is allowed: HTTPS, or plain HTTP to this machine.
pub fn credential_safe(url: &str) -> bool {
    if url.starts_with("https://") {
        return true;
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?']).next().unwrap_or("");
    let host = if host.starts_with('[') {
        host.split(']')
            .next()
            .map(|h| format!("{h}]"))
            .unwrap_or_default()
    } else {
        host.split(':').next().unwrap_or("").to_string()
    };
    matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]")
}

/// `scheme://host[:port]` of a URL.
pub fn origin(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    format!("{scheme}://{host}")
}

/// Percent-encodes a query value.
pub fn encode_query(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(credential_safe("https://www.nuget.org/api/v2/package"));
        assert!(credential_safe("http://127.0.0.1:5000/api"));
        assert!(credential_safe("http://localhost/x"));
        assert!(!credential_safe("http://nuget.example.com/api"));
        assert!(!credential_safe("http://127.0.0.1.evil.com/api"));
        assert_eq!(
            origin("https://www.nuget.org/api/v2/package"),
            "https://www.nuget.org"
        );
        assert_eq!(
            origin("http://127.0.0.1:81/v3/index.json"),
            "http://127.0.0.1:81"
        );
        assert_eq!(
            encode_query("https://www.nuget.org"),
            "https%3A%2F%2Fwww.nuget.org"
        );
    }
}
