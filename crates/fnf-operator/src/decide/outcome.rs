//! What a decision asks of the thin layer: the next step for a live object,
//! and what deleting one requires. Plain data.

use std::time::Duration;

/// What the thin layer does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// Call StartExecution. Only ever returned once the execution name is in the
    /// persisted status, so a restart can tell that a start may have happened.
    Start,
    /// Ask DescribeExecution (no wait) whether the execution exists.
    Describe,
    /// Keep a poll on the execution; its answers trigger the next decision.
    /// Decide again after `recheck_after` even without news (a deadline).
    Watch { recheck_after: Option<Duration> },
    /// Read the failure detail of an ended execution from its history.
    FetchFailure,
    /// Call StopExecution with this Error and Cause (spec.stop or the deadline).
    Stop { error: &'static str, cause: String },
    /// Write the Output to spec.outputTo.
    ExportOutput,
    /// Delete the FlowExecution: its TTL after the end has passed.
    Delete,
    /// Nothing to do now; decide again after this long.
    Retry(Duration),
    /// Final: no more cloud calls for this object.
    Done,
}

/// What deleting the object requires.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeletionStep {
    /// No finalizer of ours: nothing to do.
    None,
    /// Stop the execution, then remove the finalizer.
    StopThenRelease,
    /// Remove the finalizer without calling the cloud.
    Release,
}

/// With no client (a missing Secret, a bad region) the problem is in the
/// view and the decision holds the retry; this only covers a wake-up that
/// never came (the Secret watch usually wakes it sooner).
pub const NO_CLIENT_RECHECK: Duration = Duration::from_secs(30);

impl Next {
    /// Whether the status write waits for this step: an ending's failure
    /// detail is one call away, so the ending is written once, with it —
    /// unless that call already failed in this reconcile.
    pub fn defers_write(&self, failed_before: bool) -> bool {
        *self == Next::FetchFailure && !failed_before
    }
}
