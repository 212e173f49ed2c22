//! The `Flow` custom resource: a flow definition kept in Git and made to hold
//! in the cloud (CreateFlow, UpdateFlow), or only mirrored (`Observe`). The
//! doc comments are the user's documentation (`kubectl explain` prints them).

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::execution_name::is_valid_fnf_name;
use super::schema;
use super::spec::SecretRef;
use super::status::Condition;

/// A Serverless Workflow flow, created, updated and kept as declared.
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "fnf-operator.dev",
    version = "v1alpha1",
    kind = "Flow",
    plural = "flows",
    category = "fnf",
    namespaced,
    status = "FlowStatus",
    derive = "PartialEq",
    doc = "An Alibaba Cloud Serverless Workflow (fnf) flow, created and kept as declared (or mirrored) by fnf-operator.",
    printcolumn = r#"{"name":"Flow","type":"string","jsonPath":".status.flowName"}"#,
    printcolumn = r#"{"name":"Mode","type":"string","jsonPath":".spec.mode"}"#,
    printcolumn = r#"{"name":"Ready","type":"string","jsonPath":".status.conditions[?(@.type==\"Ready\")].status"}"#,
    printcolumn = r#"{"name":"Last Modified","type":"date","jsonPath":".status.lastModifiedTime"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#,
    printcolumn = r#"{"name":"Reason","type":"string","priority":1,"jsonPath":".status.conditions[?(@.type==\"Ready\")].reason"}"#
)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = flow_spec_rules()))]
pub struct FlowSpec {
    /// The flow's name in the cloud. Default: `metadata.name`, when that is a
    /// valid fnf name (letters, digits, `_` and `-`, starting with a letter or
    /// `_`, at most 128 characters); else required. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "schema::optional_fnf_name")]
    pub flow_name: Option<String>,

    /// The flow definition (FDL), as YAML text: `Type: StateMachine` with
    /// `StartAt` and `States`, or the older `type: flow` with `steps`. A change
    /// updates the cloud flow (UpdateFlow); it does not re-run executions by
    /// itself (change a FlowExecution's `runKey` for that).
    #[schemars(length(min = 1, max = 131072))]
    pub definition: String,

    /// The flow's description in the cloud.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 256))]
    pub description: Option<String>,

    /// The RAM role the flow assumes to call other services
    /// (`acs:ram::<account>:role/<name>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 256))]
    pub role_arn: Option<String>,

    /// `Standard` (default) or `Express`. The cloud cannot change a flow's
    /// mode: a different mode than the cloud flow's is Stalled.
    #[serde(default)]
    pub execution_mode: FlowExecutionMode,

    /// The cloud region, e.g. `cn-hangzhou`. Default: the operator's. Immutable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(regex(pattern = r"^[a-z]{2}-[a-z0-9-]+$"), length(max = 64))]
    pub region: Option<String>,

    /// A Secret in this namespace with `accessKeyId`, `accessKeySecret` and an
    /// optional `securityToken`. Default: the operator's own credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials_secret_ref: Option<SecretRef>,

    /// What deleting this object does to the cloud flow: `Orphan` (default)
    /// leaves it; `Delete` calls DeleteFlow, after which the cloud no longer
    /// answers for any of the flow's executions (running ones end, and their
    /// status and history can no longer be read).
    #[serde(default)]
    pub deletion_policy: FlowDeletionPolicy,

    /// `Manage` (default) creates the flow if it is missing, adopts it if it
    /// exists, and puts it back when it drifts; `Observe` only mirrors a flow
    /// managed elsewhere and never writes to the cloud.
    #[serde(default)]
    pub mode: FlowMode,
}

#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum FlowExecutionMode {
    #[default]
    Standard,
    Express,
}

impl FlowExecutionMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "Standard",
            Self::Express => "Express",
        }
    }
}

#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum FlowDeletionPolicy {
    #[default]
    Orphan,
    Delete,
}

#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum FlowMode {
    #[default]
    Manage,
    Observe,
}

/// What the cloud holds, and the conditions.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FlowStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// The flow's name in the cloud (spec.flowName or metadata.name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_name: Option<String>,
    /// The cloud's Id of the flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified_time: Option<String>,
    /// The cloud flow's ExecutionMode (`Standard` or `Express`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_mode: Option<String>,
    /// `sha256:` and the hex SHA-256 of the definition the cloud holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}

impl FlowStatus {
    pub fn condition(&self, type_: &str) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.type_ == type_)
    }
}

/// `sha256:{hex}` of a definition's text: what `status.definitionHash` holds.
pub fn definition_hash(definition: &str) -> String {
    format!(
        "sha256:{}",
        hex::encode(Sha256::digest(definition.as_bytes()))
    )
}

impl Flow {
    /// The flow's name in the cloud: `spec.flowName`, else `metadata.name`
    /// when that is a valid fnf name. `None` when neither gives one.
    pub fn cloud_name(&self) -> Option<String> {
        match &self.spec.flow_name {
            Some(name) => Some(name.clone()),
            None => self
                .metadata
                .name
                .clone()
                .filter(|name| is_valid_fnf_name(name)),
        }
    }

    /// Whether this object is Ready for the generation it carries.
    pub fn is_ready(&self) -> bool {
        self.status.as_ref().is_some_and(|s| {
            s.observed_generation == self.metadata.generation
                && s.condition(super::condition_type::READY)
                    .is_some_and(|c| c.status == "True")
        })
    }
}

/// flowName and region say which cloud flow this is: immutable.
fn flow_spec_rules() -> serde_json::Value {
    let immutable = |field: &str| {
        json!({
            "rule": format!(
                "has(self.{field}) == has(oldSelf.{field}) && (!has(self.{field}) || self.{field} == oldSelf.{field})"
            ),
            "message": format!(
                "spec.{field} is immutable: create a new Flow to manage another cloud flow"
            ),
        })
    };
    json!([immutable("flowName"), immutable("region")])
}

/// The CRD: derived from the types, with the same default status as the
/// FlowExecution's, so a new object reads as InProgress until observed.
pub fn flow_crd()
-> k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition {
    use kube::CustomResourceExt as _;
    let mut crd = Flow::crd();
    super::default_status(&mut crd);
    crd
}
