//! A CronFlowExecution's runs: how a run (child FlowExecution) is named and
//! built from the template, and what the decision reads of one. Pure.

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::Resource as _;
use kube::api::ObjectMeta;

use crate::crd::{CronFlowExecution, FlowExecution, RunPolicy, condition_type as ct};
use crate::decide::conditions::kubernetes_time;

/// On every run: the name of the CronFlowExecution that made it (the
/// operator lists runs by it, then keeps those it is the controller of).
pub const CRON_LABEL: &str = "fnf-operator.dev/cronflowexecution";
/// On a scheduled run: its schedule time (RFC 3339), like CronJob's
/// `batch.kubernetes.io/cronjob-scheduled-timestamp`.
pub const SCHEDULED_AT_ANNOTATION: &str = "fnf-operator.dev/scheduled-at";
/// On a run made by `kubectl fnf run --from=cronflowexecution/NAME`: `manual`,
/// like `cronjob.kubernetes.io/instantiate`.
pub const INSTANTIATE_ANNOTATION: &str = "fnf-operator.dev/instantiate";

/// The run of schedule time `time`: `{name}-{minutes since the epoch}`, as
/// CronJob names its Jobs, so each time has exactly one possible name.
pub fn run_name(cron: &str, time: Timestamp) -> String {
    format!("{cron}-{}", time.as_second().div_euclid(60))
}

/// The FlowExecution of a run: the template's labels, annotations and spec,
/// `runPolicy: Once` (one run, one execution, named after the object),
/// owned by the CronFlowExecution (`controller: true`, so deleting it deletes
/// its runs). `scheduled` is the schedule time; `None` for a manual run.
pub fn run_object(
    cfe: &CronFlowExecution,
    name: &str,
    scheduled: Option<Timestamp>,
) -> FlowExecution {
    let cron = cfe.metadata.name.clone().unwrap_or_default();
    let template = cfe.spec.template.metadata.clone().unwrap_or_default();
    let mut labels = template.labels;
    labels.insert(CRON_LABEL.to_string(), cron.clone());
    let mut annotations: BTreeMap<String, String> = template.annotations;
    match scheduled {
        Some(time) => {
            annotations.insert(SCHEDULED_AT_ANNOTATION.to_string(), kubernetes_time(time))
        }
        None => annotations.insert(INSTANTIATE_ANNOTATION.to_string(), "manual".to_string()),
    };
    let mut spec = cfe.spec.template.spec.clone();
    spec.run_policy = Some(RunPolicy::Once);
    spec.execution_name = None;
    let owner = OwnerReference {
        api_version: CronFlowExecution::api_version(&()).to_string(),
        kind: CronFlowExecution::kind(&()).to_string(),
        name: cron,
        uid: cfe.metadata.uid.clone().unwrap_or_default(),
        controller: Some(true),
        block_owner_deletion: None,
    };
    let mut fe = FlowExecution::new(name, spec);
    fe.metadata = ObjectMeta {
        name: Some(name.to_string()),
        namespace: cfe.metadata.namespace.clone(),
        labels: Some(labels),
        annotations: Some(annotations),
        owner_references: Some(vec![owner]),
        ..ObjectMeta::default()
    };
    fe
}

/// Where a run stands, for the concurrency policy and the history limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunOutcome {
    /// Not yet ended (including waiting to start, or between retries).
    Live,
    Succeeded {
        ended: Option<Timestamp>,
    },
    /// Failed, TimedOut, Stopped, or refused for good.
    Failed,
}

/// What the decision reads of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunView {
    pub name: String,
    pub uid: Option<String>,
    /// The schedule time, else (a manual run) the creation time.
    pub time: Option<Timestamp>,
    pub outcome: RunOutcome,
    pub stop_requested: bool,
    /// Being deleted: neither kept nor deleted again by the history limits.
    pub deleting: bool,
}

impl RunView {
    /// The run `fe` if `cfe` is its controller, else `None`.
    pub fn of(fe: &FlowExecution, cfe: &CronFlowExecution) -> Option<Self> {
        let uid = cfe.metadata.uid.as_deref()?;
        let owned = fe
            .metadata
            .owner_references
            .iter()
            .flatten()
            .any(|o| o.controller == Some(true) && o.uid == uid);
        if !owned {
            return None;
        }
        let condition = |type_: &str| {
            fe.status
                .as_ref()
                .and_then(|s| s.condition(type_))
                .map(|c| c.status.as_str())
        };
        let outcome = match (condition(ct::COMPLETED), condition(ct::SUCCEEDED)) {
            (Some("True"), Some("True")) => RunOutcome::Succeeded {
                ended: fe
                    .status
                    .as_ref()
                    .and_then(|s| s.stopped_time.as_deref())
                    .and_then(|t| t.parse().ok()),
            },
            (Some("True"), _) => RunOutcome::Failed,
            _ => RunOutcome::Live,
        };
        let scheduled = fe
            .metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(SCHEDULED_AT_ANNOTATION))
            .and_then(|t| t.parse().ok());
        Some(Self {
            name: fe.metadata.name.clone().unwrap_or_default(),
            uid: fe.metadata.uid.clone(),
            time: scheduled.or_else(|| fe.metadata.creation_timestamp.as_ref().map(|t| t.0)),
            outcome,
            stop_requested: fe.spec.stop,
            deleting: fe.metadata.deletion_timestamp.is_some(),
        })
    }
}
