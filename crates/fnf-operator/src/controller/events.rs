//! Which Events a status change deserves. Pure: Events follow transitions
//! between the persisted status and the next one, so a repeated decision with
//! nothing new emits nothing.

use super::view::{CloudView, ProblemKind};
use crate::crd::{FlowExecutionStatus, condition_type as ct, phase};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    Normal,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventNote {
    pub kind: EventKind,
    /// Stable, CamelCase: Started, Adopted, Running, Succeeded, Failed, TimedOut,
    /// Stopped, StopRequested, or the client's reason for a cloud error.
    pub reason: String,
    /// What the operator did, for events.k8s.io's `action`.
    pub action: String,
    pub note: String,
}

impl EventNote {
    pub fn normal(reason: &str, action: &str, note: String) -> Self {
        Self {
            kind: EventKind::Normal,
            reason: reason.into(),
            action: action.into(),
            note,
        }
    }

    pub fn warning(reason: &str, action: &str, note: String) -> Self {
        Self {
            kind: EventKind::Warning,
            reason: reason.into(),
            action: action.into(),
            note,
        }
    }
}

pub fn transitions(
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
                "Adopted",
                "AdoptExecution",
                format!(
                    "{target} already existed; mirroring it instead of starting another{request}"
                ),
            ));
        } else {
            notes.push(EventNote::normal(
                "Started",
                "StartExecution",
                format!("started {target}{request}"),
            ));
        }
    }
    if old_phase != new_phase {
        match new_phase {
            phase::RUNNING => notes.push(EventNote::normal(
                "Running",
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
            "OutputWritten",
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
mod limits_tests {
    use super::*;

    #[test]
    fn a_long_note_is_shortened_on_a_character_boundary_with_a_marker() {
        let note = format!("flow ended Failed: {}", "é€😀x".repeat(1500));
        let fitted = fit_note(&note);
        assert!(fitted.len() <= NOTE_MAX_BYTES, "{}", fitted.len());
        assert!(fitted.ends_with(SHORTENED_MARKER));
        assert!(fitted.starts_with("flow ended Failed: é€😀x"));
        assert_eq!(fit_note("short"), "short");
        let exact = "a".repeat(NOTE_MAX_BYTES);
        assert_eq!(fit_note(&exact), exact);
    }

    #[test]
    fn notes_are_cleaned_of_terminal_escapes() {
        assert_eq!(fit_note("boom \u{1b}[2J"), "boom [2J");
    }

    #[test]
    fn event_names_are_valid_for_any_object_name() {
        let nanos = u128::from(u64::MAX) * 1000;
        assert_eq!(event_name("run", 255), "run.ff");
        for name in [
            "a".repeat(253),
            format!("{}.b", "a".repeat(230)),
            format!("{}-{}", "a".repeat(235), "b".repeat(17)),
            format!("{}.{}", "a".repeat(236), "b".repeat(16)),
        ] {
            let event = event_name(&name, nanos);
            assert!(event.len() <= EVENT_NAME_MAX_CHARS, "{event}");
            for label in event.split('.') {
                assert!(!label.is_empty(), "{event}");
                assert!(!label.starts_with('-') && !label.ends_with('-'), "{event}");
            }
        }
        assert_ne!(
            event_name(&format!("{}x", "a".repeat(252)), 1),
            event_name(&format!("{}y", "a".repeat(252)), 1)
        );
    }
}
