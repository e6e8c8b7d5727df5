//! TLS for `coffer serve` (rustls, ring provider): a certificate chain and its private key
//! from PEM files. Required to listen on any address but loopback.

use std::path::Path;
use std::sync::Arc;

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::crypto::ring;

use crate::error::{Class, CliError};

/// The acceptor for the certificate chain in `cert` and the private key in `key` (PEM; the
/// key as PKCS#8, PKCS#1 or SEC1). TLS 1.2 and 1.3, rustls' safe defaults, HTTP/1.1 by ALPN.
///
/// # Errors
/// ValidationException for a file that cannot be read or holds no certificate or key, or a key
/// that does not match the certificate.
pub(crate) fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor, CliError> {
    let bad = |what: &Path, e: &dyn core::fmt::Display| CliError::validation(format!("{}: {e}", what.display()));
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| bad(cert, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| bad(cert, &e))?;
    if certs.is_empty() {
        return Err(bad(cert, &"no certificate in the file"));
    }
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|e| bad(key, &e))?;
    let mut config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| CliError::new(Class::Internal, format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(|e| CliError::validation(format!("TLS certificate and key refused: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
