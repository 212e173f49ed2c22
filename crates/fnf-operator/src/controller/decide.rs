//! The decision: from a FlowExecution, what the cloud has said about its
//! execution, and the time, to the status to write, the Events to emit and the
//! next step. Pure: no I/O, no clock, no randomness. Every row of the README's
//! conditions table is a test of this function.

use std::time::Duration;

use jiff::Timestamp;

use super::conditions::{self, Standing};
use super::events::{self, EventNote};
use super::finish;
use super::live;
use super::mirror::{TRANSITION_REASONS, mirror, name_in_use, unmirror};
use super::view::{CloudView, DecideSettings};
use crate::crd::{
    FINALIZER, FlowExecution, FlowExecutionStatus, Mode, condition_type, namespace_prefix, phase,
};

/// Stable reason of a refused foreign execution name.
pub const EXECUTION_NAME_NOT_ALLOWED: &str = "ExecutionNameNotAllowed";

/// What the thin layer does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// Call StartExecution. Only ever returned once the execution name is in the
    /// persisted status, so a restart can tell that a start may have happened.
    Start,
    /// Ask DescribeExecution (no wait) whether the execution exists.
    Describe,
    /// Keep a poll on the execution; its answers trigger the next decision.
    /// Decide again after `recheck_after` even without news (a deadline).
    Watch { recheck_after: Option<Duration> },
    /// Read the failure detail of an ended execution from its history.
    FetchFailure,
    /// Call StopExecution with this Error and Cause (spec.stop or the deadline).
    Stop { error: &'static str, cause: String },
    /// Write the Output to spec.outputTo.
    ExportOutput,
    /// Delete the FlowExecution: its TTL after the end has passed.
    Delete,
    /// Nothing to do now; decide again after this long.
    Retry(Duration),
    /// Final: no more cloud calls for this object.
    Done,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub status: FlowExecutionStatus,
    pub events: Vec<EventNote>,
    pub next: Next,
    /// Whether the object should carry the stop-on-delete finalizer.
    pub wants_finalizer: bool,
}

/// What deleting the object requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeletionStep {
    /// No finalizer of ours: nothing to do.
    None,
    /// Stop the execution, then remove the finalizer.
    StopThenRelease,
    /// Remove the finalizer without calling the cloud.
    Release,
}

pub fn decide(
    fe: &FlowExecution,
    cloud: &CloudView,
    settings: &DecideSettings,
    now: Timestamp,
) -> Decision {
    let old = fe.status.clone().unwrap_or_default();
    let mut status = old.clone();
    status.execution_name = Some(fe.resolved_execution_name());
    status.flow_name = Some(fe.spec.flow_name.clone());
    status.observed_generation = fe.metadata.generation;
    if status.phase.is_none() {
        status.phase = Some(phase::PENDING.to_string());
    }
    let name_in_use = name_in_use(&old, cloud);
    if name_in_use.is_some() {
        unmirror(&mut status);
    } else {
        mirror(&mut status, cloud);
        // Only a run that is this object's own: an unmirrored one shows nothing.
        finish::hold_output(&mut status, cloud, settings.status_output_max_bytes);
    }

    let current_phase = status.phase.clone().unwrap_or_default();
    let terminal = phase::is_terminal(&current_phase);
    let exec = status.execution_name.clone().unwrap_or_default();
    let target = format!("execution {exec} of flow {}", fe.spec.flow_name);

    if let Some(export) = cloud.output_written.as_ref().filter(|w| w.outcome.is_ok()) {
        status.output_written_to = Some(export.target.clone());
    }

    let (standing, next) = if let Some(refusal) = name_in_use {
        (refusal, Next::Done)
    } else if terminal {
        let next = finish::after_end(fe, cloud, &status, &old, now);
        (terminal_standing(&current_phase, &status, &target), next)
    } else if let Some(refusal) = local_refusal(fe, settings) {
        (refusal, Next::Done)
    } else {
        live::live(fe, cloud, &old, &status, &target, settings, now)
    };
    let next = live::hold_after_trouble(fe, cloud, next, now);
    let next = finish::after_refusal(fe, &standing, &old, next, now);
    let deleting = fe.metadata.deletion_timestamp.is_some() && cloud.problem.is_some();
    let standing = if deleting && !terminal {
        live::deletion_waits(standing, &target)
    } else {
        standing
    };
    if matches!(&standing, Standing::Ended { reason, .. } if reason == live::STOPPED_BEFORE_START) {
        status.stop_reason = Some(finish::STOPPED_BY_USER.to_string());
    }
    if let Next::Stop { error, .. } = &next {
        status.stop_reason = Some((*error).to_string());
    }

    let reachability = live::reachability(cloud);
    status.conditions = conditions::build(
        &old.conditions,
        &standing,
        reachability.as_ref(),
        fe.metadata.generation,
        now,
    );

    let mut events = events::transitions(&old, &status, cloud, &target);
    events.extend(finish::output_events(fe, &old, &status, cloud, &target));
    // A transition is announced once: correcting a forged status repeats none.
    events.retain(|e| {
        !(TRANSITION_REASONS.contains(&e.reason.as_str()) && cloud.announced.contains(&e.reason))
    });
    if fe.spec.stop
        && fe.spec.mode == Mode::Start
        && status.adopted == Some(true)
        && !terminal
        && old.observed_generation != fe.metadata.generation
    {
        events.push(EventNote::warning(
            "StopNotAllowed",
            "StopExecution",
            format!("{target} was adopted, not started by this FlowExecution: spec.stop does not stop it; stop it where it was started"),
        ));
    }
    // Every new stall is announced, also one found before any call (InputTooLarge).
    if let Standing::Refused {
        reason, message, ..
    } = &standing
    {
        let was = old
            .condition(crate::crd::condition_type::STALLED)
            .map(|c| c.reason.as_str());
        if was != Some(reason.as_str()) && !events.iter().any(|e| e.reason == *reason) {
            events.push(EventNote::warning(reason, "ValidateSpec", message.clone()));
        }
    }
    events.extend(live_events(&old, &standing));
    let wants_finalizer = live::wants_finalizer(fe, cloud, &status, &standing, &next);
    Decision {
        status,
        events,
        next,
        wants_finalizer,
    }
}

/// Events of a live object that no status field shows a transition of: a
/// stop that came before the start, and a deletion that must wait.
fn live_events(old: &FlowExecutionStatus, standing: &Standing) -> Vec<EventNote> {
    let was = |type_: &str| {
        old.condition(type_)
            .map(|c| (c.reason.as_str(), c.message.as_str()))
    };
    let (_, ready_before) = was(condition_type::READY).unwrap_or_default();
    let completed_before = was(condition_type::COMPLETED).map(|(reason, _)| reason);
    match standing {
        Standing::Ended { reason, message }
            if reason == live::STOPPED_BEFORE_START
                && completed_before != Some(reason.as_str()) =>
        {
            vec![EventNote::normal(reason, "StopExecution", message.clone())]
        }
        Standing::InProgress { message, .. } | Standing::Refused { message, .. }
            if message.starts_with(live::DELETION_WAITS)
                && !ready_before.starts_with(live::DELETION_WAITS) =>
        {
            vec![EventNote::warning(
                "DeletionWaiting",
                "StopExecution",
                message.clone(),
            )]
        }
        _ => Vec::new(),
    }
}

fn terminal_standing(current_phase: &str, status: &FlowExecutionStatus, target: &str) -> Standing {
    if current_phase == phase::STOPPED
        && status.stop_reason.as_deref() == Some(finish::DEADLINE_EXCEEDED)
    {
        return Standing::Ended {
            reason: finish::DEADLINE_EXCEEDED.to_string(),
            message: format!("{target} was stopped: it ran longer than spec.activeDeadlineSeconds"),
        };
    }
    if current_phase == phase::SUCCEEDED {
        return Standing::Succeeded {
            message: format!("{target} succeeded"),
        };
    }
    let detail = match (&status.error, &status.cause) {
        (Some(e), Some(c)) => format!(": {e}: {c}"),
        (Some(e), None) => format!(": {e}"),
        (None, Some(c)) => format!(": {c}"),
        (None, None) => String::new(),
    };
    Standing::Ended {
        reason: current_phase.to_string(),
        message: format!("{target} ended {current_phase}{detail}"),
    }
}

/// Mistakes the operator can see before any call.
fn local_refusal(fe: &FlowExecution, settings: &DecideSettings) -> Option<Standing> {
    let namespace = fe.metadata.namespace.as_deref().unwrap_or("default");
    if !fe.execution_name_is_own() && !settings.allows_foreign_names(namespace) {
        let verb = match fe.spec.mode {
            Mode::Start => "start or adopt",
            Mode::Observe => "observe",
        };
        return Some(Standing::Refused {
            reason: EXECUTION_NAME_NOT_ALLOWED.into(),
            message: format!(
                "spec.executionName {} does not start with {}, this namespace's prefix: a FlowExecution may only {verb} executions named for its own namespace unless the operator allows namespace {namespace} (--allow-foreign-execution-names, chart value allowForeignExecutionNames)",
                fe.resolved_execution_name(),
                namespace_prefix(namespace),
            ),
            final_: true,
        });
    }
    if let Some(input) = &fe.spec.input {
        let size = serde_json::to_string(input).map_or(usize::MAX, |s| s.len());
        if size > settings.input_max_bytes {
            return Some(Standing::Refused {
                reason: "InputTooLarge".into(),
                message: format!(
                    "spec.input is {size} bytes as JSON; the cloud accepts at most {} bytes: pass a reference (an OSS key, a URL) instead of the data",
                    settings.input_max_bytes
                ),
                final_: true,
            });
        }
    }
    None
}

/// What deleting `fe` requires. Pure.
pub fn deletion_step(fe: &FlowExecution) -> DeletionStep {
    let ours = fe
        .metadata
        .finalizers
        .as_ref()
        .is_some_and(|f| f.iter().any(|x| x == FINALIZER));
    if !ours {
        return DeletionStep::None;
    }
    let status = fe.status.clone().unwrap_or_default();
    let ended = status.phase.as_deref().is_some_and(phase::is_terminal);
    let live = status.execution_name.is_some() && !ended;
    if live
        && fe.spec.mode == Mode::Start
        && status.adopted != Some(true)
        && fe.spec.deletion_policy == crate::crd::DeletionPolicy::Stop
    {
        DeletionStep::StopThenRelease
    } else {
        DeletionStep::Release
    }
}
