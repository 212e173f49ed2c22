//! Client-side token buckets per (account, action), so the operator stays
//! inside the cloud's per-account quotas instead of collecting 429s.
//!
//! Waiting never spins: each caller reserves a slot and sleeps until it. Locks
//! are never held across an `.await`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// A token bucket's shape: `burst` tokens at most, refilled at `per_second`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    pub burst: u32,
    pub per_second: f64,
}

impl Rate {
    pub const fn new(burst: u32, per_second: f64) -> Self {
        Self { burst, per_second }
    }
}

/// The cloud's documented default quotas (per account).
pub const DESCRIBE_EXECUTION_RATE: Rate = Rate::new(50, 5.0);
pub const GET_EXECUTION_HISTORY_RATE: Rate = Rate::new(50, 5.0);
pub const START_EXECUTION_RATE: Rate = Rate::new(100, 100.0);
pub const OTHER_ACTIONS_RATE: Rate = Rate::new(10, 2.0);

/// Rates per action; an action without a rate (and no default) is unlimited.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaConfig {
    pub default_rate: Option<Rate>,
    pub action_rates: HashMap<String, Rate>,
}

impl Default for QuotaConfig {
    fn default() -> Self {
        Self::fnf_defaults()
    }
}

impl QuotaConfig {
    pub fn fnf_defaults() -> Self {
        Self {
            default_rate: Some(OTHER_ACTIONS_RATE),
            action_rates: HashMap::from([
                ("DescribeExecution".to_string(), DESCRIBE_EXECUTION_RATE),
                (
                    "GetExecutionHistory".to_string(),
                    GET_EXECUTION_HISTORY_RATE,
                ),
                ("StartExecution".to_string(), START_EXECUTION_RATE),
            ]),
        }
    }

    /// No client-side limit at all (tests, or a quota raised far above need).
    pub fn unlimited() -> Self {
        Self {
            default_rate: None,
            action_rates: HashMap::new(),
        }
    }

    /// Every rate and burst scaled to `share` of itself (burst at least 1), so a
    /// client stays under a quota the server measures with its own clock.
    pub fn with_headroom(mut self, share: f64) -> Self {
        let scale = |rate: Rate| {
            let burst = (f64::from(rate.burst) * share).floor().max(1.0);
            // Bursts are small integers; the cast cannot truncate meaningfully.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Rate::new(burst as u32, rate.per_second * share)
        };
        self.default_rate = self.default_rate.map(scale);
        for rate in self.action_rates.values_mut() {
            *rate = scale(*rate);
        }
        self
    }

    pub fn with_action(mut self, action: &str, rate: Rate) -> Self {
        self.action_rates.insert(action.to_string(), rate);
        self
    }

    pub fn with_default(mut self, rate: Option<Rate>) -> Self {
        self.default_rate = rate;
        self
    }

    pub fn rate_for(&self, action: &str) -> Option<Rate> {
        self.action_rates
            .get(action)
            .copied()
            .or(self.default_rate)
            .filter(|rate| rate.burst > 0 && rate.per_second.is_finite() && rate.per_second > 0.0)
    }
}

/// A generic cell rate algorithm bucket: `theoretical_arrival` moves one
/// interval per token; a caller may go once it is within the burst tolerance.
#[derive(Debug)]
struct Bucket {
    interval: Duration,
    tolerance: Duration,
    theoretical_arrival: Instant,
    paused_until: Instant,
    last_penalty_at: Option<Instant>,
    penalties: u64,
}

impl Bucket {
    /// A new bucket starts with its burst used up: the process may have just
    /// replaced another client of the account (a restart, a leader failover)
    /// that left the cloud's bucket empty, so it starts at the steady rate and
    /// earns its burst by idling.
    fn new(rate: Rate, now: Instant) -> Self {
        let interval = Duration::from_secs_f64(1.0 / rate.per_second);
        let tolerance = interval.saturating_mul(rate.burst.saturating_sub(1));
        Self {
            interval,
            tolerance,
            theoretical_arrival: now + tolerance,
            paused_until: now,
            last_penalty_at: None,
            penalties: 0,
        }
    }

    /// Takes the next slot and returns when it may be used.
    fn reserve(&mut self, now: Instant) -> Instant {
        let arrival = self.theoretical_arrival.max(now);
        let allowed_at = arrival.checked_sub(self.tolerance).unwrap_or(now).max(now);
        self.theoretical_arrival = arrival + self.interval;
        allowed_at
    }

    /// Nothing goes before `now + pause`, and the burst is used up, so traffic
    /// resumes at the steady rate.
    fn penalize(&mut self, now: Instant, pause: Duration) {
        let until = now + pause;
        self.paused_until = self.paused_until.max(until);
        self.theoretical_arrival = self.theoretical_arrival.max(until + self.tolerance);
        self.last_penalty_at = Some(now);
        self.penalties = self.penalties.saturating_add(1);
    }

    /// One reserved slot was never used: the schedule moves back by one
    /// interval (never into the past).
    fn refund(&mut self, now: Instant) {
        self.theoretical_arrival = self
            .theoretical_arrival
            .checked_sub(self.interval)
            .unwrap_or(now)
            .max(now);
    }

    /// A slot reserved before a penalty that falls inside the pause is void.
    fn slot_still_valid(&self, reserved_at: Instant, allowed_at: Instant) -> bool {
        match self.last_penalty_at {
            Some(penalty_at) if penalty_at >= reserved_at => allowed_at >= self.paused_until,
            _ => true,
        }
    }
}

type BucketKey = (String, String);

/// Returns a reserved slot to its bucket when the wait for it is dropped.
struct UnusedSlot<'a> {
    registry: &'a QuotaRegistry,
    account: &'a str,
    action: &'a str,
    rate: Rate,
    armed: bool,
}

impl Drop for UnusedSlot<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.registry
                .with_bucket(self.account, self.action, self.rate, |bucket| {
                    bucket.refund(Instant::now())
                });
        }
    }
}

/// Buckets for every (account, action) in the process. Cheap to clone; all
/// clones share the buckets, so every client of one account draws from them.
#[derive(Debug, Clone)]
pub struct QuotaRegistry {
    inner: Arc<RegistryInner>,
}

#[derive(Debug)]
struct RegistryInner {
    config: QuotaConfig,
    buckets: Mutex<HashMap<BucketKey, Bucket>>,
}

impl Default for QuotaRegistry {
    fn default() -> Self {
        Self::new(QuotaConfig::fnf_defaults())
    }
}

impl QuotaRegistry {
    pub fn new(config: QuotaConfig) -> Self {
        Self {
            inner: Arc::new(RegistryInner {
                config,
                buckets: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub fn unlimited() -> Self {
        Self::new(QuotaConfig::unlimited())
    }

    pub fn config(&self) -> &QuotaConfig {
        &self.inner.config
    }

    /// Waits until a token for `action` of `account` is available, and takes it.
    pub async fn acquire(&self, account: &str, action: &str) {
        let Some(rate) = self.inner.config.rate_for(action) else {
            return;
        };
        loop {
            let reserved_at = Instant::now();
            let allowed_at =
                self.with_bucket(account, action, rate, |bucket| bucket.reserve(reserved_at));
            // A caller that gives up while waiting (its task aborted: the
            // execution ended, the object went away) hands its slot back, so
            // abandoned waits do not book the bucket into the future.
            let mut unused = UnusedSlot {
                registry: self,
                account,
                action,
                rate,
                armed: true,
            };
            if allowed_at > reserved_at {
                tracing::trace!(
                    account,
                    action,
                    wait_ms = (allowed_at - reserved_at).as_millis() as u64,
                    "waiting for a quota token"
                );
                tokio::time::sleep_until(allowed_at).await;
            }
            unused.armed = false;
            let valid = self.with_bucket(account, action, rate, |bucket| {
                bucket.slot_still_valid(reserved_at, allowed_at)
            });
            if valid {
                return;
            }
        }
    }

    /// The cloud throttled this (account, action): pause its bucket for
    /// `pause`, so callers sharing the account slow down together.
    pub fn penalize(&self, account: &str, action: &str, pause: Duration) {
        let Some(rate) = self.inner.config.rate_for(action) else {
            return;
        };
        tracing::debug!(
            account,
            action,
            pause_ms = pause.as_millis() as u64,
            "quota paused after throttling"
        );
        self.with_bucket(account, action, rate, |bucket| {
            bucket.penalize(Instant::now(), pause)
        });
    }

    /// How long a caller asking now would wait for a token of `action`: zero
    /// unless calls are queued beyond the burst.
    pub fn backlog(&self, account: &str, action: &str) -> Duration {
        self.peek(account, action, |bucket| {
            let now = Instant::now();
            let allowed_at = bucket
                .theoretical_arrival
                .max(now)
                .checked_sub(bucket.tolerance)
                .unwrap_or(now)
                .max(bucket.paused_until);
            allowed_at.saturating_duration_since(now)
        })
        .unwrap_or_default()
    }

    /// How many calls of `action` could start within `horizon` from now
    /// without waiting longer than that; `u64::MAX` when it is not limited.
    pub fn available(&self, account: &str, action: &str, horizon: Duration) -> u64 {
        let Some(rate) = self.inner.config.rate_for(action) else {
            return u64::MAX;
        };
        self.with_bucket(account, action, rate, |bucket| {
            let now = Instant::now();
            let start = now.max(bucket.paused_until);
            let end = now + horizon;
            // Calls go while the schedule is within the burst tolerance of
            // their time, then one per interval.
            let base = bucket.theoretical_arrival.max(start);
            let reach = (end + bucket.tolerance).checked_duration_since(base);
            match reach {
                Some(reach) if start <= end => {
                    // A count of intervals in a short horizon fits easily.
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let more = (reach.as_secs_f64() / bucket.interval.as_secs_f64()).floor() as u64;
                    more + 1
                }
                _ => 0,
            }
        })
    }

    /// How often the cloud has throttled this (account, action) so far: the
    /// poll planner shrinks its long-poll share when this grows.
    pub fn penalties(&self, account: &str, action: &str) -> u64 {
        self.peek(account, action, |bucket| bucket.penalties)
            .unwrap_or_default()
    }

    fn buckets(&self) -> std::sync::MutexGuard<'_, HashMap<BucketKey, Bucket>> {
        // A poisoned lock only means another task panicked mid-update; the
        // bucket state is still a valid schedule.
        match self.inner.buckets.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Reads a bucket without creating it: `None` before its first use.
    fn peek<T>(&self, account: &str, action: &str, f: impl FnOnce(&Bucket) -> T) -> Option<T> {
        self.buckets()
            .get(&(account.to_string(), action.to_string()))
            .map(f)
    }

    fn with_bucket<T>(
        &self,
        account: &str,
        action: &str,
        rate: Rate,
        f: impl FnOnce(&mut Bucket) -> T,
    ) -> T {
        let mut buckets = self.buckets();
        let bucket = buckets
            .entry((account.to_string(), action.to_string()))
            .or_insert_with(|| Bucket::new(rate, Instant::now()));
        f(bucket)
    }
}

#[cfg(test)]
mod tests;
