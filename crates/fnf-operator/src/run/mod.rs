//! Wiring: watches FlowExecutions (all namespaces or a list), feeds the
//! tracker's wake-ups back into the controller, holds the leader Lease
//! (`leader`), keeps house (`housekeeping`: forgetting deleted objects, the
//! gauges), and shuts down cleanly (releasing the Lease) when asked.

mod housekeeping;
mod leader;
pub mod lease;

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use kube::Resource;
use kube::runtime::controller::{Action, Config as ControllerConfig, Controller};
use kube::runtime::reflector::{self, ObjectRef};
use kube::runtime::{WatchStreamExt, watcher};
use tokio::sync::mpsc;
use tokio_stream::wrappers::UnboundedReceiverStream;

use crate::config::OperatorConfig;
use crate::crd::FlowExecution;
use crate::flow::reconcile::{FlowContext, WakeFlowUsers};
use crate::metrics::Metrics;
use crate::reconcile::context::Context;
use crate::reconcile::error::ReconcileError;
use crate::reconcile::{reconcile, unreadable};
use crate::watch::key::TrackKey;
use crate::watch::readiness::WatchHealth;
use crate::watch::scope::scoped_watches;
use crate::watch::sources::{self, SourceKind};
use crate::watch::tracker::Tracker;
use crate::watch::watched::Watched;
use fnf_client::{Backoff, Jitter};

pub use leader::RunError;

/// How long the FlowExecution watches wait for the Flow cache at start-up.
/// Short: every start of the operator pays it when the cache is slow to
/// report ready (30 s made each e2e operator start 30 s late), and a start
/// that misses a Flow still meets FlowNotExists, which is waited out.
const FLOW_CACHE_WAIT: Duration = Duration::from_secs(3);
/// After a failed reconcile: doubling from a second, at most five minutes.
const ERROR_BACKOFF: Backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(300));
/// After SIGTERM, how long in-flight reconciles may take before the operator
/// exits anyway: within the pod's grace period (30 s by default), with room
/// for releasing the Lease.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Runs until `shutdown` resolves (or the Lease is lost).
pub async fn run(
    kube: kube::Client,
    config: OperatorConfig,
    metrics: Metrics,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });

    // Ready means able to serve, not leading: a replica waiting for the Lease must
    // still count as ready, or a rolling update would wait on it forever.
    metrics.set_ready(true);
    let leadership = match &config.leader_election {
        Some(election) => {
            match leader::acquire(&kube, election, &config.instance, stop_rx.clone()).await? {
                Some(held) => Some(held),
                None => return Ok(()),
            }
        }
        None => None,
    };
    metrics.set_leader(true);

    let controllers = controllers(kube, config, metrics.clone(), stop_rx.clone());
    let result = match leadership {
        Some(held) => held.lead(controllers).await,
        None => {
            controllers.await;
            Ok(())
        }
    };
    metrics.set_leader(false);
    metrics.set_ready(false);
    result
}

async fn controllers(
    kube: kube::Client,
    config: OperatorConfig,
    metrics: Metrics,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let (tracker, woken) = Tracker::new(metrics.clone());
    let mut config = config;
    config.cloud.observer = Some(metrics.call_observer());
    let (flows, flow_writer) = crate::flow::store();
    let ctx = Arc::new(Context::new(kube.clone(), &config, tracker, metrics, flows));

    // Each object is decoded on its own (see `watched`): one that cannot be
    // read is reported on itself instead of failing the list of all the others.
    let watches = scoped_watches::<Watched>(&kube, &config.namespaces);
    // One wake-up stream per controller: route each by namespace.
    let mut routes: HashMap<Option<String>, mpsc::UnboundedSender<ObjectRef<Watched>>> =
        HashMap::new();
    let mut runs = Vec::new();
    let mut stores = Vec::new();
    for (ns, watch) in watches {
        let (tx, rx) = mpsc::unbounded_channel();
        routes.insert(ns, tx);
        let mut stop = stop.clone();
        // The cache keeps every FlowExecution; managedFields are most of an
        // object's bytes and nothing here reads them (`Watched` never decodes them).
        let (reader, writer) = reflector::store();
        let mut health = WatchHealth::new(&ctx.metrics);
        let objects = watch
            .inspect(move |event| match event {
                Ok(watcher::Event::InitDone) => health.listed(),
                Err(watcher::Error::InitialListFailed(_)) => health.list_failed(),
                _ => {}
            })
            .reflect(writer)
            .applied_objects();
        stores.push(reader.clone());
        let controller = Controller::for_stream(objects, reader)
            .with_config(ControllerConfig::default().concurrency(config.concurrency))
            .reconcile_on(UnboundedReceiverStream::new(rx))
            .graceful_shutdown_on(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .run(reconcile_measured, error_policy, ctx.clone())
            .for_each({
                let metrics = ctx.metrics.clone();
                move |result| {
                    use kube::runtime::controller::Error;
                    match &result {
                        // Counted by reconcile_measured.
                        Ok(_) | Err(Error::ReconcilerFailed(..)) => {}
                        // A wake-up or requeue for an object deleted meanwhile:
                        // the normal end of every deletion, not a problem.
                        Err(err @ Error::ObjectNotFound(..)) => {
                            tracing::debug!(error = %err, "wake-up for a deleted object");
                        }
                        // Watch and queue errors (e.g. RBAC denying a watch).
                        Err(err) => {
                            tracing::warn!(error = %err, "controller stream error");
                            metrics.controller_error();
                        }
                    }
                    futures::future::ready(())
                }
            });
        runs.push(controller);
    }
    tokio::spawn(route_wakeups(woken, routes));
    let crons = tokio::spawn(crate::cron::run_controller(
        ctx.clone(),
        config.namespaces.clone(),
        stop.clone(),
    ));
    let flow_controller = tokio::spawn(crate::flow::run(
        kube.clone(),
        config.namespaces.clone(),
        flow_writer,
        Arc::new(FlowContext::new(
            ctx.clone(),
            wake_flow_users(&stores, &ctx),
            config.flow_resync,
        )),
        stop.clone(),
    ));
    // Only for the kinds the operator may read (the chart then grants
    // watching their metadata): credentials and inputFrom Secrets, and
    // inputFrom ConfigMaps.
    let watch_secrets = config.cloud.secret_credentials || config.input_sources.secrets;
    let source_watches: Vec<_> = [
        (SourceKind::Secret, watch_secrets),
        (SourceKind::ConfigMap, config.input_sources.config_maps),
    ]
    .into_iter()
    .filter(|(_, on)| *on)
    .map(|(kind, _)| {
        tokio::spawn(sources::wake_on_change(
            kind,
            kube.clone(),
            config.namespaces.clone(),
            stores.clone(),
            ctx.tracker.clone(),
            ctx.metrics.clone(),
        ))
    })
    .collect();
    let gauge = tokio::spawn(housekeeping::keep(ctx.clone(), stores));
    // A start waits for its flow's Flow to be Ready: the Flow cache must be
    // filled before the first FlowExecution is decided on. Without the Flow
    // CRD (an older install) the cache never fills: go on without it.
    if tokio::time::timeout(FLOW_CACHE_WAIT, ctx.flows.wait_until_ready())
        .await
        .is_err()
    {
        tracing::warn!(
            wait_secs = FLOW_CACHE_WAIT.as_secs(),
            "the Flow cache is not filled (is the Flow CRD installed?); FlowExecutions will not wait for Flows"
        );
    }
    let mut stopping = stop.clone();
    tokio::select! {
        _ = futures::future::join_all(runs) => {}
        _ = async {
            if stopping.wait_for(|s| *s).await.is_err() {
                // No one can ask for a stop any more: only the controllers end this.
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => tracing::warn!(grace_secs = SHUTDOWN_GRACE.as_secs(), "reconciles still running at shutdown; exiting anyway"),
    }
    gauge.abort();
    crons.abort();
    flow_controller.abort();
    for watch in source_watches {
        watch.abort();
    }
    ctx.tracker.abort_all();
}

/// Wakes the FlowExecutions of `namespace` that run `flow_name` (their
/// start waits for the flow's `Flow` to be Ready).
fn wake_flow_users(stores: &[reflector::Store<Watched>], ctx: &Arc<Context>) -> WakeFlowUsers {
    let stores = stores.to_vec();
    let tracker = ctx.tracker.clone();
    Box::new(move |namespace: &str, flow_name: &str| {
        for store in &stores {
            for watched in store.state() {
                let Ok(fe) = &watched.object else { continue };
                if fe.metadata.namespace.as_deref() == Some(namespace)
                    && fe.spec.flow_name == flow_name
                {
                    tracker.wake(&TrackKey::of(fe));
                }
            }
        }
    })
}

async fn route_wakeups(
    mut woken: mpsc::UnboundedReceiver<ObjectRef<FlowExecution>>,
    routes: HashMap<Option<String>, mpsc::UnboundedSender<ObjectRef<Watched>>>,
) {
    while let Some(obj) = woken.recv().await {
        let route = routes.get(&None).or_else(|| routes.get(&obj.namespace));
        if let Some(tx) = route {
            let mut watched = ObjectRef::<Watched>::new(&obj.name);
            watched.namespace = obj.namespace;
            let _ = tx.send(watched);
        }
    }
}

async fn reconcile_measured(
    watched: Arc<Watched>,
    ctx: Arc<Context>,
) -> Result<Action, ReconcileError> {
    ctx.metrics.reconciled();
    let uid = watched.meta().uid.clone().unwrap_or_default();
    let result = match &watched.object {
        Ok(fe) => reconcile(fe.clone(), ctx.clone()).await,
        Err(object) => unreadable::report(&watched, object, &ctx).await,
    };
    let result = match result {
        // Deleted while being reconciled: a normal end, not a failure.
        Err(err) if deleted_meanwhile(&err, &watched) => {
            tracing::debug!(
                namespace = watched.meta().namespace.as_deref().unwrap_or_default(),
                name = watched.meta().name.as_deref().unwrap_or_default(),
                "the object was deleted during its reconcile"
            );
            Ok(Action::await_change())
        }
        other => other,
    };
    match &result {
        Ok(_) => ctx.failures.clear(&uid),
        Err(err) => ctx.metrics.reconcile_failed(err.reason()),
    }
    result
}

/// Whether `err` is the apiserver saying this very object no longer exists
/// (not, say, a missing resource type, which is a real problem).
fn deleted_meanwhile(err: &ReconcileError, watched: &Watched) -> bool {
    let ReconcileError::Kube(kube::Error::Api(status)) = err else {
        return false;
    };
    status.code == 404
        && status.details.as_ref().is_some_and(|d| {
            Some(d.name.as_str()) == watched.meta().name.as_deref()
                && d.group == Watched::group(&())
        })
}

/// Per-object capped exponential back-off: the controller's scheduler keeps one
/// pending requeue per object, so failures never loop hot.
fn error_policy(fe: Arc<Watched>, err: &ReconcileError, ctx: Arc<Context>) -> Action {
    let attempts = ctx
        .failures
        .record(fe.meta().uid.as_deref().unwrap_or_default());
    let jittered = ERROR_BACKOFF.delay(attempts, Jitter::Half);
    tracing::warn!(
        namespace = fe.meta().namespace.as_deref().unwrap_or_default(),
        name = fe.meta().name.as_deref().unwrap_or_default(),
        reason = err.reason(), error = %err, retry_in_ms = jittered.as_millis() as u64,
        "reconcile failed"
    );
    Action::requeue(jittered)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The apiserver's answer for a missing custom resource.
    fn not_found(group: &str, name: &str) -> ReconcileError {
        let status: kube::core::Status = serde_json::from_value(serde_json::json!({
            "status": "Failure", "code": 404, "reason": "NotFound",
            "message": format!("flowexecutions.{group} \"{name}\" not found"),
            "details": {"name": name, "group": group, "kind": "flowexecutions"},
        }))
        .unwrap();
        ReconcileError::Kube(kube::Error::Api(Box::new(status)))
    }

    #[test]
    fn only_this_objects_own_404_counts_as_deleted_meanwhile() {
        let watched = Watched::decode(
            r#"{"metadata":{"name":"run","namespace":"ns"},"spec":{"flowName":"f"}}"#,
        );
        assert!(deleted_meanwhile(
            &not_found("fnf-operator.dev", "run"),
            &watched
        ));
        assert!(!deleted_meanwhile(
            &not_found("fnf-operator.dev", "other"),
            &watched
        ));
        assert!(!deleted_meanwhile(&not_found("", "run"), &watched));
        assert!(!deleted_meanwhile(&ReconcileError::NotNamespaced, &watched));
    }
}
