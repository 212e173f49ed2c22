//! The spec's run fields: when a declaration runs (`runPolicy`,
//! `whileRunning`), how failed runs are retried, and where input fields come
//! from. Types and small pure helpers only: the decision to start, stop or
//! retry is the controller's.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::phase;
use super::schema;

// When a FlowExecution runs its flow. (No doc comment: it would replace the
// field's in the schema, as `kubectl explain` shows it.)
#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum RunPolicy {
    /// Each distinct declaration (flowName, qualifier, input, inputFrom,
    /// runKey) runs once; editing one runs again.
    OnChange,
    /// One run per object; the declaration is immutable.
    Once,
}

/// What a new declaration does while the current run is live.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
pub enum WhileRunning {
    /// Start the new run when the live one has ended.
    #[default]
    Wait,
    /// Stop the live run (StopExecution), then start the new one.
    Replace,
}

/// The most attempts after the first that `retry.limit` allows.
pub const RETRY_LIMIT_MAX: i32 = 100;
/// The longest wait between attempts: the doubling stops here.
pub const RETRY_BACKOFF_MAX_SECS: i64 = 600;
const RETRY_BACKOFF_DEFAULT_SECS: i64 = 10;

/// Run again after a run ends in one of the listed phases.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Retry {
    /// Attempts after the first, at most 100: `limit: 2` makes at most three runs.
    #[schemars(range(min = 0, max = 100))]
    pub limit: i32,
    /// The phases that earn another attempt. Default `[Failed, TimedOut]`;
    /// `Stopped` only when listed, and never after a stop that `spec.stop` or
    /// `activeDeadlineSeconds` asked for.
    #[serde(default = "default_retry_on")]
    #[schemars(extend("x-kubernetes-list-type" = "set"), length(max = 3))]
    pub on: Vec<RetryOn>,
    /// The wait before the second attempt; each later wait doubles it, up to
    /// 10 minutes. Default 10.
    #[serde(default = "default_backoff_seconds")]
    #[schemars(range(min = 1, max = 600))]
    pub backoff_seconds: i64,
}

/// A run's final phase that `retry.on` can list.
#[derive(Deserialize, Serialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
pub enum RetryOn {
    Failed,
    TimedOut,
    Stopped,
}

impl RetryOn {
    /// The cloud's Status this stands for.
    pub fn phase(self) -> &'static str {
        match self {
            RetryOn::Failed => phase::FAILED,
            RetryOn::TimedOut => phase::TIMED_OUT,
            RetryOn::Stopped => phase::STOPPED,
        }
    }
}

fn default_retry_on() -> Vec<RetryOn> {
    vec![RetryOn::Failed, RetryOn::TimedOut]
}

fn default_backoff_seconds() -> i64 {
    RETRY_BACKOFF_DEFAULT_SECS
}

impl Retry {
    /// Whether a run that ended in `final_phase` is of a kind this retries
    /// (whether attempts are left, and why a run stopped, the caller checks).
    pub fn covers(&self, final_phase: &str) -> bool {
        self.on.iter().any(|on| on.phase() == final_phase)
    }

    /// The wait before attempt `attempt` (2 is the first retry): the backoff,
    /// doubled per attempt after that, capped at 10 minutes.
    pub fn delay_before(&self, attempt: i32) -> Duration {
        let doublings = u32::try_from(attempt.saturating_sub(2)).unwrap_or(0);
        let base = self.backoff_seconds.clamp(1, RETRY_BACKOFF_MAX_SECS);
        let secs = base
            .checked_mul(2_i64.checked_pow(doublings).unwrap_or(i64::MAX))
            .unwrap_or(i64::MAX)
            .min(RETRY_BACKOFF_MAX_SECS);
        Duration::from_secs(secs.unsigned_abs())
    }
}

/// One top-level input field from a key of a ConfigMap or a Secret.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = schema::input_field_source_rules()))]
pub struct InputFieldSource {
    /// The top-level input field to set.
    #[schemars(length(min = 1, max = 128))]
    pub field: String,
    /// A key of a ConfigMap in this namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map_key_ref: Option<ObjectKeyRef>,
    /// A key of a Secret in this namespace. Its value goes to the cloud only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_key_ref: Option<ObjectKeyRef>,
    /// Parse the value as JSON (an object, a number, …) instead of taking it
    /// as a string.
    #[serde(default)]
    pub as_json: bool,
}

/// A key of a ConfigMap or Secret in the FlowExecution's own namespace.
#[derive(Deserialize, Serialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ObjectKeyRef {
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    #[schemars(regex(pattern = r"^[-._a-zA-Z0-9]+$"), length(min = 1, max = 253))]
    pub key: String,
}

/// Where an input field's value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputSourceKind {
    ConfigMap,
    Secret,
}

impl InputFieldSource {
    /// The object and key to read, and of which kind. `None` only for an
    /// entry the apiserver would refuse (neither or both refs).
    pub fn source(&self) -> Option<(InputSourceKind, &ObjectKeyRef)> {
        match (&self.config_map_key_ref, &self.secret_key_ref) {
            (Some(config_map), None) => Some((InputSourceKind::ConfigMap, config_map)),
            (None, Some(secret)) => Some((InputSourceKind::Secret, secret)),
            _ => None,
        }
    }

    /// Whether the value comes from a Secret (and so must never leave the
    /// call to the cloud). An entry naming both counts as one.
    pub fn is_secret(&self) -> bool {
        self.secret_key_ref.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn retry(backoff_seconds: i64) -> Retry {
        Retry {
            limit: 5,
            on: default_retry_on(),
            backoff_seconds,
        }
    }

    #[test]
    fn the_wait_doubles_from_the_backoff_and_stops_at_ten_minutes() {
        let waits: Vec<u64> = (2..=9)
            .map(|attempt| retry(10).delay_before(attempt).as_secs())
            .collect();
        assert_eq!(waits, [10, 20, 40, 80, 160, 320, 600, 600]);
        assert_eq!(retry(10).delay_before(i32::MAX).as_secs(), 600);
        assert_eq!(retry(1).delay_before(1).as_secs(), 1);
    }

    #[test]
    fn retry_defaults_to_failed_and_timed_out_but_never_stopped() {
        let retry: Retry = serde_json::from_value(serde_json::json!({"limit": 2})).unwrap();
        assert_eq!(retry.backoff_seconds, 10);
        assert!(retry.covers(phase::FAILED) && retry.covers(phase::TIMED_OUT));
        assert!(!retry.covers(phase::STOPPED) && !retry.covers(phase::SUCCEEDED));
    }

    #[test]
    fn an_input_source_names_its_kind() {
        let entry: InputFieldSource = serde_json::from_value(serde_json::json!({
            "field": "token", "secretKeyRef": {"name": "api", "key": "token"}
        }))
        .unwrap();
        assert!(entry.is_secret());
        assert_eq!(
            entry.source().map(|(kind, _)| kind),
            Some(InputSourceKind::Secret)
        );
        assert!(!entry.as_json);
    }
}
