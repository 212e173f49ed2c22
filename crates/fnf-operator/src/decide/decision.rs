//! The decision: from a FlowExecution, what the cloud has said about its
//! execution, and the time, to the status to write, the Events to emit and the
//! next step. Pure: no I/O, no clock, no randomness. Every row of the README's
//! conditions table is a test of this function.

use jiff::Timestamp;

use super::conditions::{self, Standing};
use super::events::{self, EventNote, reason};
use super::finish;
use super::flow_gate;
use super::live;
use super::mirror::{mirror, name_in_use, unmirror};
use super::outcome::{DeletionStep, Next};
use super::output::hold_output;
use super::view::{CloudView, DecideSettings};
use crate::crd::{FINALIZER, FlowExecution, FlowExecutionStatus, Mode, namespace_prefix, phase};

#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub status: FlowExecutionStatus,
    pub events: Vec<EventNote>,
    pub next: Next,
    /// Whether the object should carry the stop-on-delete finalizer.
    pub wants_finalizer: bool,
    /// The status begins a new run (`runs::decide_run`): the thin layer drops
    /// what it knew of the previous run's execution before anything else.
    pub new_run: bool,
}

/// What the run planner (`runs`) puts in place of the current run's own
/// standing and next step: the run is followed as it is, only what it means
/// for the declaration differs.
#[derive(Clone, Debug, Default)]
pub struct Adjust {
    pub standing: Option<Standing>,
    pub next: Option<Next>,
    /// The size as JSON of the input the run sends (`spec.input` with
    /// `spec.inputFrom` resolved), measured by the run planner; `None`:
    /// `spec.input`'s own.
    pub input_bytes: Option<usize>,
}

/// The decision on the status's current run, as it is (`runPolicy: Once`,
/// and the current run under `OnChange`).
pub fn decide(
    fe: &FlowExecution,
    cloud: &CloudView,
    settings: &DecideSettings,
    now: Timestamp,
) -> Decision {
    decide_with(fe, cloud, settings, now, Adjust::default())
}

/// [`decide`], with the standing and the next step the run planner asks for.
pub fn decide_with(
    fe: &FlowExecution,
    cloud: &CloudView,
    settings: &DecideSettings,
    now: Timestamp,
    adjust: Adjust,
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
        hold_output(&mut status, cloud, settings.status_output_max_bytes);
    }

    let current_phase = status.phase.clone().unwrap_or_default();
    let terminal = phase::is_terminal(&current_phase);
    let exec = status.execution_name.clone().unwrap_or_default();
    // A retried run's reasons and messages name the attempt.
    let target = match status.attempt {
        Some(attempt) if attempt > 1 => format!(
            "attempt {attempt}, execution {exec} of flow {}",
            fe.spec.flow_name
        ),
        _ => format!("execution {exec} of flow {}", fe.spec.flow_name),
    };

    if let Some(export) = cloud.output_written.as_ref().filter(|w| w.outcome.is_ok()) {
        status.output_written_to = Some(export.target.clone());
    }

    let (standing, next) = if let Some(refusal) = name_in_use {
        (refusal, Next::Done)
    } else if terminal {
        let next = finish::after_end(fe, cloud, &status, &old, now);
        (terminal_standing(&current_phase, &status, &target), next)
    } else if let Some(refusal) = local_refusal(fe, &status, settings, adjust.input_bytes) {
        (refusal, Next::Done)
    } else if let Some(waiting) = flow_gate::waiting_for_flow(fe, cloud, &current_phase) {
        (waiting, Next::Retry(flow_gate::FLOW_NOT_READY_RECHECK))
    } else {
        live::live(fe, cloud, &old, &status, &target, settings, now)
    };
    let next = live::hold_after_trouble(fe, cloud, next, now);
    let next = finish::after_refusal(fe, &standing, &old, next, now);
    let standing = adjust.standing.unwrap_or(standing);
    let next = adjust.next.unwrap_or(next);
    let deleting = fe.metadata.deletion_timestamp.is_some() && cloud.problem.is_some();
    let standing = if deleting && !terminal {
        live::deletion_waits(standing, &target)
    } else {
        standing
    };
    if matches!(&standing, Standing::Ended { reason, .. } if reason == reason::STOPPED_BEFORE_START)
    {
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

    let events = events::for_decision(&events::Transition {
        fe,
        old: &old,
        new: &status,
        cloud,
        standing: &standing,
        terminal,
        target: &target,
    });
    let wants_finalizer = live::wants_finalizer(fe, cloud, &status, &standing, &next);
    Decision {
        status,
        events,
        next,
        wants_finalizer,
        new_run: false,
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
fn local_refusal(
    fe: &FlowExecution,
    status: &FlowExecutionStatus,
    settings: &DecideSettings,
    input_bytes: Option<usize>,
) -> Option<Standing> {
    let namespace = fe.metadata.namespace.as_deref().unwrap_or("default");
    if !fe.execution_name_is_own() && !settings.allows_foreign_names(namespace) {
        let verb = match fe.spec.mode {
            Mode::Start => "start or adopt",
            Mode::Observe => "observe",
        };
        return Some(Standing::Refused {
            reason: reason::EXECUTION_NAME_NOT_ALLOWED.into(),
            message: format!(
                "spec.executionName {} does not start with {}, this namespace's prefix: a FlowExecution may only {verb} executions named for its own namespace unless the operator allows namespace {namespace} (--allow-foreign-execution-names, chart value allowForeignExecutionNames)",
                fe.resolved_execution_name(),
                namespace_prefix(namespace),
            ),
            final_: true,
        });
    }
    // Checked before the input is sent: a run that started carries its own.
    let unsent = status.phase.as_deref().is_none_or(|p| p == phase::PENDING);
    let size = input_bytes.or_else(|| {
        fe.spec
            .input
            .as_ref()
            .map(|input| serde_json::to_string(input).map_or(usize::MAX, |s| s.len()))
    });
    if let Some(size) = size.filter(|size| unsent && *size > settings.input_max_bytes) {
        // The size only: a value may come from a Secret.
        let what = if fe.spec.input_from.is_empty() {
            "spec.input"
        } else {
            "the input (spec.input with spec.inputFrom's values)"
        };
        return Some(Standing::Refused {
            reason: reason::INPUT_TOO_LARGE.into(),
            message: format!(
                "{what} is {size} bytes as JSON; the cloud accepts at most {} bytes: pass a reference (an OSS key, a URL) instead of the data",
                settings.input_max_bytes
            ),
            final_: true,
        });
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
