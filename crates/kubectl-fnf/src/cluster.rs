//! The plugin's calls to Kubernetes: the kubeconfig, the FlowExecution, the
//! credentials Secret it names, `rerun`'s write and `run --from`'s create.
//!
//! The writes are `set_run_key` (spec.runKey) and `create_flow_execution`,
//! both as field manager `kubectl-fnf`. Must never put a Secret's value anywhere but the returned
//! credentials.

use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};

use super::args::KubeArgs;
use super::error::PluginError;
use super::resolve;
use fnf_client::Credentials;
use fnf_operator::crd::{CronFlowExecution, FlowExecution};

/// A kube client and the namespace the command works in.
pub struct Cluster {
    client: kube::Client,
    pub namespace: String,
}

impl Cluster {
    /// The kubeconfig as kubectl would pick it; the namespace from `-n`, else
    /// the context's, else `default`.
    pub async fn connect(args: &KubeArgs) -> Result<Self, PluginError> {
        let options = KubeConfigOptions {
            context: args.context.clone(),
            ..KubeConfigOptions::default()
        };
        let config = match (&args.kubeconfig, &args.context) {
            (Some(path), _) => {
                let kubeconfig = Kubeconfig::read_from(path)
                    .map_err(|err| PluginError::Kubeconfig(format!("{}: {err}", path.display())))?;
                kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                    .await
                    .map_err(|err| PluginError::Kubeconfig(err.to_string()))?
            }
            (None, Some(_)) => kube::Config::from_kubeconfig(&options)
                .await
                .map_err(|err| PluginError::Kubeconfig(err.to_string()))?,
            (None, None) => kube::Config::infer()
                .await
                .map_err(|err| PluginError::Kubeconfig(err.to_string()))?,
        };
        let namespace = args
            .namespace
            .clone()
            .filter(|ns| !ns.is_empty())
            .unwrap_or_else(|| config.default_namespace.clone());
        let client = kube::Client::try_from(config)
            .map_err(|err| PluginError::Kubeconfig(err.to_string()))?;
        Ok(Self { client, namespace })
    }

    pub async fn flow_execution(&self, name: &str) -> Result<FlowExecution, PluginError> {
        let api: Api<FlowExecution> = Api::namespaced(self.client.clone(), &self.namespace);
        api.get(name)
            .await
            .map_err(|err| flow_execution_error(err, &self.namespace, name))
    }

    /// The `Flow` object `name` in the namespace.
    pub async fn flow(&self, name: &str) -> Result<fnf_operator::crd::Flow, PluginError> {
        let api: Api<fnf_operator::crd::Flow> =
            Api::namespaced(self.client.clone(), &self.namespace);
        api.get(name)
            .await
            .map_err(|err| PluginError::KubernetesApi(format!("Flow {name:?}: {err}")))
    }

    /// Applies `rerun`'s merge patch (only spec.runKey) to FlowExecution `name`.
    pub async fn set_run_key(
        &self,
        name: &str,
        patch: &serde_json::Value,
    ) -> Result<FlowExecution, PluginError> {
        let api: Api<FlowExecution> = Api::namespaced(self.client.clone(), &self.namespace);
        let params = PatchParams {
            field_manager: Some(FIELD_MANAGER.to_string()),
            ..PatchParams::default()
        };
        api.patch(name, &params, &Patch::Merge(patch))
            .await
            .map_err(|err| flow_execution_error(err, &self.namespace, name))
    }

    pub async fn cron_flow_execution(&self, name: &str) -> Result<CronFlowExecution, PluginError> {
        let api: Api<CronFlowExecution> = Api::namespaced(self.client.clone(), &self.namespace);
        api.get(name).await.map_err(|err| match err {
            kube::Error::Api(status) if status.is_not_found() => {
                PluginError::CronFlowExecutionNotFound {
                    namespace: self.namespace.clone(),
                    name: name.to_string(),
                }
            }
            other => PluginError::KubernetesApi(other.to_string()),
        })
    }

    /// Creates `run --from`'s FlowExecution (as field manager `kubectl-fnf`).
    pub async fn create_flow_execution(
        &self,
        fe: &FlowExecution,
    ) -> Result<FlowExecution, PluginError> {
        let api: Api<FlowExecution> = Api::namespaced(self.client.clone(), &self.namespace);
        let params = PostParams {
            field_manager: Some(FIELD_MANAGER.to_string()),
            ..PostParams::default()
        };
        api.create(&params, fe)
            .await
            .map_err(|err| PluginError::KubernetesApi(err.to_string()))
    }

    /// The key in Secret `name`, in the namespace of the FlowExecution.
    pub async fn secret_credentials(&self, name: &str) -> Result<Credentials, PluginError> {
        let api: Api<Secret> = Api::namespaced(self.client.clone(), &self.namespace);
        let secret = match api.get_opt(name).await {
            Ok(Some(secret)) => secret,
            Ok(None) => {
                return Err(PluginError::SecretNotFound {
                    namespace: self.namespace.clone(),
                    name: name.to_string(),
                });
            }
            Err(err) => {
                return Err(PluginError::SecretUnreadable {
                    namespace: self.namespace.clone(),
                    name: name.to_string(),
                    detail: err.to_string(),
                });
            }
        };
        resolve::secret_credentials(&self.namespace, name, &secret.data.unwrap_or_default())
    }
}

/// Who `rerun`'s write is attributed to in managedFields.
pub const FIELD_MANAGER: &str = "kubectl-fnf";

/// A 404 naming the object means no such FlowExecution; a 404 naming nothing
/// means the apiserver does not know the resource type at all.
fn flow_execution_error(err: kube::Error, namespace: &str, name: &str) -> PluginError {
    match err {
        kube::Error::Api(status) if status.is_not_found() => {
            let names_the_object = status.details.as_ref().is_some_and(|d| !d.name.is_empty());
            if names_the_object {
                PluginError::FlowExecutionNotFound {
                    namespace: namespace.to_string(),
                    name: name.to_string(),
                }
            } else {
                PluginError::CrdNotInstalled
            }
        }
        other => PluginError::KubernetesApi(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::core::response::Status;

    /// A 404 body as kube-apiserver sends it.
    fn not_found(body: serde_json::Value) -> kube::Error {
        kube::Error::Api(serde_json::from_value::<Status>(body).unwrap().boxed())
    }

    #[test]
    fn a_missing_object_and_a_missing_resource_type_are_told_apart() {
        let object = not_found(serde_json::json!({
            "kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404,
            "reason": "NotFound",
            "message": "flowexecutions.fnf-operator.dev \"run\" not found",
            "details": {"name": "run", "group": "fnf-operator.dev", "kind": "flowexecutions"},
        }));
        let err = flow_execution_error(object, "team-a", "run");
        assert_eq!(err.reason(), "FlowExecutionNotFound");
        assert!(
            err.to_string()
                .contains(r#""run" not found in namespace "team-a""#),
            "{err}"
        );

        let resource_type = not_found(serde_json::json!({
            "kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 404,
            "reason": "NotFound",
            "message": "the server could not find the requested resource",
            "details": {},
        }));
        let err = flow_execution_error(resource_type, "team-a", "run");
        assert_eq!(err.reason(), "CrdNotInstalled");
    }
}
