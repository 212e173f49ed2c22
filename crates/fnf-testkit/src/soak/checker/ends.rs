//! Invariant 2: an execution that ended in the cloud while its object showed
//! it as the current one is shown ended in that object (as the current run
//! or in `status.runs`) within the bound after the end, or after the last
//! fault overlapping that wait cleared, whichever is later.

use super::super::recording::{
    Bounds, CloudExecution, FaultWindow, ObjectVersion, Recording, is_terminal_phase,
};
use super::owners::{Owners, identity_in_name};
use super::{Violation, at, context};

/// The end of the wait: faults that begin before the deadline push it to
/// their own clearing plus the bound.
pub fn deadline(ended_ms: i64, faults: &[FaultWindow], bound_ms: i64) -> i64 {
    let mut cleared = ended_ms;
    let mut windows: Vec<&FaultWindow> = faults.iter().collect();
    windows.sort_by_key(|w| w.from_ms);
    for w in windows {
        if w.from_ms <= cleared + bound_ms && w.to_ms > cleared {
            cleared = w.to_ms;
        }
    }
    cleared + bound_ms
}

fn shows_ended(v: &ObjectVersion, execution: &str) -> bool {
    let current = v.status_str("executionName") == Some(execution)
        && v.status_str("phase").is_some_and(is_terminal_phase);
    let in_runs = v.status()["runs"].as_array().is_some_and(|runs| {
        runs.iter().any(|r| {
            r["executionName"].as_str() == Some(execution)
                && r["phase"].as_str().is_some_and(is_terminal_phase)
        })
    });
    current || in_runs
}

/// The object's current run is this execution: named so, or (before the
/// start's answer came back) declared with the identity and attempt its
/// run name carries.
fn is_current(v: &ObjectVersion, execution: &str) -> bool {
    if v.status_str("executionName") == Some(execution) {
        return true;
    }
    let declared = v
        .status_str("runIdentity")
        .map(|identity| (identity.to_string(), v.status_i64("attempt").unwrap_or(1)));
    declared.is_some() && identity_in_name(execution) == declared
}

/// An end invariant 2 judges: its execution, object, the object's version
/// when it ended, the end, and the deadline.
pub struct Judged<'a> {
    pub execution: &'a CloudExecution,
    pub owner: &'a str,
    pub at_end: &'a ObjectVersion,
    pub ended_ms: i64,
    pub due: i64,
}

/// The ends invariant 2 judges: of an execution its object showed as the
/// current one when it ended, on an object not going away, with a deadline
/// inside the recording.
pub fn judged<'a>(
    recording: &'a Recording,
    owners: &'a Owners<'a>,
    bounds: &Bounds,
) -> Vec<Judged<'a>> {
    let mut out = Vec::new();
    for e in recording.executions.iter().filter(|e| e.is_terminal()) {
        let Some(ended_ms) = e.stopped_at_ms else {
            continue;
        };
        let Some(owner) = owners.owner_of(&e.name) else {
            continue;
        };
        let Some(at_end) = owners.version_at(owner, ended_ms) else {
            continue;
        };
        if at_end.being_deleted() || !is_current(at_end, &e.name) {
            continue;
        }
        let due = deadline(ended_ms, &recording.faults, bounds.end_shown_within_ms);
        if due <= recording.ended_ms {
            out.push(Judged {
                execution: e,
                owner,
                at_end,
                ended_ms,
                due,
            });
        }
    }
    out
}

pub fn check(recording: &Recording, owners: &Owners<'_>, bounds: &Bounds) -> Vec<Violation> {
    let mut found = Vec::new();
    for Judged {
        execution: e,
        owner,
        at_end,
        ended_ms,
        due,
    } in judged(recording, owners, bounds)
    {
        let versions = owners.versions.get(owner).map(Vec::as_slice).unwrap_or(&[]);
        let after: Vec<&&ObjectVersion> = versions
            .iter()
            .filter(|v| v.at_ms >= at_end.at_ms)
            .collect();
        let shown = after.iter().find(|v| shows_ended(v, &e.name));
        let gone = after.iter().find(|v| v.being_deleted());
        let ok = match (shown, gone) {
            (Some(s), _) if s.at_ms <= due => true,
            (_, Some(g)) if g.at_ms <= due => true,
            _ => false,
        };
        if !ok {
            let mut lines = context(recording, &e.flow, &e.name, ended_ms);
            lines.push(match shown {
                Some(s) => format!(
                    "first shown ended at {} ({} ms late)",
                    at(recording, s.at_ms),
                    s.at_ms - due
                ),
                None => "never shown ended".to_string(),
            });
            found.push(Violation {
                invariant: 2,
                object: owner.to_string(),
                execution: format!("{}/{}", e.flow, e.name),
                detail: format!(
                    "{} in the cloud at {}, not shown by {}",
                    e.status,
                    at(recording, ended_ms),
                    at(recording, due)
                ),
                context: lines,
            });
        }
    }
    found
}
