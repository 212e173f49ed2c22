//! What a scenario observes: a watch that stamps when each FlowExecution's
//! terminal phase becomes visible (and counts the states it passes through),
//! the emulator's own start and end times, and the lags between them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use futures::StreamExt;
use jiff::Timestamp;
use kube::api::Api;
use kube::runtime::{WatchStreamExt, watcher};

use super::stats::LagSample;
use super::workload::{PlannedExecution, flow_name, object_name};
use fnf_emulator::RunningEmulator;
use fnf_operator::crd::{FlowExecution, default_execution_name, phase};

/// What the watch saw of one FlowExecution.
#[derive(Clone, Debug, Default)]
pub struct Seen {
    pub ended_at: Option<Timestamp>,
    state: (Option<String>, Option<String>),
    pub states: u32,
}

pub type SeenMap = Arc<Mutex<HashMap<String, Seen>>>;

pub fn lock(seen: &SeenMap) -> std::sync::MutexGuard<'_, HashMap<String, Seen>> {
    seen.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Stamps, per FlowExecution, the wall clock when a terminal phase first
/// arrives, and counts the distinct states it passes through.
pub async fn watch_ends(api: Api<FlowExecution>, seen: SeenMap) {
    let stream = watcher(api, watcher::Config::default()).default_backoff();
    futures::pin_mut!(stream);
    while let Some(event) = stream.next().await {
        let now = Timestamp::now();
        match event {
            Ok(watcher::Event::Apply(fe) | watcher::Event::InitApply(fe)) => {
                let Some(name) = fe.metadata.name else {
                    continue;
                };
                let status = fe.status.unwrap_or_default();
                let ended = status.phase.as_deref().is_some_and(phase::is_terminal);
                let state = (status.phase, status.current_step);
                let mut map = lock(&seen);
                let entry = map.entry(name).or_default();
                if entry.state != state {
                    entry.state = state;
                    entry.states += 1;
                }
                if ended && entry.ended_at.is_none() {
                    entry.ended_at = Some(now);
                }
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "benchmark watch error"),
        }
    }
}

pub fn ended_count(seen: &SeenMap, names: &[String]) -> usize {
    let map = lock(seen);
    names
        .iter()
        .filter(|n| map.get(*n).is_some_and(|s| s.ended_at.is_some()))
        .count()
}

/// When an execution of `planned` ended in the emulator, if it has.
pub fn ended_at(
    emulator: &RunningEmulator,
    namespace: &str,
    planned: &PlannedExecution,
) -> Option<Timestamp> {
    let execution = default_execution_name(namespace, &object_name(planned.index));
    emulator
        .execution(&flow_name(planned.account, planned.flow), &execution)
        .and_then(|e| e.stopped_time.parse().ok())
}

/// The latest StartTime of `planned`'s executions (the mass start's end).
pub fn last_start(
    emulator: &RunningEmulator,
    namespace: &str,
    planned: &[PlannedExecution],
) -> Option<Timestamp> {
    planned
        .iter()
        .filter_map(|p| {
            let execution = default_execution_name(namespace, &object_name(p.index));
            emulator
                .execution(&flow_name(p.account, p.flow), &execution)
                .and_then(|e| e.started_time.parse::<Timestamp>().ok())
        })
        .max()
}

pub fn secs_between(from: Timestamp, to: Timestamp) -> f64 {
    to.duration_since(from).as_secs_f64().max(0.0)
}

/// Lag per measured FlowExecution: seen minus the emulator's end. One not
/// seen counts as lagging at least the close minus its end (or 0 if it had
/// not ended).
pub fn lags(
    emulator: &RunningEmulator,
    namespace: &str,
    measured: &[&PlannedExecution],
    seen: &HashMap<String, Seen>,
    closed_at: Timestamp,
) -> (Vec<LagSample>, usize) {
    let mut not_ended = 0;
    let mut out = Vec::with_capacity(measured.len());
    for planned in measured {
        let ended = ended_at(emulator, namespace, planned);
        let seen_at = seen
            .get(&object_name(planned.index))
            .and_then(|s| s.ended_at);
        out.push(match (ended, seen_at) {
            (Some(end), Some(seen)) => LagSample {
                secs: secs_between(end, seen),
                seen: true,
            },
            // Terminal in Kubernetes but not in the emulator cannot happen; an
            // unknown end makes it count as seen at once rather than invent a lag.
            (None, Some(_)) => LagSample {
                secs: 0.0,
                seen: true,
            },
            (Some(end), None) => LagSample {
                secs: secs_between(end, closed_at),
                seen: false,
            },
            (None, None) => {
                not_ended += 1;
                LagSample {
                    secs: 0.0,
                    seen: false,
                }
            }
        });
    }
    (out, not_ended)
}
