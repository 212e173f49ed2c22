//! The Events a decision deserves: transitions between the persisted status
//! and the next one, a stop that cannot apply, a new stall, a deletion that
//! waits.

use super::super::conditions::Standing;
use super::super::output::{full_output, output_target};
use super::super::view::{CloudView, ProblemKind};
use super::{EventNote, reason, runs};
use crate::crd::{FlowExecution, FlowExecutionStatus, Mode, condition_type as ct, phase};

/// Event reasons that mark a transition of the execution: each happens once.
pub const TRANSITION_REASONS: &[&str] = &[
    reason::STARTED,
    reason::ADOPTED,
    phase::SUCCEEDED,
    phase::FAILED,
    phase::TIMED_OUT,
    phase::STOPPED,
];

/// How the message of an object whose deletion waits for a stop begins.
pub const DELETION_WAITS: &str = "deletion waits";

/// What one decision moves from the persisted status (`old`) to the next.
pub struct Transition<'a> {
    pub fe: &'a FlowExecution,
    pub old: &'a FlowExecutionStatus,
    pub new: &'a FlowExecutionStatus,
    pub cloud: &'a CloudView,
    pub standing: &'a Standing,
    /// The execution has ended.
    pub terminal: bool,
    /// `execution {name} of flow {flow}`, for the notes.
    pub target: &'a str,
}

/// The Events a decision deserves.
pub fn for_decision(t: &Transition<'_>) -> Vec<EventNote> {
    let mut events = transitions(t.old, t.new, t.cloud, t.target);
    events.extend(output_truncated(t));
    // A transition is announced once: correcting a forged status repeats none.
    events.retain(|e| {
        !(TRANSITION_REASONS.contains(&e.reason.as_str()) && t.cloud.announced.contains(&e.reason))
    });
    if t.fe.spec.stop
        && t.fe.spec.mode == Mode::Start
        && t.new.adopted == Some(true)
        && !t.terminal
        && t.old.observed_generation != t.fe.metadata.generation
    {
        events.push(EventNote::warning(
            reason::STOP_NOT_ALLOWED,
            "StopExecution",
            format!("{} was adopted, not started by this FlowExecution: spec.stop does not stop it; stop it where it was started", t.target),
        ));
    }
    // Every new stall is announced, also one found before any call (InputTooLarge).
    if let Standing::Refused {
        reason, message, ..
    } = t.standing
    {
        let was = t.old.condition(ct::STALLED).map(|c| c.reason.as_str());
        if was != Some(reason.as_str()) && !events.iter().any(|e| e.reason == *reason) {
            events.push(EventNote::warning(reason, "ValidateSpec", message.clone()));
        }
    }
    events.extend(live_events(t.old, t.standing));
    events.extend(runs::planned(t.old, t.standing));
    events
}

/// Events of a live object that no status field shows a transition of: a
/// stop that came before the start, and a deletion that must wait.
fn live_events(old: &FlowExecutionStatus, standing: &Standing) -> Vec<EventNote> {
    let was = |type_: &str| {
        old.condition(type_)
            .map(|c| (c.reason.as_str(), c.message.as_str()))
    };
    let (_, ready_before) = was(ct::READY).unwrap_or_default();
    let completed_before = was(ct::COMPLETED).map(|(reason, _)| reason);
    match standing {
        Standing::Ended { reason, message }
            if reason == reason::STOPPED_BEFORE_START
                && completed_before != Some(reason.as_str()) =>
        {
            vec![EventNote::normal(reason, "StopExecution", message.clone())]
        }
        Standing::InProgress { message, .. } | Standing::Refused { message, .. }
            if message.starts_with(DELETION_WAITS) && !ready_before.starts_with(DELETION_WAITS) =>
        {
            vec![EventNote::warning(
                reason::DELETION_WAITING,
                "StopExecution",
                message.clone(),
            )]
        }
        _ => Vec::new(),
    }
}

fn transitions(
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
                reason::ADOPTED,
                "AdoptExecution",
                format!(
                    "{target} already existed; mirroring it instead of starting another{request}"
                ),
            ));
        } else {
            notes.push(EventNote::normal(
                reason::STARTED,
                "StartExecution",
                format!("started {target}{request}"),
            ));
        }
    }
    // No Event for Running: the status shows it, and with thousands of runs an
    // Event per run that nobody acts on is an apiserver write a run.
    if old_phase != new_phase {
        match new_phase {
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
            reason::OUTPUT_WRITTEN,
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

/// The Warning that the status no longer holds the whole Output, once, when
/// `outputTruncated` turns true.
fn output_truncated(t: &Transition<'_>) -> Option<EventNote> {
    let (fe, old, new, cloud, target) = (t.fe, t.old, t.new, t.cloud, t.target);
    if new.output_truncated != Some(true) || old.output_truncated == Some(true) {
        return None;
    }
    let held = new.output.as_deref().map_or(0, str::len);
    let size = full_output(cloud).map_or_else(
        || format!("more than {held} bytes"),
        |o| format!("{} bytes", o.len()),
    );
    let whole = match fe.spec.output_to.as_ref().and_then(output_target) {
        Some(object) => format!("the whole Output goes to {object} (spec.outputTo) and "),
        None => "the whole Output ".to_string(),
    };
    Some(EventNote::warning(
        reason::OUTPUT_TRUNCATED,
        "WriteStatus",
        format!(
            "the Output of {target} is {size}: status.output holds its first {held} bytes (status.outputTruncated=true); {whole}`kubectl fnf output {} -n {}` reads it from the cloud",
            fe.metadata.name.as_deref().unwrap_or_default(),
            fe.metadata.namespace.as_deref().unwrap_or_default(),
        ),
    ))
}
