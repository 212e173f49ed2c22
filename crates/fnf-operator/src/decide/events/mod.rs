//! The one module that builds Events: which Events a decision deserves, and
//! the Events the thin layer reports (a stop it asked for, an Output it could
//! not write, a failed step, an object it cannot read). Every reason is a
//! constant of [`reason`] and listed in [`REASONS`]. Pure: Events follow
//! transitions between the persisted status and the next one, so a repeated
//! decision with nothing new emits nothing.

pub mod cron;
pub mod flow;
pub mod runs;

use super::conditions::Standing;
use super::output::{full_output, output_target};
use super::view::{CloudView, ProblemKind};
use crate::crd::{FlowExecution, FlowExecutionStatus, Mode, condition_type as ct, phase};

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
    pub const RUNNING: &str = "Running";
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
    reason::RUNNING,
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

/// Event reasons that mark a transition of the execution: each happens once.
pub const TRANSITION_REASONS: &[&str] = &[
    reason::STARTED,
    reason::ADOPTED,
    reason::RUNNING,
    phase::SUCCEEDED,
    phase::FAILED,
    phase::TIMED_OUT,
    phase::STOPPED,
];

/// How the message of an object whose deletion waits for a stop begins.
pub const DELETION_WAITS: &str = "deletion waits";

/// What one decision moves from the persisted status (`old`) to the next.
pub struct Transition<'a> {
    pub fe: &'a FlowExecution,
    pub old: &'a FlowExecutionStatus,
    pub new: &'a FlowExecutionStatus,
    pub cloud: &'a CloudView,
    pub standing: &'a Standing,
    /// The execution has ended.
    pub terminal: bool,
    /// `execution {name} of flow {flow}`, for the notes.
    pub target: &'a str,
}

/// The Events a decision deserves.
pub fn for_decision(t: &Transition<'_>) -> Vec<EventNote> {
    let mut events = transitions(t.old, t.new, t.cloud, t.target);
    events.extend(output_truncated(t));
    // A transition is announced once: correcting a forged status repeats none.
    events.retain(|e| {
        !(TRANSITION_REASONS.contains(&e.reason.as_str()) && t.cloud.announced.contains(&e.reason))
    });
    if t.fe.spec.stop
        && t.fe.spec.mode == Mode::Start
        && t.new.adopted == Some(true)
        && !t.terminal
        && t.old.observed_generation != t.fe.metadata.generation
    {
        events.push(EventNote::warning(
            reason::STOP_NOT_ALLOWED,
            "StopExecution",
            format!("{} was adopted, not started by this FlowExecution: spec.stop does not stop it; stop it where it was started", t.target),
        ));
    }
    // Every new stall is announced, also one found before any call (InputTooLarge).
    if let Standing::Refused {
        reason, message, ..
    } = t.standing
    {
        let was = t.old.condition(ct::STALLED).map(|c| c.reason.as_str());
        if was != Some(reason.as_str()) && !events.iter().any(|e| e.reason == *reason) {
            events.push(EventNote::warning(reason, "ValidateSpec", message.clone()));
        }
    }
    events.extend(live_events(t.old, t.standing));
    events.extend(runs::planned(t.old, t.standing));
    events
}

/// Events of a live object that no status field shows a transition of: a
/// stop that came before the start, and a deletion that must wait.
fn live_events(old: &FlowExecutionStatus, standing: &Standing) -> Vec<EventNote> {
    let was = |type_: &str| {
        old.condition(type_)
            .map(|c| (c.reason.as_str(), c.message.as_str()))
    };
    let (_, ready_before) = was(ct::READY).unwrap_or_default();
    let completed_before = was(ct::COMPLETED).map(|(reason, _)| reason);
    match standing {
        Standing::Ended { reason, message }
            if reason == reason::STOPPED_BEFORE_START
                && completed_before != Some(reason.as_str()) =>
        {
            vec![EventNote::normal(reason, "StopExecution", message.clone())]
        }
        Standing::InProgress { message, .. } | Standing::Refused { message, .. }
            if message.starts_with(DELETION_WAITS) && !ready_before.starts_with(DELETION_WAITS) =>
        {
            vec![EventNote::warning(
                reason::DELETION_WAITING,
                "StopExecution",
                message.clone(),
            )]
        }
        _ => Vec::new(),
    }
}

fn transitions(
    old: &FlowExecutionStatus,
    new: &FlowExecutionStatus,
    cloud: &CloudView,
    target: &str,
) -> Vec<EventNote> {
    let mut notes = Vec::new();
    let old_phase = old.phase.as_deref().unwrap_or(phase::PENDING);
    let new_phase = new.phase.as_deref().unwrap_or(phase::PENDING);
    let request = new
        .request_id
        .as_deref()
        .map(|id| format!(" (RequestId {id})"))
        .unwrap_or_default();

    if old_phase == phase::PENDING && new_phase != phase::PENDING {
        if new.adopted == Some(true) {
            notes.push(EventNote::normal(
                reason::ADOPTED,
                "AdoptExecution",
                format!(
                    "{target} already existed; mirroring it instead of starting another{request}"
                ),
            ));
        } else {
            notes.push(EventNote::normal(
                reason::STARTED,
                "StartExecution",
                format!("started {target}{request}"),
            ));
        }
    }
    if old_phase != new_phase {
        match new_phase {
            phase::RUNNING => notes.push(EventNote::normal(
                reason::RUNNING,
                "DescribeExecution",
                format!("{target} is Running"),
            )),
            phase::SUCCEEDED | phase::STOPPED => notes.push(EventNote::normal(
                new_phase,
                "DescribeExecution",
                format!("{target} ended {new_phase}{request}"),
            )),
            phase::FAILED | phase::TIMED_OUT => {
                let detail = [new.error.as_deref(), new.cause.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(": ");
                notes.push(EventNote::warning(
                    new_phase,
                    "DescribeExecution",
                    format!("{target} ended {new_phase}: {detail}{request}"),
                ));
            }
            _ => {}
        }
    }

    // Also when a changed spec.outputTo moved the Output to another object.
    if let Some(written) = new
        .output_written_to
        .as_ref()
        .filter(|w| old.output_written_to.as_ref() != Some(*w))
    {
        notes.push(EventNote::normal(
            reason::OUTPUT_WRITTEN,
            "WriteOutput",
            format!("wrote the Output of {target} to {written}"),
        ));
    }
    if let Some(problem) = &cloud.problem {
        let condition = if problem.kind == ProblemKind::Transient {
            ct::CLOUD_REACHABLE
        } else {
            ct::SUCCEEDED
        };
        let was = old.condition(condition).map(|c| c.reason.as_str());
        if was != Some(problem.reason.as_str()) {
            let request = problem
                .request_id
                .as_deref()
                .map(|id| format!(" (RequestId {id})"))
                .unwrap_or_default();
            notes.push(EventNote::warning(
                &problem.reason,
                "CallCloud",
                format!("{}{request}", problem.message),
            ));
        }
    }
    notes
}

/// The Warning that the status no longer holds the whole Output, once, when
/// `outputTruncated` turns true.
fn output_truncated(t: &Transition<'_>) -> Option<EventNote> {
    let (fe, old, new, cloud, target) = (t.fe, t.old, t.new, t.cloud, t.target);
    if new.output_truncated != Some(true) || old.output_truncated == Some(true) {
        return None;
    }
    let held = new.output.as_deref().map_or(0, str::len);
    let size = full_output(cloud).map_or_else(
        || format!("more than {held} bytes"),
        |o| format!("{} bytes", o.len()),
    );
    let whole = match fe.spec.output_to.as_ref().and_then(output_target) {
        Some(object) => format!("the whole Output goes to {object} (spec.outputTo) and "),
        None => "the whole Output ".to_string(),
    };
    Some(EventNote::warning(
        reason::OUTPUT_TRUNCATED,
        "WriteStatus",
        format!(
            "the Output of {target} is {size}: status.output holds its first {held} bytes (status.outputTruncated=true); {whole}`kubectl fnf output {} -n {}` reads it from the cloud",
            fe.metadata.name.as_deref().unwrap_or_default(),
            fe.metadata.namespace.as_deref().unwrap_or_default(),
        ),
    ))
}

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
