//! What the emulator has seen: calls per action and per answer code, and the
//! executions StartExecution actually created per (flow, execution name). The
//! proof tests use that a retried start created nothing twice.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// The code counted for a successful answer.
pub const CODE_OK: &str = "OK";
/// The code counted for a connection closed without an answer by a fault.
pub const CODE_DROPPED: &str = "ConnectionDropped";

/// A snapshot of the counters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// action -> answer code -> calls.
    pub calls: BTreeMap<String, BTreeMap<String, u64>>,
    /// flow -> execution name -> executions created.
    pub executions_created: BTreeMap<String, BTreeMap<String, u64>>,
    /// DescribeExecution long-polls being held right now.
    pub held_long_polls: u64,
}

impl Counters {
    /// Every call of `action`, whatever the answer.
    pub fn calls(&self, action: &str) -> u64 {
        self.calls
            .get(action)
            .map_or(0, |codes| codes.values().sum())
    }

    /// Calls of `action` answered with `code` (`"OK"` for success).
    pub fn calls_with_code(&self, action: &str, code: &str) -> u64 {
        self.calls
            .get(action)
            .and_then(|codes| codes.get(code))
            .copied()
            .unwrap_or(0)
    }

    pub fn executions_created(&self, flow: &str, execution: &str) -> u64 {
        self.executions_created
            .get(flow)
            .and_then(|names| names.get(execution))
            .copied()
            .unwrap_or(0)
    }

    pub fn total_created(&self) -> u64 {
        self.executions_created
            .values()
            .flat_map(|names| names.values())
            .sum()
    }
}

#[derive(Default)]
pub struct CounterStore {
    inner: Mutex<Counters>,
    held_long_polls: AtomicU64,
}

/// Counts one held long-poll for as long as it lives.
pub struct HeldLongPoll<'a>(&'a AtomicU64);

impl Drop for HeldLongPoll<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl CounterStore {
    pub fn record_call(&self, action: &str, code: &str) {
        let mut c = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *c.calls
            .entry(action.to_string())
            .or_default()
            .entry(code.to_string())
            .or_default() += 1;
    }

    pub fn record_created(&self, flow: &str, execution: &str) {
        let mut c = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *c.executions_created
            .entry(flow.to_string())
            .or_default()
            .entry(execution.to_string())
            .or_default() += 1;
    }

    pub fn hold_long_poll(&self) -> HeldLongPoll<'_> {
        self.held_long_polls.fetch_add(1, Ordering::Relaxed);
        HeldLongPoll(&self.held_long_polls)
    }

    pub fn snapshot(&self) -> Counters {
        let mut snapshot = self.inner.lock().unwrap_or_else(|e| e.into_inner()).clone();
        snapshot.held_long_polls = self.held_long_polls.load(Ordering::Relaxed);
        snapshot
    }
}
