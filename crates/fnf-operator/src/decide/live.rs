//! The decision for an execution that has not ended: start it, ask after it,
//! watch it or stop it; how long a failed call waits before it is tried
//! again; whether the object must hold the stop finalizer; and what the
//! object says while its deletion waits. Pure: no I/O, no clock, no randomness.

use std::time::Duration;

use jiff::Timestamp;

use super::classify;
use super::conditions::{REACHABLE, Reachability, Standing, kubernetes_time};
use super::events::{DELETION_WAITS, reason::STOPPED_BEFORE_START};
use super::finish;
use super::outcome::Next;
use super::view::{CloudProblem, CloudView, DecideSettings, ProblemKind};
use crate::crd::{
    DeletionPolicy, FINALIZER, FlowExecution, FlowExecutionStatus, Mode, condition_type, phase,
};

/// Fixable by a Secret or RAM change; the Secret watch usually wakes it sooner.
const CREDENTIALS_RETRY: Duration = Duration::from_secs(30);
const FLOW_MISSING_RETRY: Duration = Duration::from_secs(15);
const OBSERVE_NOT_FOUND_RETRY: Duration = Duration::from_secs(30);

pub(super) fn live(
    fe: &FlowExecution,
    cloud: &CloudView,
    old: &FlowExecutionStatus,
    status: &FlowExecutionStatus,
    target: &str,
    settings: &DecideSettings,
    now: Timestamp,
) -> (Standing, Next) {
    let current_phase = status.phase.as_deref().unwrap_or(phase::PENDING);
    let in_progress = |reason: &str, message: String| Standing::InProgress {
        reason: reason.to_string(),
        message,
    };
    let never_recorded = old.execution_name.is_none();
    let seen_in_cloud = seen(cloud, status);
    let problem = cloud.problem.as_ref();
    let missing = problem.is_some_and(|p| p.kind == ProblemKind::ExecutionMissing);
    let starts = fe.spec.mode == Mode::Start;

    // A stop asked before the start: nothing may start, and once it is sure
    // that nothing did, the object is done.
    if starts && fe.spec.stop && !seen_in_cloud {
        let concluded = old
            .condition(condition_type::COMPLETED)
            .is_some_and(|c| c.reason == STOPPED_BEFORE_START);
        if let Some(standing) =
            stopped_before_start(never_recorded || concluded, problem, settings, now, target)
        {
            return (standing, Next::Done);
        }
    }

    let next = if never_recorded {
        if starts { Next::Start } else { Next::Describe }
    } else if !seen_in_cloud {
        // A start that failed in this process is tried again as it is (a
        // name starts one execution at most); asking first would alternate
        // Describe and Start, and the two answers would each be news.
        let start_again = problem.is_some_and(|p| {
            matches!(
                p.kind,
                ProblemKind::ExecutionMissing | ProblemKind::Transient
            )
        });
        if start_again && starts && !fe.spec.stop {
            Next::Start
        } else {
            // A start may or may not have reached the cloud before a restart: ask.
            Next::Describe
        }
    } else {
        let (stop, recheck_after) = finish::stop_wanted(fe, status, now);
        match stop {
            // Never a run this object did not start.
            Some((error, cause))
                if starts && !cloud.stop_requested && status.adopted != Some(true) =>
            {
                Next::Stop { error, cause }
            }
            // One answer that it does not exist is not the end: read it again.
            _ if missing => Next::Describe,
            _ => Next::Watch { recheck_after },
        }
    };

    let plain = || match current_phase {
        phase::PENDING if next == Next::Start => {
            in_progress("Starting", format!("starting {target}"))
        }
        phase::PENDING => in_progress("Pending", format!("looking up {target}")),
        other => in_progress(other, format!("{target} is {other}")),
    };
    let Some(problem) = problem else {
        return (plain(), next);
    };

    let text = match &problem.request_id {
        Some(id) => format!("{} (RequestId {id})", problem.message),
        None => problem.message.clone(),
    };
    // A failed call is tried again only once its wait since the failure is
    // over, whatever woke this decision (our own status write wakes it too).
    let hold = |interval: Duration| match retry_left(problem, interval, now) {
        Some(left) => Next::Retry(left),
        None => next.clone(),
    };
    let backoff = classify::retry_delay(problem.attempts, uid(fe));
    match problem.kind {
        ProblemKind::ExecutionMissing if !seen_in_cloud && !starts => (
            in_progress(
                "ExecutionNotFound",
                format!("waiting for {target} to be started elsewhere"),
            ),
            hold(OBSERVE_NOT_FOUND_RETRY),
        ),
        ProblemKind::ExecutionMissing if !seen_in_cloud && fe.spec.stop => (
            in_progress(
                "ExecutionNotFound",
                format!(
                    "spec.stop is set and {target} was not found: reading again until {} whether an earlier start reached the cloud",
                    until(problem, settings)
                ),
            ),
            hold(backoff),
        ),
        ProblemKind::ExecutionMissing if !seen_in_cloud => {
            (in_progress("Starting", format!("starting {target}")), next)
        }
        ProblemKind::ExecutionMissing if !gone(problem, settings, now) => (
            in_progress(
                &problem.reason,
                format!(
                    "{target} was not found by the cloud's last read, which can lag behind a start: reading again with back-off until {} before concluding it is gone: {text}",
                    until(problem, settings)
                ),
            ),
            hold(backoff),
        ),
        ProblemKind::ExecutionMissing => (
            Standing::Refused {
                reason: problem.reason.clone(),
                message: format!(
                    "{target} no longer exists in the cloud: not found for {} s of reads since {}: {text}",
                    settings.execution_missing_window.as_secs(),
                    kubernetes_time(problem.since)
                ),
                final_: true,
            },
            Next::Done,
        ),
        ProblemKind::FlowMissing => {
            let waited = now.duration_since(problem.since).unsigned_abs();
            let standing = if waited < settings.flow_missing_grace {
                in_progress(
                    &problem.reason,
                    format!("waiting for flow {} to exist: {text}", fe.spec.flow_name),
                )
            } else {
                Standing::Refused {
                    reason: problem.reason.clone(),
                    message: format!(
                        "flow {} does not exist in this region and account: create it, or fix spec.flowName/spec.region in a new FlowExecution: {text}",
                        fe.spec.flow_name
                    ),
                    final_: false,
                }
            };
            (standing, hold(FLOW_MISSING_RETRY))
        }
        ProblemKind::Credentials => (
            Standing::Refused {
                reason: problem.reason.clone(),
                message: classify::credentials_message(fe, &problem.reason, text),
                final_: false,
            },
            hold(CREDENTIALS_RETRY),
        ),
        ProblemKind::SpecRefused => (
            Standing::Refused {
                reason: problem.reason.clone(),
                message: format!("the cloud refused {target}: {text}"),
                final_: true,
            },
            Next::Done,
        ),
        // Cloud trouble changes no condition but CloudReachable; the next
        // call waits for its turn (`hold_after_trouble`).
        ProblemKind::Transient => (plain(), next),
    }
}

/// After cloud trouble, the next call of the reconcile (a start, a read, a
/// stop, the failure detail) waits for its back-off since the failure,
/// whatever woke this decision: our own status write wakes it too. A poll
/// keeps its own back-off.
pub(super) fn hold_after_trouble(
    fe: &FlowExecution,
    cloud: &CloudView,
    next: Next,
    now: Timestamp,
) -> Next {
    let Some(problem) = cloud
        .problem
        .as_ref()
        .filter(|p| p.kind == ProblemKind::Transient)
    else {
        return next;
    };
    let calls = matches!(
        next,
        Next::Start | Next::Describe | Next::FetchFailure | Next::Stop { .. }
    );
    let backoff = classify::retry_delay(problem.attempts, uid(fe));
    match retry_left(problem, backoff, now) {
        Some(left) if calls => Next::Retry(left),
        _ => next,
    }
}

/// What a stop asked before the start ends in, once it is sure that nothing
/// started: nothing was ever sent (or this was concluded before), the flow
/// does not exist, or the execution stayed unfound for the whole window.
fn stopped_before_start(
    nothing_sent: bool,
    problem: Option<&CloudProblem>,
    settings: &DecideSettings,
    now: Timestamp,
    target: &str,
) -> Option<Standing> {
    let nothing_started = nothing_sent
        || problem.is_some_and(|p| {
            p.kind == ProblemKind::FlowMissing
                || (p.kind == ProblemKind::ExecutionMissing && gone(p, settings, now))
        });
    nothing_started.then(|| Standing::Ended {
        reason: STOPPED_BEFORE_START.to_string(),
        message: format!("spec.stop was set before {target} started: nothing was started"),
    })
}

/// Whether the execution was found in the cloud (now or before a restart).
fn seen(cloud: &CloudView, status: &FlowExecutionStatus) -> bool {
    cloud.execution.is_some() || status.phase.as_deref().unwrap_or(phase::PENDING) != phase::PENDING
}

/// ExecutionNotExists answered for longer than the window.
pub fn gone(problem: &CloudProblem, settings: &DecideSettings, now: Timestamp) -> bool {
    now.duration_since(problem.since).unsigned_abs() >= settings.execution_missing_window
}

fn until(problem: &CloudProblem, settings: &DecideSettings) -> String {
    kubernetes_time(problem.since + settings.execution_missing_window)
}

fn uid(fe: &FlowExecution) -> &str {
    fe.metadata.uid.as_deref().unwrap_or_default()
}

/// How much of `interval` since the problem was last seen is left.
fn retry_left(problem: &CloudProblem, interval: Duration, now: Timestamp) -> Option<Duration> {
    let waited = now.duration_since(problem.last_seen).unsigned_abs();
    interval.checked_sub(waited).filter(|left| !left.is_zero())
}

/// How long a deletion waits before it tries to stop the execution again
/// after `problem`; `None` when it may try now.
pub fn deletion_retry(
    fe: &FlowExecution,
    problem: &CloudProblem,
    now: Timestamp,
) -> Option<Duration> {
    let interval = match problem.kind {
        ProblemKind::Credentials => CREDENTIALS_RETRY,
        _ => classify::retry_delay(problem.attempts, uid(fe)),
    };
    retry_left(problem, interval, now)
}

/// Whether the object must hold the stop finalizer: only where deleting it
/// must stop something. That is from the moment a start may be sent until the
/// execution is known to have ended, or to never have started.
pub(super) fn wants_finalizer(
    fe: &FlowExecution,
    cloud: &CloudView,
    status: &FlowExecutionStatus,
    standing: &Standing,
    next: &Next,
) -> bool {
    let applies = fe.spec.mode == Mode::Start && fe.spec.deletion_policy == DeletionPolicy::Stop;
    let settled = status.phase.as_deref().is_some_and(phase::is_terminal)
        || matches!(
            standing,
            Standing::Refused { final_: true, .. } | Standing::Ended { .. }
        );
    // Holding it already means a start may have been sent (it is put on
    // before the first StartExecution), even if no answer said so.
    let held = fe
        .metadata
        .finalizers
        .iter()
        .flatten()
        .any(|f| f == FINALIZER);
    // A run this object did not start is never stopped for it.
    let adopted = status.adopted == Some(true);
    applies && !settled && !adopted && (*next == Next::Start || seen(cloud, status) || held)
}

/// `CloudReachable`: only a call can tell. A problem found before any call
/// (a missing Secret) leaves it as it was; cloud trouble that repeats says
/// how often, so one condition (and one Warning) stands for the whole run of
/// failures instead of an Event each.
pub(super) fn reachability(cloud: &CloudView) -> Option<Reachability> {
    let answered = || Reachability {
        reachable: true,
        reason: REACHABLE.into(),
        message: "the cloud answered".into(),
    };
    match &cloud.problem {
        None => (cloud.execution.is_some() || cloud.name_in_use.is_some()).then(answered),
        Some(p) if p.kind == ProblemKind::Transient => Some(Reachability {
            reachable: false,
            reason: p.reason.clone(),
            message: if p.attempts > 1 {
                format!(
                    "{} ({} failures in a row since {}; retried with back-off)",
                    p.message,
                    p.attempts,
                    kubernetes_time(p.since)
                )
            } else {
                p.message.clone()
            },
        }),
        Some(p) if p.from_call => Some(answered()),
        Some(_) => None,
    }
}

/// While a deletion waits for a stop that cannot be made, every condition
/// says so first, and how to let it go.
pub(super) fn deletion_waits(standing: Standing, target: &str) -> Standing {
    let say = |message: String| {
        format!(
            "{DELETION_WAITS} until {target} is stopped (spec.deletionPolicy Stop; set it to Orphan to leave the execution running and release the object): {message}"
        )
    };
    match standing {
        Standing::InProgress { reason, message } => Standing::InProgress {
            reason,
            message: say(message),
        },
        Standing::Refused {
            reason,
            message,
            final_,
        } => Standing::Refused {
            reason,
            message: say(message),
            final_,
        },
        other => other,
    }
}
