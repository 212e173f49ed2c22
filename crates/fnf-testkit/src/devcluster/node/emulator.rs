//! The fnf emulator as pods on the node reach it: HTTPS on the node's address, with a CA
//! of its own that the operator is told to trust (the chart's `cloudCABundle`), since
//! the operator dials plain HTTP only on loopback. The key stays in a 0600 temp file.

use std::net::SocketAddr;

use fnf_emulator::{self as emulator, EmulatorConfig, RunningEmulator, TlsFiles};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

use super::super::DevClusterError;
use super::super::certs::write_private;
use super::NODE_ADDRESS;

/// A running HTTPS emulator and the PEM of the CA that signed its certificate.
pub struct TlsEmulator {
    pub emulator: RunningEmulator,
    pub ca_pem: String,
    _files: tempfile::TempDir,
}

/// Starts `config` on the node's address (a free port) with a fresh CA and certificate.
pub async fn start_tls_emulator(
    mut config: EmulatorConfig,
) -> Result<TlsEmulator, DevClusterError> {
    let files = tempfile::tempdir().map_err(|e| DevClusterError::io("creating a temp dir", e))?;
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "fnf-emulator-test-ca");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca_params.self_signed(&ca_key)?;
    let ca = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params
        .subject_alt_names
        .push(SanType::IpAddress(NODE_ADDRESS.into()));
    params
        .distinguished_name
        .push(DnType::CommonName, "fnf-emulator");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params.signed_by(&key, &ca)?;
    let tls = TlsFiles {
        cert_file: files.path().join("emulator.crt"),
        key_file: files.path().join("emulator.key"),
    };
    write_private(&tls.cert_file, &cert.pem())?;
    write_private(&tls.key_file, &key.serialize_pem())?;
    config.listen = SocketAddr::from((NODE_ADDRESS, 0));
    config.tls = Some(tls);
    let emulator = emulator::start(config)
        .await
        .map_err(|e| DevClusterError::NodeUnavailable {
            reason: format!("starting the TLS emulator: {e}"),
        })?;
    Ok(TlsEmulator {
        emulator,
        ca_pem: ca_cert.pem(),
        _files: files,
    })
}
