//! Which run the status is about, and when a new one begins: a new
//! declaration (`runPolicy: OnChange`), the next attempt of a failed one
//! (`spec.retry`), or none while `spec.suspend` holds the start. A prelude
//! to [`decide`]: the current run itself is decided there. Pure: the time
//! and the resolved input come in.
//!
//! A run is *begun* by writing its identity, attempt and execution name into
//! the status; StartExecution is only asked for in that same decision, and
//! the thin layer writes the status before the call, so a restart between the
//! two finds the name and asks the cloud instead of starting twice.

use std::time::Duration;

use jiff::Timestamp;

use super::conditions::Standing;
use super::decision::{Adjust, Decision, decide, decide_with};
use super::events::reason;
use super::held::{held, held_for_input};
use super::identity::EXECUTION_NAME_IN_USE;
use super::outcome::Next;
use super::retry;
use super::view::{CloudView, DecideSettings, DeclaredInput, ProblemKind};
use crate::crd::{
    FlowExecution, FlowExecutionStatus, RunIdentity, RunRecord, WhileRunning, condition_type,
    default_execution_name, legacy_default_execution_name, phase, runs_with,
};

pub use super::retry::REPLACED;

/// The decision for `fe`: which run, then that run's [`decide`]. `input` is
/// the resolved input of the current declaration.
pub fn decide_run(
    fe: &FlowExecution,
    input: &DeclaredInput,
    cloud: &CloudView,
    settings: &DecideSettings,
    now: Timestamp,
) -> Decision {
    let old = fe.status.clone().unwrap_or_default();
    let input = match input {
        DeclaredInput::Ready(input) => input,
        DeclaredInput::Missing { reason, message } => {
            return held_for_input(fe, cloud, settings, now, reason, message);
        }
    };
    // Measured once resolved: spec.inputFrom's values count too.
    let input_bytes = serde_json::to_string(input).map_or(usize::MAX, |s| s.len());
    if !fe.runs_on_change() {
        // Once: one run, today's decision; retry still applies to it.
        return after_current(fe, fe, cloud, settings, now, None, input_bytes);
    }
    let declared = fe.run_identity(input);
    // A run recorded before run identities (today's default name) is the
    // declared run: nothing starts twice across the upgrade.
    let recorded_default = old.run_identity.is_none() && records_default_name(fe, &old);
    let current_identity = if recorded_default {
        Some(declared.clone())
    } else {
        old.run_identity.as_deref().and_then(RunIdentity::parse)
    };
    if current_identity.as_ref() == Some(&declared) {
        let mut current = fe.clone();
        if recorded_default {
            let status = current.status.get_or_insert_with(Default::default);
            status.run_identity = Some(declared.to_string());
            status.attempt = Some(status.attempt.unwrap_or(1));
        }
        return after_current(
            fe,
            &current,
            cloud,
            settings,
            now,
            Some(&declared),
            input_bytes,
        );
    }

    // A new declaration: what becomes of the previous run first.
    let previous = decide(fe, cloud, settings, now);
    let recorded = old.execution_name.is_some();
    let previous_phase = previous.status.phase.as_deref().unwrap_or(phase::PENDING);
    let seen = previous_phase != phase::PENDING;
    let foreign = cloud.name_in_use.is_some() || stalled_in_use(&old);
    let missing = cloud
        .problem
        .as_ref()
        .is_some_and(|p| p.kind == ProblemKind::ExecutionMissing);
    let never_ran = !recorded || foreign || (!seen && missing);
    if never_ran || phase::is_terminal(previous_phase) {
        let finished = (!never_ran).then_some(&previous.status);
        let run = NextRun {
            identity: &declared,
            attempt: 1,
            input_bytes,
        };
        return begin(fe, run, finished, cloud, settings, now);
    }
    let target = previous_target(fe);
    let (standing, next) = if !seen {
        // Recorded, never seen: a start may have reached the cloud before a
        // restart. Ask; never start the old name with the new input.
        let next = match previous.next {
            Next::Start => Next::Describe,
            other => other,
        };
        let message = format!(
            "the declaration changed; looking up {target}, the previous declaration's run, before starting the new one"
        );
        (waiting(message), next)
    } else if fe.spec.while_running == WhileRunning::Replace {
        let next = if cloud.stop_requested || fe.spec.stop {
            previous.next
        } else {
            Next::Stop {
                error: REPLACED,
                cause: format!(
                    "replaced by a new declaration of FlowExecution {}/{} (spec.whileRunning: Replace)",
                    fe.metadata.namespace.as_deref().unwrap_or_default(),
                    fe.metadata.name.as_deref().unwrap_or_default(),
                ),
            }
        };
        let message = format!(
            "the declaration changed; stopping {target}, the previous declaration's run (spec.whileRunning: Replace), then starting the new one"
        );
        (waiting(message), next)
    } else {
        let message = format!(
            "the declaration changed; {target}, the previous declaration's run, is {previous_phase}: the new one starts when it ends (spec.whileRunning: Wait)"
        );
        (waiting(message), previous.next)
    };
    decide_with(
        fe,
        cloud,
        settings,
        now,
        Adjust {
            standing: Some(standing),
            next: Some(next),
            input_bytes: None,
        },
    )
}

fn waiting(message: String) -> Standing {
    Standing::InProgress {
        reason: reason::WAITING_FOR_PREVIOUS_RUN.to_string(),
        message,
    }
}

/// `execution {name} of flow {flow}` of the status's (previous) run.
fn previous_target(fe: &FlowExecution) -> String {
    format!(
        "execution {} of flow {}",
        fe.resolved_execution_name(),
        fe.status
            .as_ref()
            .and_then(|s| s.flow_name.clone())
            .unwrap_or_else(|| fe.spec.flow_name.clone())
    )
}

/// The status's run is the declared one (`current`: `fe` with that recorded):
/// decided as it is, unless it ended and a retry is due or scheduled.
fn after_current(
    fe: &FlowExecution,
    current: &FlowExecution,
    cloud: &CloudView,
    settings: &DecideSettings,
    now: Timestamp,
    identity: Option<&RunIdentity>,
    input_bytes: usize,
) -> Decision {
    let measured = Adjust {
        input_bytes: Some(input_bytes),
        ..Adjust::default()
    };
    let decision = decide_with(current, cloud, settings, now, measured);
    let status = &decision.status;
    let ended = status.phase.as_deref().is_some_and(phase::is_terminal);
    // The failure detail is read (and written) before a retry is planned.
    if !ended || decision.next == Next::FetchFailure || cloud.name_in_use.is_some() {
        return decision;
    }
    let attempt = status.attempt.unwrap_or(1).max(1);
    let Some(at) = retry::retry_at(fe, status, attempt, now) else {
        return decision;
    };
    let next_attempt = attempt.saturating_add(1);
    // Attempts are named after the run's identity; `Once` has none (one
    // name, so one attempt).
    let Some(identity) = identity else {
        return decision;
    };
    if now >= at {
        let run = NextRun {
            identity,
            attempt: next_attempt,
            input_bytes,
        };
        return begin(fe, run, Some(status), cloud, settings, now);
    }
    let left = at.duration_since(now).unsigned_abs();
    decide_with(
        current,
        cloud,
        settings,
        now,
        Adjust {
            standing: Some(retry::scheduled(
                status,
                attempt,
                &current.resolved_execution_name(),
                at,
            )),
            next: Some(Next::Retry(left.max(Duration::from_secs(1)))),
            input_bytes: Some(input_bytes),
        },
    )
}

/// The run [`begin`] begins: attempt `attempt` of the run `identity`,
/// sending an input of `input_bytes` as JSON.
struct NextRun<'a> {
    identity: &'a RunIdentity,
    attempt: i32,
    input_bytes: usize,
}

/// Begins attempt `attempt` of the run `identity`: the current-run fields
/// cleared, `finished` (the run that ended, if it ran) put in front of
/// `status.runs`, and the decision on the empty run, which starts it (or
/// holds it while `spec.suspend` is set).
fn begin(
    fe: &FlowExecution,
    run: NextRun<'_>,
    finished: Option<&FlowExecutionStatus>,
    cloud: &CloudView,
    settings: &DecideSettings,
    now: Timestamp,
) -> Decision {
    let NextRun {
        identity,
        attempt,
        input_bytes,
    } = run;
    let old = fe.status.clone().unwrap_or_default();
    let mut runs = old.runs.clone();
    if let Some(done) = finished.filter(|s| s.execution_name.is_some()) {
        let record = RunRecord {
            execution_name: done.execution_name.clone().unwrap_or_default(),
            phase: done.phase.clone().unwrap_or_default(),
            started_time: done.started_time.clone(),
            stopped_time: done.stopped_time.clone(),
            attempt: done.attempt,
            run_identity: done.run_identity.clone(),
        };
        runs = runs_with(&runs, record);
    }
    let fresh = FlowExecutionStatus {
        phase: Some(phase::PENDING.to_string()),
        run_identity: Some(identity.to_string()),
        attempt: Some(attempt),
        runs,
        observed_generation: old.observed_generation,
        // Kept for their transition times only; a refusal of the old run's
        // name is not this run's.
        conditions: old
            .conditions
            .iter()
            .filter(|c| c.reason != EXECUTION_NAME_IN_USE)
            .cloned()
            .collect(),
        ..FlowExecutionStatus::default()
    };
    if fe.spec.suspend {
        // Nothing begun, nothing recorded: the begin happens on release.
        return held(
            fe,
            old,
            Standing::Held {
                reason: reason::SUSPENDED.to_string(),
                message: "spec.suspend is set: the run starts when it is set to false".to_string(),
            },
            Next::Done,
            now,
        );
    }
    let mut next_run = fe.clone();
    next_run.status = Some(fresh);
    // Nothing the cloud said of the previous run is this one's; a problem
    // found before any call (no usable credentials) is the object's.
    let fresh_view = CloudView {
        problem: cloud.problem.clone().filter(|p| !p.from_call),
        ..CloudView::default()
    };
    let measured = Adjust {
        input_bytes: Some(input_bytes),
        ..Adjust::default()
    };
    let mut decision = decide_with(&next_run, &fresh_view, settings, now, measured);
    decision.new_run = true;
    decision
}

fn records_default_name(fe: &FlowExecution, status: &FlowExecutionStatus) -> bool {
    let namespace = fe.metadata.namespace.as_deref().unwrap_or("default");
    let name = fe.metadata.name.as_deref().unwrap_or_default();
    status.execution_name.as_deref().is_some_and(|recorded| {
        recorded == default_execution_name(namespace, name)
            || recorded == legacy_default_execution_name(namespace, name)
    })
}

fn stalled_in_use(status: &FlowExecutionStatus) -> bool {
    status
        .condition(condition_type::STALLED)
        .is_some_and(|c| c.status == "True" && c.reason == EXECUTION_NAME_IN_USE)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "runs_tests.rs"]
mod tests;
