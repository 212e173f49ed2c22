//! Renders kubeconfig documents for the local control plane, with everything embedded so
//! that kubectl, helm and kube-rs need no other files. The output holds keys or tokens:
//! write it only with `certs::write_private`, never log it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

use super::DevClusterError;

const CLUSTER_NAME: &str = "fnf-devcluster";

/// Who the kubeconfig authenticates as.
pub(crate) enum KubeconfigUser<'a> {
    /// The admin client certificate (`system:masters`).
    ClientCertificate { cert_pem: &'a str, key_pem: &'a str },
    /// A ServiceAccount token from the TokenRequest API.
    BearerToken { name: &'a str, token: &'a str },
}

pub(crate) fn render_kubeconfig(
    apiserver_url: &str,
    ca_cert_pem: &str,
    user: KubeconfigUser<'_>,
) -> Result<String, DevClusterError> {
    let (user_name, credentials) = match user {
        KubeconfigUser::ClientCertificate { cert_pem, key_pem } => (
            "admin".to_owned(),
            json!({
                "client-certificate-data": STANDARD.encode(cert_pem),
                "client-key-data": STANDARD.encode(key_pem),
            }),
        ),
        KubeconfigUser::BearerToken { name, token } => (name.to_owned(), json!({ "token": token })),
    };
    let document = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{
            "name": CLUSTER_NAME,
            "cluster": {
                "server": apiserver_url,
                "certificate-authority-data": STANDARD.encode(ca_cert_pem),
            },
        }],
        "users": [{ "name": user_name, "user": credentials }],
        "contexts": [{
            "name": CLUSTER_NAME,
            "context": { "cluster": CLUSTER_NAME, "user": user_name, "namespace": "default" },
        }],
        "current-context": CLUSTER_NAME,
    });
    serde_saphyr::to_string(&document).map_err(|e| DevClusterError::Manifest {
        context: "rendering a kubeconfig".to_owned(),
        message: e.to_string(),
    })
}
