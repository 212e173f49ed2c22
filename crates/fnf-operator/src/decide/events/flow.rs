//! The Events of a `Flow`: the cloud calls the thin layer made (created,
//! updated, put back after drift, deleted) and the decision's transitions
//! (adopted, stalled). Every reason is a constant of [`reason`] and listed
//! in the parent's `REASONS`. Pure.

use super::EventNote;
use crate::crd::{FlowStatus, condition_type as ct};
use crate::decide::conditions::Readiness;

/// Reasons of a Flow's Events and conditions.
pub mod reason {
    pub const FLOW_CREATED: &str = "FlowCreated";
    pub const FLOW_UPDATED: &str = "FlowUpdated";
    pub const FLOW_DRIFT_CORRECTED: &str = "FlowDriftCorrected";
    pub const FLOW_DELETED: &str = "FlowDeleted";
    pub const FLOW_ADOPTED: &str = "FlowAdopted";
    /// Condition reasons.
    pub const UP_TO_DATE: &str = "UpToDate";
    pub const OBSERVED: &str = "Observed";
    pub const CREATING: &str = "Creating";
    pub const UPDATING: &str = "Updating";
    pub const FLOW_NOT_FOUND: &str = "FlowNotFound";
    pub const EXECUTION_MODE_IMMUTABLE: &str = "ExecutionModeImmutable";
    pub const INVALID_FLOW_NAME: &str = "InvalidFlowName";
    pub const CLOUD_UNREACHABLE: &str = "CloudUnreachable";
}

/// The Events of one decision: a new stall is announced once (by its
/// reason), and so is the adoption of a flow that already existed.
pub fn for_decision(
    old: &FlowStatus,
    new: &FlowStatus,
    readiness: &Readiness,
    adopted: bool,
) -> Vec<EventNote> {
    let mut events = Vec::new();
    if adopted {
        events.push(EventNote::normal(
            reason::FLOW_ADOPTED,
            "DescribeFlow",
            format!(
                "flow {} already existed in the cloud; managing it instead of creating another",
                new.flow_name.as_deref().unwrap_or_default()
            ),
        ));
    }
    if let Readiness::Stalled { reason, message } = readiness {
        let was = old
            .condition(ct::STALLED)
            .filter(|c| c.status == "True")
            .map(|c| c.reason.as_str());
        if was != Some(reason.as_str()) {
            events.push(EventNote::warning(reason, "ReconcileFlow", message.clone()));
        }
    }
    events
}

fn request(request_id: Option<&str>) -> String {
    request_id
        .map(|id| format!(" (RequestId {id})"))
        .unwrap_or_default()
}

/// CreateFlow succeeded.
pub fn created(flow: &str, request_id: Option<&str>) -> EventNote {
    EventNote::normal(
        reason::FLOW_CREATED,
        "CreateFlow",
        format!("created flow {flow}{}", request(request_id)),
    )
}

/// UpdateFlow succeeded: after a spec change, or to put back a flow changed
/// behind the operator's back (`drift`).
pub fn updated(flow: &str, drift: bool, request_id: Option<&str>) -> EventNote {
    if drift {
        EventNote::warning(
            reason::FLOW_DRIFT_CORRECTED,
            "UpdateFlow",
            format!(
                "flow {flow} had been changed outside this Flow object; put its definition, description and role back{}",
                request(request_id)
            ),
        )
    } else {
        EventNote::normal(
            reason::FLOW_UPDATED,
            "UpdateFlow",
            format!("updated flow {flow}{}", request(request_id)),
        )
    }
}

/// DeleteFlow succeeded (deletionPolicy Delete).
pub fn deleted(flow: &str) -> EventNote {
    EventNote::normal(
        reason::FLOW_DELETED,
        "DeleteFlow",
        format!(
            "deleted flow {flow}: the cloud no longer answers for its executions (deletionPolicy: Delete)"
        ),
    )
}
