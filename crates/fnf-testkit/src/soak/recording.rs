//! What a soak records and the checker reads: plain data, filled by the
//! runner from the emulator's call log, a watch on every object, the
//! operators' logs and metrics, and the fault schedule as it happened.

use serde::{Deserialize, Serialize};

pub use fnf_emulator::{CallRecord, CreatedRecord};

/// An execution as the cloud has it at the end.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloudExecution {
    pub flow: String,
    pub name: String,
    pub status: String,
    pub output: String,
    pub started_time: String,
    pub stopped_time: String,
    /// Real wall time of the end in Unix ms (`None` while it runs).
    pub stopped_at_ms: Option<i64>,
    pub error: Option<String>,
    pub cause: Option<String>,
}

impl CloudExecution {
    pub fn is_terminal(&self) -> bool {
        is_terminal_phase(&self.status)
    }
}

pub fn is_terminal_phase(phase: &str) -> bool {
    matches!(phase, "Succeeded" | "Failed" | "TimedOut" | "Stopped")
}

/// One version of a watched object (FlowExecution, CronFlowExecution, Flow),
/// or its deletion, when the recorder saw it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ObjectVersion {
    pub at_ms: i64,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub deleted: bool,
    /// The whole object as served (metadata, spec, status).
    pub object: serde_json::Value,
}

impl ObjectVersion {
    pub fn key(&self) -> String {
        format!("{}/{}/{}", self.kind, self.namespace, self.name)
    }

    pub fn status(&self) -> &serde_json::Value {
        &self.object["status"]
    }

    pub fn status_str(&self, field: &str) -> Option<&str> {
        self.status()[field].as_str()
    }

    pub fn status_i64(&self, field: &str) -> Option<i64> {
        self.status()[field].as_i64()
    }

    pub fn being_deleted(&self) -> bool {
        self.deleted || !self.object["metadata"]["deletionTimestamp"].is_null()
    }
}

/// A text the operator emitted: a log, the Events, a metrics scrape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmittedText {
    /// Where it came from (`replica-a log`, `events`, `metrics replica-b`).
    pub source: String,
    pub text: String,
}

/// One injected fault as it happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultWindow {
    pub kind: String,
    pub detail: String,
    pub from_ms: i64,
    /// When it cleared (a restarted process: when its replacement started).
    pub to_ms: i64,
}

/// One sample of an operator process's resources.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceSample {
    pub at_ms: i64,
    /// The process incarnation (`replica-a#2`): a restart starts a new series.
    pub process: String,
    pub rss_kib: u64,
    pub open_fds: u64,
}

/// Everything the checker reads.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Recording {
    pub calls: Vec<CallRecord>,
    pub created: Vec<CreatedRecord>,
    pub executions: Vec<CloudExecution>,
    pub versions: Vec<ObjectVersion>,
    pub texts: Vec<EmittedText>,
    pub faults: Vec<FaultWindow>,
    pub samples: Vec<ResourceSample>,
    /// When the soak began (Unix ms): violations give times from here.
    #[serde(default)]
    pub began_ms: i64,
    /// When the recording ended (Unix ms).
    pub ended_ms: i64,
}

/// A secret value the checker looks for, with a label to name it by (the
/// value itself is never printed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownSecret {
    pub label: String,
    pub value: String,
}

/// The checker's bounds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bounds {
    /// Invariant 2: an end reaches the status within this after the end or
    /// after the last fault overlapping it cleared, whichever is later.
    pub end_shown_within_ms: i64,
    /// Invariant 6: a process's RSS may grow by this factor from its first
    /// steady sample (and by at least `rss_slack_kib`) before it counts as a leak.
    pub rss_growth_factor: u64,
    pub rss_slack_kib: u64,
    /// Invariant 6: what a leader's descriptors may add to twice its first
    /// steady sample (a standby's, often) before it counts as a leak.
    pub fd_slack: u64,
    /// Invariant 6: samples before this age of a process are warm-up.
    pub warmup_ms: i64,
    /// Invariant 6: only what stays over the bound this long is a leak. A
    /// burst of calls opens connections for seconds (a follower taking the
    /// Lease resumes every run at once; a latency fault holds calls open),
    /// and a standby's first steady sample is far below what it needs as
    /// the leader.
    pub leak_window_ms: i64,
}

/// DescribeExecution's documented quota, calls a second.
const DESCRIBE_PER_SEC: i64 = 5;
/// The operator's default concurrent reconciles, each with at most one call open.
const RECONCILES: i64 = 16;

impl Bounds {
    /// Invariant 2's bound from the operator's settings: one long-poll, two
    /// sweep rounds, and one Lease takeover (a killed leader's successor
    /// waits out the Lease first).
    pub fn for_settings(long_poll_secs: i64, sweep_round_secs: i64, lease_secs: i64) -> Self {
        Self {
            end_shown_within_ms: (long_poll_secs + 2 * sweep_round_secs + lease_secs) * 1000,
            rss_growth_factor: 2,
            rss_slack_kib: 64 * 1024,
            // A leader holds a connection per long-poll in flight (the quota
            // times the long-poll) and one per reconcile, and its pool keeps as
            // many idle; twice that: connections a fault dropped are replaced
            // before the pool notices. A descriptor per execution (the soak runs
            // ~1,000) would still cross it.
            fd_slack: u64::try_from(2 * (long_poll_secs * DESCRIBE_PER_SEC + RECONCILES))
                .unwrap_or(u64::MAX),
            warmup_ms: 20_000,
            leak_window_ms: 30_000,
        }
    }
}
