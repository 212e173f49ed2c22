//! What can go wrong in `kubectl fnf`, each with a message that names what is
//! missing and how to supply it.
//!
//! Must never carry a secret: messages name Secrets, keys and environment
//! variables, never their values.

use fnf_client::FnfError;

#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error(
        "cannot load a kubeconfig (--kubeconfig, KUBECONFIG, ~/.kube/config or in-cluster): {0}"
    )]
    Kubeconfig(String),

    #[error(
        "FlowExecution {name:?} not found in namespace {namespace:?} (pass -n/--namespace if it lives elsewhere)"
    )]
    FlowExecutionNotFound { namespace: String, name: String },

    #[error(
        "CronFlowExecution {name:?} not found in namespace {namespace:?} (pass -n/--namespace if it lives elsewhere; the CRD is crds/cronflowexecutions.fnf-operator.dev.yaml)"
    )]
    CronFlowExecutionNotFound { namespace: String, name: String },

    #[error(
        "the cluster has no FlowExecution resource type: install the CRD (crds/flowexecutions.fnf-operator.dev.yaml) or the fnf-operator chart"
    )]
    CrdNotInstalled,

    #[error("the Kubernetes API refused the request: {0}")]
    KubernetesApi(String),

    #[error(
        "Secret {namespace}/{name} named by spec.credentialsSecretRef does not exist (it needs keys accessKeyId and accessKeySecret)"
    )]
    SecretNotFound { namespace: String, name: String },

    #[error(
        "cannot read Secret {namespace}/{name} named by spec.credentialsSecretRef: {detail} (reading it needs `get` on secrets in {namespace})"
    )]
    SecretUnreadable {
        namespace: String,
        name: String,
        detail: String,
    },

    #[error(
        "Secret {namespace}/{name} named by spec.credentialsSecretRef has no {key} (keys: accessKeyId, accessKeySecret, optional securityToken)"
    )]
    SecretKeyMissing {
        namespace: String,
        name: String,
        key: &'static str,
    },

    #[error(
        "no cloud credentials: FlowExecution {namespace}/{name} has no spec.credentialsSecretRef, so kubectl-fnf reads its environment: {detail}"
    )]
    NoCredentials {
        namespace: String,
        name: String,
        detail: String,
    },

    #[error(
        "no region for FlowExecution {namespace}/{name}: it has no spec.region, so pass --region (or set FNF_REGION) to the operator's default region, or --endpoint (FNF_ENDPOINT)"
    )]
    NoRegion { namespace: String, name: String },

    #[error("{0}")]
    InvalidSetting(String),

    #[error("{action} of execution {execution_name} of flow {flow_name} failed: {source}")]
    Cloud {
        /// The fnf action that failed.
        action: &'static str,
        flow_name: String,
        execution_name: String,
        /// Boxed: the cloud's error is large and this path is cold.
        #[source]
        source: Box<FnfError>,
    },

    #[error(
        "GetExecutionHistory returned NextToken {token:?} twice; stopping rather than looping (printed nothing)"
    )]
    HistoryPagingStuck { token: String },

    #[error(
        "FlowExecution {namespace}/{name} has no output: the execution has not succeeded yet (phase: {phase})"
    )]
    NoOutput {
        namespace: String,
        name: String,
        phase: String,
    },

    #[error(
        "FlowExecution {namespace}/{name} holds only the first bytes of its Output and the cloud returned none for execution {execution_name}"
    )]
    NoCloudOutput {
        namespace: String,
        name: String,
        execution_name: String,
    },

    #[error(
        "FlowExecution {namespace}/{name} cannot be rerun: {why}; create a new FlowExecution to run again"
    )]
    RerunRefused {
        namespace: String,
        name: String,
        why: &'static str,
    },

    #[error("FlowExecution {namespace}/{name} completed without success: {reason}: {message}")]
    RunFailed {
        namespace: String,
        name: String,
        reason: String,
        message: String,
    },

    #[error(
        "timed out after {timeout_secs}s waiting for FlowExecution {namespace}/{name} to be {wanted} at generation {generation}"
    )]
    WaitTimedOut {
        namespace: String,
        name: String,
        wanted: &'static str,
        generation: i64,
        timeout_secs: u64,
    },

    #[error("cannot write the result: {0}")]
    Write(String),
}

impl PluginError {
    /// Stable, CamelCase, for logs and scripts.
    pub fn reason(&self) -> &'static str {
        match self {
            PluginError::Kubeconfig(_) => "KubeconfigUnavailable",
            PluginError::FlowExecutionNotFound { .. } => "FlowExecutionNotFound",
            PluginError::CronFlowExecutionNotFound { .. } => "CronFlowExecutionNotFound",
            PluginError::CrdNotInstalled => "CrdNotInstalled",
            PluginError::KubernetesApi(_) => "KubernetesApiError",
            PluginError::SecretNotFound { .. } => "SecretNotFound",
            PluginError::SecretUnreadable { .. } => "SecretUnreadable",
            PluginError::SecretKeyMissing { .. } => "SecretKeyMissing",
            PluginError::NoCredentials { .. } => "NoCredentials",
            PluginError::NoRegion { .. } => "NoRegion",
            PluginError::InvalidSetting(_) => "InvalidSetting",
            PluginError::Cloud { .. } => "CloudCallFailed",
            PluginError::HistoryPagingStuck { .. } => "HistoryPagingStuck",
            PluginError::NoOutput { .. } | PluginError::NoCloudOutput { .. } => {
                "OutputNotAvailable"
            }
            PluginError::RerunRefused { .. } => "RerunRefused",
            PluginError::RunFailed { .. } => "RunFailed",
            PluginError::WaitTimedOut { .. } => "WaitTimedOut",
            PluginError::Write(_) => "WriteFailed",
        }
    }

    /// The process's exit code: 2 when a wait ran out of time (so a script
    /// tells "not yet" from "failed"), 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            PluginError::WaitTimedOut { .. } => 2,
            _ => 1,
        }
    }
}
