//! The decision: from a FlowExecution, what the cloud has said about its
//! execution, and the time, to the status to write, the Events to emit and the
//! next step. Pure: no I/O, no clock, no randomness. Every row of the README's
//! conditions table is a test of this function.

use std::time::Duration;

use jiff::Timestamp;

use super::classify;
use super::conditions::{self, Reachability, Standing};
use super::events::{self, EventNote};
use super::finish;
use super::mirror::{TRANSITION_REASONS, mirror, name_in_use, unmirror};
use super::view::{CloudView, DecideSettings, ProblemKind};
use crate::crd::{FINALIZER, FlowExecution, FlowExecutionStatus, Mode, namespace_prefix, phase};

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

const CREDENTIALS_RETRY: Duration = Duration::from_secs(30);
const FLOW_MISSING_RETRY: Duration = Duration::from_secs(15);
const OBSERVE_NOT_FOUND_RETRY: Duration = Duration::from_secs(30);

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
        live(fe, cloud, &old, &status, &target, settings, now)
    };
    let next = finish::after_refusal(fe, &standing, &old, next, now);
    if let Next::Stop { error, .. } = &next {
        status.stop_reason = Some((*error).to_string());
    }

    let reachability = cloud.problem.as_ref().map_or_else(
        || {
            (cloud.execution.is_some() || cloud.name_in_use.is_some()).then(|| Reachability {
                reachable: true,
                reason: "Reachable".into(),
                message: "the cloud answered".into(),
            })
        },
        |p| {
            Some(Reachability {
                reachable: p.kind != ProblemKind::Transient,
                reason: if p.kind == ProblemKind::Transient {
                    p.reason.clone()
                } else {
                    "Reachable".into()
                },
                message: if p.kind == ProblemKind::Transient {
                    p.message.clone()
                } else {
                    "the cloud answered".into()
                },
            })
        },
    );
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
    // A run this object did not start is never stopped for it.
    let wants_finalizer = fe.spec.mode == Mode::Start
        && fe.spec.deletion_policy == crate::crd::DeletionPolicy::Stop
        && status.adopted != Some(true)
        && !terminal
        && !matches!(standing, Standing::Refused { final_: true, .. });
    Decision {
        status,
        events,
        next,
        wants_finalizer,
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

fn live(
    fe: &FlowExecution,
    cloud: &CloudView,
    old: &FlowExecutionStatus,
    status: &FlowExecutionStatus,
    target: &str,
    settings: &DecideSettings,
    now: Timestamp,
) -> (Standing, Next) {
    let current_phase = status.phase.as_deref().unwrap_or(phase::PENDING);
    let in_progress = |reason: &str, message: String| Standing::InProgress {
        reason: reason.to_string(),
        message,
    };
    let never_recorded = old.execution_name.is_none();
    let seen_in_cloud = cloud.execution.is_some() || current_phase != phase::PENDING;
    let problem = cloud.problem.as_ref();

    let next = if never_recorded {
        match fe.spec.mode {
            Mode::Start => Next::Start,
            Mode::Observe => Next::Describe,
        }
    } else if !seen_in_cloud {
        match problem.map(|p| p.kind) {
            Some(ProblemKind::ExecutionMissing) if fe.spec.mode == Mode::Start => Next::Start,
            // A start may or may not have reached the cloud before a restart: ask.
            _ => Next::Describe,
        }
    } else {
        let (stop, recheck_after) = finish::stop_wanted(fe, status, now);
        match stop {
            // Never a run this object did not start.
            Some((error, cause))
                if fe.spec.mode == Mode::Start
                    && !cloud.stop_requested
                    && status.adopted != Some(true) =>
            {
                Next::Stop { error, cause }
            }
            _ => Next::Watch { recheck_after },
        }
    };

    let plain = || match current_phase {
        phase::PENDING if next == Next::Start => {
            in_progress("Starting", format!("starting {target}"))
        }
        phase::PENDING => in_progress("Pending", format!("looking up {target}")),
        other => in_progress(other, format!("{target} is {other}")),
    };
    let Some(problem) = problem else {
        return (plain(), next);
    };

    let text = match &problem.request_id {
        Some(id) => format!("{} (RequestId {id})", problem.message),
        None => problem.message.clone(),
    };
    // A problem that a retry may cure holds the next call back for its interval.
    let hold = |interval: Duration| {
        let waited = now.duration_since(problem.last_seen).unsigned_abs();
        match interval.checked_sub(waited) {
            Some(left) if !left.is_zero() => Next::Retry(left),
            _ => next.clone(),
        }
    };
    match problem.kind {
        ProblemKind::ExecutionMissing if fe.spec.mode == Mode::Observe => (
            in_progress(
                "ExecutionNotFound",
                format!("waiting for {target} to be started elsewhere"),
            ),
            hold(OBSERVE_NOT_FOUND_RETRY),
        ),
        ProblemKind::ExecutionMissing if !seen_in_cloud => {
            (in_progress("Starting", format!("starting {target}")), next)
        }
        ProblemKind::ExecutionMissing => (
            Standing::Refused {
                reason: problem.reason.clone(),
                message: format!("{target} no longer exists in the cloud: {text}"),
                final_: true,
            },
            Next::Done,
        ),
        ProblemKind::FlowMissing => {
            let waited = now.duration_since(problem.since).unsigned_abs();
            let standing = if waited < settings.flow_missing_grace {
                in_progress(
                    &problem.reason,
                    format!("waiting for flow {} to exist: {text}", fe.spec.flow_name),
                )
            } else {
                Standing::Refused {
                    reason: problem.reason.clone(),
                    message: format!(
                        "flow {} does not exist in this region and account: create it, or fix spec.flowName/spec.region in a new FlowExecution: {text}",
                        fe.spec.flow_name
                    ),
                    final_: false,
                }
            };
            (standing, hold(FLOW_MISSING_RETRY))
        }
        ProblemKind::Credentials => (
            Standing::Refused {
                reason: problem.reason.clone(),
                message: classify::credentials_message(fe, &problem.reason, text),
                final_: false,
            },
            hold(CREDENTIALS_RETRY),
        ),
        ProblemKind::SpecRefused => (
            Standing::Refused {
                reason: problem.reason.clone(),
                message: format!("the cloud refused {target}: {text}"),
                final_: true,
            },
            Next::Done,
        ),
        // Cloud trouble changes no condition but CloudReachable.
        ProblemKind::Transient => (plain(), next),
    }
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
