//! The one place that builds conditions: from where the execution stands to the
//! condition set every consumer reads (`kubectl wait`, kstatus/Flux, Argo CD).
//! Pure.

use jiff::Timestamp;

use crate::crd::{Condition, condition_type as ct};

/// Where an execution stands, as far as conditions are concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Not started yet, Starting, Running, or a status the operator does not know.
    InProgress {
        reason: String,
        message: String,
    },
    Succeeded {
        message: String,
    },
    /// Failed, TimedOut or Stopped: `reason` is the cloud's status.
    Ended {
        reason: String,
        message: String,
    },
    /// The cloud (or the operator, before any call) refused the spec.
    /// `final_` when it cannot recover without a new object.
    Refused {
        reason: String,
        message: String,
        final_: bool,
    },
    /// Nothing runs and nothing will until the user acts (`spec.suspend`):
    /// not in progress (Reconciling=False), not completed, not stalled.
    Held {
        reason: String,
        message: String,
    },
}

/// The reason of `CloudReachable=True` (a condition's, never an Event's).
pub const REACHABLE: &str = "Reachable";

/// `CloudReachable`: only cloud trouble changes it, and it changes nothing else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reachability {
    pub reachable: bool,
    pub reason: String,
    pub message: String,
}

struct Wanted {
    type_: &'static str,
    status: &'static str,
    reason: String,
    message: String,
}

fn wanted(standing: &Standing) -> Vec<Wanted> {
    let w = |type_, status, reason: &str, message: &str| Wanted {
        type_,
        status,
        reason: reason.to_string(),
        message: message.to_string(),
    };
    match standing {
        Standing::InProgress { reason, message } => vec![
            w(ct::SUCCEEDED, "Unknown", reason, message),
            w(ct::COMPLETED, "False", reason, message),
            w(ct::READY, "False", reason, message),
            w(ct::RECONCILING, "True", reason, message),
        ],
        Standing::Held { reason, message } => vec![
            w(ct::SUCCEEDED, "Unknown", reason, message),
            w(ct::COMPLETED, "False", reason, message),
            w(ct::READY, "False", reason, message),
            w(ct::RECONCILING, "False", reason, message),
        ],
        Standing::Succeeded { message } => vec![
            w(ct::SUCCEEDED, "True", "Succeeded", message),
            w(ct::COMPLETED, "True", "Succeeded", message),
            w(ct::READY, "True", "Succeeded", message),
        ],
        Standing::Ended { reason, message } => vec![
            w(ct::SUCCEEDED, "False", reason, message),
            w(ct::COMPLETED, "True", reason, message),
            w(ct::READY, "False", reason, message),
            w(ct::STALLED, "True", reason, message),
        ],
        Standing::Refused {
            reason,
            message,
            final_,
        } => vec![
            w(ct::SUCCEEDED, "False", reason, message),
            w(
                ct::COMPLETED,
                if *final_ { "True" } else { "False" },
                reason,
                message,
            ),
            w(ct::READY, "False", reason, message),
            w(ct::STALLED, "True", reason, message),
        ],
    }
}

/// The full condition list for `standing`, keeping each old condition's
/// `lastTransitionTime` unless its status changed, so a rewrite with the same
/// meaning is not a change.
pub fn build(
    old: &[Condition],
    standing: &Standing,
    reachability: Option<&Reachability>,
    generation: Option<i64>,
    now: Timestamp,
) -> Vec<Condition> {
    let mut list = wanted(standing);
    match reachability {
        Some(r) => list.push(Wanted {
            type_: ct::CLOUD_REACHABLE,
            status: if r.reachable { "True" } else { "False" },
            reason: r.reason.clone(),
            message: r.message.clone(),
        }),
        None => {
            if let Some(kept) = old.iter().find(|c| c.type_ == ct::CLOUD_REACHABLE) {
                list.push(Wanted {
                    type_: ct::CLOUD_REACHABLE,
                    status: if kept.status == "True" {
                        "True"
                    } else {
                        "False"
                    },
                    reason: kept.reason.clone(),
                    message: kept.message.clone(),
                });
            }
        }
    }
    materialize(old, list, generation, now)
}

/// A CronFlowExecution's conditions (kstatus shape): `Ready` with `reason`
/// and `message`; when the schedule cannot be read (`ready` false) also
/// `Stalled=True`, which kstatus reads as Failed.
pub fn for_schedule(
    old: &[Condition],
    ready: bool,
    reason: &str,
    message: &str,
    generation: Option<i64>,
    now: Timestamp,
) -> Vec<Condition> {
    let w = |type_, status| Wanted {
        type_,
        status,
        reason: reason.to_string(),
        message: message.to_string(),
    };
    let list = if ready {
        vec![w(ct::READY, "True")]
    } else {
        vec![w(ct::READY, "False"), w(ct::STALLED, "True")]
    };
    materialize(old, list, generation, now)
}

fn materialize(
    old: &[Condition],
    list: Vec<Wanted>,
    generation: Option<i64>,
    now: Timestamp,
) -> Vec<Condition> {
    list.into_iter()
        .map(|w| {
            let previous = old.iter().find(|c| c.type_ == w.type_);
            let last_transition_time = match previous {
                Some(p) if p.status == w.status => p.last_transition_time.clone(),
                _ => kubernetes_time(now),
            };
            Condition {
                type_: w.type_.to_string(),
                status: w.status.to_string(),
                reason: w.reason,
                message: w.message,
                last_transition_time,
                observed_generation: generation,
            }
        })
        .collect()
}

/// Kubernetes' wire format for times: RFC 3339 in UTC, whole seconds.
pub fn kubernetes_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Where a resource that is kept in a state (a `Flow`) stands: the kstatus
/// triple Ready / Reconciling / Stalled, with no Succeeded or Completed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// The cloud holds what the spec declares (or, observed, the flow exists).
    Ready { reason: String, message: String },
    /// A call is on its way, or the cloud is being waited for.
    Progressing { reason: String, message: String },
    /// The cloud refused, or the spec cannot be carried out as it is.
    Stalled { reason: String, message: String },
}

/// The condition list for `readiness`, with the same `lastTransitionTime`
/// rule as [`build`].
pub fn build_readiness(
    old: &[Condition],
    readiness: &Readiness,
    generation: Option<i64>,
    now: Timestamp,
) -> Vec<Condition> {
    let w = |type_, status, reason: &str, message: &str| Wanted {
        type_,
        status,
        reason: reason.to_string(),
        message: message.to_string(),
    };
    let list = match readiness {
        Readiness::Ready { reason, message } => vec![w(ct::READY, "True", reason, message)],
        Readiness::Progressing { reason, message } => vec![
            w(ct::READY, "False", reason, message),
            w(ct::RECONCILING, "True", reason, message),
        ],
        Readiness::Stalled { reason, message } => vec![
            w(ct::READY, "False", reason, message),
            w(ct::STALLED, "True", reason, message),
        ],
    };
    materialize(old, list, generation, now)
}
