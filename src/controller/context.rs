//! What every reconcile shares: the Kubernetes client, cloud access, the
//! tracker, the Event recorder and metrics.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::{Resource, ResourceExt};

use super::cloud::CloudAccess;
use super::events::{EventKind, EventNote};
use super::metrics::Metrics;
use super::run::OperatorConfig;
use super::start_gate::StartGate;
use super::tracker::{PollStrategy, TrackKey, Tracker};
use super::view::DecideSettings;
use crate::crd::FlowExecution;

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
        let event = Event {
            type_: match note.kind {
                EventKind::Normal => EventType::Normal,
                EventKind::Warning => EventType::Warning,
            },
            reason: note.reason.clone(),
            note: Some(note.note.clone()),
            action: note.action.clone(),
            secondary: None,
        };
        let reference = fe.object_ref(&());
        // A recorder per Event, as kube intends: a shared one caches every
        // Event it sent for six minutes and scans that cache on each publish,
        // which with thousands of executions costs tens of MiB and CPU. Our
        // Events mark transitions, so there are no repeats to fold into series.
        let recorder = Recorder::new(self.kube.clone(), self.reporter.clone());
        if let Err(err) = recorder.publish(&event, &reference).await {
            tracing::warn!(
                namespace = fe.namespace().as_deref().unwrap_or_default(),
                name = %fe.name_any(), reason = %note.reason, error = %err,
                "could not publish an Event"
            );
        }
        self.metrics.event(&note.reason);
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
