//! Generates the throw-away PKI of one local control plane: a CA, kube-apiserver's serving
//! certificate, an admin client certificate (group `system:masters`) and the ServiceAccount
//! token signing key pair; for a cluster with a node also the node's certificates
//! (kubelet's client and serving ones, and kube-apiserver's client for the kubelet). Keys only ever go to files in the cluster's private temp dir
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
    pub node: Option<NodeCertificates>,
}

/// What a kubelet node adds: files only (PEM, mode 0600, in the cluster's dir).
#[derive(Clone, Debug)]
pub(crate) struct NodeCertificates {
    /// kube-apiserver's client certificate towards the kubelet (`system:masters`).
    pub apiserver_kubelet_client_cert: PathBuf,
    pub apiserver_kubelet_client_key: PathBuf,
    /// The kubelet's serving certificate for the node address.
    pub kubelet_serving_cert: PathBuf,
    pub kubelet_serving_key: PathBuf,
    /// The kubelet's identity `system:node:NAME` in `system:nodes` (what NodeRestriction checks).
    pub kubelet_client_cert_pem: String,
    pub kubelet_client_key_pem: String,
}

/// The node a cluster is generated for: its name and the address the apiserver and the
/// kubelet serve on.
pub(crate) struct NodeIdentity<'a> {
    pub name: &'a str,
    pub address: IpAddr,
    /// The `kubernetes` Service's ClusterIP, which in-cluster clients dial.
    pub service_ip: IpAddr,
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
    pub fn generate(dir: &Path, node: Option<&NodeIdentity<'_>>) -> Result<Self, DevClusterError> {
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
        if let Some(node) = node {
            // In-cluster clients dial the Service IP or (with DNS) the Service's names.
            serving_params
                .subject_alt_names
                .push(SanType::IpAddress(node.address));
            serving_params
                .subject_alt_names
                .push(SanType::IpAddress(node.service_ip));
            for name in [
                "kubernetes",
                "kubernetes.default",
                "kubernetes.default.svc",
                "kubernetes.default.svc.cluster.local",
            ] {
                serving_params
                    .subject_alt_names
                    .push(SanType::DnsName(name.try_into()?));
            }
        }
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
        let node_certificates = match node {
            Some(node) => Some(generate_node(dir, &ca, node)?),
            None => None,
        };

        let certificates = Self {
            ca_cert: dir.join("ca.crt"),
            serving_cert: dir.join("apiserver.crt"),
            serving_key: dir.join("apiserver.key"),
            service_account_public_key: dir.join("service-account.pub"),
            service_account_signing_key: dir.join("service-account.key"),
            ca_cert_pem: ca_cert.pem(),
            admin_cert_pem: admin_cert.pem(),
            admin_key_pem: admin_key.serialize_pem(),
            node: node_certificates,
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

fn generate_node(
    dir: &Path,
    ca: &Issuer<'_, KeyPair>,
    node: &NodeIdentity<'_>,
) -> Result<NodeCertificates, DevClusterError> {
    let client = |common_name: &str, organization: &str| -> Result<_, DevClusterError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params
            .distinguished_name
            .push(DnType::OrganizationName, organization);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let cert = params.signed_by(&key, ca)?;
        Ok((cert.pem(), key.serialize_pem()))
    };
    let (apiserver_client_cert, apiserver_client_key) =
        client("kube-apiserver-kubelet-client", "system:masters")?;
    let (kubelet_client_cert_pem, kubelet_client_key_pem) =
        client(&format!("system:node:{}", node.name), "system:nodes")?;

    let serving_key = KeyPair::generate()?;
    let mut serving_params = CertificateParams::new(vec![node.name.to_owned()])?;
    serving_params
        .subject_alt_names
        .push(SanType::IpAddress(node.address));
    serving_params
        .distinguished_name
        .push(DnType::CommonName, node.name);
    serving_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let serving_cert = serving_params.signed_by(&serving_key, ca)?;

    let certificates = NodeCertificates {
        apiserver_kubelet_client_cert: dir.join("apiserver-kubelet-client.crt"),
        apiserver_kubelet_client_key: dir.join("apiserver-kubelet-client.key"),
        kubelet_serving_cert: dir.join("kubelet.crt"),
        kubelet_serving_key: dir.join("kubelet.key"),
        kubelet_client_cert_pem,
        kubelet_client_key_pem,
    };
    write_private(
        &certificates.apiserver_kubelet_client_cert,
        &apiserver_client_cert,
    )?;
    write_private(
        &certificates.apiserver_kubelet_client_key,
        &apiserver_client_key,
    )?;
    write_private(&certificates.kubelet_serving_cert, &serving_cert.pem())?;
    write_private(
        &certificates.kubelet_serving_key,
        &serving_key.serialize_pem(),
    )?;
    Ok(certificates)
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
