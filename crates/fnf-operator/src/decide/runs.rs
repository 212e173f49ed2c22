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

use super::conditions::{self, Standing};
use super::decision::{Adjust, Decision, decide, decide_with};
use super::events::reason;
use super::identity::EXECUTION_NAME_IN_USE;
use super::outcome::Next;
use super::view::{CloudView, DecideSettings, DeclaredInput, ProblemKind};
use crate::crd::{
    FlowExecution, FlowExecutionStatus, RunIdentity, RunRecord, WhileRunning, condition_type,
    default_execution_name, legacy_default_execution_name, phase, runs_with,
};

/// The `error` of the StopExecution that `whileRunning: Replace` sends.
pub const REPLACED: &str = "Replaced";
/// Stops the operator made on purpose: never retried.
const STOPS_NOT_RETRIED: [&str; 3] = [
    super::finish::STOPPED_BY_USER,
    super::finish::DEADLINE_EXCEEDED,
    REPLACED,
];
/// The longest wait for a missing `inputFrom` source before looking again
/// (the back-off doubles up to this).
const INPUT_SOURCE_RETRY_MAX: Duration = Duration::from_secs(30);

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
    if !fe.runs_on_change() {
        // Once: one run, today's decision; retry still applies to it.
        return after_current(fe, fe, cloud, settings, now, None);
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
        return after_current(fe, &current, cloud, settings, now, Some(&declared));
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
        return begin(fe, &declared, 1, finished, cloud, settings, now);
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
) -> Decision {
    let decision = decide(current, cloud, settings, now);
    let status = &decision.status;
    let ended = status.phase.as_deref().is_some_and(phase::is_terminal);
    // The failure detail is read (and written) before a retry is planned.
    if !ended || decision.next == Next::FetchFailure || cloud.name_in_use.is_some() {
        return decision;
    }
    let attempt = status.attempt.unwrap_or(1).max(1);
    let Some(at) = retry_at(fe, status, attempt, now) else {
        return decision;
    };
    let next_attempt = attempt.saturating_add(1);
    // Attempts are named after the run's identity; `Once` has none (one
    // name, so one attempt).
    let Some(identity) = identity else {
        return decision;
    };
    if now >= at {
        return begin(
            fe,
            identity,
            next_attempt,
            Some(status),
            cloud,
            settings,
            now,
        );
    }
    let ended_phase = status.phase.clone().unwrap_or_default();
    let detail = match (&status.error, &status.cause) {
        (Some(e), Some(c)) => format!(": {e}: {c}"),
        (Some(e), None) => format!(": {e}"),
        (None, Some(c)) => format!(": {c}"),
        (None, None) => String::new(),
    };
    let left = at.duration_since(now).unsigned_abs();
    decide_with(
        current,
        cloud,
        settings,
        now,
        Adjust {
            standing: Some(Standing::InProgress {
                reason: reason::RETRY_SCHEDULED.to_string(),
                message: format!(
                    "attempt {attempt} ({}) ended {ended_phase}{detail}; attempt {next_attempt} starts at {}",
                    current.resolved_execution_name(),
                    conditions::kubernetes_time(at)
                ),
            }),
            next: Some(Next::Retry(left.max(Duration::from_secs(1)))),
        },
    )
}

/// When the next attempt after `status`'s ended `attempt` begins, if
/// `spec.retry` asks for one.
fn retry_at(
    fe: &FlowExecution,
    status: &FlowExecutionStatus,
    attempt: i32,
    now: Timestamp,
) -> Option<Timestamp> {
    let rule = fe.spec.retry.as_ref()?;
    let ended_phase = status.phase.as_deref()?;
    let on_purpose = status
        .stop_reason
        .as_deref()
        .is_some_and(|r| STOPS_NOT_RETRIED.contains(&r));
    if !rule.covers(ended_phase) || on_purpose || attempt > rule.limit || fe.spec.stop {
        return None;
    }
    let ended = status
        .stopped_time
        .as_deref()
        .and_then(|t| t.parse::<Timestamp>().ok())
        .or_else(|| {
            status
                .condition(condition_type::COMPLETED)
                .filter(|c| c.status == "True")
                .and_then(|c| c.last_transition_time.parse().ok())
        })
        .unwrap_or(now);
    ended
        .checked_add(rule.delay_before(attempt.saturating_add(1)))
        .ok()
}

/// Begins attempt `attempt` of the run `identity`: the current-run fields
/// cleared, `finished` (the run that ended, if it ran) put in front of
/// `status.runs`, and the decision on the empty run, which starts it (or
/// holds it while `spec.suspend` is set).
fn begin(
    fe: &FlowExecution,
    identity: &RunIdentity,
    attempt: i32,
    finished: Option<&FlowExecutionStatus>,
    cloud: &CloudView,
    settings: &DecideSettings,
    now: Timestamp,
) -> Decision {
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
    let mut decision = decide(&next_run, &fresh_view, settings, now);
    decision.new_run = true;
    decision
}

/// A decision that only says why nothing happens: the status as it was (no
/// run begun, no name recorded) with conditions from `standing`.
fn held(
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
        events: Vec::new(),
        next,
        wants_finalizer,
        new_run: false,
    }
}

/// An `inputFrom` source cannot be read: nothing starts, the conditions name
/// it, and it is looked up again with back-off until it appears.
fn held_for_input(
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
