//! How the status is built from what the cloud said: rebuilt from each read,
//! so a field another client wrote never outlives the next one, and cleared
//! when the execution of that name is not this object's. Pure: no I/O.

use super::conditions::Standing;
use super::identity;
use super::view::CloudView;
use crate::crd::{FlowExecutionStatus, phase};

/// Writes what the cloud said into `status`. Rebuilt, not overlaid: a field
/// the cloud left empty is cleared, so nothing another client wrote into the
/// status survives the next read. Without a read since the operator started,
/// the persisted status is the last word the cloud had.
pub fn mirror(status: &mut FlowExecutionStatus, cloud: &CloudView) {
    if let Some(read) = &cloud.execution {
        if let Some(s) = &read.status {
            status.phase = Some(s.clone());
        }
        status.started_time.clone_from(&read.started_time);
        status.stopped_time.clone_from(&read.stopped_time);
        status.output.clone_from(&read.output);
        if read.request_id.is_some() {
            status.request_id.clone_from(&read.request_id);
        }
        if read.adopted {
            status.adopted = Some(true);
        }
    }
    let failed = status
        .phase
        .as_deref()
        .is_some_and(|p| matches!(p, phase::FAILED | phase::TIMED_OUT | phase::STOPPED));
    // Only a Failed, TimedOut or Stopped execution has an error and a cause;
    // a failed one's are kept until its history is read.
    if !failed {
        status.error = None;
        status.cause = None;
    } else if let Some(failure) = &cloud.failure {
        status.error.clone_from(&failure.error);
        status.cause.clone_from(&failure.cause);
    }
    if let Some(steps) = &cloud.steps {
        status.current_step.clone_from(&steps.current);
        status.step_count = Some(steps.entered);
    }
}

/// Clears everything read from an execution that is not this object's.
pub fn unmirror(status: &mut FlowExecutionStatus) {
    status.phase = Some(phase::PENDING.to_string());
    status.started_time = None;
    status.stopped_time = None;
    status.output = None;
    status.output_truncated = None;
    status.error = None;
    status.cause = None;
    status.request_id = None;
    status.current_step = None;
    status.step_count = None;
    status.adopted = None;
}

/// The refusal of an execution that is not the declared one: found now, or
/// found before (then no call is made again, so nothing is ever started).
pub fn name_in_use(old: &FlowExecutionStatus, cloud: &CloudView) -> Option<Standing> {
    let message = match &cloud.name_in_use {
        Some(why) => why.clone(),
        None => old
            .condition(crate::crd::condition_type::STALLED)
            .filter(|c| c.status == "True" && c.reason == identity::EXECUTION_NAME_IN_USE)?
            .message
            .clone(),
    };
    Some(Standing::Refused {
        reason: identity::EXECUTION_NAME_IN_USE.to_string(),
        message,
        final_: true,
    })
}
