//! Generates the throw-away PKI of one local control plane: a CA, kube-apiserver's serving
//! certificate, an admin client certificate (group `system:masters`) and the ServiceAccount
//! token signing key pair. Keys only ever go to files in the cluster's private temp dir
//! (mode 0600); never log or print them.

use std::fs::OpenOptions;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

use super::DevClusterError;

/// The files kube-apiserver is started with, plus the PEM text clients need.
#[derive(Clone)]
pub(crate) struct ClusterCertificates {
    pub ca_cert: PathBuf,
    pub serving_cert: PathBuf,
    pub serving_key: PathBuf,
    pub service_account_public_key: PathBuf,
    pub service_account_signing_key: PathBuf,
    pub ca_cert_pem: String,
    pub admin_cert_pem: String,
    pub admin_key_pem: String,
}

// Key material stays out of Debug output.
impl std::fmt::Debug for ClusterCertificates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterCertificates")
            .field("ca_cert", &self.ca_cert)
            .field("serving_cert", &self.serving_cert)
            .finish_non_exhaustive()
    }
}

impl ClusterCertificates {
    /// Generates everything (ECDSA P-256 throughout: fast, and accepted by kube-apiserver for
    /// both TLS and ServiceAccount tokens) and writes it into `dir`.
    pub fn generate(dir: &Path) -> Result<Self, DevClusterError> {
        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "fnf-devcluster-ca");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let ca = Issuer::new(ca_params, ca_key);

        let serving_key = KeyPair::generate()?;
        let mut serving_params = CertificateParams::new(vec!["localhost".to_owned()])?;
        serving_params
            .subject_alt_names
            .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
        serving_params
            .distinguished_name
            .push(DnType::CommonName, "kube-apiserver");
        serving_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let serving_cert = serving_params.signed_by(&serving_key, &ca)?;

        // kube-apiserver's x509 authenticator maps CN to the user and O to its groups.
        let admin_key = KeyPair::generate()?;
        let mut admin_params = CertificateParams::new(Vec::<String>::new())?;
        admin_params
            .distinguished_name
            .push(DnType::CommonName, "admin");
        admin_params
            .distinguished_name
            .push(DnType::OrganizationName, "system:masters");
        admin_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let admin_cert = admin_params.signed_by(&admin_key, &ca)?;

        let service_account_key = KeyPair::generate()?;

        let certificates = Self {
            ca_cert: dir.join("ca.crt"),
            serving_cert: dir.join("apiserver.crt"),
            serving_key: dir.join("apiserver.key"),
            service_account_public_key: dir.join("service-account.pub"),
            service_account_signing_key: dir.join("service-account.key"),
            ca_cert_pem: ca_cert.pem(),
            admin_cert_pem: admin_cert.pem(),
            admin_key_pem: admin_key.serialize_pem(),
        };
        write_private(&certificates.ca_cert, &certificates.ca_cert_pem)?;
        write_private(&certificates.serving_cert, &serving_cert.pem())?;
        write_private(&certificates.serving_key, &serving_key.serialize_pem())?;
        write_private(
            &certificates.service_account_public_key,
            &service_account_key.public_key_pem(),
        )?;
        write_private(
            &certificates.service_account_signing_key,
            &service_account_key.serialize_pem(),
        )?;
        Ok(certificates)
    }
}

/// Writes a file readable only by the current user: it may hold a private key or a token.
pub(crate) fn write_private(path: &Path, contents: &str) -> Result<(), DevClusterError> {
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| DevClusterError::io(format!("creating {}", path.display()), e))?;
    file.write_all(contents.as_bytes())
        .map_err(|e| DevClusterError::io(format!("writing {}", path.display()), e))
}
