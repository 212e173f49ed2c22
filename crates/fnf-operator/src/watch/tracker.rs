//! The tracker keeps, per FlowExecution, what the cloud has said (its
//! `CloudView`) and the long-poll that keeps it current. Long-polls run in their
//! own tasks so a reconcile never waits on one: a `stop: true` or a deletion is
//! acted on at once, and each answer that changes something triggers a
//! reconcile through the channel the controller listens on.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use jiff::Timestamp;
use kube::runtime::reflector::ObjectRef;
use tokio::sync::{Semaphore, mpsc};

use super::key::{PollTarget, ReadVia, TrackKey};
use super::planner::Planner;
use super::tracked::Tracked;
use super::views::CloudViews;
use super::{poll, steps};
use crate::crd::FlowExecution;
use crate::decide::view::{CloudView, ExecutionRead};
use crate::metrics::Metrics;
use fnf_client::model::parse_cloud_time;
use fnf_client::{Client, Execution};

#[derive(Clone)]
pub struct Tracker {
    entries: Arc<Mutex<HashMap<TrackKey, Tracked>>>,
    wake: mpsc::UnboundedSender<ObjectRef<FlowExecution>>,
    planner: Planner,
    /// Turns at reading a history, shared by every follower.
    history_readers: Arc<Semaphore>,
    metrics: Metrics,
}

impl Tracker {
    /// The tracker and the stream of objects whose view changed.
    pub fn new(metrics: Metrics) -> (Self, mpsc::UnboundedReceiver<ObjectRef<FlowExecution>>) {
        let (wake, woken) = mpsc::unbounded_channel();
        (
            Self {
                entries: Arc::default(),
                wake,
                planner: Planner::default(),
                history_readers: Arc::new(Semaphore::new(steps::HISTORY_READERS)),
                metrics,
            },
            woken,
        )
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<TrackKey, Tracked>> {
        // A poisoned lock only means a task panicked mid-update; the map itself
        // is still a valid cache of cloud answers.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn view(&self, key: &TrackKey) -> CloudView {
        self.lock()
            .get(key)
            .map(|e| e.view.clone())
            .unwrap_or_default()
    }

    pub fn update(&self, key: &TrackKey, change: impl FnOnce(&mut CloudView)) {
        change(&mut self.lock().entry(key.clone()).or_default().view);
    }

    /// The last read of the execution, if `key` is tracked.
    pub fn execution_read(&self, key: &TrackKey) -> Option<ExecutionRead> {
        self.lock()
            .get(key)
            .map(|e| e.view.execution.clone().unwrap_or_default())
    }

    /// Ties `key`'s view to the execution `name` (the status's current run).
    /// When it was of another execution (a new run began), everything known
    /// of that one is dropped and its poll and history follower end, so no
    /// read of the previous run is ever taken for the new one's.
    pub fn follow_run(&self, key: &TrackKey, name: &str) {
        self.lock().entry(key.clone()).or_default().follow_run(name);
    }

    /// Records what the cloud said of a tracked execution (a long-poll's answer
    /// or a ListExecutions item) and wakes its reconcile when that changed
    /// anything. Reads race (a list page sent before a long-poll answered may
    /// arrive after it), so a read never moves the status backwards.
    pub fn record_read(&self, key: &TrackKey, execution: &Execution, via: ReadVia) {
        let taken = self
            .lock()
            .get_mut(key)
            .map(|entry| entry.take_read(execution))
            .unwrap_or_default();
        if taken.changed {
            self.wake(key);
        }
        if taken.ended {
            self.observe_ending(execution, via);
        }
    }

    /// How long after the cloud's StoppedTime the operator learned of an end:
    /// the part of the status lag that the read budget decides.
    fn observe_ending(&self, execution: &Execution, via: ReadVia) {
        let stopped = execution.stopped_time.as_deref().and_then(parse_cloud_time);
        if let Some(lag) = stopped.and_then(|t| Timestamp::now().duration_since(t).try_into().ok())
        {
            self.metrics.ending_seen(via.label(), lag);
        }
    }

    /// Records the client the calls for `key` use now. When it is another one
    /// (the credentials changed), polls made with the old one are ended, so
    /// the new keys serve the next call, and `true` is returned.
    pub fn set_client(&self, key: &TrackKey, client: &Client) -> bool {
        let mut entries = self.lock();
        let entry = entries.entry(key.clone()).or_default();
        if entry.client.as_ref().is_some_and(|c| c.is_same(client)) {
            return false;
        }
        entry.abort_tasks();
        entry.client = Some(client.clone());
        true
    }

    /// Starts a long-poll for `key` unless one is running.
    pub fn ensure_polling(&self, key: &TrackKey, target: PollTarget) {
        let mut entries = self.lock();
        let entry = entries.entry(key.clone()).or_default();
        if entry.polling() {
            return;
        }
        let task = tokio::spawn(poll::watch(
            self.clone(),
            self.planner.clone(),
            key.clone(),
            target,
        ));
        entry.poll = Some(task.abort_handle());
    }

    /// Starts following the execution's history unless already following.
    pub fn ensure_following_steps(
        &self,
        key: &TrackKey,
        client: Client,
        flow: &str,
        execution: &str,
    ) {
        let mut entries = self.lock();
        let entry = entries.entry(key.clone()).or_default();
        if entry.steps.is_some() {
            return;
        }
        let task = tokio::spawn(steps::follow(
            self.clone(),
            self.history_readers.clone(),
            key.clone(),
            client,
            flow.to_string(),
            execution.to_string(),
        ));
        entry.steps = Some(task.abort_handle());
    }

    /// Drops everything known about `key` and ends its polls.
    pub fn forget(&self, key: &TrackKey) {
        if let Some(mut entry) = self.lock().remove(key) {
            entry.abort_tasks();
        }
    }

    /// Ends the long-poll of `key` but keeps its view.
    pub fn stop_polling(&self, key: &TrackKey) {
        if let Some(poll) = self.lock().get_mut(key).and_then(|e| e.poll.take()) {
            poll.abort();
        }
    }

    pub fn steps_read(&self, key: &TrackKey) {
        if let Some(entry) = self.lock().get_mut(key) {
            entry.steps_read_at = Some(std::time::Instant::now());
        }
    }

    /// The oldest history reading among executions still running and followed.
    pub fn oldest_step_data(&self) -> Duration {
        self.lock()
            .values()
            .filter(|e| e.steps.is_some() && !e.view.ended())
            .filter_map(|e| e.steps_read_at.map(|t| t.elapsed()))
            .max()
            .unwrap_or_default()
    }

    /// Long-polls in flight and executions swept.
    pub fn plan_counts(&self) -> (usize, usize) {
        self.planner.counts()
    }

    /// Ends every poll and follower (the controller is stopping).
    pub fn abort_all(&self) {
        self.planner.abort_all();
        for entry in self.lock().values_mut() {
            entry.abort_tasks();
        }
    }

    pub fn keys(&self) -> Vec<TrackKey> {
        self.lock().keys().cloned().collect()
    }

    pub fn polls_in_flight(&self) -> usize {
        self.lock().values().filter(|e| e.polling()).count()
    }

    /// Asks the controller to reconcile `key` (its view changed).
    pub fn wake(&self, key: &TrackKey) {
        // The receiver lives as long as the controller; once it is gone there
        // is nobody left to tell.
        let _ = self.wake.send(key.object_ref());
    }
}

impl CloudViews for Tracker {
    fn view(&self, key: &TrackKey) -> CloudView {
        Tracker::view(self, key)
    }

    fn update(&self, key: &TrackKey, change: impl FnOnce(&mut CloudView)) {
        Tracker::update(self, key, change);
    }

    fn execution_read(&self, key: &TrackKey) -> Option<ExecutionRead> {
        Tracker::execution_read(self, key)
    }

    fn record_read(&self, key: &TrackKey, execution: &Execution, via: ReadVia) {
        Tracker::record_read(self, key, execution, via);
    }

    fn steps_read(&self, key: &TrackKey) {
        Tracker::steps_read(self, key);
    }

    fn wake(&self, key: &TrackKey) {
        Tracker::wake(self, key);
    }

    fn sweep_listed(&self, listing: &'static str, pages: u64, endings: u64) {
        self.metrics.sweep_listed(listing, pages, endings);
    }

    fn sweep_described(&self, calls: u64, endings: u64) {
        self.metrics.sweep_described(calls, endings);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn read(status: &str) -> Execution {
        Execution {
            name: "e".into(),
            status: Some(status.into()),
            started_time: Some("2026-01-01T00:00:00.000Z".into()),
            stopped_time: (status == "Succeeded").then(|| "2026-01-01T00:00:30.000Z".into()),
            ..Execution::default()
        }
    }

    #[test]
    fn a_read_of_another_execution_is_never_taken_for_the_current_runs() {
        let (tracker, _woken) = Tracker::new(Metrics::default());
        let key = TrackKey {
            namespace: "ns".into(),
            name: "n".into(),
            uid: "u".into(),
        };
        let named = |name: &str, status: &str| Execution {
            name: name.into(),
            ..read(status)
        };
        tracker.follow_run(&key, "ns_n_Raaaaaaaaaaaa");
        tracker.record_read(
            &key,
            &named("ns_n_Raaaaaaaaaaaa", "Running"),
            ReadVia::LongPoll,
        );
        // The new run begins: what was read of the old one is gone.
        tracker.follow_run(&key, "ns_n_Rbbbbbbbbbbbb");
        assert_eq!(tracker.view(&key).execution, None);
        // A late answer about the old run is dropped.
        tracker.record_read(
            &key,
            &named("ns_n_Raaaaaaaaaaaa", "Succeeded"),
            ReadVia::Sweep,
        );
        assert_eq!(tracker.view(&key).execution, None);
        tracker.record_read(
            &key,
            &named("ns_n_Rbbbbbbbbbbbb", "Running"),
            ReadVia::Sweep,
        );
        assert_eq!(
            tracker
                .view(&key)
                .execution
                .and_then(|r| r.status)
                .as_deref(),
            Some("Running")
        );
    }

    #[test]
    fn an_ending_is_timed_once_by_the_read_that_found_it() {
        let metrics = Metrics::default();
        let (tracker, _woken) = Tracker::new(metrics.clone());
        let key = TrackKey {
            namespace: "ns".into(),
            name: "n".into(),
            uid: "u".into(),
        };
        tracker.update(&key, |_| {});
        let count = |via: &str| {
            let line = format!("fnf_operator_ending_seen_lag_seconds_count{{via=\"{via}\"}} ");
            metrics
                .render()
                .lines()
                .find_map(|l| l.strip_prefix(line.as_str()).map(str::to_string))
        };
        tracker.record_read(&key, &read("Running"), ReadVia::Sweep);
        assert_eq!(count("sweep"), None, "not ended yet");
        tracker.record_read(&key, &read("Succeeded"), ReadVia::Sweep);
        // A long-poll answering the same end afterwards is not a second ending.
        tracker.record_read(&key, &read("Succeeded"), ReadVia::LongPoll);
        assert_eq!(count("sweep").as_deref(), Some("1"));
        assert_eq!(count("long-poll"), None);
    }
}
