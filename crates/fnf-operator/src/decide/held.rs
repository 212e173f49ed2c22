//! Decisions that only say why no run starts: `spec.suspend` holds it, or an
//! `inputFrom` source cannot be read yet. The status keeps its run as it was
//! (nothing begun, no name recorded); only the conditions (and the planner's
//! Event) change. Pure: the time comes in.

use std::time::Duration;

use jiff::Timestamp;

use super::conditions::{self, Standing};
use super::decision::{Decision, decide};
use super::events;
use super::outcome::Next;
use super::view::{CloudView, DecideSettings};
use crate::crd::{FlowExecution, FlowExecutionStatus, condition_type, phase};

/// The longest wait for a missing `inputFrom` source before looking again
/// (the back-off doubles up to this).
const INPUT_SOURCE_RETRY_MAX: Duration = Duration::from_secs(30);

/// A decision that only says why nothing happens: the status as it was (no
/// run begun, no name recorded) with conditions from `standing`.
pub fn held(
    fe: &FlowExecution,
    mut status: FlowExecutionStatus,
    standing: Standing,
    next: Next,
    now: Timestamp,
) -> Decision {
    let old = fe.status.clone().unwrap_or_default();
    status.observed_generation = fe.metadata.generation;
    status.conditions = conditions::build(
        &old.conditions,
        &standing,
        None,
        fe.metadata.generation,
        now,
    );
    let wants_finalizer = fe
        .metadata
        .finalizers
        .iter()
        .flatten()
        .any(|f| f == crate::crd::FINALIZER)
        && status.execution_name.is_some()
        && !status.phase.as_deref().is_some_and(phase::is_terminal);
    Decision {
        status,
        events: events::runs::planned(&old, &standing).into_iter().collect(),
        next,
        wants_finalizer,
        new_run: false,
    }
}

/// An `inputFrom` source cannot be read: nothing starts, the conditions name
/// it, and it is looked up again with back-off until it appears.
pub fn held_for_input(
    fe: &FlowExecution,
    cloud: &CloudView,
    settings: &DecideSettings,
    now: Timestamp,
    why: &str,
    message: &str,
) -> Decision {
    let old = fe.status.clone().unwrap_or_default();
    let standing = Standing::InProgress {
        reason: why.to_string(),
        message: format!("{message}: the run starts once it can be read"),
    };
    let retry = Next::Retry(input_source_retry(&old, why, now));
    let live = old.execution_name.is_some()
        && !old.phase.as_deref().is_some_and(phase::is_terminal)
        && old.phase.as_deref() != Some(phase::PENDING);
    if live && !fe.runs_on_change() {
        // Once, already running: its input was sent; follow it as it is.
        return decide(fe, cloud, settings, now);
    }
    held(fe, old, standing, retry, now)
}

/// Doubling from a second with each look since the condition was set, up to
/// half a minute.
fn input_source_retry(old: &FlowExecutionStatus, why: &str, now: Timestamp) -> Duration {
    let since = old
        .condition(condition_type::RECONCILING)
        .filter(|c| c.reason == why)
        .and_then(|c| c.last_transition_time.parse::<Timestamp>().ok());
    let waited = since.map_or(Duration::ZERO, |t| now.duration_since(t).unsigned_abs());
    waited
        .max(Duration::from_secs(1))
        .min(INPUT_SOURCE_RETRY_MAX)
}
