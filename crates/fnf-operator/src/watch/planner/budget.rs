//! What an account's DescribeExecution quota allows the planner: how many
//! long-polls it sustains, and how throttling by the cloud shrinks that.
//! Pure arithmetic, unit-tested without a clock of its own.

use std::time::Duration;

use tokio::time::Instant;

/// Share of the long-poll capacity given to slots; the rest of the
/// DescribeExecution quota serves one-off reads (adoption, Observe look-ups).
const SLOT_SHARE: f64 = 0.95;
/// Slots never shrink below this share of the capacity.
const MIN_FACTOR: f64 = 0.25;
/// A throttled DescribeExecution cuts the slots to this share of themselves.
const THROTTLED_FACTOR: f64 = 0.75;
/// Without throttling for this long, the slots grow by `RECOVERY_STEP`.
const RECOVERY_PERIOD: Duration = Duration::from_secs(10);
const RECOVERY_STEP: f64 = 0.05;
/// Slots are granted only as fast as their first calls can go within this.
pub const GRANT_HORIZON: Duration = Duration::from_secs(1);

/// Long-polls an account can keep in flight with a DescribeExecution quota of
/// `per_second`, each held `wait_secs` (a wait of 0 still takes a call per second).
pub fn slot_capacity(per_second: f64, wait_secs: u32, factor: f64) -> usize {
    let held = f64::from(wait_secs.max(1));
    let slots = (per_second * held * SLOT_SHARE * factor).floor();
    // Finite and non-negative by construction; a count of calls fits usize.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let slots = slots.max(1.0) as usize;
    slots
}

/// Share of the DescribeExecution quota kept for the sweep's final-status
/// reads (an execution absent from a `Running` listing has ended, and one
/// call reads how) once as many executions are swept as slots fit. A slot's
/// long-poll on an execution of a flow swept anyway answers an ending about
/// once in ten calls with runs of minutes to hours; such a read answers one
/// each call, and lets the sweep list old start times by `Running` instead
/// of re-reading every run ended there. Flows held whole keep their slots
/// (`Budget::whole`), so what remains for swept flows is a few long-polls.
/// (35% left the largest flows re-reading half an hour of ended runs each
/// visit: the 10,000-live benchmark's p99 near 190 s.)
pub const FINAL_STATUS_SHARE: f64 = 0.9;

/// The share of the quota kept for final-status reads: none while no more
/// than twice as many executions are swept as the slots (`full`) the whole
/// quota would hold (a sweep that small pages its endings cheaply), then
/// growing with them up to `FINAL_STATUS_SHARE` at four times that, so the
/// slots shrink smoothly.
pub fn final_status_share(swept: usize, full: usize) -> f64 {
    let full = full.max(1);
    #[allow(clippy::cast_precision_loss)]
    let beyond = (swept.saturating_sub(2 * full) as f64 / (2 * full) as f64).min(1.0);
    FINAL_STATUS_SHARE * beyond
}

/// The slots left of `full` when `share` of the quota goes to final-status
/// reads (at least one).
pub fn slots_beside_sweep(full: usize, share: f64) -> usize {
    #[allow(clippy::cast_precision_loss)]
    let kept = full as f64 * (1.0 - share / SLOT_SHARE);
    // Finite and within 0..=full by construction.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let kept = kept.round().max(1.0) as usize;
    kept
}

/// The planner's throttling memory: a new penalty cuts the factor, a quiet
/// `RECOVERY_PERIOD` restores a step of it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Throttling {
    pub factor: f64,
    pub penalties_seen: u64,
    pub adjusted_at: Instant,
}

impl Throttling {
    pub fn new(now: Instant) -> Self {
        Self {
            factor: 1.0,
            penalties_seen: 0,
            adjusted_at: now,
        }
    }

    pub fn observe(mut self, penalties: u64, now: Instant) -> Self {
        if penalties > self.penalties_seen {
            self.factor = (self.factor * THROTTLED_FACTOR).max(MIN_FACTOR);
            self.penalties_seen = penalties;
            self.adjusted_at = now;
        } else if self.factor < 1.0 && now.duration_since(self.adjusted_at) >= RECOVERY_PERIOD {
            self.factor = (self.factor + RECOVERY_STEP).min(1.0);
            self.adjusted_at = now;
        }
        self
    }
}

/// What an account may hand out now: slots the quota sustains, and
/// DescribeExecution calls that could start within `GRANT_HORIZON`.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Slots for holders whose flow is swept anyway (some of it waits):
    /// what final-status reads leave.
    pub slots: usize,
    /// Slots for holders of flows held whole, which need no page: throttling
    /// alone shrinks these.
    pub whole: usize,
    pub tokens: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_quota_sustains_a_few_hundred_long_polls() {
        // 5/s with 10% headroom, held 60 s.
        assert_eq!(slot_capacity(4.5, 60, 1.0), 256);
        assert_eq!(slot_capacity(4.5, 60, 0.25), 64);
        assert_eq!(slot_capacity(4.5, 0, 1.0), 4);
        assert_eq!(slot_capacity(0.01, 1, 1.0), 1);
    }

    #[test]
    fn final_status_reads_take_a_share_that_grows_with_the_swept_executions() {
        assert_eq!(final_status_share(0, 256), 0.0);
        assert_eq!(final_status_share(512, 256), 0.0);
        assert_eq!(slots_beside_sweep(256, 0.0), 256);
        // 640 swept beside 256 slots: a quarter of the full share.
        let share = final_status_share(640, 256);
        assert!((share - FINAL_STATUS_SHARE / 4.0).abs() < 1e-9);
        // 256 × (1 − 0.225/0.95) = 195.4.
        assert_eq!(slots_beside_sweep(256, share), 195);
        // Thousands swept: the full share; 256 × (1 − 0.9/0.95) = 13.5.
        assert_eq!(final_status_share(9_000, 256), FINAL_STATUS_SHARE);
        assert_eq!(slots_beside_sweep(256, FINAL_STATUS_SHARE), 13);
        assert_eq!(slots_beside_sweep(1, FINAL_STATUS_SHARE), 1);
    }

    #[test]
    fn throttling_shrinks_the_share_and_quiet_restores_it() {
        let start = Instant::now();
        let calm = Throttling::new(start);
        assert_eq!(calm.observe(0, start + Duration::from_secs(60)).factor, 1.0);
        let hit = calm.observe(2, start);
        assert_eq!(hit.factor, THROTTLED_FACTOR);
        // The same count again is not a new penalty.
        assert_eq!(
            hit.observe(2, start + Duration::from_secs(1)).factor,
            hit.factor
        );
        let mut floor = hit;
        for n in 3..30 {
            floor = floor.observe(n, start);
        }
        assert_eq!(floor.factor, MIN_FACTOR);
        let later = floor.observe(29, start + RECOVERY_PERIOD);
        assert!((later.factor - (MIN_FACTOR + RECOVERY_STEP)).abs() < 1e-9);
    }
}
