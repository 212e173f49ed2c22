//! Which fnf client serves a FlowExecution (or a Flow): its region (or the operator's) and
//! its credentials (its own Secret, or the operator's chain). Clients are
//! cached per endpoint and key so that every resource of one account shares
//! that account's quota buckets and connection pool.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use sha2::{Digest, Sha256};

use crate::config::CloudSettings;
use crate::crd::{FlowExecution, SecretRef};
use crate::decide::view::ProblemKind;
use fnf_client::{Client, ClientConfig, CredentialProvider, Credentials, Endpoint};

/// Why no client could be made: becomes a condition and an Event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessProblem {
    pub kind: ProblemKind,
    pub reason: &'static str,
    pub message: String,
}

pub struct CloudAccess {
    settings: CloudSettings,
    kube: kube::Client,
    clients: Mutex<HashMap<String, Client>>,
}

const SECRET_KEY_ID: &str = "accessKeyId";
const SECRET_KEY_SECRET: &str = "accessKeySecret";
const SECRET_KEY_TOKEN: &str = "securityToken";

impl CloudAccess {
    pub fn new(settings: CloudSettings, kube: kube::Client) -> Arc<Self> {
        Arc::new(Self {
            settings,
            kube,
            clients: Mutex::default(),
        })
    }

    pub async fn client_for(&self, fe: &FlowExecution) -> Result<Client, AccessProblem> {
        let namespace = fe.metadata.namespace.clone().unwrap_or_default();
        self.client_with(
            &namespace,
            fe.spec.region.as_deref(),
            fe.spec.credentials_secret_ref.as_ref(),
        )
        .await
    }

    /// The client for an object of `namespace` with this region and Secret
    /// (a `Flow` too): the same cache, so every resource of one account shares
    /// that account's quota buckets.
    pub async fn client_with(
        &self,
        namespace: &str,
        region: Option<&str>,
        secret_ref: Option<&SecretRef>,
    ) -> Result<Client, AccessProblem> {
        let region = region.map_or_else(|| self.settings.default_region.clone(), str::to_string);
        let endpoint = match &self.settings.endpoint_override {
            Some(endpoint) => endpoint.clone(),
            None => Endpoint::from_region(&region).map_err(|err| AccessProblem {
                kind: ProblemKind::SpecRefused,
                reason: "InvalidRegion",
                message: format!("spec.region: {err}"),
            })?,
        };
        let (credentials, identity) = match secret_ref {
            Some(secret_ref) => {
                let credentials = self.secret_credentials(namespace, &secret_ref.name).await?;
                // The key includes a digest of the secret so a rotated secret
                // with the same key id gets a new client.
                let digest = hex::encode(Sha256::digest(
                    format!(
                        "{}\n{}\n{}",
                        credentials.access_key_id,
                        credentials.access_key_secret,
                        credentials.security_token.as_deref().unwrap_or_default()
                    )
                    .as_bytes(),
                ));
                (
                    CredentialProvider::static_credentials(credentials),
                    format!("secret:{digest}"),
                )
            }
            None => match &self.settings.default_credentials {
                Some(provider) => (provider.clone(), "operator".to_string()),
                None => {
                    return Err(AccessProblem {
                        kind: ProblemKind::Credentials,
                        reason: "NoCredentials",
                        message: "the operator has no cloud credentials of its own: set spec.credentialsSecretRef, or give the operator ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET or RRSA".into(),
                    });
                }
            },
        };
        let key = format!("{}|{region}|{identity}", endpoint.url());
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let client = clients.entry(key).or_insert_with(|| {
            let mut config = ClientConfig::with_http(endpoint, self.settings.http.clone());
            config.region_id = Some(region.clone());
            config.signature = self.settings.signature;
            config.retry = self.settings.retry.clone();
            config.quotas = self.settings.quotas.clone();
            config.observer = self.settings.observer.clone();
            Client::new(config, credentials)
        });
        Ok(client.clone())
    }

    async fn secret_credentials(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Credentials, AccessProblem> {
        if !self.settings.secret_credentials {
            return Err(AccessProblem {
                kind: ProblemKind::Credentials,
                reason: "SecretCredentialsDisabled",
                message: format!(
                    "spec.credentialsSecretRef names Secret {name}, but this operator does not read Secrets: install the chart with secretCredentials=true, or remove the field to use the operator's credentials"
                ),
            });
        }
        let api: Api<Secret> = Api::namespaced(self.kube.clone(), namespace);
        let secret = match api.get_opt(name).await {
            Ok(Some(secret)) => secret,
            Ok(None) => {
                return Err(AccessProblem {
                    kind: ProblemKind::Credentials,
                    reason: "SecretNotFound",
                    message: format!(
                        "Secret {namespace}/{name} named by spec.credentialsSecretRef does not exist: create it with keys {SECRET_KEY_ID} and {SECRET_KEY_SECRET} (and {SECRET_KEY_TOKEN} for STS)"
                    ),
                });
            }
            Err(err) => {
                return Err(AccessProblem {
                    kind: ProblemKind::Transient,
                    reason: "SecretUnreadable",
                    message: format!("cannot read Secret {namespace}/{name}: {err}"),
                });
            }
        };
        let data = secret.data.unwrap_or_default();
        let text = |key: &str| {
            data.get(key)
                .and_then(|v| String::from_utf8(v.0.clone()).ok())
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let missing = |key: &str| AccessProblem {
            kind: ProblemKind::Credentials,
            reason: "SecretKeyMissing",
            message: format!(
                "Secret {namespace}/{name} has no {key}: add it (keys {SECRET_KEY_ID}, {SECRET_KEY_SECRET}, optional {SECRET_KEY_TOKEN})"
            ),
        };
        Ok(Credentials {
            access_key_id: text(SECRET_KEY_ID).ok_or_else(|| missing(SECRET_KEY_ID))?,
            access_key_secret: text(SECRET_KEY_SECRET).ok_or_else(|| missing(SECRET_KEY_SECRET))?,
            security_token: text(SECRET_KEY_TOKEN),
        })
    }
}
