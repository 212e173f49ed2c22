//! The FlowExecution's status: what the cloud last said about the current
//! run, the runs before it, and the conditions.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What the cloud last said about the execution, verbatim, plus conditions.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FlowExecutionStatus {
    /// The cloud's Status verbatim (Starting, Running, Succeeded, Failed,
    /// TimedOut, Stopped); `Pending` before the cloud has answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_time: Option<String>,
    /// The execution's Output string, verbatim: whole up to 64 KiB (the
    /// operator's `--status-output-max-bytes`), else its first bytes only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// True when `output` holds only the first bytes of a larger Output. The
    /// whole Output goes to `spec.outputTo` (up to the 1 MiB a ConfigMap or
    /// Secret holds) and `kubectl fnf output` reads it from the cloud.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_truncated: Option<bool>,
    /// Error and cause of a Failed, TimedOut or Stopped execution, from its
    /// history's final event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// RequestId of the cloud response that produced the current state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The last step the execution entered, from its history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_step: Option<String>,
    /// Steps entered so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_count: Option<i64>,
    /// Why the operator stopped the execution: `StoppedByUser` (spec.stop) or
    /// `DeadlineExceeded` (activeDeadlineSeconds). Written before the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_reason: Option<String>,
    /// Where the Output was written (`ConfigMap/name` or `Secret/name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_written_to: Option<String>,
    /// True when the operator joined an execution it did not start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adopted: Option<bool>,
    /// The current run's attempt: 1 for the first, 2 for the first retry, ….
    /// Written before each StartExecution, so a restart never starts one twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<i32>,
    /// The short hash of the declaration the current run belongs to (flow,
    /// qualifier, input, runKey; Secret values never, only their names).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_identity: Option<String>,
    /// The last finished runs, newest first, at most 10.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 10))]
    pub runs: Vec<RunRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}

/// A standard Kubernetes condition (the shape kstatus, Flux and Argo CD read).
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    #[serde(rename = "type")]
    pub type_: String,
    /// True, False or Unknown.
    pub status: String,
    pub reason: String,
    #[serde(default)]
    pub message: String,
    pub last_transition_time: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
}

/// The most finished runs `status.runs` keeps.
pub const RUNS_MAX: usize = 10;

/// A finished run, as `status.runs` lists it.
#[derive(Deserialize, Serialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RunRecord {
    pub execution_name: String,
    /// The cloud's final Status (Succeeded, Failed, TimedOut, Stopped).
    pub phase: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<i32>,
    /// The declaration's short hash (see `status.runIdentity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_identity: Option<String>,
}

/// `runs` with `finished` in front: a record of the same execution is
/// replaced, not repeated, and only the newest [`RUNS_MAX`] are kept. Pure.
pub fn runs_with(runs: &[RunRecord], finished: RunRecord) -> Vec<RunRecord> {
    let older: Vec<RunRecord> = runs
        .iter()
        .filter(|r| r.execution_name != finished.execution_name)
        .take(RUNS_MAX.saturating_sub(1))
        .cloned()
        .collect();
    std::iter::once(finished).chain(older).collect()
}

impl FlowExecutionStatus {
    pub fn condition(&self, type_: &str) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.type_ == type_)
    }
}

/// The top-level status fields set in `persisted` that `next` leaves out. A
/// server-side apply only removes fields that no other field manager owns,
/// so a field another client wrote must be removed explicitly.
pub fn fields_dropped<S: Serialize>(persisted: &S, next: &S) -> Vec<String> {
    let keys = |status: &S| match serde_json::to_value(status) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    };
    let kept = keys(next);
    keys(persisted)
        .into_iter()
        .filter(|k| !kept.contains(k))
        .collect()
}

/// Condition types, in the order they are written.
pub mod condition_type {
    pub const SUCCEEDED: &str = "Succeeded";
    pub const COMPLETED: &str = "Completed";
    pub const READY: &str = "Ready";
    pub const RECONCILING: &str = "Reconciling";
    pub const STALLED: &str = "Stalled";
    pub const CLOUD_REACHABLE: &str = "CloudReachable";
}

/// The cloud's execution Status values. Unknown values are kept verbatim and
/// treated as not terminal.
pub mod phase {
    pub const PENDING: &str = "Pending";
    pub const STARTING: &str = "Starting";
    pub const RUNNING: &str = "Running";
    pub const SUCCEEDED: &str = "Succeeded";
    pub const FAILED: &str = "Failed";
    pub const TIMED_OUT: &str = "TimedOut";
    pub const STOPPED: &str = "Stopped";

    pub fn is_terminal(phase: &str) -> bool {
        matches!(phase, SUCCEEDED | FAILED | TIMED_OUT | STOPPED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(execution_name: &str) -> RunRecord {
        RunRecord {
            execution_name: execution_name.to_string(),
            phase: "Succeeded".to_string(),
            ..RunRecord::default()
        }
    }

    #[test]
    fn runs_keep_the_newest_ten_newest_first_without_repeats() {
        let mut runs = Vec::new();
        for i in 0..12 {
            runs = runs_with(&runs, record(&format!("run-{i}")));
        }
        let names: Vec<&str> = runs.iter().map(|r| r.execution_name.as_str()).collect();
        let expected: Vec<String> = (2..12).rev().map(|i| format!("run-{i}")).collect();
        assert_eq!(names, expected);

        let again = runs_with(&runs, record("run-5"));
        assert_eq!(again.len(), RUNS_MAX);
        assert_eq!(again[0].execution_name, "run-5");
        assert_eq!(
            again.iter().filter(|r| r.execution_name == "run-5").count(),
            1
        );
    }
}
