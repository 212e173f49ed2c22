//! Deleting a FlowExecution: stop its execution first when its
//! deletionPolicy says so (and the stop finalizer holds it), then release it.
//! A stop that cannot be made waits, and the object says why.

use std::time::Duration;

use jiff::Timestamp;
use kube::runtime::controller::Action;
use kube::{Api, ResourceExt};

use super::context::Context;
use super::error::ReconcileError;
use super::object::{keep_finalizer, write_status};
use super::{calls, client};
use crate::crd::FlowExecution;
use crate::decide::decision::{decide, deletion_step};
use crate::decide::live;
use crate::decide::outcome::DeletionStep;
use crate::decide::view::ProblemKind;
use crate::watch::key::TrackKey;

/// The Error a deletion's StopExecution carries.
const DELETED_ERROR: &str = "FlowExecutionDeleted";

pub async fn finalize(
    fe: &FlowExecution,
    api: &Api<FlowExecution>,
    key: &TrackKey,
    ctx: &Context,
) -> Result<Action, ReconcileError> {
    let step = deletion_step(fe);
    // An end the poll has read needs no stop, whatever the status still says.
    if step == DeletionStep::StopThenRelease
        && !ctx.tracker.view(key).ended()
        && let Some(wait) = stop_for_deletion(fe, api, key, ctx).await?
    {
        return Ok(Action::requeue(wait));
    }
    ctx.forget(key);
    if step != DeletionStep::None {
        keep_finalizer(api, fe.clone(), false).await?;
    }
    Ok(Action::await_change())
}

/// Stops the execution of a deleted object. `Some(wait)` while the deletion
/// must wait; the object then says why (a condition, and a Warning once).
async fn stop_for_deletion(
    fe: &FlowExecution,
    api: &Api<FlowExecution>,
    key: &TrackKey,
    ctx: &Context,
) -> Result<Option<Duration>, ReconcileError> {
    let Some(client) = client::current(ctx, key, fe).await else {
        return deletion_waits(fe, api, key, ctx).await;
    };
    // Our own status write wakes this too: a failed stop waits its turn.
    let previous = ctx.tracker.view(key).problem;
    if let Some(wait) = previous
        .as_ref()
        .and_then(|p| live::deletion_retry(fe, p, Timestamp::now()))
    {
        return Ok(Some(wait));
    }
    let cause = format!(
        "FlowExecution {}/{} was deleted (deletionPolicy Stop)",
        fe.namespace().unwrap_or_default(),
        fe.name_any()
    );
    match calls::stop(&client, fe, (DELETED_ERROR, &cause), ctx, key).await {
        Ok(()) => Ok(None),
        Err(err) => {
            calls::record_failure(ctx, key, &err);
            deletion_waits(fe, api, key, ctx).await
        }
    }
}

/// Writes why a deletion waits, and when to try again; `None` when what was
/// found means there is nothing left to stop.
async fn deletion_waits(
    fe: &FlowExecution,
    api: &Api<FlowExecution>,
    key: &TrackKey,
    ctx: &Context,
) -> Result<Option<Duration>, ReconcileError> {
    let now = Timestamp::now();
    let view = ctx.tracker.view(key);
    let Some(problem) = view.problem.as_ref() else {
        return Ok(None);
    };
    let decision = decide(fe, &view, &ctx.decide, now);
    let settled = match problem.kind {
        // Not found for the whole window: gone, whether or not it was seen.
        ProblemKind::ExecutionMissing => live::gone(problem, &ctx.decide, now),
        _ => !decision.wants_finalizer,
    };
    if settled {
        return Ok(None);
    }
    write_status(
        api,
        ctx,
        key,
        fe.clone(),
        &decision.status,
        &decision.events,
    )
    .await?;
    Ok(Some(
        live::deletion_retry(fe, problem, now).unwrap_or(Duration::from_secs(1)),
    ))
}
