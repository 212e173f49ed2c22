//! What `rerun`, `runs` and `wait` conclude from a FlowExecution: whether a
//! rerun is allowed, the run table, and whether a wait is over.
//!
//! Pure: no I/O, no clock (the caller passes the time).

use fnf_operator::crd::{
    Condition, FlowExecution, Mode, RunPolicy, RunRecord, condition_type, phase,
};

use super::args::WaitFor;
use super::error::PluginError;
use super::render::{NONE_CELL, table};
use super::resolve::object_key;

pub const RUNS_COLUMNS: [&str; 5] = ["EXECUTION", "ATTEMPT", "PHASE", "STARTED", "FINISHED"];

/// Refuses a rerun the object would not act on, saying why and what to do.
pub fn check_rerun(fe: &FlowExecution) -> Result<(), PluginError> {
    let why = if fe.spec.mode == Mode::Observe {
        Some("it is in mode Observe, which never starts a run")
    } else if fe.spec.execution_name.is_some() {
        Some("its spec.executionName names exactly one run (runPolicy Once)")
    } else if fe.run_policy() == RunPolicy::Once {
        Some("its spec.runPolicy is Once, so spec.runKey cannot change")
    } else {
        None
    };
    match why {
        None => Ok(()),
        Some(why) => {
            let (namespace, name) = object_key(fe);
            Err(PluginError::RerunRefused {
                namespace,
                name,
                why,
            })
        }
    }
}

/// The merge patch `rerun` sends: a runKey no earlier rerun used (the time,
/// to the nanosecond, as `kubectl rollout restart` stamps a Deployment).
pub fn rerun_patch(now: &str) -> serde_json::Value {
    serde_json::json!({"spec": {"runKey": now}})
}

/// The current run, then the finished runs in `status.runs` (newest first),
/// without repeating the current one if it is recorded there too.
pub fn runs_table(fe: &FlowExecution) -> String {
    let status = fe.status.clone().unwrap_or_default();
    let mut rows = Vec::new();
    let current = status.execution_name.clone();
    if current.is_some() || status.phase.is_some() {
        rows.push(row(
            current.as_deref(),
            status.attempt,
            status.phase.as_deref().or(Some(phase::PENDING)),
            status.started_time.as_deref(),
            status.stopped_time.as_deref(),
        ));
    }
    let earlier = status
        .runs
        .iter()
        .filter(|run| Some(&run.execution_name) != current.as_ref());
    rows.extend(earlier.map(|run: &RunRecord| {
        row(
            Some(&run.execution_name),
            run.attempt,
            Some(&run.phase),
            run.started_time.as_deref(),
            run.stopped_time.as_deref(),
        )
    }));
    table(&RUNS_COLUMNS, &rows)
}

fn row(
    execution: Option<&str>,
    attempt: Option<i32>,
    phase: Option<&str>,
    started: Option<&str>,
    finished: Option<&str>,
) -> Vec<String> {
    let cell = |value: Option<&str>| {
        value
            .filter(|v| !v.trim().is_empty())
            .unwrap_or(NONE_CELL)
            .to_string()
    };
    // A run recorded without an attempt was a first attempt.
    let attempt = match (execution, attempt) {
        (_, Some(n)) => n.to_string(),
        (Some(_), None) => "1".to_string(),
        (None, None) => NONE_CELL.to_string(),
    };
    vec![
        cell(execution),
        attempt,
        cell(phase),
        cell(started),
        cell(finished),
    ]
}

/// Where a wait stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WaitVerdict {
    /// The condition holds for the current generation.
    Met,
    /// It never will: the current run ended without success (`--for succeeded`).
    Failed { reason: String, message: String },
    /// Not yet.
    Waiting,
}

/// Whether the wait for `for_` is over. Only conditions written for the
/// current `metadata.generation` count: right after an apply, the previous
/// spec's run may still show `Completed=True`.
pub fn wait_verdict(fe: &FlowExecution, for_: WaitFor) -> WaitVerdict {
    let generation = fe.metadata.generation;
    let Some(status) = fe.status.as_ref() else {
        return WaitVerdict::Waiting;
    };
    let current = |type_: &str| -> Option<&Condition> {
        status
            .condition(type_)
            .filter(|c| c.observed_generation.or(status.observed_generation) == generation)
    };
    let is_true = |c: Option<&Condition>| c.is_some_and(|c| c.status == "True");
    let completed = current(condition_type::COMPLETED);
    match for_ {
        WaitFor::Completed if is_true(completed) => WaitVerdict::Met,
        WaitFor::Completed => WaitVerdict::Waiting,
        WaitFor::Succeeded => {
            let succeeded = current(condition_type::SUCCEEDED);
            if is_true(succeeded) {
                return WaitVerdict::Met;
            }
            if !is_true(completed) {
                return WaitVerdict::Waiting;
            }
            let why = succeeded.or(completed);
            WaitVerdict::Failed {
                reason: why.map(|c| c.reason.clone()).unwrap_or_default(),
                message: why.map(|c| c.message.clone()).unwrap_or_default(),
            }
        }
    }
}

#[cfg(test)]
#[path = "runs_tests.rs"]
mod tests;
