//! What every reconcile shares: the Kubernetes client, cloud access, the
//! tracker, the Event recorder and metrics.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::Event as K8sEvent;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::api::PostParams;
use kube::runtime::events::Reporter;
use kube::{Api, Resource, ResourceExt};

use super::cloud::CloudAccess;
use crate::config::OperatorConfig;
use crate::crd::FlowExecution;
use crate::decide::events::{EventKind, EventNote, event_name, fit_note};
use crate::decide::view::DecideSettings;
use crate::metrics::Metrics;
use crate::watch::key::{PollStrategy, TrackKey};
use crate::watch::start_gate::StartGate;
use crate::watch::tracker::Tracker;

pub struct Context {
    pub kube: kube::Client,
    pub cloud: Arc<CloudAccess>,
    pub tracker: Tracker,
    pub decide: DecideSettings,
    pub poll: PollStrategy,
    /// Follow each running execution's history for its current step.
    pub follow_steps: bool,
    pub metrics: Metrics,
    reporter: Reporter,
    /// The object as our last status write returned it. The watch cache can lag
    /// behind our own writes; deciding on a stale copy would repeat Events.
    written: Mutex<HashMap<TrackKey, FlowExecution>>,
    /// Consecutive reconcile failures per object, for the back-off.
    pub failures: FailureCounts,
    /// Bounds concurrent starts so running executions' news is not held up.
    pub start_gate: Arc<StartGate>,
    /// The `Flow` objects watched: a start waits for its flow's to be Ready.
    pub flows: kube::runtime::reflector::Store<crate::crd::Flow>,
}

/// Consecutive failures per object (by uid). A count is forgotten after a
/// quiet spell, so a recovered object backs off from the start again.
#[derive(Default)]
pub struct FailureCounts(Mutex<HashMap<String, (u32, Instant)>>);

const FAILURE_MEMORY: Duration = Duration::from_secs(600);

impl FailureCounts {
    /// A success ends the run of failures.
    pub fn clear(&self, uid: &str) {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(uid);
    }

    /// Records one more failure and returns how many in a row.
    pub fn record(&self, uid: &str) -> u32 {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        let entry = map.entry(uid.to_string()).or_insert((0, now));
        if now.duration_since(entry.1) > FAILURE_MEMORY {
            entry.0 = 0;
        }
        entry.0 = entry.0.saturating_add(1);
        entry.1 = now;
        entry.0
    }
}

impl Context {
    pub fn new(
        kube: kube::Client,
        config: &OperatorConfig,
        tracker: Tracker,
        metrics: Metrics,
        flows: kube::runtime::reflector::Store<crate::crd::Flow>,
    ) -> Self {
        let reporter = Reporter {
            controller: "fnf-operator".into(),
            instance: Some(config.instance.clone()),
        };
        // Half the reconcile slots may start executions; the rest stay free
        // for the news of running ones.
        let start_gate = StartGate::new(usize::from(config.concurrency / 2), {
            let tracker = tracker.clone();
            Arc::new(move |key: &TrackKey| tracker.wake(key))
        });
        Self {
            reporter,
            cloud: CloudAccess::new(config.cloud.clone(), kube.clone()),
            kube,
            tracker,
            decide: config.decide.clone(),
            poll: config.poll,
            follow_steps: config.follow_steps,
            metrics,
            written: Mutex::default(),
            failures: FailureCounts::default(),
            start_gate,
            flows,
        }
    }

    /// The newer of the cached object and our last write of it. Once the cache
    /// has caught up, our copy is dropped: with thousands of objects, a second
    /// copy of each would double the operator's memory.
    pub fn freshest(&self, key: &TrackKey, cached: FlowExecution) -> FlowExecution {
        let mut written = self
            .written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match written.get(key) {
            Some(ours) if version(ours) > version(&cached) => ours.clone(),
            Some(_) => {
                written.remove(key);
                cached
            }
            None => cached,
        }
    }

    pub fn remember_written(&self, key: &TrackKey, fe: &FlowExecution) {
        self.written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(key.clone(), fe.clone());
    }

    /// Drops everything kept for `key`: its cloud view and polls, our copy of
    /// its last write, and its place in the start queue.
    pub fn forget(&self, key: &TrackKey) {
        self.tracker.forget(key);
        self.written
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(key);
        self.start_gate.leave(key);
    }

    /// Publishes an Event; a failure to record one is logged, never fatal.
    pub async fn publish(&self, fe: &FlowExecution, note: &EventNote) {
        self.publish_about(fe.object_ref(&()), note).await;
    }

    /// Publishes an Event about the object `regarding` refers to.
    ///
    /// The Event is built here rather than by kube's Recorder, which names it
    /// `{object name}.{nanos}` (over 253 characters for long object names, so
    /// refused) and sends the note as given (refused over 1 KiB). A recorder
    /// would also keep every Event it sent for six minutes, which with
    /// thousands of executions costs tens of MiB; our Events mark transitions.
    pub async fn publish_about(&self, regarding: ObjectReference, note: &EventNote) {
        let now = jiff::Timestamp::now();
        let object = regarding.name.clone().unwrap_or_default();
        let namespace = regarding.namespace.clone().unwrap_or_default();
        let event = K8sEvent {
            metadata: ObjectMeta {
                name: Some(event_name(&object, now.as_nanosecond().unsigned_abs())),
                namespace: Some(namespace.clone()),
                ..ObjectMeta::default()
            },
            type_: Some(
                match note.kind {
                    EventKind::Normal => "Normal",
                    EventKind::Warning => "Warning",
                }
                .into(),
            ),
            reason: Some(note.reason.clone()),
            note: Some(fit_note(&note.note)),
            action: Some(note.action.clone()),
            event_time: Some(MicroTime(now)),
            regarding: Some(regarding),
            reporting_controller: Some(self.reporter.controller.clone()),
            reporting_instance: self.reporter.instance.clone(),
            ..K8sEvent::default()
        };
        let api: Api<K8sEvent> = Api::namespaced(self.kube.clone(), &namespace);
        let published = api.create(&PostParams::default(), &event).await;
        if let Err(err) = &published {
            tracing::warn!(
                namespace = %namespace, name = %object, reason = %note.reason, error = %err,
                "could not publish an Event"
            );
        }
        self.metrics.event(&note.reason, published.is_ok());
    }
}

/// etcd resourceVersions are increasing integers; an unparsable one sorts first
/// so the cache wins.
fn version(fe: &FlowExecution) -> u64 {
    fe.resource_version()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::FailureCounts;

    #[test]
    fn a_success_resets_the_back_off() {
        let counts = FailureCounts::default();
        assert_eq!(counts.record("a"), 1);
        assert_eq!(counts.record("a"), 2);
        counts.clear("a");
        assert_eq!(counts.record("a"), 1);
    }
}
