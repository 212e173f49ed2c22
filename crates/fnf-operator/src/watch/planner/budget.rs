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
    pub slots: usize,
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
