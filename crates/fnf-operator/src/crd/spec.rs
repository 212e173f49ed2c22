//! The FlowExecution's spec: what the user declares. The doc comments are the
//! user's documentation (`kubectl explain` prints them).

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::run_spec::{InputFieldSource, Retry, RunPolicy, WhileRunning};
use super::schema;
use super::status::FlowExecutionStatus;

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
    /// at most 128 characters. Changing it runs the new flow under
    /// `runPolicy: OnChange`; immutable under `Once`.
    #[schemars(schema_with = "schema::fnf_name")]
    pub flow_name: String,

    /// The execution's name in the cloud. Default: derived from the namespace,
    /// the name and (under `runPolicy: OnChange`) a short hash of the run's
    /// declaration (see the README), so a re-created object with the same
    /// declaration adopts the same execution. Same rules as `flowName`, and it
    /// must start with `{namespace}_` unless the operator allows this namespace
    /// other names. An explicit name names exactly one run: it makes the
    /// default `runPolicy` `Once` and cannot go with `OnChange`. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "schema::optional_fnf_name")]
    pub execution_name: Option<String>,

    /// The execution's input: a JSON object, written as YAML. Editing it runs
    /// the flow again with the new input under `runPolicy: OnChange`;
    /// immutable under `Once`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "schema::input")]
    pub input: Option<serde_json::Map<String, serde_json::Value>>,

    /// `Start` (default) starts the execution or adopts a running one of that name
    /// and input; `Observe` only mirrors an execution started elsewhere. Immutable.
    #[serde(default)]
    pub mode: Mode,

    /// The flow version or alias to run. Mutable under `runPolicy: OnChange`
    /// (a change runs again), immutable under `Once`.
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

    /// When the flow runs: `OnChange` runs each distinct declaration (flowName,
    /// qualifier, input, inputFrom, runKey) once, and those fields may be
    /// edited; `Once` runs once per object and refuses edits of them. Default:
    /// `Once` when `executionName` is set, else `OnChange`. Cannot be changed
    /// later (writing the default explicitly is not a change).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_policy: Option<RunPolicy>,

    /// What a new declaration does while the current run is live (OnChange):
    /// `Wait` (default) starts the new run when the live one has ended;
    /// `Replace` stops the live run (StopExecution), then starts the new one.
    #[serde(default)]
    pub while_running: WhileRunning,

    /// Any text; changing it runs the flow again with the same input, the way
    /// `kubectl rollout restart` restarts a Deployment (`kubectl fnf rerun`
    /// sets it to the current time). Part of the run's declaration: mutable
    /// under `runPolicy: OnChange`, immutable under `Once`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 253))]
    pub run_key: Option<String>,

    /// Run again when a run ends in one of the listed phases, up to `limit`
    /// more attempts, waiting `backoffSeconds` and doubling up to 10 minutes.
    /// Never after a stop that `spec.stop` or `activeDeadlineSeconds` asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<Retry>,

    /// True holds the start: the object is created without starting anything
    /// (Reconciling=False, reason Suspended) until it is set back to false. It
    /// never pauses a live execution: fnf cannot pause one (use `stop`).
    #[serde(default)]
    pub suspend: bool,

    /// Top-level fields of the input taken from a key of a ConfigMap or a
    /// Secret in this namespace, read when a run starts; each replaces the
    /// field of that name in `input`. A missing object or key holds the start
    /// (reason InputSourceNotFound) until it appears. A Secret's value goes to
    /// the cloud only: never into the status, Events, logs or the execution
    /// name, so changing it alone does not run again (change `runKey`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(extend("x-kubernetes-list-type" = "map", "x-kubernetes-list-map-keys" = ["field"]))]
    #[schemars(length(max = 64))]
    pub input_from: Vec<InputFieldSource>,

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
