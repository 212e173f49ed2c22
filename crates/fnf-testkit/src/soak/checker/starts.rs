//! Invariant 1: at most one execution per run identity and attempt. Read from
//! the executions StartExecution really created: a name created twice, or two
//! names created for one object's (run identity, attempt).

use std::collections::BTreeMap;

use super::super::recording::Recording;
use super::owners::{Owners, identity_in_name};
use super::{Violation, at, context};

pub fn check(recording: &Recording, owners: &Owners<'_>) -> Vec<Violation> {
    let mut found = Vec::new();
    let mut per_name: BTreeMap<(&str, &str), Vec<i64>> = BTreeMap::new();
    for c in &recording.created {
        per_name
            .entry((c.flow.as_str(), c.execution.as_str()))
            .or_default()
            .push(c.at_ms);
    }
    for ((flow, execution), times) in &per_name {
        if times.len() > 1 {
            found.push(Violation {
                invariant: 1,
                object: owners
                    .owner_of(execution)
                    .unwrap_or("(no owner)")
                    .to_string(),
                execution: format!("{flow}/{execution}"),
                detail: format!(
                    "created {} times, at {}",
                    times.len(),
                    times
                        .iter()
                        .map(|t| at(recording, *t))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                context: context(recording, flow, execution, times[1]),
            });
        }
    }
    // (owner, identity, attempt) -> executions created for it.
    let mut per_run: BTreeMap<(String, String, i64), Vec<(String, i64)>> = BTreeMap::new();
    for c in &recording.created {
        let Some(owner) = owners.owner_of(&c.execution) else {
            continue;
        };
        let (identity, attempt) = identity_in_name(&c.execution)
            .or_else(|| {
                // A name that carries no identity (a default or chosen name)
                // belongs to the run the object declared when it was created.
                let v = owners.version_at(owner, c.at_ms)?;
                let identity = v.status_str("runIdentity")?.to_string();
                Some((identity, v.status_i64("attempt").unwrap_or(1)))
            })
            .unwrap_or_else(|| ("(no run identity)".to_string(), 1));
        per_run
            .entry((owner.to_string(), identity, attempt))
            .or_default()
            .push((format!("{}/{}", c.flow, c.execution), c.at_ms));
    }
    for ((owner, identity, attempt), started) in per_run {
        if started.len() > 1 {
            let (second, at_ms) = &started[1];
            let (flow, execution) = second.split_once('/').unwrap_or(("", second));
            found.push(Violation {
                invariant: 1,
                object: owner,
                execution: second.clone(),
                detail: format!(
                    "{} executions for run identity {identity} attempt {attempt}: {:?}",
                    started.len(),
                    started.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>()
                ),
                context: context(recording, flow, execution, *at_ms),
            });
        }
    }
    found
}
