//! The Events of a CronFlowExecution: a run created, skipped (Forbid),
//! replaced or deleted (history), a schedule time missed, a schedule that
//! cannot be read. Pure; `cron::decide` says when each is deserved.

use super::{EventNote, reason};

/// A run was created for schedule time `time`.
pub fn run_created(run: &str, time: &str) -> EventNote {
    EventNote::normal(
        reason::RUN_CREATED,
        "CreateFlowExecution",
        format!("created run {run} for the schedule time {time}"),
    )
}

/// A schedule time was skipped: `live` are still running (Forbid).
pub fn run_skipped(time: &str, live: &[String]) -> EventNote {
    EventNote::normal(reason::RUN_SKIPPED, "SkipRun", skipped_message(time, live))
}

/// Why a time was skipped, also the Ready condition's message meanwhile.
pub fn skipped_message(time: &str, live: &[String]) -> String {
    format!(
        "skipped the schedule time {time}: run {} is still live (concurrencyPolicy Forbid)",
        live.join(", ")
    )
}

/// A live run was stopped (its `spec.stop` set) for the run of `time`.
pub fn run_replaced(old: &str, new: &str, time: &str) -> EventNote {
    EventNote::normal(
        reason::RUN_REPLACED,
        "StopFlowExecution",
        format!(
            "stopping run {old} (spec.stop) to replace it with {new} for the schedule time {time} (concurrencyPolicy Replace)"
        ),
    )
}

/// A finished run beyond its history limit was deleted.
pub fn run_deleted(run: &str, outcome: &str, limit: i32) -> EventNote {
    EventNote::normal(
        reason::RUN_DELETED,
        "DeleteFlowExecution",
        format!("deleted run {run}: more {outcome} runs than the history limit of {limit}"),
    )
}

/// The message of a time missed past `startingDeadlineSeconds`.
pub fn missed_message(time: &str, deadline_secs: i64) -> String {
    format!(
        "missed the schedule time {time} by more than startingDeadlineSeconds ({deadline_secs}): not run"
    )
}

pub fn missed_schedule(message: &str) -> EventNote {
    EventNote::warning(reason::MISSED_SCHEDULE, "SkipRun", message.to_string())
}

/// More times were missed than are counted (the operator was down long, or
/// the clock jumped): only the latest runs.
pub fn too_many_missed(latest: &str, counted: usize) -> EventNote {
    EventNote::warning(
        reason::TOO_MANY_MISSED_TIMES,
        "CreateFlowExecution",
        format!(
            "more than {counted} schedule times were missed; only the latest ({latest}) runs. Set startingDeadlineSeconds to bound how late a run may start"
        ),
    )
}

/// The schedule or its time zone cannot be read (`reason` names which).
pub fn unschedulable(reason: &str, message: &str) -> EventNote {
    EventNote::warning(reason, "ParseSchedule", message.to_string())
}
