//! Which FlowExecution an execution belongs to: the one whose status named
//! it, else the one whose default or run name it carries.

use std::collections::BTreeMap;

use super::super::recording::{ObjectVersion, Recording};
use fnf_operator::crd::default_execution_name;

pub const FLOW_EXECUTION: &str = "FlowExecution";

/// The FlowExecutions of a recording, their versions in order, and an index
/// from execution name to owner.
pub struct Owners<'a> {
    /// object key -> its versions, in recording order.
    pub versions: BTreeMap<String, Vec<&'a ObjectVersion>>,
    /// execution name -> object key, from statuses (current and `runs`).
    named: BTreeMap<String, String>,
    /// object key -> its default execution name.
    defaults: Vec<(String, String)>,
}

impl<'a> Owners<'a> {
    pub fn of(recording: &'a Recording) -> Self {
        let mut versions: BTreeMap<String, Vec<&ObjectVersion>> = BTreeMap::new();
        let mut named = BTreeMap::new();
        for v in recording
            .versions
            .iter()
            .filter(|v| v.kind == FLOW_EXECUTION)
        {
            versions.entry(v.key()).or_default().push(v);
            for name in executions_named(v) {
                named.entry(name).or_insert_with(|| v.key());
            }
        }
        for list in versions.values_mut() {
            list.sort_by_key(|v| v.at_ms);
        }
        let defaults = versions
            .iter()
            .filter_map(|(key, list)| {
                let v = list.first()?;
                Some((key.clone(), default_execution_name(&v.namespace, &v.name)))
            })
            .collect();
        Self {
            versions,
            named,
            defaults,
        }
    }

    /// The object `execution` belongs to, if any.
    pub fn owner_of(&self, execution: &str) -> Option<&str> {
        if let Some(key) = self.named.get(execution) {
            return Some(key);
        }
        self.defaults
            .iter()
            .find(|(_, default)| {
                execution == default
                    || execution
                        .strip_prefix(default.as_str())
                        .is_some_and(|rest| rest.starts_with("_R"))
            })
            .map(|(key, _)| key.as_str())
    }

    /// The object's last version at or before `at_ms`.
    pub fn version_at(&self, key: &str, at_ms: i64) -> Option<&'a ObjectVersion> {
        self.versions
            .get(key)?
            .iter()
            .take_while(|v| v.at_ms <= at_ms)
            .last()
            .copied()
    }
}

/// Execution names a version's status mentions: the current one and `runs`.
pub fn executions_named(v: &ObjectVersion) -> Vec<String> {
    let mut names: Vec<String> = v
        .status_str("executionName")
        .map(str::to_string)
        .into_iter()
        .collect();
    if let Some(runs) = v.status()["runs"].as_array() {
        names.extend(
            runs.iter()
                .filter_map(|r| r["executionName"].as_str().map(str::to_string)),
        );
    }
    names
}

/// `(runIdentity, attempt)` a run name carries (`…_R{12 hex}[_A{n}]`).
pub fn identity_in_name(execution: &str) -> Option<(String, i64)> {
    let at = execution.rfind("_R")?;
    let rest = &execution[at + 2..];
    let identity: String = rest.chars().take(12).collect();
    if identity.len() != 12 || !identity.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let attempt = rest[12..]
        .strip_prefix("_A")
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    Some((identity, attempt))
}
