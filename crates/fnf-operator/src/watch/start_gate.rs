//! The start gate: at most a few reconciles start executions at once, oldest
//! FlowExecution first.
//!
//! Why: when thousands of FlowExecutions are applied together, each start costs
//! several apiserver writes (the recorded name, the finalizer, the started
//! status). Left alone, starts take every reconcile slot and the apiserver's
//! capacity, and the status of executions already running (their ends, which
//! cost one write) waits behind all of them. Work in progress is finished
//! first; new starts take the slots the gate leaves them. An object whose turn
//! has not come is not written to: it stays as applied until its start.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use super::key::TrackKey;

/// Called with the object whose turn has come (it was told to wait).
pub type Wake = Arc<dyn Fn(&TrackKey) + Send + Sync>;

/// Waiting objects are served by creation time, then by key.
type Place = (i64, TrackKey);

pub struct StartGate {
    permits: usize,
    wake: Wake,
    state: Mutex<GateState>,
}

#[derive(Default)]
struct GateState {
    in_use: usize,
    queue: BTreeSet<Place>,
    places: HashMap<TrackKey, Place>,
}

/// Held while one reconcile starts an execution; dropping it lets the next in.
pub struct StartPermit {
    gate: Arc<StartGate>,
}

impl Drop for StartPermit {
    fn drop(&mut self) {
        let mut state = self.gate.lock();
        state.in_use = state.in_use.saturating_sub(1);
        self.gate.wake_next(state);
    }
}

impl StartGate {
    pub fn new(permits: usize, wake: Wake) -> Arc<Self> {
        Arc::new(Self {
            permits: permits.max(1),
            wake,
            state: Mutex::default(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, GateState> {
        // A poisoned lock only means a reconcile panicked mid-update; the
        // queue is still a valid list of objects waiting.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A permit to start `key` now, or `None`: it keeps its place in the queue
    /// (by `created_ms`, its creation time) and is woken when its turn comes.
    pub fn try_enter(self: &Arc<Self>, key: &TrackKey, created_ms: i64) -> Option<StartPermit> {
        let mut state = self.lock();
        let place = state
            .places
            .entry(key.clone())
            .or_insert_with(|| (created_ms, key.clone()))
            .clone();
        state.queue.insert(place.clone());
        let free = self.permits.saturating_sub(state.in_use);
        let turn = state.queue.iter().take(free).any(|p| *p == place);
        if !turn {
            return None;
        }
        state.queue.remove(&place);
        state.places.remove(key);
        state.in_use += 1;
        Some(StartPermit { gate: self.clone() })
    }

    /// `key` no longer waits (it needs no start, or it is gone).
    pub fn leave(&self, key: &TrackKey) {
        let mut state = self.lock();
        if let Some(place) = state.places.remove(key) {
            state.queue.remove(&place);
            self.wake_next(state);
        }
    }

    /// The objects waiting for their turn.
    pub fn waiting(&self) -> Vec<TrackKey> {
        self.lock().places.keys().cloned().collect()
    }

    pub fn waiting_count(&self) -> usize {
        self.lock().places.len()
    }

    /// Wakes as many of the oldest waiting objects as there are free permits.
    fn wake_next(&self, state: MutexGuard<'_, GateState>) {
        let free = self.permits.saturating_sub(state.in_use);
        let next: Vec<TrackKey> = state
            .queue
            .iter()
            .take(free)
            .map(|(_, key)| key.clone())
            .collect();
        drop(state);
        for key in &next {
            (self.wake)(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> TrackKey {
        TrackKey {
            namespace: "ns".into(),
            name: name.into(),
            uid: name.into(),
        }
    }

    fn gate(permits: usize) -> (Arc<StartGate>, Arc<Mutex<Vec<String>>>) {
        let woken: Arc<Mutex<Vec<String>>> = Arc::default();
        let record = woken.clone();
        let wake: Wake = Arc::new(move |k: &TrackKey| record.lock().unwrap().push(k.name.clone()));
        (StartGate::new(permits, wake), woken)
    }

    #[test]
    fn starts_are_bounded_and_served_oldest_first() {
        let (gate, woken) = gate(2);
        let a = gate.try_enter(&key("a"), 1).unwrap();
        // Created later, but it comes first: it takes the second permit.
        let _b = gate.try_enter(&key("b"), 5).unwrap();
        assert!(gate.try_enter(&key("c"), 4).is_none());
        assert!(gate.try_enter(&key("d"), 3).is_none());
        // d is older than c: when a permit frees, d is woken and only d may enter.
        drop(a);
        assert_eq!(*woken.lock().unwrap(), ["d"]);
        assert!(gate.try_enter(&key("c"), 4).is_none());
        assert!(gate.try_enter(&key("d"), 3).is_some());
        assert_eq!(gate.waiting(), [key("c")]);
        assert_eq!(gate.waiting_count(), 1);
    }

    #[test]
    fn an_object_that_leaves_the_queue_lets_the_next_one_in() {
        let (gate, woken) = gate(1);
        let held = gate.try_enter(&key("a"), 1).unwrap();
        assert!(gate.try_enter(&key("b"), 2).is_none());
        assert!(gate.try_enter(&key("c"), 3).is_none());
        // b asks again: its place is kept, not duplicated.
        assert!(gate.try_enter(&key("b"), 2).is_none());
        drop(held);
        assert_eq!(*woken.lock().unwrap(), ["b"]);
        // b was deleted before its turn: c is next.
        gate.leave(&key("b"));
        assert_eq!(*woken.lock().unwrap(), ["b", "c"]);
        assert!(gate.try_enter(&key("c"), 3).is_some());
        assert!(gate.waiting().is_empty());
        // Leaving when not queued is a no-op.
        gate.leave(&key("zz"));
    }
}
