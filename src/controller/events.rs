//! Which Events a status change deserves. Pure: Events follow transitions
//! between the persisted status and the next one, so a repeated decision with
//! nothing new emits nothing.

use super::view::{CloudView, ProblemKind};
use crate::crd::{FlowExecutionStatus, condition_type as ct, phase};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Normal,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventNote {
    pub kind: EventKind,
    /// Stable, CamelCase: Started, Adopted, Running, Succeeded, Failed, TimedOut,
    /// Stopped, StopRequested, or the client's reason for a cloud error.
    pub reason: String,
    /// What the operator did, for events.k8s.io's `action`.
    pub action: String,
    pub note: String,
}

impl EventNote {
    pub fn normal(reason: &str, action: &str, note: String) -> Self {
        Self {
            kind: EventKind::Normal,
            reason: reason.into(),
            action: action.into(),
            note,
        }
    }

    pub fn warning(reason: &str, action: &str, note: String) -> Self {
        Self {
            kind: EventKind::Warning,
            reason: reason.into(),
            action: action.into(),
            note,
        }
    }
}

pub fn transitions(
    old: &FlowExecutionStatus,
    new: &FlowExecutionStatus,
    cloud: &CloudView,
    target: &str,
) -> Vec<EventNote> {
    let mut notes = Vec::new();
    let old_phase = old.phase.as_deref().unwrap_or(phase::PENDING);
    let new_phase = new.phase.as_deref().unwrap_or(phase::PENDING);
    let request = new
        .request_id
        .as_deref()
        .map(|id| format!(" (RequestId {id})"))
        .unwrap_or_default();

    if old_phase == phase::PENDING && new_phase != phase::PENDING {
        if new.adopted == Some(true) {
            notes.push(EventNote::normal(
                "Adopted",
                "AdoptExecution",
                format!(
                    "{target} already existed; mirroring it instead of starting another{request}"
                ),
            ));
        } else {
            notes.push(EventNote::normal(
                "Started",
                "StartExecution",
                format!("started {target}{request}"),
            ));
        }
    }
    if old_phase != new_phase {
        match new_phase {
            phase::RUNNING => notes.push(EventNote::normal(
                "Running",
                "DescribeExecution",
                format!("{target} is Running"),
            )),
            phase::SUCCEEDED | phase::STOPPED => notes.push(EventNote::normal(
                new_phase,
                "DescribeExecution",
                format!("{target} ended {new_phase}{request}"),
            )),
            phase::FAILED | phase::TIMED_OUT => {
                let detail = [new.error.as_deref(), new.cause.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(": ");
                notes.push(EventNote::warning(
                    new_phase,
                    "DescribeExecution",
                    format!("{target} ended {new_phase}: {detail}{request}"),
                ));
            }
            _ => {}
        }
    }

    // Also when a changed spec.outputTo moved the Output to another object.
    if let Some(written) = new
        .output_written_to
        .as_ref()
        .filter(|w| old.output_written_to.as_ref() != Some(*w))
    {
        notes.push(EventNote::normal(
            "OutputWritten",
            "WriteOutput",
            format!("wrote the Output of {target} to {written}"),
        ));
    }
    if let Some(problem) = &cloud.problem {
        let condition = if problem.kind == ProblemKind::Transient {
            ct::CLOUD_REACHABLE
        } else {
            ct::SUCCEEDED
        };
        let was = old.condition(condition).map(|c| c.reason.as_str());
        if was != Some(problem.reason.as_str()) {
            let request = problem
                .request_id
                .as_deref()
                .map(|id| format!(" (RequestId {id})"))
                .unwrap_or_default();
            notes.push(EventNote::warning(
                &problem.reason,
                "CallCloud",
                format!("{}{request}", problem.message),
            ));
        }
    }
    notes
}
