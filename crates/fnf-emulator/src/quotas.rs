//! Per-account, per-action token buckets, as the service meters requests.
//! Decides only whether a call may proceed; never sleeps or queues.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use super::config::{QuotaSettings, Rate};

struct Bucket {
    tokens: f64,
    refilled_at: Instant,
}

pub struct Quotas {
    settings: Option<QuotaSettings>,
    buckets: Mutex<HashMap<(String, String), Bucket>>,
}

impl Quotas {
    pub fn new(settings: Option<QuotaSettings>) -> Self {
        Self {
            settings,
            buckets: Mutex::default(),
        }
    }

    /// Takes one token for (`account`, `action`); `false` means over quota.
    pub fn try_take(&self, account: &str, action: &str) -> bool {
        let Some(settings) = &self.settings else {
            return true;
        };
        let Rate { burst, per_second } = settings.rate_for(action);
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let bucket = buckets
            .entry((account.to_string(), action.to_string()))
            .or_insert(Bucket {
                tokens: f64::from(burst),
                refilled_at: now,
            });
        let elapsed_secs = now.duration_since(bucket.refilled_at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed_secs * per_second).min(f64::from(burst));
        bucket.refilled_at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_refuses() {
        let quotas = Quotas::new(Some(QuotaSettings::default()));
        let allowed = (0..60)
            .filter(|_| quotas.try_take("acct", "DescribeExecution"))
            .count();
        // Burst 50; at most a token or two refills while the loop runs.
        assert!((50..=51).contains(&allowed), "allowed {allowed}");
        assert!(quotas.try_take("other-acct", "DescribeExecution"));
    }

    #[test]
    fn no_settings_means_no_quota() {
        let quotas = Quotas::new(None);
        assert!((0..1000).all(|_| quotas.try_take("acct", "ListFlows")));
    }
}
