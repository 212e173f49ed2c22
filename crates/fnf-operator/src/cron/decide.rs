//! The scheduling decision: from a CronFlowExecution, its runs (child
//! FlowExecutions) and the time, to the status, the Events and what to do
//! (create a run, stop live ones, delete old ones, look again at a time).
//!
//! Pure: no I/O, clock, tokio or Kubernetes API; `now` is passed in. It
//! follows CronJob's `syncCronJob`: only the latest missed time runs, within
//! `startingDeadlineSeconds`; a run already created for a time (its name says
//! which) is never created again, so a restart or failover between creating
//! a run and writing the status creates nothing twice.

use std::time::Duration;

use jiff::Timestamp;

use super::runs::{RunOutcome, RunView, run_name};
use super::schedule::{MISSED_TIMES_MAX, Schedule};
use crate::crd::{
    ConcurrencyPolicy, CronFlowExecution, CronFlowExecutionStatus, RunReference,
    condition_type as ct,
};
use crate::decide::conditions::{self, kubernetes_time};
use crate::decide::events::{EventNote, cron as events, reason};

/// Past the schedule time, so that a timer firing a little early still finds
/// the time passed (CronJob adds 100 ms).
const REQUEUE_SLACK: Duration = Duration::from_millis(200);
/// The longest wait before looking again: the controller's timer wheel holds
/// about two years, and a schedule like `0 0 29 2 *` can wait eight.
pub const REQUEUE_MAX: Duration = Duration::from_secs(24 * 3600);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewRun {
    pub name: String,
    pub scheduled: Timestamp,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct CronDecision {
    pub status: CronFlowExecutionStatus,
    pub events: Vec<EventNote>,
    /// Set `spec.stop` on these live runs (Replace), before creating.
    pub stop: Vec<String>,
    pub create: Option<NewRun>,
    /// Finished runs beyond the history limits.
    pub delete: Vec<String>,
    /// When to look again (the next schedule time); `None`: on change only.
    pub requeue_after: Option<Duration>,
}

pub fn decide(cfe: &CronFlowExecution, runs: &[RunView], now: Timestamp) -> CronDecision {
    let old = cfe.status.clone().unwrap_or_default();
    let name = cfe.metadata.name.as_deref().unwrap_or_default();
    let generation = cfe.metadata.generation;
    let mut decision = CronDecision::default();
    let mut status = CronFlowExecutionStatus {
        active: active(runs),
        last_schedule_time: old.last_schedule_time.clone(),
        last_successful_time: last_successful(&old, runs),
        observed_generation: generation,
        conditions: Vec::new(),
    };
    decision.delete = beyond_history(cfe, runs, &mut decision.events);
    let was_ready = old.conditions.iter().find(|c| c.type_ == ct::READY);
    let said = |reason_: &str, message: &str| {
        was_ready.is_some_and(|c| c.reason == reason_ && c.message == message)
    };

    let schedule = match Schedule::parse(&cfe.spec.schedule, cfe.spec.time_zone.as_deref()) {
        Ok(schedule) => schedule,
        Err(err) => {
            let message = err.to_string();
            if !said(err.reason(), &message) {
                decision
                    .events
                    .push(events::unschedulable(err.reason(), &message));
            }
            status.conditions = conditions::for_schedule(
                &old.conditions,
                false,
                err.reason(),
                &message,
                generation,
                now,
            );
            decision.status = status;
            return decision;
        }
    };
    if cfe.spec.suspend {
        let message = "suspended: no new runs until spec.suspend is false";
        status.conditions = conditions::for_schedule(
            &old.conditions,
            true,
            reason::SUSPENDED,
            message,
            generation,
            now,
        );
        decision.status = status;
        return decision;
    }

    let created = cfe.metadata.creation_timestamp.as_ref().map(|t| t.0);
    let last = old
        .last_schedule_time
        .as_deref()
        .and_then(|t| t.parse().ok());
    let earliest = last.or(created).unwrap_or(now);
    let deadline = cfe.spec.starting_deadline_seconds;
    let in_time_from = match deadline {
        Some(secs) => earliest.max(
            now.saturating_sub(jiff::SignedDuration::from_secs(secs))
                .unwrap_or(now),
        ),
        None => earliest,
    };
    let missed = schedule.missed(in_time_from, now);
    let mut ready_message = None;
    if let Some(latest) = missed.latest.filter(|_| missed.too_many()) {
        decision.events.push(events::too_many_missed(
            &kubernetes_time(latest),
            MISSED_TIMES_MAX,
        ));
    }
    match (missed.latest, deadline) {
        (None, Some(secs)) => {
            // Times passed, but all past the deadline: said once, not run.
            if let Some(late) = schedule.missed(earliest, now).latest {
                let message = events::missed_message(&kubernetes_time(late), secs);
                if !said(reason::MISSED_SCHEDULE, &message) {
                    decision.events.push(events::missed_schedule(&message));
                }
                ready_message = Some((reason::MISSED_SCHEDULE, message));
            }
        }
        (None, None) => {}
        (Some(time), _) => {
            ready_message = schedule_run(cfe, name, runs, time, &mut status, &mut decision, &said);
        }
    }

    let next = schedule.next_after(now);
    let (ready_reason, message) = ready_message.unwrap_or_else(|| {
        let message = match next {
            Some(t) => format!("next run at {}", kubernetes_time(t)),
            None => "the schedule matches no future time".to_string(),
        };
        (reason::SCHEDULED, message)
    });
    status.conditions = conditions::for_schedule(
        &old.conditions,
        true,
        ready_reason,
        &message,
        generation,
        now,
    );
    decision.requeue_after = next.map(|t| {
        let wait = now.duration_until(t).unsigned_abs();
        (wait + REQUEUE_SLACK).min(REQUEUE_MAX)
    });
    decision.status = status;
    decision
}

/// The run of schedule time `time`: already there, skipped (Forbid), or
/// created (stopping live runs first under Replace). Returns the Ready
/// condition's reason and message when they say more than the next time.
fn schedule_run(
    cfe: &CronFlowExecution,
    name: &str,
    runs: &[RunView],
    time: Timestamp,
    status: &mut CronFlowExecutionStatus,
    decision: &mut CronDecision,
    said: &dyn Fn(&str, &str) -> bool,
) -> Option<(&'static str, String)> {
    let run = run_name(name, time);
    let at = kubernetes_time(time);
    if runs.iter().any(|r| r.name == run) {
        // Created before the status said so (a restart in between).
        status.last_schedule_time = Some(at);
        return None;
    }
    let live: Vec<String> = status.active.iter().map(|a| a.name.clone()).collect();
    match cfe.spec.concurrency_policy {
        ConcurrencyPolicy::Forbid if !live.is_empty() => {
            // Like CronJob, the time stays due: it runs when the live run
            // ends, unless startingDeadlineSeconds has passed by then.
            let message = events::skipped_message(&at, &live);
            if !said(reason::RUN_SKIPPED, &message) {
                decision.events.push(events::run_skipped(&at, &live));
            }
            return Some((reason::RUN_SKIPPED, message));
        }
        ConcurrencyPolicy::Replace => {
            for old in runs
                .iter()
                .filter(|r| r.outcome == RunOutcome::Live && !r.stop_requested)
            {
                decision.stop.push(old.name.clone());
                decision
                    .events
                    .push(events::run_replaced(&old.name, &run, &at));
            }
        }
        _ => {}
    }
    decision.events.push(events::run_created(&run, &at));
    status.active.push(RunReference {
        name: run.clone(),
        uid: None,
    });
    status.active.sort_by(|a, b| a.name.cmp(&b.name));
    status.last_schedule_time = Some(at);
    decision.create = Some(NewRun {
        name: run,
        scheduled: time,
    });
    None
}

/// The runs not yet ended, by name.
fn active(runs: &[RunView]) -> Vec<RunReference> {
    let mut active: Vec<RunReference> = runs
        .iter()
        .filter(|r| r.outcome == RunOutcome::Live)
        .map(|r| RunReference {
            name: r.name.clone(),
            uid: r.uid.clone(),
        })
        .collect();
    active.sort_by(|a, b| a.name.cmp(&b.name));
    active
}

/// The latest end of a succeeded run, never earlier than the status said.
fn last_successful(old: &CronFlowExecutionStatus, runs: &[RunView]) -> Option<String> {
    let recorded = old
        .last_successful_time
        .as_deref()
        .and_then(|t| t.parse::<Timestamp>().ok());
    let seen = runs
        .iter()
        .filter_map(|r| match r.outcome {
            RunOutcome::Succeeded { ended } => ended,
            _ => None,
        })
        .max();
    match (recorded, seen) {
        (Some(r), Some(s)) if s > r => Some(kubernetes_time(s)),
        (None, Some(s)) => Some(kubernetes_time(s)),
        _ => old.last_successful_time.clone(),
    }
}

/// The finished runs past `successfulRunsHistoryLimit` and
/// `failedRunsHistoryLimit`, oldest first; an Event for each.
fn beyond_history(
    cfe: &CronFlowExecution,
    runs: &[RunView],
    notes: &mut Vec<EventNote>,
) -> Vec<String> {
    let mut delete = Vec::new();
    let limits = [
        ("succeeded", true, cfe.spec.successful_runs_history_limit),
        ("failed", false, cfe.spec.failed_runs_history_limit),
    ];
    for (outcome, succeeded, limit) in limits {
        let mut finished: Vec<&RunView> = runs
            .iter()
            .filter(|r| !r.deleting)
            .filter(|r| match r.outcome {
                RunOutcome::Succeeded { .. } => succeeded,
                RunOutcome::Failed => !succeeded,
                RunOutcome::Live => false,
            })
            .collect();
        // Newest first; a run without a time sorts as the oldest.
        finished.sort_by(|a, b| b.time.cmp(&a.time).then_with(|| b.name.cmp(&a.name)));
        let keep = usize::try_from(limit.max(0)).unwrap_or(0);
        for run in finished.into_iter().skip(keep).rev() {
            notes.push(events::run_deleted(&run.name, outcome, limit));
            delete.push(run.name.clone());
        }
    }
    delete
}

#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;
