//! The `FlowExecution` custom resource: its spec, status and conditions.
//!
//! The CRD YAML under `crds/` is generated from these types by `fnf-crdgen`;
//! a test fails when the committed YAML drifts from them.

mod execution_name;
mod schema;

pub use execution_name::{
    FNF_NAME_MAX_CHARS, default_execution_name, is_valid_fnf_name, legacy_default_execution_name,
    namespace_prefix,
};
pub use schema::{INPUT_DEPTH_POLICY_NAME, INPUT_MAX_DEPTH, input_depth_policy};

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub const GROUP: &str = "fnf-operator.dev";
pub const FINALIZER: &str = "fnf-operator.dev/stop-execution";
/// The field manager of every write the operator makes (status, finalizer,
/// `spec.outputTo` objects, its Lease).
pub const FIELD_MANAGER: &str = "fnf-operator";

/// Start an execution of `flowName`, or observe one started elsewhere, and mirror
/// what the cloud says about it.
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "fnf-operator.dev",
    version = "v1alpha1",
    kind = "FlowExecution",
    plural = "flowexecutions",
    shortname = "fe",
    category = "fnf",
    namespaced,
    status = "FlowExecutionStatus",
    derive = "PartialEq",
    doc = "A run of an Alibaba Cloud Serverless Workflow (fnf) flow, started or observed by fnf-operator.",
    printcolumn = r#"{"name":"Flow","type":"string","jsonPath":".spec.flowName"}"#,
    printcolumn = r#"{"name":"Execution","type":"string","jsonPath":".status.executionName"}"#,
    printcolumn = r#"{"name":"Status","type":"string","jsonPath":".status.phase"}"#,
    printcolumn = r#"{"name":"Started","type":"date","jsonPath":".status.startedTime"}"#,
    printcolumn = r#"{"name":"Finished","type":"date","jsonPath":".status.stoppedTime"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    printcolumn = r#"{"name":"Current Step","type":"string","priority":1,"jsonPath":".status.currentStep"}"#,
    printcolumn = r#"{"name":"Reason","type":"string","priority":1,"jsonPath":".status.conditions[?(@.type==\"Succeeded\")].reason"}"#,
    printcolumn = r#"{"name":"Message","type":"string","priority":1,"jsonPath":".status.conditions[?(@.type==\"Succeeded\")].message"}"#
)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = schema::spec_rules()))]
pub struct FlowExecutionSpec {
    /// The flow to run: letters, digits, `_` and `-`, starting with a letter or `_`,
    /// at most 128 characters. Immutable.
    #[schemars(schema_with = "schema::fnf_name")]
    pub flow_name: String,

    /// The execution's name in the cloud. Default: derived from the namespace and
    /// name (see the README), so a re-created object adopts the same execution.
    /// Same rules as `flowName`, and it must start with `{namespace}_` unless the
    /// operator allows this namespace other names. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "schema::optional_fnf_name")]
    pub execution_name: Option<String>,

    /// The execution's input: a JSON object, written as YAML. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "schema::input")]
    pub input: Option<serde_json::Map<String, serde_json::Value>>,

    /// `Start` (default) starts the execution or adopts a running one of that name
    /// and input; `Observe` only mirrors an execution started elsewhere. Immutable.
    #[serde(default)]
    pub mode: Mode,

    /// The flow version or alias to run. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128))]
    pub qualifier: Option<String>,

    /// The cloud region, e.g. `cn-hangzhou`. Default: the operator's. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[a-z]{2}-[a-z0-9-]+$"), length(max = 64))]
    pub region: Option<String>,

    /// A Secret in this namespace with `accessKeyId`, `accessKeySecret` and an
    /// optional `securityToken`. Default: the operator's own credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_secret_ref: Option<SecretRef>,

    /// Set to true to stop the execution. It cannot be set back to false.
    #[serde(default)]
    pub stop: bool,

    /// What deleting a live FlowExecution does to its execution: `Stop` (default)
    /// or `Orphan` (leave it running).
    #[serde(default)]
    pub deletion_policy: DeletionPolicy,

    /// Stop the execution (Error `DeadlineExceeded`) once it has run this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub active_deadline_seconds: Option<i64>,

    /// Delete this FlowExecution this long after its execution ended. For objects
    /// created by automation; a GitOps tool would re-create a deleted object (which
    /// then adopts the old run: nothing re-runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub ttl_seconds_after_finished: Option<i64>,

    /// Separate clean-up delays after success and after failure (Argo's
    /// ttlStrategy); each overrides `ttlSecondsAfterFinished` for its outcome.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_strategy: Option<TtlStrategy>,

    /// Where to write the Output when the execution succeeds, for Deployments
    /// and Jobs to mount. The object is created and owned by this FlowExecution;
    /// one that exists and is not owned by it is never overwritten.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_to: Option<OutputTarget>,
}

#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TtlStrategy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub seconds_after_success: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub seconds_after_failure: Option<i64>,
}

/// A ConfigMap or a Secret in this namespace, and the key(s) to write.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = schema::output_target_rules()))]
pub struct OutputTarget {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map: Option<ObjectName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<ObjectName>,
    /// The key that receives the whole Output. Default `output`.
    #[serde(default = "default_output_key")]
    #[schemars(regex(pattern = r"^[-._a-zA-Z0-9]+$"), length(min = 1, max = 253))]
    pub key: String,
    /// Top-level fields of the Output (a JSON object) that also get a key of
    /// their own: strings as they are, anything else as JSON.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

fn default_output_key() -> String {
    "output".to_string()
}

#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectName {
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum Mode {
    #[default]
    Start,
    Observe,
}

#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum DeletionPolicy {
    #[default]
    Stop,
    Orphan,
}

/// A Secret in the FlowExecution's own namespace. There is deliberately no
/// namespace field: a FlowExecution can never borrow another namespace's keys.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SecretRef {
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

/// What the cloud last said about the execution, verbatim, plus conditions.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FlowExecutionStatus {
    /// The cloud's Status verbatim (Starting, Running, Succeeded, Failed,
    /// TimedOut, Stopped); `Pending` before the cloud has answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_time: Option<String>,
    /// The execution's Output string, verbatim: whole up to 64 KiB (the
    /// operator's `--status-output-max-bytes`), else its first bytes only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// True when `output` holds only the first bytes of a larger Output. The
    /// whole Output goes to `spec.outputTo` (up to the 1 MiB a ConfigMap or
    /// Secret holds) and `kubectl fnf output` reads it from the cloud.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_truncated: Option<bool>,
    /// Error and cause of a Failed, TimedOut or Stopped execution, from its
    /// history's final event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// RequestId of the cloud response that produced the current state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The last step the execution entered, from its history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_step: Option<String>,
    /// Steps entered so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_count: Option<i64>,
    /// Why the operator stopped the execution: `StoppedByUser` (spec.stop) or
    /// `DeadlineExceeded` (activeDeadlineSeconds). Written before the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
    /// Where the Output was written (`ConfigMap/name` or `Secret/name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_written_to: Option<String>,
    /// True when the operator joined an execution it did not start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopted: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}

/// A standard Kubernetes condition (the shape kstatus, Flux and Argo CD read).
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    #[serde(rename = "type")]
    pub type_: String,
    /// True, False or Unknown.
    pub status: String,
    pub reason: String,
    #[serde(default)]
    pub message: String,
    pub last_transition_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

impl FlowExecutionStatus {
    pub fn condition(&self, type_: &str) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.type_ == type_)
    }

    /// The status fields set in `persisted` that this status leaves out. A
    /// server-side apply only removes fields that no other field manager owns,
    /// so a field another client wrote must be removed explicitly.
    pub fn fields_cleared_since(&self, persisted: &FlowExecutionStatus) -> Vec<String> {
        let keys = |status: &FlowExecutionStatus| match serde_json::to_value(status) {
            Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        };
        let kept = keys(self);
        keys(persisted)
            .into_iter()
            .filter(|k| !kept.contains(k))
            .collect()
    }
}

/// Condition types, in the order they are written.
pub mod condition_type {
    pub const SUCCEEDED: &str = "Succeeded";
    pub const COMPLETED: &str = "Completed";
    pub const READY: &str = "Ready";
    pub const RECONCILING: &str = "Reconciling";
    pub const STALLED: &str = "Stalled";
    pub const CLOUD_REACHABLE: &str = "CloudReachable";
}

/// The cloud's execution Status values. Unknown values are kept verbatim and
/// treated as not terminal.
pub mod phase {
    pub const PENDING: &str = "Pending";
    pub const STARTING: &str = "Starting";
    pub const RUNNING: &str = "Running";
    pub const SUCCEEDED: &str = "Succeeded";
    pub const FAILED: &str = "Failed";
    pub const TIMED_OUT: &str = "TimedOut";
    pub const STOPPED: &str = "Stopped";

    pub fn is_terminal(phase: &str) -> bool {
        matches!(phase, SUCCEEDED | FAILED | TIMED_OUT | STOPPED)
    }
}

impl FlowExecution {
    /// The execution name this object stands for: the explicit one, else the
    /// deterministic default. An object whose status recorded the default as
    /// older versions built it keeps that name, so nothing starts twice across
    /// an upgrade; any other recorded name is ignored (a status can be forged).
    pub fn resolved_execution_name(&self) -> String {
        if let Some(name) = &self.spec.execution_name {
            return name.clone();
        }
        let namespace = self.metadata.namespace.as_deref().unwrap_or("default");
        let name = self.metadata.name.as_deref().unwrap_or_default();
        let recorded = self
            .status
            .as_ref()
            .and_then(|s| s.execution_name.as_deref());
        let legacy = legacy_default_execution_name(namespace, name);
        match recorded {
            Some(r) if r == legacy => legacy,
            _ => default_execution_name(namespace, name),
        }
    }

    /// Whether the execution name carries this object's namespace prefix, as
    /// every default name does: the share of the account's names that belongs
    /// to this namespace.
    pub fn execution_name_is_own(&self) -> bool {
        let namespace = self.metadata.namespace.as_deref().unwrap_or("default");
        self.resolved_execution_name()
            .starts_with(&namespace_prefix(namespace))
    }
}

/// Where the generated CRD is committed, relative to the repository root: the
/// plain copy users apply, and the chart's copy Helm installs.
pub const CRD_PATHS: [&str; 2] = [
    "crds/flowexecutions.fnf-operator.dev.yaml",
    "charts/fnf-operator/crds/flowexecutions.fnf-operator.dev.yaml",
];

/// The CRD: derived from the types, plus a default `status` of
/// `{observedGeneration: 0}` so that a new object reads as "not yet observed"
/// (kstatus: InProgress) before the operator first writes its status, instead
/// of Current for want of any status at all.
pub fn crd()
-> k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition {
    use kube::CustomResourceExt as _;
    let mut crd = FlowExecution::crd();
    for version in &mut crd.spec.versions {
        let status = version
            .schema
            .as_mut()
            .and_then(|s| s.open_api_v3_schema.as_mut())
            .and_then(|s| s.properties.as_mut())
            .and_then(|p| p.get_mut("status"));
        if let Some(status) = status {
            status.default = Some(
                k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::JSON(
                    serde_json::json!({"observedGeneration": 0}),
                ),
            );
        }
    }
    crd
}

/// Where the admission policy limiting `spec.input`'s depth is committed:
/// next to the CRD, so `kubectl apply -f crds/` and Helm install both.
pub const POLICY_PATHS: [&str; 2] = [
    "crds/flowexecutions.fnf-operator.dev-input-depth.yaml",
    "charts/fnf-operator/crds/flowexecutions.fnf-operator.dev-input-depth.yaml",
];

/// The input-depth policy and its binding as committed.
pub fn input_depth_policy_yaml() -> Result<String, serde_yaml::Error> {
    let mut out = String::from(
        "# Generated by `cargo run --bin fnf-crdgen -- --write` from crates/fnf-operator/src/crd. Do not edit.\n",
    );
    for (i, object) in input_depth_policy().iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        out.push_str(&serde_yaml::to_string(object)?);
    }
    Ok(out)
}

/// The CRD as committed: a header saying it is generated, then the YAML.
pub fn crd_yaml() -> Result<String, serde_yaml::Error> {
    let body = serde_yaml::to_string(&crd())?;
    Ok(format!(
        "# Generated by `cargo run --bin fnf-crdgen -- --write` from crates/fnf-operator/src/crd. Do not edit.\n{body}"
    ))
}
