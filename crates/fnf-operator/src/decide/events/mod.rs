//! The one module that builds Events: which Events a decision deserves, and
//! the Events the thin layer reports (a stop it asked for, an Output it could
//! not write, a failed step, an object it cannot read). Every reason is a
//! constant of [`reason`] and listed in [`REASONS`]. Pure: Events follow
//! transitions between the persisted status and the next one, so a repeated
//! decision with nothing new emits nothing.

pub mod cron;
mod decision;
pub mod flow;
pub mod runs;

pub use decision::{DELETION_WAITS, Transition, for_decision};

use crate::crd::phase;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Normal,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventNote {
    pub kind: EventKind,
    /// Stable, CamelCase: one of [`REASONS`], or the client's reason for a
    /// cloud error (bounded by `fnf_client`'s list of codes).
    pub reason: String,
    /// What the operator did, for events.k8s.io's `action`.
    pub action: String,
    pub note: String,
}

impl EventNote {
    fn normal(reason: &str, action: &str, note: String) -> Self {
        Self {
            kind: EventKind::Normal,
            reason: reason.into(),
            action: action.into(),
            note,
        }
    }

    fn warning(reason: &str, action: &str, note: String) -> Self {
        Self {
            kind: EventKind::Warning,
            reason: reason.into(),
            action: action.into(),
            note,
        }
    }
}

/// The reasons of the Events the operator itself names. Cloud trouble and
/// refusals carry the client's reason for the error (or the access problem's).
pub mod reason {
    pub const STARTED: &str = "Started";
    pub const ADOPTED: &str = "Adopted";
    pub const OUTPUT_WRITTEN: &str = "OutputWritten";
    pub const OUTPUT_NOT_WRITTEN: &str = "OutputNotWritten";
    pub const OUTPUT_TRUNCATED: &str = "OutputTruncated";
    pub const STOP_REQUESTED: &str = "StopRequested";
    pub const STOP_NOT_ALLOWED: &str = "StopNotAllowed";
    /// Also the reason of the conditions of an object whose `spec.stop` came
    /// before anything started.
    pub const STOPPED_BEFORE_START: &str = "StoppedBeforeStart";
    pub const DELETION_WAITING: &str = "DeletionWaiting";
    pub const STEP_FAILED: &str = "StepFailed";
    /// A refused foreign execution name (also the condition's reason).
    pub const EXECUTION_NAME_NOT_ALLOWED: &str = "ExecutionNameNotAllowed";
    pub const INPUT_TOO_LARGE: &str = "InputTooLarge";
    // CronFlowExecution (see `cron`).
    pub const RUN_CREATED: &str = "RunCreated";
    pub const RUN_SKIPPED: &str = "RunSkipped";
    pub const RUN_REPLACED: &str = "RunReplaced";
    pub const RUN_DELETED: &str = "RunDeleted";
    pub const MISSED_SCHEDULE: &str = "MissedSchedule";
    pub const TOO_MANY_MISSED_TIMES: &str = "TooManyMissedTimes";
    /// Also the reasons of the Ready condition of a CronFlowExecution.
    pub const SCHEDULED: &str = "Scheduled";
    /// Condition reasons of the run planner (`runs`): a new declaration
    /// waiting for (or replacing) the previous run, a retry's wait,
    /// and `spec.suspend` (an unreadable `inputFrom` source gives its own).
    pub const WAITING_FOR_PREVIOUS_RUN: &str = "WaitingForPreviousRun";
    pub const RETRY_SCHEDULED: &str = "RetryScheduled";
    pub const SUSPENDED: &str = "Suspended";
    /// The condition reason of an execution whose flow's `Flow` object is not
    /// Ready yet: it waits without calling the cloud.
    pub const FLOW_NOT_READY: &str = "FlowNotReady";
}

/// Every reason an Event of the operator's own may carry: the constants of
/// [`reason`], the phases an execution ends in, the refusals `identity` and
/// `watched` name, and the problems found before any call (`cloud`).
#[cfg_attr(
    not(test),
    allow(
        dead_code,
        reason = "the catalogue readers and the tests check against"
    )
)]
pub const REASONS: &[&str] = &[
    reason::STARTED,
    reason::ADOPTED,
    phase::SUCCEEDED,
    phase::FAILED,
    phase::TIMED_OUT,
    phase::STOPPED,
    reason::OUTPUT_WRITTEN,
    reason::OUTPUT_NOT_WRITTEN,
    reason::OUTPUT_TRUNCATED,
    reason::STOP_REQUESTED,
    reason::STOP_NOT_ALLOWED,
    reason::STOPPED_BEFORE_START,
    reason::DELETION_WAITING,
    reason::STEP_FAILED,
    reason::EXECUTION_NAME_NOT_ALLOWED,
    reason::INPUT_TOO_LARGE,
    reason::WAITING_FOR_PREVIOUS_RUN,
    reason::RETRY_SCHEDULED,
    reason::SUSPENDED,
    "InputSourceNotFound",
    "InputSourceInvalid",
    "InputSourceUnreadable",
    reason::FLOW_NOT_READY,
    flow::reason::FLOW_CREATED,
    flow::reason::FLOW_UPDATED,
    flow::reason::FLOW_DRIFT_CORRECTED,
    flow::reason::FLOW_DELETED,
    flow::reason::FLOW_ADOPTED,
    flow::reason::UP_TO_DATE,
    flow::reason::OBSERVED,
    flow::reason::CREATING,
    flow::reason::UPDATING,
    flow::reason::FLOW_NOT_FOUND,
    flow::reason::EXECUTION_MODE_IMMUTABLE,
    flow::reason::INVALID_FLOW_NAME,
    flow::reason::CLOUD_UNREACHABLE,
    "ExecutionNameInUse",
    "InputTooDeep",
    "Undecodable",
    "InvalidRegion",
    "NoCredentials",
    "SecretCredentialsDisabled",
    "SecretNotFound",
    "SecretUnreadable",
    "SecretKeyMissing",
    reason::RUN_CREATED,
    reason::RUN_SKIPPED,
    reason::RUN_REPLACED,
    reason::RUN_DELETED,
    reason::MISSED_SCHEDULE,
    reason::TOO_MANY_MISSED_TIMES,
    reason::SCHEDULED,
    "InvalidSchedule",
    "UnknownTimeZone",
];

/// The cloud accepted a StopExecution (asked by `spec.stop`, the deadline or
/// a deletion).
pub fn stop_requested(cause: &str) -> EventNote {
    EventNote::normal(
        reason::STOP_REQUESTED,
        "StopExecution",
        format!("asked the cloud to stop: {cause}"),
    )
}

/// The Output could not be written to `spec.outputTo`: why.
pub fn output_not_written(why: &str) -> EventNote {
    EventNote::warning(reason::OUTPUT_NOT_WRITTEN, "WriteOutput", why.to_string())
}

/// A step of a running execution failed (read from its history).
pub fn step_failed(step: &str, execution: &str, detail: &str) -> EventNote {
    EventNote::warning(
        reason::STEP_FAILED,
        "GetExecutionHistory",
        format!("step {step} of execution {execution} failed: {detail}"),
    )
}

/// An object the operator cannot read (see `watch::watched`), with the
/// reason that names why.
pub fn unreadable(reason: &str, message: &str) -> EventNote {
    EventNote::warning(reason, "ReadFlowExecution", message.to_string())
}

/// events.k8s.io refuses an Event whose `note` is over 1 KiB (in bytes).
pub const NOTE_MAX_BYTES: usize = 1024;
const SHORTENED_MARKER: &str =
    " […shortened: the whole text is in the status or the execution's history]";
/// An object name may be 253 characters; an Event name must be too.
const EVENT_NAME_MAX_CHARS: usize = 253;

/// The note as published: cleaned of control characters (kubectl prints it
/// verbatim) and, when over the API's limit, cut on a character boundary with
/// a marker, so the Event is shortened rather than refused.
pub fn fit_note(note: &str) -> String {
    let clean = super::clean::cloud_text(note);
    if clean.len() <= NOTE_MAX_BYTES {
        return clean;
    }
    let mut cut = NOTE_MAX_BYTES - SHORTENED_MARKER.len();
    while !clean.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{SHORTENED_MARKER}", &clean[..cut])
}

/// A valid, unique Event name for an object of any valid name: kube's
/// `{name}.{nanos}` goes over 253 characters for names over ~236. A long name
/// is cut (never ending in `.` or `-`, which would leave an empty or invalid
/// DNS label) and a hash of the whole name keeps objects sharing a prefix apart.
pub fn event_name(object: &str, nanos: u128) -> String {
    let suffix = format!(".{nanos:x}");
    if object.len() + suffix.len() <= EVENT_NAME_MAX_CHARS {
        return format!("{object}{suffix}");
    }
    use sha2::Digest as _;
    let hash = hex::encode(&sha2::Sha256::digest(object.as_bytes())[..4]);
    let keep = EVENT_NAME_MAX_CHARS - suffix.len() - hash.len() - 1;
    // Object names are ASCII (DNS subdomains), so any byte is a boundary;
    // `get` keeps this total for any input.
    let prefix = object
        .get(..keep)
        .unwrap_or_default()
        .trim_end_matches(['.', '-']);
    let prefix = if prefix.is_empty() { "event" } else { prefix };
    format!("{prefix}.{hash}{suffix}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
