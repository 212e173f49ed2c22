//! The `Flow` controller: keeps a cloud flow as a `Flow` object declares it
//! (or mirrors it, `Observe`).
//!
//! - `decide`: pure, (Flow, what DescribeFlow said, now) -> status, Events,
//!   next step.
//! - `reconcile`: the thin layer carrying it out.
//!
//! It shares the FlowExecution controller's `Context`: the per-account fnf
//! clients and their quota buckets, so flow calls and execution calls of one
//! account draw on one budget. The watch's reflector store is also what the
//! FlowExecution controller reads to hold a start until the flow is Ready.

pub mod decide;
pub mod reconcile;

use std::sync::Arc;

use futures::StreamExt;
use kube::runtime::controller::{Action, Config as ControllerConfig, Controller};
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, predicates};

use self::reconcile::FlowContext;
use crate::crd::Flow;
use crate::reconcile::error::ReconcileError;
use crate::watch::scope::scoped_watches;
use fnf_client::{Backoff, Jitter};

/// After a failed reconcile (the Kubernetes API): doubling from a second,
/// at most five minutes.
const ERROR_BACKOFF: Backoff = Backoff::new(
    std::time::Duration::from_secs(1),
    std::time::Duration::from_secs(300),
);
/// Flows reconciled at once: their calls queue on the account's quota anyway.
const FLOW_CONCURRENCY: u16 = 4;

/// A store of the Flows the operator watches and the writer that fills it.
pub fn store() -> (Store<Flow>, reflector::store::Writer<Flow>) {
    reflector::store()
}

/// Whether a `Flow` in `namespace` manages the flow `flow_name`, and if so
/// whether it is Ready. `None`: no `Flow` object names it.
pub fn readiness(store: &Store<Flow>, namespace: &str, flow_name: &str) -> Option<bool> {
    let mut managed = false;
    for flow in store.state() {
        if flow.metadata.namespace.as_deref() == Some(namespace)
            && flow.cloud_name().as_deref() == Some(flow_name)
            && flow.metadata.deletion_timestamp.is_none()
        {
            if flow.is_ready() {
                return Some(true);
            }
            managed = true;
        }
    }
    managed.then_some(false)
}

/// Runs the Flow controller until `stop` turns true. `namespaces` empty
/// watches all.
pub async fn run(
    kube: kube::Client,
    namespaces: Vec<String>,
    writer: reflector::store::Writer<Flow>,
    ctx: Arc<FlowContext>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let streams = scoped_watches::<Flow>(&kube, &namespaces)
        .into_iter()
        .map(|(_, watch)| watch);
    let reader = writer.as_reader();
    // Only spec changes (and deletions) wake a reconcile: our own status
    // writes do not cost a DescribeFlow; drift is found by the resync.
    let objects = futures::stream::select_all(streams)
        .reflect(writer)
        .applied_objects()
        .predicate_filter(predicates::generation, Default::default());
    Controller::for_stream(objects, reader)
        .with_config(ControllerConfig::default().concurrency(FLOW_CONCURRENCY))
        .graceful_shutdown_on(async move {
            let _ = stop.wait_for(|s| *s).await;
        })
        .run(reconcile_measured, error_policy, ctx.clone())
        .for_each(|result| {
            use kube::runtime::controller::Error;
            match result {
                // Failures are logged by error_policy; a wake-up for a
                // deleted object is the normal end of a deletion.
                Ok(_) | Err(Error::ReconcilerFailed(..) | Error::ObjectNotFound(..)) => {}
                // Watch errors: RBAC, or the Flow CRD not installed. Counted
                // like the other controllers': a denied watch shows.
                Err(err) => {
                    tracing::warn!(error = %err, "flow controller stream error");
                    ctx.shared.metrics.controller_error();
                }
            }
            futures::future::ready(())
        })
        .await;
}

async fn reconcile_measured(
    flow: Arc<Flow>,
    ctx: Arc<FlowContext>,
) -> Result<Action, ReconcileError> {
    ctx.shared.metrics.reconciled();
    let result = reconcile::reconcile(flow, ctx.clone()).await;
    if let Err(err) = &result {
        ctx.shared.metrics.reconcile_failed(err.reason());
    }
    result
}

fn error_policy(flow: Arc<Flow>, err: &ReconcileError, ctx: Arc<FlowContext>) -> Action {
    let uid = flow.metadata.uid.as_deref().unwrap_or_default();
    let attempts = ctx.shared.failures.record(uid);
    let delay = ERROR_BACKOFF.delay(attempts, Jitter::Half);
    tracing::warn!(
        namespace = flow.metadata.namespace.as_deref().unwrap_or_default(),
        name = flow.metadata.name.as_deref().unwrap_or_default(),
        reason = err.reason(), error = %err, retry_in_ms = delay.as_millis() as u64,
        "flow reconcile failed"
    );
    Action::requeue(delay)
}
