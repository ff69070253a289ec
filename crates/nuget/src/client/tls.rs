//! The TLS trust roots of the NuGet client.
//!
//! `dotnet restore` trusts the operating system's certificate store, so a feed
//! behind a corporate or mirror CA that the machine trusts works there. We trust
//! the same: the Mozilla roots compiled in (`webpki-roots`, so a machine without a
//! CA bundle still reaches nuget.org) plus the system bundle — `SSL_CERT_FILE` when
//! set (as OpenSSL and curl read it), else the first of the distributions' usual
//! bundle paths. Unparsable entries of a bundle are skipped, as OpenSSL does.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// Bundle paths of Debian/Ubuntu, Fedora/RHEL, openSUSE and Alpine/macOS.
const SYSTEM_BUNDLES: &[&str] = &[
    "/etc/ssl/certs/ca-certificates.crt",
    "/etc/pki/tls/certs/ca-bundle.crt",
    "/etc/ssl/ca-bundle.pem",
    "/etc/ssl/cert.pem",
];

/// The system bundle to read: `SSL_CERT_FILE`, else the first existing usual path.
pub(crate) fn system_bundle(ssl_cert_file: Option<PathBuf>) -> Option<PathBuf> {
    if let Some(p) = ssl_cert_file.filter(|p| !p.as_os_str().is_empty()) {
        return Some(p);
    }
    SYSTEM_BUNDLES
        .iter()
        .map(Path::new)
        .find(|p| p.is_file())
        .map(Path::to_path_buf)
}

/// Certificates of a PEM bundle; `(added, skipped)` counts go to the store.
pub(crate) fn add_bundle(store: &mut RootCertStore, bundle: &Path) -> (usize, usize) {
    let Ok(iter) = CertificateDer::pem_file_iter(bundle) else {
        return (0, 0);
    };
    let certs: Vec<CertificateDer<'static>> = iter.filter_map(Result::ok).collect();
    store.add_parsable_certificates(certs)
}

/// The client configuration every agent shares (built once per process).
pub(crate) fn client_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            if let Some(bundle) =
                system_bundle(std::env::var_os(envvars::SSL_CERT_FILE).map(PathBuf::from))
            {
                add_bundle(&mut roots, &bundle);
            }
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("ring supports the default protocol versions")
                .with_root_certificates(roots)
                .with_no_client_auth();
            Arc::new(config)
        })
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssl_cert_file_wins_over_the_usual_paths() {
        let p = PathBuf::from("/somewhere/bundle.pem");
        assert_eq!(system_bundle(Some(p.clone())), Some(p));
    }

    #[test]
    fn a_bundle_with_garbage_adds_what_parses() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("b.pem");
        // One syntactically valid PEM block whose DER is not a certificate.
        std::fs::write(
            &f,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\nnot pem at all\n",
        )
        .unwrap();
        let mut store = RootCertStore::empty();
        let (added, skipped) = add_bundle(&mut store, &f);
        assert_eq!((added, skipped), (0, 1));
        assert!(store.is_empty());
    }

    #[test]
    fn a_missing_bundle_adds_nothing() {
        let mut store = RootCertStore::empty();
        assert_eq!(
            add_bundle(&mut store, Path::new("/no/such/bundle.pem")),
            (0, 0)
        );
    }
}
