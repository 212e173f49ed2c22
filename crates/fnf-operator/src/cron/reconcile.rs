//! Carries a scheduling decision out: reads the runs, stops the ones the
//! decision replaces, creates the new run, deletes the history beyond the
//! limits, writes the status when it changed, then the Events. Thin: every
//! choice is `decide`'s.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::controller::Action;
use kube::{Api, Resource, ResourceExt};
use serde_json::json;

use super::decide::{CronDecision, decide};
use super::runs::{CRON_LABEL, RunView, run_object};
use crate::crd::{CronFlowExecution, FIELD_MANAGER, FlowExecution};
use crate::reconcile::context::Context;
use crate::reconcile::error::ReconcileError;
use crate::reconcile::object::apply_status;

pub async fn reconcile(
    cfe: Arc<CronFlowExecution>,
    ctx: Arc<Context>,
) -> Result<Action, ReconcileError> {
    if cfe.meta().deletion_timestamp.is_some() {
        // Its runs go with it: the garbage collector follows their ownerReferences.
        return Ok(Action::await_change());
    }
    let namespace = cfe.namespace().ok_or(ReconcileError::NotNamespaced)?;
    let name = cfe.name_any();
    let runs_api: Api<FlowExecution> = Api::namespaced(ctx.kube.clone(), &namespace);
    // Read from the API, not a cache: a run created a moment ago must be
    // seen, or a reconcile on a stale cache would try to create it again.
    let listed = runs_api
        .list(&ListParams::default().labels(&format!("{CRON_LABEL}={name}")))
        .await?;
    let runs: Vec<RunView> = listed
        .items
        .iter()
        .filter_map(|fe| RunView::of(fe, &cfe))
        .collect();

    let mut decision = decide(&cfe, &runs, Timestamp::now());
    carry_out(&runs_api, &cfe, &mut decision).await?;
    let cfe_api: Api<CronFlowExecution> = Api::namespaced(ctx.kube.clone(), &namespace);
    write_status(&cfe_api, &ctx, &cfe, &decision).await?;
    Ok(match decision.requeue_after {
        Some(wait) => Action::requeue(wait),
        None => Action::await_change(),
    })
}

/// Stop, then create, then delete: under Replace the live run is told to
/// stop before the new one exists.
async fn carry_out(
    runs_api: &Api<FlowExecution>,
    cfe: &CronFlowExecution,
    decision: &mut CronDecision,
) -> Result<(), ReconcileError> {
    let params = PatchParams {
        field_manager: Some(FIELD_MANAGER.to_string()),
        ..PatchParams::default()
    };
    for run in &decision.stop {
        runs_api
            .patch(run, &params, &Patch::Merge(json!({"spec": {"stop": true}})))
            .await?;
    }
    if let Some(new) = &decision.create {
        let object = run_object(cfe, &new.name, Some(new.scheduled));
        let uid = match runs_api.create(&PostParams::default(), &object).await {
            Ok(created) => created.metadata.uid,
            // Created by an earlier attempt whose status write was lost.
            Err(kube::Error::Api(status)) if status.code == 409 => None,
            Err(err) => return Err(err.into()),
        };
        if let Some(entry) = decision
            .status
            .active
            .iter_mut()
            .find(|a| a.name == new.name)
        {
            entry.uid = uid;
        }
    }
    for run in &decision.delete {
        match runs_api.delete(run, &DeleteParams::background()).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 404 => {}
            Err(err) => return Err(err.into()),
        }
    }
    Ok(())
}

/// Writes the status when it changed, then publishes the Events.
async fn write_status(
    api: &Api<CronFlowExecution>,
    ctx: &Context,
    cfe: &CronFlowExecution,
    decision: &CronDecision,
) -> Result<(), ReconcileError> {
    // No status yet and nothing to say: no write.
    let persisted = cfe.status.clone().unwrap_or_default();
    if apply_status(api, &cfe.name_any(), Some(&persisted), &decision.status)
        .await?
        .is_some()
    {
        ctx.metrics.status_written();
    }
    for note in &decision.events {
        ctx.publish_about(cfe.object_ref(&()), note).await;
    }
    Ok(())
}

/// After a failed reconcile: a short pause, then look again (the scheduling
/// decision is cheap, and a schedule time must not be missed for long).
pub const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);
