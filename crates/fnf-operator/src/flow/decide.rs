//! The Flow decision: from a `Flow`, what DescribeFlow said (and the last
//! write the cloud refused), and the time, to the status to write, the Events
//! to emit and the next step. Pure: no I/O, clock, tokio or Kubernetes API.

use std::time::Duration;

use jiff::Timestamp;

use crate::crd::{Flow, FlowMode, FlowStatus, definition_hash};
use crate::decide::conditions::{Readiness, build_readiness};
use crate::decide::events::EventNote;
use crate::decide::events::flow::{self as flow_events, reason};

/// How often a flow is read back (DescribeFlow) to find changes made behind
/// the operator's back, by default (`--flow-resync-seconds`). 200 flows then cost 0.67 DescribeFlow/s, a third of
/// the account's 2/s for "other actions", leaving the rest to
/// ListExecutions, StopExecution and the flows' own writes.
pub const FLOW_RESYNC: Duration = Duration::from_secs(300);
/// How soon an observed flow that does not exist yet is looked for again.
pub const OBSERVE_MISSING_RECHECK: Duration = Duration::from_secs(30);
/// After a transient failure (throttling, 5xx, timeouts).
pub const TRANSIENT_RECHECK: Duration = Duration::from_secs(15);

/// The cloud's flow, as DescribeFlow (or CreateFlow, UpdateFlow) returned it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CloudFlow {
    pub id: Option<String>,
    pub definition: String,
    pub description: String,
    pub role_arn: String,
    pub created_time: Option<String>,
    pub last_modified_time: Option<String>,
    /// `Standard` or `Express` (the cloud's empty means Standard).
    pub execution_mode: String,
}

/// What the last read of the flow found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CloudRead {
    Found(CloudFlow),
    Missing,
    /// Not asked: the object names no valid flow.
    Unread,
}

/// A failed call, in the decision's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallFailure {
    /// The client's stable reason (or the access problem's).
    pub reason: String,
    /// The cloud's code and message, safe to show.
    pub message: String,
    /// Worth trying again soon (throttling, 5xx, timeouts).
    pub transient: bool,
}

/// A write the cloud refused, for the generation it was made for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub generation: Option<i64>,
    pub failure: CallFailure,
    pub at: Timestamp,
}

/// What the decision knows of the cloud.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowView {
    pub read: Result<CloudRead, CallFailure>,
    pub refusal: Option<Refusal>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FlowNext {
    Create,
    Update,
    /// Read again after this long (drift, a missing observed flow, trouble).
    Recheck(Duration),
    /// Nothing until the object changes.
    AwaitChange,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FlowDecision {
    pub status: FlowStatus,
    pub events: Vec<EventNote>,
    pub next: FlowNext,
}

pub fn decide(flow: &Flow, view: &FlowView, resync: Duration, now: Timestamp) -> FlowDecision {
    let old = flow.status.clone().unwrap_or_default();
    let mut status = old.clone();
    status.observed_generation = flow.metadata.generation;
    let name = flow.cloud_name();
    status.flow_name.clone_from(&name);
    let mut adopted = false;
    let (readiness, next) = match (&name, &view.read) {
        (None, _) => (
            Readiness::Stalled {
                reason: reason::INVALID_FLOW_NAME.into(),
                message: format!(
                    "metadata.name {} is not a valid fnf flow name: set spec.flowName (letters, digits, '_' and '-', starting with a letter or '_', at most 128 characters)",
                    flow.metadata.name.as_deref().unwrap_or_default()
                ),
            },
            FlowNext::AwaitChange,
        ),
        (Some(_), Err(failure)) if failure.transient => {
            // Keep what the status says: a throttled read says nothing new.
            status = old.clone();
            (keep(&old), FlowNext::Recheck(TRANSIENT_RECHECK))
        }
        (Some(_), Err(failure)) => (
            Readiness::Stalled {
                reason: failure.reason.clone(),
                message: failure.message.clone(),
            },
            FlowNext::Recheck(resync),
        ),
        (Some(name), Ok(CloudRead::Unread)) => (
            Readiness::Progressing {
                reason: reason::CREATING.into(),
                message: format!("reading flow {name}"),
            },
            FlowNext::Recheck(TRANSIENT_RECHECK),
        ),
        (Some(name), Ok(CloudRead::Missing)) => {
            clear_cloud_fields(&mut status);
            missing(
                flow,
                name,
                refusal_for(flow, view, resync, now),
                resync,
                now,
            )
        }
        (Some(name), Ok(CloudRead::Found(cloud))) => {
            // Found with no record of it, and not right after our own CreateFlow.
            let creating = old
                .condition(crate::crd::condition_type::READY)
                .is_some_and(|c| c.reason == reason::CREATING);
            adopted = flow.spec.mode == FlowMode::Manage && old.flow_id.is_none() && !creating;
            mirror(&mut status, cloud);
            found(
                flow,
                name,
                cloud,
                refusal_for(flow, view, resync, now),
                resync,
                now,
            )
        }
    };
    // A keep-as-is (transient) decision leaves the conditions alone.
    if !matches!(&view.read, Err(f) if f.transient) || name.is_none() {
        status.conditions =
            build_readiness(&old.conditions, &readiness, flow.metadata.generation, now);
    }
    // Adoption is news only when the next step does not create it anyway.
    let adopted = adopted && next != FlowNext::Create;
    let events = flow_events::for_decision(&old, &status, &readiness, adopted);
    FlowDecision {
        status,
        events,
        next,
    }
}

/// The readiness the old conditions show (for a decision that changes nothing).
fn keep(old: &FlowStatus) -> Readiness {
    let ready = old
        .condition(crate::crd::condition_type::READY)
        .map(|c| (c.status == "True", c.reason.clone(), c.message.clone()));
    match ready {
        Some((true, reason, message)) => Readiness::Ready { reason, message },
        Some((false, reason, message)) => Readiness::Progressing { reason, message },
        None => Readiness::Progressing {
            reason: reason::CLOUD_UNREACHABLE.into(),
            message: "the cloud did not answer yet".into(),
        },
    }
}

/// The refusal of the cloud still standing: made for this generation, and
/// not older than a resync (a role the cloud could not assume may be fixed
/// without a spec change).
fn refusal_for<'a>(
    flow: &Flow,
    view: &'a FlowView,
    resync: Duration,
    now: Timestamp,
) -> Option<&'a Refusal> {
    view.refusal.as_ref().filter(|r| {
        r.generation == flow.metadata.generation && now.duration_since(r.at).unsigned_abs() < resync
    })
}

fn stalled_by(
    refusal: &Refusal,
    flow_name: &str,
    resync: Duration,
    now: Timestamp,
) -> (Readiness, FlowNext) {
    let waited = now.duration_since(refusal.at).unsigned_abs();
    (
        Readiness::Stalled {
            reason: refusal.failure.reason.clone(),
            message: format!(
                "the cloud refused flow {flow_name}: {}",
                refusal.failure.message
            ),
        },
        FlowNext::Recheck(resync.saturating_sub(waited).max(Duration::from_secs(1))),
    )
}

fn missing(
    flow: &Flow,
    name: &str,
    refusal: Option<&Refusal>,
    resync: Duration,
    now: Timestamp,
) -> (Readiness, FlowNext) {
    match flow.spec.mode {
        FlowMode::Observe => (
            Readiness::Progressing {
                reason: reason::FLOW_NOT_FOUND.into(),
                message: format!(
                    "flow {name} does not exist in the cloud; waiting for whoever manages it (mode: Observe never creates it)"
                ),
            },
            FlowNext::Recheck(OBSERVE_MISSING_RECHECK),
        ),
        FlowMode::Manage => match refusal {
            Some(r) => stalled_by(r, name, resync, now),
            None => (
                Readiness::Progressing {
                    reason: reason::CREATING.into(),
                    message: format!("creating flow {name}"),
                },
                FlowNext::Create,
            ),
        },
    }
}

fn found(
    flow: &Flow,
    name: &str,
    cloud: &CloudFlow,
    refusal: Option<&Refusal>,
    resync: Duration,
    now: Timestamp,
) -> (Readiness, FlowNext) {
    if flow.spec.mode == FlowMode::Observe {
        return (
            Readiness::Ready {
                reason: reason::OBSERVED.into(),
                message: format!("flow {name} exists; mirrored, never written"),
            },
            FlowNext::Recheck(resync),
        );
    }
    let wanted_mode = flow.spec.execution_mode.as_str();
    if cloud.execution_mode != wanted_mode {
        return (
            Readiness::Stalled {
                reason: reason::EXECUTION_MODE_IMMUTABLE.into(),
                message: format!(
                    "flow {name} is {} in the cloud and spec.executionMode is {wanted_mode}: the cloud cannot change a flow's mode; set spec.executionMode to {}, or delete the cloud flow so it is created anew",
                    cloud.execution_mode, cloud.execution_mode
                ),
            },
            FlowNext::Recheck(resync),
        );
    }
    if matches_spec(flow, cloud) {
        return (
            Readiness::Ready {
                reason: reason::UP_TO_DATE.into(),
                message: format!("flow {name} holds the declared definition"),
            },
            FlowNext::Recheck(resync),
        );
    }
    match refusal {
        Some(r) => stalled_by(r, name, resync, now),
        None => (
            Readiness::Progressing {
                reason: reason::UPDATING.into(),
                message: format!("updating flow {name} to the declared definition"),
            },
            FlowNext::Update,
        ),
    }
}

/// Whether the cloud holds the declared definition, description and role.
pub fn matches_spec(flow: &Flow, cloud: &CloudFlow) -> bool {
    cloud.definition == flow.spec.definition
        && cloud.description == flow.spec.description.as_deref().unwrap_or_default()
        && cloud.role_arn == flow.spec.role_arn.as_deref().unwrap_or_default()
}

fn mirror(status: &mut FlowStatus, cloud: &CloudFlow) {
    status.flow_id.clone_from(&cloud.id);
    status.created_time.clone_from(&cloud.created_time);
    status
        .last_modified_time
        .clone_from(&cloud.last_modified_time);
    status.execution_mode = Some(cloud.execution_mode.clone());
    status.definition_hash = Some(definition_hash(&cloud.definition));
}

fn clear_cloud_fields(status: &mut FlowStatus) {
    status.flow_id = None;
    status.created_time = None;
    status.last_modified_time = None;
    status.execution_mode = None;
    status.definition_hash = None;
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
