//! The soak's invariant checker: pure, no I/O. Reads a [`Recording`] and
//! reports every broken promise with the object, the execution and what
//! happened around it. One module per invariant (numbers as in issue 21):
//! 1 `starts`, 2 `ends`, 3 `status`, 4 `secrets`, 5 and 6 `resources`.

mod ends;
mod owners;
mod resources;
mod secrets;
mod starts;
mod status;
#[cfg(test)]
mod tests;

use std::fmt;

use super::recording::{Bounds, KnownSecret, Recording};

pub use owners::Owners;

/// One broken invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// 1–6, as numbered in issue 21 and docs/reliability.md.
    pub invariant: u8,
    /// `FlowExecution/ns/name`, `flow/execution`, or the process/action.
    pub object: String,
    /// `flow/execution` when one is concerned (empty otherwise).
    pub execution: String,
    pub detail: String,
    /// What happened around it: calls, faults, object versions.
    pub context: Vec<String>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invariant {}: {} [{}]: {}",
            self.invariant, self.object, self.execution, self.detail
        )?;
        for line in &self.context {
            write!(f, "\n    {line}")?;
        }
        Ok(())
    }
}

/// Runs every invariant; violations in invariant order.
pub fn check(recording: &Recording, secrets: &[KnownSecret], bounds: &Bounds) -> Vec<Violation> {
    let owners = Owners::of(recording);
    let mut found = Vec::new();
    found.extend(starts::check(recording, &owners));
    found.extend(ends::check(recording, &owners, bounds));
    found.extend(status::check(recording));
    found.extend(secrets::check(recording, secrets));
    found.extend(resources::check_throttles(recording));
    found.extend(resources::check_growth(recording, bounds));
    found
}

/// How much of a recording the checker could judge: without it, zero
/// violations could also mean nothing was looked at.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Executions created, each judged by invariant 1.
    pub starts: usize,
    /// Ends judged by invariant 2 (see `ends::judged`).
    pub ends_judged: usize,
    /// Ends not judged: no owner, not current at the end, object going away,
    /// or a deadline after the recording.
    pub ends_not_judged: usize,
    /// Object versions judged by invariant 3.
    pub versions: usize,
}

pub fn coverage(recording: &Recording, bounds: &Bounds) -> Coverage {
    let owners = Owners::of(recording);
    let ends = recording
        .executions
        .iter()
        .filter(|e| e.is_terminal())
        .count();
    let ends_judged = ends::judged(recording, &owners, bounds).len();
    Coverage {
        starts: recording.created.len(),
        ends_judged,
        ends_not_judged: ends - ends_judged,
        versions: recording.versions.len(),
    }
}

/// `ms` as the soak's own time, `t+12.3s` (the plan prints the same).
fn at(recording: &Recording, ms: i64) -> String {
    format!("t+{:.1}s", (ms - recording.began_ms) as f64 / 1000.0)
}

/// Calls about `flow/execution` around `at_ms` and the faults active then.
fn context(recording: &Recording, flow: &str, execution: &str, at_ms: i64) -> Vec<String> {
    const AROUND_MS: i64 = 30_000;
    let mut lines: Vec<String> = recording
        .calls
        .iter()
        .filter(|c| c.execution == execution && (flow.is_empty() || c.flow == flow))
        .filter(|c| (c.at_ms - at_ms).abs() <= AROUND_MS)
        .take(12)
        .map(|c| {
            format!(
                "call #{} {} {} {}/{} -> {}{}",
                c.seq,
                at(recording, c.at_ms),
                c.action,
                c.flow,
                c.execution,
                c.code,
                if c.injected { " (injected)" } else { "" }
            )
        })
        .collect();
    lines.extend(
        recording
            .faults
            .iter()
            .filter(|w| w.from_ms - AROUND_MS <= at_ms && at_ms <= w.to_ms + AROUND_MS)
            .map(|w| {
                format!(
                    "fault {} ({}) {} to {}",
                    w.kind,
                    w.detail,
                    at(recording, w.from_ms),
                    at(recording, w.to_ms)
                )
            }),
    );
    lines
}
