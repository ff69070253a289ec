//! HTTP GET with timeouts and bounded retries.
//!
//! Retried, with exponential backoff (no jitter, so runs are reproducible): connect
//! failures, resets and other transport errors, timeouts, 5xx, 408 and 429, and
//! bodies cut short. Not retried: 404 (the caller decides what "absent" means) and
//! other 4xx.

use std::io::{self, Read, Write};
use std::time::Duration;

use super::error::NuGetError;

/// Retry and timeout settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts, including the first (at least 1).
    pub max_attempts: u32,
    /// Delay before the second attempt; doubled for each further one.
    pub backoff_base: Duration,
    /// Upper bound of one delay.
    pub backoff_max: Duration,
    pub connect_timeout: Duration,
    /// Limit on one read from the socket (a stalled server).
    pub read_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            backoff_base: Duration::from_millis(250),
            backoff_max: Duration::from_secs(4),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The delay after failed attempt `attempt` (1-based).
    pub fn delay(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.backoff_base
            .checked_mul(factor)
            .unwrap_or(self.backoff_max)
            .min(self.backoff_max)
    }
}

/// The result of one GET.
pub(crate) enum Fetched<T> {
    Found(T),
    NotFound,
}

enum AttemptError {
    /// Worth another attempt; the server may have asked for a minimum wait
    /// (`Retry-After`, in seconds).
    Retry(String, Option<Duration>),
    /// Final.
    Fatal(String, &'static str),
}

const HINT_NETWORK: &str =
    "check the network and the source URL; use --offline to work from the cache";
const HINT_STATUS: &str =
    "the server refused the request; check the source URL and its access rules";

/// HTTP proxies, as the usual environment variables give them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxyConfig {
    /// Proxy for `http://` URLs (`HTTP_PROXY`, else `ALL_PROXY`).
    pub http: Option<String>,
    /// Proxy for `https://` URLs (`HTTPS_PROXY`, else `ALL_PROXY`).
    pub https: Option<String>,
    /// Hosts reached directly (`NO_PROXY`): exact names, domain suffixes
    /// (`example.com` and `.example.com` both cover `a.example.com`), or `*` for all.
    /// Loopback addresses are always reached directly.
    pub no_proxy: Vec<String>,
}

impl ProxyConfig {
    /// Reads `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` (either case).
    pub fn from_env() -> Self {
        let var = |names: [&str; 2]| {
            names
                .iter()
                .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
        };
        let all = var(envvars::ALL_PROXY);
        ProxyConfig {
            http: var(envvars::HTTP_PROXY).or_else(|| all.clone()),
            https: var(envvars::HTTPS_PROXY).or(all),
            no_proxy: var(envvars::NO_PROXY)
                .map(|v| {
                    v.split(',')
                        .map(|s| s.trim().to_ascii_lowercase())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// Is `host` reached without the proxy?
    pub fn bypasses(&self, host: &str) -> bool {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        if host == "localhost"
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
        {
            return true;
        }
        self.no_proxy.iter().any(|entry| {
            let e = entry.trim_start_matches("*.").trim_start_matches('.');
            entry == "*" || host == e || host.ends_with(&format!(".{e}"))
        })
    }
}

/// Scheme and host of an absolute URL (no port, no credentials).
fn scheme_and_host(url: &str) -> Option<(String, String)> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let hostport = authority.rsplit('@').next()?;
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        v6.split(']').next()?.to_string()
    } else {
        hostport.split(':').next()?.to_string()
    };
    Some((scheme.to_ascii_lowercase(), host))
}

#[derive(Debug, Clone)]
pub(crate) struct HttpClient {
    direct: ureq::Agent,
    via_http_proxy: Option<ureq::Agent>,
    via_https_proxy: Option<ureq::Agent>,
    proxy: ProxyConfig,
    /// A proxy setting that could not be used; reported on the first request.
    proxy_error: Option<String>,
    policy: RetryPolicy,
}

impl HttpClient {
    pub(crate) fn new(policy: RetryPolicy, proxy: ProxyConfig) -> Self {
        let builder = || {
            ureq::AgentBuilder::new()
                .timeout_connect(policy.connect_timeout)
                .timeout_read(policy.read_timeout)
                .timeout_write(policy.read_timeout)
                .user_agent(concat!("mochi-dotnet/", env!("CARGO_PKG_VERSION")))
                .tls_config(super::tls::client_config())
        };
        let mut proxy_error = None;
        let mut via = |setting: &Option<String>| {
            let url = setting.as_deref()?;
            match ureq::Proxy::new(url) {
                Ok(p) => Some(builder().proxy(p).build()),
                Err(e) => {
                    proxy_error = Some(format!("proxy {url:?}: {e}"));
                    None
                }
            }
        };
        let via_http_proxy = via(&proxy.http);
        let via_https_proxy = via(&proxy.https);
        HttpClient {
            direct: builder().build(),
            via_http_proxy,
            via_https_proxy,
            proxy,
            proxy_error,
            policy,
        }
    }

    fn agent_for(&self, url: &str) -> &ureq::Agent {
        let Some((scheme, host)) = scheme_and_host(url) else {
            return &self.direct;
        };
        if self.proxy.bypasses(&host) {
            return &self.direct;
        }
        let via = if scheme == "https" {
            &self.via_https_proxy
        } else {
            &self.via_http_proxy
        };
        via.as_ref().unwrap_or(&self.direct)
    }

    /// GETs `url` and streams the body into `sink`. `reset` is called before each
    /// retry so the sink can discard a partial body.
    pub(crate) fn get_into<W: Write>(
        &self,
        url: &str,
        sink: &mut W,
        mut reset: impl FnMut(&mut W) -> io::Result<()>,
        max_bytes: u64,
    ) -> Result<Fetched<()>, NuGetError> {
        if let Some(e) = &self.proxy_error {
            return Err(NuGetError::Http {
                url: url.to_string(),
                attempts: 0,
                reason: format!("invalid proxy setting: {e}"),
                hint: "fix HTTP_PROXY/HTTPS_PROXY/ALL_PROXY (e.g. http://proxy.example:3128)",
            });
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            if attempt > 1 {
                reset(sink).map_err(|e| NuGetError::Http {
                    url: url.to_string(),
                    attempts: attempt - 1,
                    reason: format!("cannot reset the download buffer: {e}"),
                    hint: HINT_NETWORK,
                })?;
            }
            match self.attempt(url, sink, max_bytes) {
                Ok(found) => return Ok(found),
                Err(AttemptError::Fatal(reason, hint)) => {
                    return Err(NuGetError::Http {
                        url: url.to_string(),
                        attempts: attempt,
                        reason,
                        hint,
                    });
                }
                Err(AttemptError::Retry(reason, asked)) => {
                    if attempt >= self.policy.max_attempts.max(1) {
                        return Err(NuGetError::Http {
                            url: url.to_string(),
                            attempts: attempt,
                            reason,
                            hint: HINT_NETWORK,
                        });
                    }
                    // A server's Retry-After is honoured up to backoff_max: the wait
                    // stays bounded whatever the server says.
                    let asked = asked.unwrap_or_default().min(self.policy.backoff_max);
                    std::thread::sleep(self.policy.delay(attempt).max(asked));
                }
            }
        }
    }

    /// GETs a small document (JSON, XML) into memory.
    pub(crate) fn get_bytes(&self, url: &str) -> Result<Fetched<Vec<u8>>, NuGetError> {
        const MAX_DOCUMENT: u64 = 256 << 20;
        let mut buf = Vec::new();
        match self.get_into(
            url,
            &mut buf,
            |b| {
                b.clear();
                Ok(())
            },
            MAX_DOCUMENT,
        )? {
            Fetched::Found(()) => Ok(Fetched::Found(buf)),
            Fetched::NotFound => Ok(Fetched::NotFound),
        }
    }

    /// GETs and parses a JSON document.
    pub(crate) fn get_json(&self, url: &str) -> Result<Fetched<serde_json::Value>, NuGetError> {
        match self.get_bytes(url)? {
            Fetched::NotFound => Ok(Fetched::NotFound),
            Fetched::Found(bytes) => {
                serde_json::from_slice(&bytes)
                    .map(Fetched::Found)
                    .map_err(|e| NuGetError::Protocol {
                        url: url.to_string(),
                        message: format!("invalid JSON: {e}"),
                    })
            }
        }
    }

    fn attempt<W: Write>(
        &self,
        url: &str,
        sink: &mut W,
        max_bytes: u64,
    ) -> Result<Fetched<()>, AttemptError> {
        let response = match self.agent_for(url).get(url).call() {
            Ok(r) => r,
            Err(ureq::Error::Status(404, _)) | Err(ureq::Error::Status(410, _)) => {
                return Ok(Fetched::NotFound);
            }
            Err(ureq::Error::Status(code, r)) => {
                let reason = format!("HTTP {code} {}", r.status_text());
                let asked = r
                    .header("Retry-After")
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                return Err(if code >= 500 || code == 408 || code == 429 {
                    AttemptError::Retry(reason, asked)
                } else {
                    AttemptError::Fatal(reason, HINT_STATUS)
                });
            }
            Err(ureq::Error::Transport(t)) => {
                return Err(match t.kind() {
                    ureq::ErrorKind::InvalidUrl | ureq::ErrorKind::UnknownScheme => {
                        AttemptError::Fatal(
                            t.to_string(),
                            "fix the source URL in NuGet.config or the manifest",
                        )
                    }
                    _ => AttemptError::Retry(t.to_string(), None),
                });
            }
        };
        let mut reader = response.into_reader().take(max_bytes + 1);
        let mut buf = vec![0u8; 64 * 1024];
        let mut total: u64 = 0;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(AttemptError::Retry(
                        format!("body cut short after {total} bytes: {e}"),
                        None,
                    ));
                }
            };
            total += n as u64;
            if total > max_bytes {
                return Err(AttemptError::Fatal(
                    format!("response larger than {max_bytes} bytes"),
                    "the server sent far more data than a NuGet document or package should hold",
                ));
            }
            sink.write_all(&buf[..n]).map_err(|e| {
                AttemptError::Fatal(
                    format!("cannot write the download: {e}"),
                    "check free space in the cache folder",
                )
            })?;
        }
        Ok(Fetched::Found(()))
    }
}
