//! What happens after an execution ended: read its failure detail, hand its
//! Output on, and clean the object up when its TTL has passed. Pure.

use std::time::Duration;

use jiff::Timestamp;

use super::decide::Next;
use super::view::CloudView;
use crate::crd::{FlowExecution, FlowExecutionStatus, condition_type, phase};

pub const DEADLINE_EXCEEDED: &str = "DeadlineExceeded";
pub const STOPPED_BY_USER: &str = "StoppedByUser";

/// The next step for an ended execution. `old` is the persisted status: the
/// end time for a TTL is when `Completed` turned True there.
pub fn after_end(
    fe: &FlowExecution,
    cloud: &CloudView,
    status: &FlowExecutionStatus,
    old: &FlowExecutionStatus,
    now: Timestamp,
) -> Next {
    let succeeded = status.phase.as_deref() == Some(phase::SUCCEEDED);
    let failure_known = cloud.failure.is_some() || old.error.is_some();
    if !succeeded && !failure_known {
        return Next::FetchFailure;
    }
    if succeeded
        && fe.spec.output_to.is_some()
        && status.output_written_to.is_none()
        && cloud.output_written.is_none()
    {
        return Next::ExportOutput;
    }
    let Some(ttl) = ttl(fe, succeeded) else {
        return Next::Done;
    };
    let ended = old
        .condition(condition_type::COMPLETED)
        .filter(|c| c.status == "True")
        .and_then(|c| c.last_transition_time.parse::<Timestamp>().ok());
    let Some(ended) = ended else {
        // The ending is being written now; its time is known from the next decision.
        return Next::Retry(Duration::from_secs(1));
    };
    let waited = now.duration_since(ended).unsigned_abs();
    match ttl.checked_sub(waited) {
        Some(left) if !left.is_zero() => Next::Retry(left),
        _ => Next::Delete,
    }
}

fn ttl(fe: &FlowExecution, succeeded: bool) -> Option<Duration> {
    let specific = fe.spec.ttl_strategy.as_ref().and_then(|s| {
        if succeeded {
            s.seconds_after_success
        } else {
            s.seconds_after_failure
        }
    });
    specific
        .or(fe.spec.ttl_seconds_after_finished)
        .map(|secs| Duration::from_secs(secs.max(0).unsigned_abs()))
}

/// Why a live execution should be stopped now, if it should: `(error, cause)`
/// for StopExecution. Also when the deadline will next need a look.
pub fn stop_wanted(
    fe: &FlowExecution,
    status: &FlowExecutionStatus,
    now: Timestamp,
) -> (Option<(&'static str, String)>, Option<Duration>) {
    let who = format!(
        "FlowExecution {}/{}",
        fe.metadata.namespace.as_deref().unwrap_or_default(),
        fe.metadata.name.as_deref().unwrap_or_default()
    );
    if fe.spec.stop {
        return (
            Some((STOPPED_BY_USER, format!("spec.stop set on {who}"))),
            None,
        );
    }
    let Some(deadline) = fe.spec.active_deadline_seconds else {
        return (None, None);
    };
    let started = status
        .started_time
        .as_deref()
        .and_then(|t| t.parse::<Timestamp>().ok());
    let Some(started) = started else {
        return (None, None);
    };
    let limit = Duration::from_secs(deadline.max(0).unsigned_abs());
    let ran = now.duration_since(started).unsigned_abs();
    match limit.checked_sub(ran) {
        Some(left) if !left.is_zero() => (None, Some(left)),
        _ => (
            Some((
                DEADLINE_EXCEEDED,
                format!("ran longer than spec.activeDeadlineSeconds ({deadline}s) of {who}"),
            )),
            None,
        ),
    }
}
