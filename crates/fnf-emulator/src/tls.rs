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

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use crate::{EmulatorConfig, TlsFiles, start};

    #[tokio::test]
    async fn plain_http_is_refused_off_loopback() {
        let config = EmulatorConfig {
            listen: SocketAddr::from(([0, 0, 0, 0], 0)),
            ..EmulatorConfig::default()
        };
        let error = start(config).await.err().expect("refused");
        assert_eq!(error.reason(), "EmulatorConfigInvalid");
        assert!(error.to_string().contains("only on loopback"), "{error}");
    }

    #[tokio::test]
    async fn an_unreadable_key_is_named_without_its_content() {
        let dir = tempfile::tempdir().expect("temp dir");
        let cert_file = dir.path().join("c.pem");
        let key_file = dir.path().join("k.pem");
        std::fs::write(&cert_file, "not a certificate").expect("write");
        std::fs::write(&key_file, "secret-looking-bytes").expect("write");
        let files = TlsFiles {
            cert_file,
            key_file: key_file.clone(),
        };
        let error = super::acceptor(&files).err().expect("refused");
        let text = error.to_string();
        assert!(!text.contains("secret-looking-bytes"), "{text}");
    }
}
