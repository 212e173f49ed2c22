//! Ways into a running [`DevCluster`]: kube clients (admin or a ServiceAccount), the built
//! kubectl and helm, CRD installation and fresh namespaces. Every client is built anew per
//! call, so it lives on the caller's tokio runtime. Tokens go only into 0600 files and
//! clients; never into logs or errors.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};
use rand::Rng;

use super::certs::write_private;
use super::kubeconfig::{KubeconfigUser, render_kubeconfig};
use super::{DevCluster, DevClusterError};

const CRD_ESTABLISHED_TIMEOUT_SECS: u64 = 60;
const CRD_POLL_MILLIS: u64 = 100;
/// ServiceAccount tokens outlive any test run; the apiserver may shorten them.
const SERVICE_ACCOUNT_TOKEN_TTL_SECS: i64 = 24 * 60 * 60;
const FIELD_MANAGER: &str = "fnf-devcluster";
const NAMESPACE_SUFFIX_LEN: usize = 6;
const NAMESPACE_NAME_MAX_LEN: usize = 63;

impl DevCluster {
    /// A new admin client (`system:masters`) bound to the caller's runtime.
    pub async fn admin_client(&self) -> Result<Client, DevClusterError> {
        let kubeconfig = Kubeconfig::read_from(&self.kubeconfig_path)?;
        client_from_kubeconfig(kubeconfig).await
    }

    /// Runs the built kubectl as admin (`KUBECONFIG` points at [`Self::kubeconfig_path`]).
    pub async fn kubectl<I, S>(&self, args: I) -> Result<Output, DevClusterError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = tokio::process::Command::new(&self.binaries.kubectl);
        command
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig_path)
            // kubectl caches discovery under ~/.kube otherwise.
            .env("KUBECACHEDIR", self.dir.join("kubectl-cache"));
        run(command, "kubectl").await
    }

    /// Runs the built helm (Kubernetes 1.37 compiled in) as admin, with its config, cache
    /// and data homes inside the cluster's temp dir.
    pub async fn helm<I, S>(&self, args: I) -> Result<Output, DevClusterError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let helm_home = self.dir.join("helm");
        let mut command = tokio::process::Command::new(&self.binaries.helm);
        command
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig_path)
            .env("HELM_CACHE_HOME", helm_home.join("cache"))
            .env("HELM_CONFIG_HOME", helm_home.join("config"))
            .env("HELM_DATA_HOME", helm_home.join("data"));
        run(command, "helm").await
    }

    /// Server-side applies the CRDs (so installing the same ones again is harmless) and
    /// waits until each reports `Established`.
    pub async fn install_crds(
        &self,
        crds: &[CustomResourceDefinition],
    ) -> Result<(), DevClusterError> {
        let api: Api<CustomResourceDefinition> = Api::all(self.admin_client().await?);
        let params = PatchParams::apply(FIELD_MANAGER).force();
        for crd in crds {
            let name = crd.metadata.name.clone().unwrap_or_default();
            let mut crd = crd.clone();
            // Server-side apply refuses a body carrying server-owned fields.
            crd.metadata.managed_fields = None;
            crd.metadata.resource_version = None;
            crd.status = None;
            api.patch(&name, &params, &Patch::Apply(&crd))
                .await
                .map_err(|e| DevClusterError::kube(format!("applying CRD {name}"), e))?;
        }
        for crd in crds {
            let name = crd.metadata.name.clone().unwrap_or_default();
            wait_until_established(&api, &name).await?;
        }
        Ok(())
    }

    /// [`Self::install_crds`] for a YAML file holding one or more CRD documents.
    pub async fn install_crds_from_yaml(&self, path: &Path) -> Result<(), DevClusterError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| DevClusterError::io(format!("reading {}", path.display()), e))?;
        let crds = parse_crds(&text).map_err(|message| DevClusterError::Manifest {
            context: format!("parsing {}", path.display()),
            message,
        })?;
        self.install_crds(&crds).await
    }

    /// Creates a namespace named `<prefix>-<random>` and returns its name. Namespaces never
    /// finish deleting here (no kube-controller-manager), so tests take a fresh one each.
    pub async fn create_namespace(&self, prefix: &str) -> Result<String, DevClusterError> {
        let prefix: String = prefix
            .chars()
            .take(NAMESPACE_NAME_MAX_LEN - NAMESPACE_SUFFIX_LEN - 1)
            .collect();
        let name = format!("{prefix}-{}", random_dns_label(NAMESPACE_SUFFIX_LEN));
        let namespace = Namespace {
            metadata: kube::api::ObjectMeta {
                name: Some(name.clone()),
                ..Default::default()
            },
            ..Default::default()
        };
        Api::<Namespace>::all(self.admin_client().await?)
            .create(&PostParams::default(), &namespace)
            .await
            .map_err(|e| DevClusterError::kube(format!("creating namespace {name}"), e))?;
        Ok(name)
    }

    /// Writes a kubeconfig authenticating as ServiceAccount `namespace/name` (created if
    /// missing) with a token from the TokenRequest API, and returns its path. Useful for
    /// running the operator binary under exactly the chart's RBAC.
    pub async fn service_account_kubeconfig(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<PathBuf, DevClusterError> {
        let rendered = self
            .render_service_account_kubeconfig(namespace, name)
            .await?;
        let path = self.dir.join(format!("sa-{namespace}-{name}.kubeconfig"));
        write_private(&path, &rendered)?;
        Ok(path)
    }

    /// A new client authenticating as ServiceAccount `namespace/name` (created if missing);
    /// its requests are authorized by RBAC as `system:serviceaccount:<namespace>:<name>`.
    pub async fn service_account_client(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Client, DevClusterError> {
        let rendered = self
            .render_service_account_kubeconfig(namespace, name)
            .await?;
        client_from_kubeconfig(Kubeconfig::from_yaml(&rendered)?).await
    }

    async fn render_service_account_kubeconfig(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<String, DevClusterError> {
        let accounts: Api<ServiceAccount> = Api::namespaced(self.admin_client().await?, namespace);
        let account = ServiceAccount {
            metadata: kube::api::ObjectMeta {
                name: Some(name.to_owned()),
                ..Default::default()
            },
            ..Default::default()
        };
        match accounts.create(&PostParams::default(), &account).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 409 => {}
            Err(e) => {
                return Err(DevClusterError::kube(
                    format!("creating ServiceAccount {namespace}/{name}"),
                    e,
                ));
            }
        }
        let request = TokenRequest {
            spec: Some(TokenRequestSpec {
                expiration_seconds: Some(SERVICE_ACCOUNT_TOKEN_TTL_SECS),
                ..Default::default()
            }),
            ..Default::default()
        };
        let issued = accounts
            .create_token_request(name, &PostParams::default(), &request)
            .await
            .map_err(|e| {
                DevClusterError::kube(format!("requesting a token for {namespace}/{name}"), e)
            })?;
        let token = issued
            .status
            .and_then(|status| status.token)
            .filter(|token| !token.is_empty())
            .ok_or_else(|| DevClusterError::TokenMissing {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
            })?;
        render_kubeconfig(
            &self.apiserver_url(),
            &self.certificates.ca_cert_pem,
            KubeconfigUser::BearerToken {
                name: &format!("system:serviceaccount:{namespace}:{name}"),
                token: &token,
            },
        )
    }
}

async fn client_from_kubeconfig(kubeconfig: Kubeconfig) -> Result<Client, DevClusterError> {
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default()).await?;
    Client::try_from(config).map_err(|e| DevClusterError::kube("building a kube client", e))
}

async fn run(
    mut command: tokio::process::Command,
    program: &'static str,
) -> Result<Output, DevClusterError> {
    command
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .map_err(|e| DevClusterError::io(format!("running {program}"), e))
}

async fn wait_until_established(
    api: &Api<CustomResourceDefinition>,
    name: &str,
) -> Result<(), DevClusterError> {
    let deadline = Instant::now() + Duration::from_secs(CRD_ESTABLISHED_TIMEOUT_SECS);
    loop {
        let crd = api
            .get(name)
            .await
            .map_err(|e| DevClusterError::kube(format!("reading CRD {name}"), e))?;
        let established = crd
            .status
            .and_then(|status| status.conditions)
            .unwrap_or_default()
            .iter()
            .any(|condition| condition.type_ == "Established" && condition.status == "True");
        if established {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(DevClusterError::CrdNotEstablished {
                name: name.to_owned(),
                waited_secs: CRD_ESTABLISHED_TIMEOUT_SECS,
            });
        }
        tokio::time::sleep(Duration::from_millis(CRD_POLL_MILLIS)).await;
    }
}

/// Every non-empty document of a multi-document YAML stream, as CRDs (empty
/// and null documents are skipped).
fn parse_crds(text: &str) -> Result<Vec<CustomResourceDefinition>, String> {
    serde_saphyr::from_multiple(text).map_err(|e| e.to_string())
}

fn random_dns_label(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_yaml_stream_gives_one_crd_per_document_and_skips_empty_ones() {
        let committed = std::fs::read_to_string(crate::repo_path(
            "crds/flowexecutions.fnf-operator.dev.yaml",
        ))
        .unwrap();
        let stream = format!("---\n{committed}\n---\n# nothing here\n---\n{committed}");
        let crds = parse_crds(&stream).unwrap();
        assert_eq!(crds.len(), 2);
        assert_eq!(
            crds[0].metadata.name.as_deref(),
            Some("flowexecutions.fnf-operator.dev")
        );
        assert!(parse_crds("kind: [unclosed").is_err());
    }
}
