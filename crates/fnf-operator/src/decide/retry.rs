//! `spec.retry`: whether an ended attempt is tried again, when, and what the
//! conditions say meanwhile. Pure: the time comes in. The run planner
//! (`runs`) begins the next attempt; nothing here calls back into it.

use jiff::Timestamp;

use super::conditions::{self, Standing};
use super::events::reason;
use crate::crd::{FlowExecution, FlowExecutionStatus, condition_type};

/// The `error` of the StopExecution that `whileRunning: Replace` sends.
pub const REPLACED: &str = "Replaced";
/// Stops the operator made on purpose: never retried.
const STOPS_NOT_RETRIED: [&str; 3] = [
    super::finish::STOPPED_BY_USER,
    super::finish::DEADLINE_EXCEEDED,
    REPLACED,
];

/// When the next attempt after `status`'s ended `attempt` begins, if
/// `spec.retry` asks for one: the back-off counted from the attempt's end
/// (its stoppedTime; else when Completed turned True; else `now`).
pub fn retry_at(
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

/// The standing while the next attempt waits: which attempt ended how, and
/// when the next one starts. `name` is the ended attempt's execution name.
pub fn scheduled(
    status: &FlowExecutionStatus,
    attempt: i32,
    name: &str,
    at: Timestamp,
) -> Standing {
    let ended_phase = status.phase.clone().unwrap_or_default();
    let detail = match (&status.error, &status.cause) {
        (Some(e), Some(c)) => format!(": {e}: {c}"),
        (Some(e), None) => format!(": {e}"),
        (None, Some(c)) => format!(": {c}"),
        (None, None) => String::new(),
    };
    Standing::InProgress {
        reason: reason::RETRY_SCHEDULED.to_string(),
        message: format!(
            "attempt {attempt} ({name}) ended {ended_phase}{detail}; attempt {} starts at {}",
            attempt.saturating_add(1),
            conditions::kubernetes_time(at)
        ),
    }
}
