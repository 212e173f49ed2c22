//! What happens after an execution ended: read its failure detail, hand its
//! Output on to `spec.outputTo` (what the status holds of it is `output`'s),
//! and clean the object up when its TTL has passed, also after a final
//! refusal; and when a live one must be stopped. Pure.

use std::time::Duration;

use jiff::Timestamp;

use super::conditions::Standing;
use super::outcome::Next;
use super::output::{full_output, output_target};
use super::view::{CloudView, ProblemKind};
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
    if succeeded && let Some(next) = export_step(fe, cloud, status) {
        return next;
    }
    after_ttl(fe, succeeded, old, now)
}

/// A final refusal (Completed=True, Stalled) is an end like a failure: the
/// TTL after failure applies to it. Any other decision is kept.
pub fn after_refusal(
    fe: &FlowExecution,
    standing: &Standing,
    old: &FlowExecutionStatus,
    next: Next,
    now: Timestamp,
) -> Next {
    match standing {
        Standing::Refused { final_: true, .. } if next == Next::Done => {
            after_ttl(fe, false, old, now)
        }
        _ => next,
    }
}

/// Whether the Output must (still) go to `spec.outputTo`: never written
/// there, or written to an object the spec no longer names. One attempt per
/// target: a failed one is not repeated until the target changes.
fn export_step(
    fe: &FlowExecution,
    cloud: &CloudView,
    status: &FlowExecutionStatus,
) -> Option<Next> {
    let wanted = fe.spec.output_to.as_ref().and_then(output_target)?;
    let written = status.output_written_to.as_deref() == Some(wanted.as_str());
    let tried = cloud
        .output_written
        .as_ref()
        .is_some_and(|w| w.target == wanted);
    if written || tried {
        return None;
    }
    // The status holds only the start of a large Output (a restart lost the
    // whole one): read it again, unless the cloud cannot give it any more.
    let cloud_refuses = cloud
        .problem
        .as_ref()
        .is_some_and(|p| p.kind != ProblemKind::Transient);
    if status.output_truncated == Some(true) && full_output(cloud).is_none() && !cloud_refuses {
        return Some(Next::Describe);
    }
    Some(Next::ExportOutput)
}

/// Done, or the wait for (or the deletion at) the end of the TTL.
fn after_ttl(
    fe: &FlowExecution,
    succeeded: bool,
    old: &FlowExecutionStatus,
    now: Timestamp,
) -> Next {
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

#[cfg(test)]
#[path = "finish_tests.rs"]
mod tests;
