//! TLS to PostgreSQL, as libpq reads it from the URL: `sslmode` (`disable`,
//! `prefer`, `require`, `verify-ca`, `verify-full`) and `sslrootcert` (a PEM
//! file of the CA certificates to trust). Managed services give URLs of this
//! form, so they work as they are.
//!
//! With rustls (ring), no OpenSSL:
//! - `verify-full`: the server's certificate chains to a trusted CA and names
//!   the host; the CAs are `sslrootcert`'s, else Mozilla's (webpki-roots);
//! - `verify-ca`: the chain only (the name may differ);
//! - `require`: encrypted, the certificate not checked (libpq's meaning),
//!   unless `sslrootcert` is given, which makes it `verify-ca` (libpq too);
//! - `prefer` (libpq's default, and ours): encrypted when the server offers
//!   it, unchecked; else in clear;
//! - `disable`: in clear.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(text: &str) -> anyhow::Result<SslMode> {
        Ok(match text {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => bail!(
                "sslmode={other} is not supported: use disable, prefer, require, verify-ca or verify-full"
            ),
        })
    }

    /// Whether the connection is always encrypted.
    pub fn encrypts(self) -> bool {
        !matches!(self, SslMode::Disable | SslMode::Prefer)
    }
}

/// The TLS settings of a URL, and the URL without them (for tokio-postgres,
/// which reads neither `verify-*` nor `sslrootcert`).
#[derive(Debug)]
pub struct Tls {
    pub mode: SslMode,
    pub root_cert: Option<PathBuf>,
}

pub fn split(url: &str) -> anyhow::Result<(String, Tls)> {
    let mut parsed = url::Url::parse(url).map_err(|e| {
        anyhow!("database is not a valid PostgreSQL URL like postgres://user@host:5432/keel ({e})")
    })?;
    let mut mode = SslMode::Prefer;
    let mut root_cert = None;
    let mut rest = Vec::new();
    for (k, v) in parsed.query_pairs() {
        match k.as_ref() {
            "sslmode" => mode = SslMode::parse(&v)?,
            "sslrootcert" => root_cert = Some(PathBuf::from(v.as_ref())),
            _ => rest.push((k.into_owned(), v.into_owned())),
        }
    }
    if rest.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(rest);
    }
    if mode == SslMode::Require && root_cert.is_some() {
        mode = SslMode::VerifyCa;
    }
    Ok((parsed.to_string(), Tls { mode, root_cert }))
}

impl Tls {
    /// The connector for tokio-postgres, and the mode it should ask for.
    pub fn connector(
        &self,
    ) -> anyhow::Result<(
        tokio_postgres_rustls::MakeRustlsConnect,
        tokio_postgres::config::SslMode,
    )> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .context("TLS protocol versions")?;
        let config = match self.mode {
            SslMode::VerifyFull => builder
                .with_root_certificates(self.roots()?)
                .with_no_client_auth(),
            SslMode::VerifyCa => {
                let chain = WebPkiServerVerifier::builder_with_provider(
                    Arc::new(self.roots()?),
                    provider.clone(),
                )
                .build()
                .context("the CA certificates")?;
                builder
                    .dangerous()
                    .with_custom_certificate_verifier(Arc::new(Lenient {
                        chain: Some(chain),
                        provider,
                    }))
                    .with_no_client_auth()
            }
            SslMode::Disable | SslMode::Prefer | SslMode::Require => builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Lenient {
                    chain: None,
                    provider,
                }))
                .with_no_client_auth(),
        };
        let mode = match self.mode {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                tokio_postgres::config::SslMode::Require
            }
        };
        Ok((tokio_postgres_rustls::MakeRustlsConnect::new(config), mode))
    }

    fn roots(&self) -> anyhow::Result<RootCertStore> {
        let mut roots = RootCertStore::empty();
        match &self.root_cert {
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
            Some(file) => {
                let shown = file.display();
                let certs = CertificateDer::pem_file_iter(file)
                    .with_context(|| format!("reading sslrootcert {shown}"))?
                    .collect::<Result<Vec<_>, _>>()
                    .with_context(|| {
                        format!("sslrootcert {shown} is not a PEM file of certificates")
                    })?;
                let (added, _) = roots.add_parsable_certificates(certs);
                if added == 0 {
                    bail!("sslrootcert {shown} holds no usable CA certificate");
                }
            }
        }
        Ok(roots)
    }
}

/// `verify-ca` (`chain`: the chain to a trusted CA, whatever host it
/// names) and `prefer`/`require` (no chain: the certificate taken as it is).
/// The handshake's signatures are checked either way.
#[derive(Debug)]
struct Lenient {
    chain: Option<Arc<WebPkiServerVerifier>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Lenient {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// Whether the URL's host is this machine (where TLS buys nothing).
pub fn is_loopback(config: &tokio_postgres::Config) -> bool {
    config.get_hosts().iter().all(|h| match h {
        tokio_postgres::config::Host::Tcp(name) => {
            name == "localhost"
                || name
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        tokio_postgres::config::Host::Unix(_) => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_says_the_mode_and_keeps_its_other_settings() {
        let (url, tls) = split("postgres://k:pw@db.example:5432/keel?sslmode=verify-full&sslrootcert=/etc/ca.pem&application_name=keel").unwrap();
        assert_eq!(
            url,
            "postgres://k:pw@db.example:5432/keel?application_name=keel"
        );
        assert_eq!(
            (tls.mode, tls.root_cert),
            (SslMode::VerifyFull, Some(PathBuf::from("/etc/ca.pem")))
        );
        let (url, tls) = split("postgres://k@db/keel").unwrap();
        assert_eq!(
            (url.as_str(), tls.mode),
            ("postgres://k@db/keel", SslMode::Prefer)
        );
        let (_, tls) = split("postgres://k@db/keel?sslmode=require&sslrootcert=ca.pem").unwrap();
        assert_eq!(
            tls.mode,
            SslMode::VerifyCa,
            "require with a CA file checks the chain, as libpq does"
        );
        let err = split("postgres://k@db/keel?sslmode=allow-all")
            .unwrap_err()
            .to_string();
        assert!(err.contains("sslmode=allow-all is not supported"), "{err}");
    }
}
