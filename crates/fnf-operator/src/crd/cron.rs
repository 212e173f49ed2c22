//! The `CronFlowExecution` custom resource: a FlowExecution on a schedule,
//! following `batch/v1` CronJob field by field (see the README). The doc
//! comments are the user's documentation (`kubectl explain` prints them).

use std::collections::BTreeMap;

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::spec::FlowExecutionSpec;
use super::status::Condition;

/// Run a FlowExecution on a schedule, like a CronJob runs Jobs.
#[derive(CustomResource, Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[kube(
    group = "fnf-operator.dev",
    version = "v1alpha1",
    kind = "CronFlowExecution",
    plural = "cronflowexecutions",
    shortname = "cfe",
    category = "fnf",
    namespaced,
    status = "CronFlowExecutionStatus",
    derive = "PartialEq",
    doc = "FlowExecutions created on a schedule by fnf-operator, with CronJob's semantics.",
    printcolumn = r#"{"name":"Schedule","type":"string","jsonPath":".spec.schedule"}"#,
    printcolumn = r#"{"name":"Timezone","type":"string","jsonPath":".spec.timeZone"}"#,
    printcolumn = r#"{"name":"Suspend","type":"boolean","jsonPath":".spec.suspend"}"#,
    printcolumn = r#"{"name":"Active","type":"string","jsonPath":".status.active[*].name"}"#,
    printcolumn = r#"{"name":"Last Schedule","type":"date","jsonPath":".status.lastScheduleTime"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = template_rules()))]
pub struct CronFlowExecutionSpec {
    /// When to run: a standard 5-field cron expression (minute hour
    /// day-of-month month day-of-week; names like `MON` and `JAN`), or one of
    /// `@yearly`, `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`,
    /// `@hourly`. Day-of-month and day-of-week together match either (like cron).
    #[schemars(length(min = 1, max = 256))]
    pub schedule: String,

    /// The IANA time zone the schedule is read in, e.g. `Europe/Berlin`.
    /// Default: UTC. The operator carries its own copy of the tz database.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 64))]
    pub time_zone: Option<String>,

    /// What a schedule time does while a run is live: `Allow` (default) starts
    /// another, `Forbid` skips this time, `Replace` stops the live run (its
    /// FlowExecution gets `spec.stop: true`) and starts the new one.
    #[serde(default)]
    pub concurrency_policy: ConcurrencyPolicy,

    /// A schedule time missed by more than this many seconds (the operator
    /// was down, or the object suspended) is not run. Default: no deadline,
    /// and after downtime only the latest missed time runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0))]
    pub starting_deadline_seconds: Option<i64>,

    /// True creates no new runs; live runs go on. Schedule times that pass
    /// while suspended count as missed when it is set back to false.
    #[serde(default)]
    pub suspend: bool,

    /// How many succeeded runs (FlowExecutions) to keep. Default 3.
    #[serde(default = "default_successful_limit")]
    #[schemars(range(min = 0, max = 100))]
    pub successful_runs_history_limit: i32,

    /// How many failed, timed-out or stopped runs to keep. Default 1.
    #[serde(default = "default_failed_limit")]
    #[schemars(range(min = 0, max = 100))]
    pub failed_runs_history_limit: i32,

    /// The FlowExecution each run creates.
    pub template: FlowExecutionTemplate,
}

fn default_successful_limit() -> i32 {
    3
}

fn default_failed_limit() -> i32 {
    1
}

#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum ConcurrencyPolicy {
    #[default]
    Allow,
    Forbid,
    Replace,
}

/// A FlowExecution's labels, annotations and spec. Each run is exactly one
/// execution: runs get `runPolicy: Once` and the default execution name (from
/// the run's object name), so the template sets neither.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FlowExecutionTemplate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<TemplateMetadata>,
    pub spec: FlowExecutionSpec,
}

#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TemplateMetadata {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// What the operator reports about the schedule and its runs.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CronFlowExecutionStatus {
    /// The runs (FlowExecutions) not yet ended.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub active: Vec<RunReference>,
    /// The schedule time of the latest run created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_schedule_time: Option<String>,
    /// When the latest succeeded run ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_successful_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}

/// A run: its FlowExecution in the same namespace.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunReference {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
}

/// The longest CronFlowExecution name: CronJob's 52, so a run's name
/// (`{name}-{minutes since epoch}`, 8 digits until the year 2160) stays a valid
/// label value, and its default execution name (`{namespace}_{run name}`, at
/// most 63 + 1 + 61 + a leading `_`) fits fnf's 128 characters uncut.
pub const CRON_NAME_MAX_CHARS: usize = 52;

/// Where the CronFlowExecution CRD is committed, like [`super::CRD_PATHS`].
pub const CRON_CRD_PATHS: [&str; 2] = [
    "crds/cronflowexecutions.fnf-operator.dev.yaml",
    "charts/fnf-operator/crds/cronflowexecutions.fnf-operator.dev.yaml",
];

/// What the template may not set: each run is exactly one execution that
/// this operator starts and names.
fn template_rules() -> Value {
    json!([
        {
            "rule": "!has(self.template.spec.executionName)",
            "message": "spec.template.spec.executionName cannot be set: every run needs an execution of its own, named after the run",
        },
        {
            "rule": "!has(self.template.spec.runPolicy) || self.template.spec.runPolicy == 'Once'",
            "message": "spec.template.spec.runPolicy can only be Once: each scheduled run is exactly one execution",
        },
        {
            "rule": "!has(self.template.spec.mode) || self.template.spec.mode == 'Start'",
            "message": "spec.template.spec.mode can only be Start: a schedule starts runs",
        },
        {
            "rule": "!has(self.template.spec.stop) || !self.template.spec.stop",
            "message": "spec.template.spec.stop cannot be true: use spec.suspend to stop scheduling",
        },
    ])
}

/// The CRD: derived, plus the name length rule (CEL on `metadata.name`) and a
/// default `status` of `{observedGeneration: 0}`, as for FlowExecution.
pub fn cron_crd()
-> k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
        JSON, ValidationRule,
    };
    use kube::CustomResourceExt as _;
    let mut crd = CronFlowExecution::crd();
    for version in &mut crd.spec.versions {
        let Some(root) = version
            .schema
            .as_mut()
            .and_then(|s| s.open_api_v3_schema.as_mut())
        else {
            continue;
        };
        root.x_kubernetes_validations = Some(vec![ValidationRule {
            rule: format!("size(self.metadata.name) <= {CRON_NAME_MAX_CHARS}"),
            message: Some(format!(
                "a CronFlowExecution name is at most {CRON_NAME_MAX_CHARS} characters: its runs are named {{name}}-{{minutes since epoch}}"
            )),
            ..ValidationRule::default()
        }]);
        // The FlowExecution spec's own rules guard an object's identity across
        // updates (region, mode, and the declaration under runPolicy Once are
        // immutable); a template is no object: each run is created from it afresh.
        let template_spec = root
            .properties
            .as_mut()
            .and_then(|p| p.get_mut("spec"))
            .and_then(|s| s.properties.as_mut())
            .and_then(|p| p.get_mut("template"))
            .and_then(|t| t.properties.as_mut())
            .and_then(|p| p.get_mut("spec"));
        if let Some(template_spec) = template_spec {
            template_spec.x_kubernetes_validations = None;
        }
        if let Some(status) = root.properties.as_mut().and_then(|p| p.get_mut("status")) {
            status.default = Some(JSON(json!({"observedGeneration": 0})));
        }
    }
    crd
}

/// The CronFlowExecution CRD as committed.
pub fn cron_crd_yaml() -> Result<String, serde_saphyr::SerializeError> {
    let body = super::committed_yaml(&cron_crd())?;
    Ok(format!(
        "# Generated by `cargo run --bin fnf-crdgen -- --write` from crates/fnf-operator/src/crd. Do not edit.\n{body}"
    ))
}
