//! Invariant 5: no throttling answer (HTTP 429) drawn by the operator beyond
//! the ones the soak injected, per action. Invariant 6: an operator process's
//! RSS and open descriptors stay bounded after warm-up (no leak).

use std::collections::BTreeMap;

use super::super::recording::{Bounds, Recording, ResourceSample};
use super::{Violation, at};
use fnf_emulator::api_error::status_for_code;

const TOO_MANY_REQUESTS: u16 = 429;

pub fn check_throttles(recording: &Recording) -> Vec<Violation> {
    let mut per_action: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    for c in recording
        .calls
        .iter()
        .filter(|c| !c.injected && status_for_code(&c.code) == TOO_MANY_REQUESTS)
    {
        per_action
            .entry(c.action.as_str())
            .or_default()
            .push(c.at_ms);
    }
    per_action
        .into_iter()
        .map(|(action, times)| Violation {
            invariant: 5,
            object: action.to_string(),
            execution: String::new(),
            detail: format!(
                "{} throttled answers not injected by the soak (first at {}, last at {})",
                times.len(),
                at(recording, times[0]),
                at(recording, times[times.len() - 1])
            ),
            context: Vec::new(),
        })
        .collect()
}

pub fn check_growth(recording: &Recording, bounds: &Bounds) -> Vec<Violation> {
    let mut per_process: BTreeMap<&str, Vec<&ResourceSample>> = BTreeMap::new();
    for s in &recording.samples {
        per_process.entry(s.process.as_str()).or_default().push(s);
    }
    let mut found = Vec::new();
    for (process, mut samples) in per_process {
        samples.sort_by_key(|s| s.at_ms);
        let Some(born) = samples.first().map(|s| s.at_ms) else {
            continue;
        };
        let steady: Vec<&&ResourceSample> = samples
            .iter()
            .filter(|s| s.at_ms - born >= bounds.warmup_ms)
            .collect();
        let Some(base) = steady.first() else {
            continue;
        };
        let rss_limit =
            (base.rss_kib * bounds.rss_growth_factor).max(base.rss_kib + bounds.rss_slack_kib);
        let fd_limit = base.open_fds * 2 + bounds.fd_slack;
        if let Some(s) = stays_over(&steady, bounds.leak_window_ms, |s| s.rss_kib > rss_limit) {
            found.push(Violation {
                invariant: 6,
                object: process.to_string(),
                execution: String::new(),
                detail: format!(
                    "RSS over the bound {rss_limit} KiB (from {} KiB) for {} s from {} ({} KiB then)",
                    base.rss_kib,
                    bounds.leak_window_ms / 1000,
                    at(recording, s.at_ms),
                    s.rss_kib
                ),
                context: Vec::new(),
            });
        }
        if let Some(s) = stays_over(&steady, bounds.leak_window_ms, |s| s.open_fds > fd_limit) {
            found.push(Violation {
                invariant: 6,
                object: process.to_string(),
                execution: String::new(),
                detail: format!(
                    "open descriptors over the bound {fd_limit} (from {}) for {} s from {} ({} then)",
                    base.open_fds,
                    bounds.leak_window_ms / 1000,
                    at(recording, s.at_ms),
                    s.open_fds
                ),
                context: Vec::new(),
            });
        }
    }
    found
}

/// The first sample of a run of consecutive samples, all `over`, that spans
/// at least `window_ms`: what stayed over the bound rather than peaked.
fn stays_over<'a>(
    samples: &[&&'a ResourceSample],
    window_ms: i64,
    over: impl Fn(&ResourceSample) -> bool,
) -> Option<&'a ResourceSample> {
    let mut run_start: Option<&ResourceSample> = None;
    for s in samples {
        if !over(s) {
            run_start = None;
            continue;
        }
        let start = *run_start.get_or_insert(s);
        if s.at_ms - start.at_ms >= window_ms {
            return Some(start);
        }
    }
    None
}
