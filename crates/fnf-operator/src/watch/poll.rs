//! The task that watches one execution with DescribeExecution: long-polls
//! while the planner grants it a slot, or the interval baseline. Every answer
//! goes to the tracker, which wakes the reconcile when it changed something.

use jiff::Timestamp;

use super::key::{PollStrategy, PollTarget, ReadVia, TrackKey};
use super::planner::{Membership, Planner};
use super::views::CloudViews;
use crate::decide::classify;
use crate::decide::view::ProblemKind;

/// Watches one execution until it ends, publishing every change.
pub(super) async fn watch<V: CloudViews>(
    tracker: V,
    planner: Planner,
    key: TrackKey,
    target: PollTarget,
) {
    match target.strategy {
        PollStrategy::LongPoll { wait_time_secs } => {
            planned(tracker, planner, key, target, wait_time_secs).await;
        }
        PollStrategy::Interval { period } => {
            let mut failures = 0;
            loop {
                tokio::time::sleep(period).await;
                match Box::pin(ask(&tracker, &key, &target, 0, &mut failures)).await {
                    Asked::Done => return,
                    Asked::Again => {}
                }
            }
        }
    }
}

/// Long-polls while the planner gives this execution a slot; until then (or
/// after it takes the slot back) the sweep watches it.
async fn planned<V: CloudViews>(
    tracker: V,
    planner: Planner,
    key: TrackKey,
    target: PollTarget,
    wait: u32,
) {
    let mut membership: Membership = planner.join(&tracker, &key, &target, wait);
    let mut failures = 0;
    loop {
        membership.slot().await;
        if !membership.keep_slot() {
            continue;
        }
        // Boxed: thousands of polls wait for a slot, and an unboxed call
        // would make each waiting task as large as one in flight.
        match Box::pin(ask(&tracker, &key, &target, wait, &mut failures)).await {
            Asked::Done => return,
            Asked::Again => {}
        }
    }
}

enum Asked {
    Done,
    Again,
}

/// One DescribeExecution; after a failure, the back-off before the next.
async fn ask<V: CloudViews>(
    tracker: &V,
    key: &TrackKey,
    target: &PollTarget,
    wait: u32,
    failures: &mut u32,
) -> Asked {
    let answer = target
        .client
        .describe_execution(&target.flow_name, &target.execution_name, wait)
        .await;
    match answer {
        Ok(execution) => {
            *failures = 0;
            let via = if wait > 0 {
                ReadVia::LongPoll
            } else {
                ReadVia::Describe
            };
            tracker.record_read(key, &execution, via);
            if execution.is_terminal() {
                return Asked::Done;
            }
        }
        Err(err) => {
            *failures = failures.saturating_add(1);
            tracing::debug!(
                namespace = %key.namespace, name = %key.name,
                reason = err.reason(), error = %err, "describe failed"
            );
            let now = Timestamp::now();
            let mut changed = false;
            let mut done = false;
            tracker.update(key, |view| {
                let problem = classify::problem(&err, view.problem.as_ref(), now);
                changed = view.problem.as_ref().map(|p| (&p.kind, &p.reason))
                    != Some((&problem.kind, &problem.reason));
                done = problem.kind != ProblemKind::Transient;
                view.problem = Some(problem);
            });
            if changed {
                tracker.wake(key);
            }
            if done {
                return Asked::Done;
            }
            let wait = classify::RETRY_BACKOFF.delay(*failures, fnf_client::Jitter::Half);
            tokio::time::sleep(wait).await;
        }
    }
    Asked::Again
}
