//! CronFlowExecution: FlowExecutions created on a schedule, with CronJob's
//! semantics (see the README).
//!
//! - `schedule`: pure, the cron expression and time zone to schedule times.
//! - `runs`: pure, how a run (child FlowExecution) is named, built and read.
//! - `decide`: pure, the scheduling decision.
//! - `reconcile`: the thin layer that carries it out.
//!
//! This module starts the controller; it never talks to the cloud (its runs
//! are FlowExecutions, which the FlowExecution controller runs).

mod decide;
mod reconcile;
pub mod runs;
pub mod schedule;

use std::sync::Arc;

use futures::StreamExt;
use kube::Api;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::watcher;

use crate::crd::{CronFlowExecution, FlowExecution};
use crate::reconcile::context::Context;
use crate::reconcile::error::ReconcileError;
use crate::watch::scope::{api_in, scopes};
use runs::CRON_LABEL;

/// Runs the CronFlowExecution controller (all namespaces, or each of
/// `namespaces`) until `stop` turns true.
pub(crate) async fn run_controller(
    ctx: Arc<Context>,
    namespaces: Vec<String>,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let kube = ctx.kube.clone();
    let controllers = scopes(&namespaces).into_iter().map(|scope| {
        let crons: Api<CronFlowExecution> = api_in(&kube, scope.as_deref());
        let runs: Api<FlowExecution> = api_in(&kube, scope.as_deref());
        let mut stop = stop.clone();
        Controller::new(crons, watcher::Config::default().any_semantic())
            // A run that changes (ends, is deleted) wakes its CronFlowExecution.
            .owns(
                runs,
                watcher::Config::default().labels(CRON_LABEL).any_semantic(),
            )
            .graceful_shutdown_on(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .run(reconcile::reconcile, error_policy, ctx.clone())
            .for_each(|result| {
                use kube::runtime::controller::Error;
                let metrics = &ctx.metrics;
                match result {
                    // Failures are logged by error_policy; a wake-up for a
                    // deleted object is the normal end of a deletion.
                    Ok(_) | Err(Error::ReconcilerFailed(..) | Error::ObjectNotFound(..)) => {}
                    // Watch errors: RBAC, or the CronFlowExecution CRD not installed.
                    // Counted like the FlowExecution controller's: a denied watch shows.
                    Err(err) => {
                        tracing::warn!(error = %err, "cronflowexecution controller stream error");
                        metrics.controller_error();
                    }
                }
                futures::future::ready(())
            })
    });
    futures::future::join_all(controllers).await;
}

fn error_policy(cfe: Arc<CronFlowExecution>, err: &ReconcileError, ctx: Arc<Context>) -> Action {
    tracing::warn!(
        namespace = cfe.metadata.namespace.as_deref().unwrap_or_default(),
        name = cfe.metadata.name.as_deref().unwrap_or_default(),
        reason = err.reason(), error = %err,
        "cronflowexecution reconcile failed"
    );
    ctx.metrics.reconcile_failed(err.reason());
    Action::requeue(reconcile::RETRY_AFTER_FAILURE)
}
