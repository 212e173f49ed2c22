//! Invariant 3: no status regresses (phase order per execution, attempt order
//! per run identity, `observedGeneration`), and every value mirrored from the
//! cloud (phase, Output, times, error, cause) equals what the cloud has for
//! that execution; a status never shows an execution the cloud never had.

use std::collections::{BTreeMap, HashMap};

use super::super::recording::{CloudExecution, ObjectVersion, Recording, is_terminal_phase};
use super::owners::FLOW_EXECUTION;
use super::{Violation, at, context};

fn rank(phase: &str) -> u8 {
    match phase {
        "Pending" => 0,
        "Starting" => 1,
        "Running" => 2,
        p if is_terminal_phase(p) => 3,
        _ => 0,
    }
}

struct Seen<'a> {
    phase: &'a str,
    at_ms: i64,
}

/// One object's (uid's) history so far.
#[derive(Default)]
struct Track<'a> {
    phases: HashMap<&'a str, Seen<'a>>,
    attempts: HashMap<&'a str, i64>,
    observed_generation: i64,
}

pub fn check(recording: &Recording) -> Vec<Violation> {
    let cloud: HashMap<(&str, &str), &CloudExecution> = recording
        .executions
        .iter()
        .map(|e| ((e.flow.as_str(), e.name.as_str()), e))
        .collect();
    let mut versions: Vec<&ObjectVersion> = recording
        .versions
        .iter()
        .filter(|v| v.kind == FLOW_EXECUTION && !v.deleted)
        .collect();
    versions.sort_by_key(|v| v.at_ms);
    let mut tracks: BTreeMap<&str, Track<'_>> = BTreeMap::new();
    let mut found = Vec::new();
    for v in versions {
        let track = tracks.entry(v.uid.as_str()).or_default();
        let when = at(recording, v.at_ms);
        let flow = v
            .status_str("flowName")
            .or_else(|| v.object["spec"]["flowName"].as_str())
            .unwrap_or_default();
        let mut report = |execution: &str, detail: String| {
            found.push(Violation {
                invariant: 3,
                object: v.key(),
                execution: format!("{flow}/{execution}"),
                detail,
                context: context(recording, flow, execution, v.at_ms),
            });
        };
        if let Some(generation) = v.status_i64("observedGeneration") {
            if generation < track.observed_generation {
                report(
                    "",
                    format!(
                        "observedGeneration {generation} after {} at {when}",
                        track.observed_generation
                    ),
                );
            }
            track.observed_generation = track.observed_generation.max(generation);
        }
        if let (Some(identity), Some(attempt)) =
            (v.status_str("runIdentity"), v.status_i64("attempt"))
        {
            let max = track.attempts.entry(identity).or_insert(attempt);
            if attempt < *max {
                report(
                    "",
                    format!("attempt {attempt} of run {identity} after attempt {max} at {when}"),
                );
            }
            *max = (*max).max(attempt);
        }
        let (Some(execution), Some(phase)) = (v.status_str("executionName"), v.status_str("phase"))
        else {
            continue;
        };
        if let Some(before) = track.phases.get(execution) {
            let regressed = rank(phase) < rank(before.phase)
                || (is_terminal_phase(before.phase) && phase != before.phase);
            if regressed {
                report(
                    execution,
                    format!(
                        "phase {phase} at {when} after {} at {}",
                        before.phase,
                        at(recording, before.at_ms)
                    ),
                );
            }
        }
        track.phases.insert(
            execution,
            Seen {
                phase,
                at_ms: v.at_ms,
            },
        );
        if rank(phase) == 0 {
            continue;
        }
        match cloud.get(&(flow, execution)) {
            None => report(
                execution,
                format!("status shows {phase} for an execution the cloud never had ({when})"),
            ),
            Some(e) => {
                for detail in mirror_mismatches(v, e, phase, &when) {
                    report(execution, detail);
                }
            }
        }
        if let Some(runs) = v.status()["runs"].as_array() {
            for r in runs {
                let name = r["executionName"].as_str().unwrap_or_default();
                let shown = r["phase"].as_str().unwrap_or_default();
                if let Some(e) = cloud.get(&(flow, name))
                    && e.status != shown
                {
                    report(
                        name,
                        format!("runs[] shows {shown}, the cloud {} ({when})", e.status),
                    );
                }
            }
        }
    }
    found
}

/// Where a version's mirrored fields differ from the cloud's final record.
/// A non-terminal phase is an earlier observation: only its start time must
/// match; a terminal one must match everything.
fn mirror_mismatches(
    v: &ObjectVersion,
    e: &CloudExecution,
    phase: &str,
    when: &str,
) -> Vec<String> {
    let mut out = Vec::new();
    let mut differ = |field: &str, shown: Option<&str>, cloud: &str| {
        if let Some(shown) = shown
            && shown != cloud
        {
            out.push(format!("status.{field} differs from the cloud's at {when}"));
        }
    };
    differ("startedTime", v.status_str("startedTime"), &e.started_time);
    if !is_terminal_phase(phase) {
        return out;
    }
    differ("phase", Some(phase), &e.status);
    differ("stoppedTime", v.status_str("stoppedTime"), &e.stopped_time);
    differ(
        "error",
        v.status_str("error"),
        e.error.as_deref().unwrap_or_default(),
    );
    differ(
        "cause",
        v.status_str("cause"),
        e.cause.as_deref().unwrap_or_default(),
    );
    let truncated = v.status()["outputTruncated"].as_bool().unwrap_or(false);
    if let Some(output) = v.status_str("output") {
        let same = if truncated {
            e.output.starts_with(output)
        } else {
            output == e.output
        };
        if !same {
            out.push(format!("status.output differs from the cloud's at {when}"));
        }
    }
    out
}
