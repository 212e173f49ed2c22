//! The emulator's HTTPS identity: loads the PEM certificate chain and key named in the
//! config into a TLS acceptor (ring provider, HTTP/2 and HTTP/1.1 by ALPN). Never logs
//! or returns key material; errors name the file only.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use super::EmulatorError;
use super::config::TlsFiles;

pub fn acceptor(files: &TlsFiles) -> Result<TlsAcceptor, EmulatorError> {
    let unreadable = |what: &str, path: &std::path::Path, detail: String| EmulatorError::Config {
        detail: format!("TLS {what} {}: {detail}", path.display()),
    };
    let chain = CertificateDer::pem_file_iter(&files.cert_file)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| unreadable("certificate", &files.cert_file, e.to_string()))?;
    // The key's parse error could quote key bytes: keep only that it failed.
    let key = PrivateKeyDer::from_pem_file(&files.key_file).map_err(|_| {
        unreadable(
            "key",
            &files.key_file,
            "not a readable PEM private key".to_owned(),
        )
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|builder| builder.with_no_client_auth().with_single_cert(chain, key))
        .map_err(|e| EmulatorError::Config {
            detail: format!(
                "TLS identity {} does not make a server configuration: {e}",
                files.cert_file.display()
            ),
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
