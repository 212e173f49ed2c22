//! The command lines of etcd and kube-apiserver for a plain local control plane (a node
//! adapts the apiserver's in `node::adapt_apiserver_args`). Pure: no I/O.

use std::path::Path;

use super::certs::ClusterCertificates;

/// kube-apiserver writes this into the `kubernetes` Endpoints and refuses loopback there.
/// Nothing dials it (no Pods, no kube-proxy), so a fixed documentation address (TEST-NET-2,
/// RFC 5737) works everywhere, including sandboxes whose only interface is `lo` and where
/// the apiserver's own detection ("no default route") fails.
const ADVERTISE_ADDRESS: &str = "198.51.100.1";

pub(super) fn etcd_args(dir: &Path, client_port: u16, peer_port: u16) -> Vec<String> {
    let client_url = format!("http://127.0.0.1:{client_port}");
    let peer_url = format!("http://127.0.0.1:{peer_port}");
    vec![
        "--name=devcluster".to_owned(),
        format!("--data-dir={}", dir.join("etcd").display()),
        format!("--listen-client-urls={client_url}"),
        format!("--advertise-client-urls={client_url}"),
        format!("--listen-peer-urls={peer_url}"),
        format!("--initial-advertise-peer-urls={peer_url}"),
        format!("--initial-cluster=devcluster={peer_url}"),
        // Test data is disposable; fsync dominates etcd's latency on shared disks.
        "--unsafe-no-fsync=true".to_owned(),
        "--log-level=warn".to_owned(),
    ]
}

/// controller-runtime's envtest flags, plus an explicit advertise address.
pub(super) fn apiserver_args(
    dir: &Path,
    certificates: &ClusterCertificates,
    etcd_client_port: u16,
    port: u16,
) -> Vec<String> {
    vec![
        format!("--etcd-servers=http://127.0.0.1:{etcd_client_port}"),
        "--bind-address=127.0.0.1".to_owned(),
        format!("--secure-port={port}"),
        format!("--advertise-address={ADVERTISE_ADDRESS}"),
        format!("--cert-dir={}", dir.join("apiserver-certs").display()),
        format!("--tls-cert-file={}", certificates.serving_cert.display()),
        format!(
            "--tls-private-key-file={}",
            certificates.serving_key.display()
        ),
        format!("--client-ca-file={}", certificates.ca_cert.display()),
        "--authorization-mode=RBAC".to_owned(),
        format!("--service-account-issuer=https://127.0.0.1:{port}"),
        format!(
            "--service-account-key-file={}",
            certificates.service_account_public_key.display()
        ),
        format!(
            "--service-account-signing-key-file={}",
            certificates.service_account_signing_key.display()
        ),
        "--service-cluster-ip-range=10.0.0.0/16".to_owned(),
        // Without kube-controller-manager no default ServiceAccount ever appears, and this
        // plugin would then refuse every Pod.
        "--disable-admission-plugins=ServiceAccount".to_owned(),
        "--allow-privileged=true".to_owned(),
    ]
}
