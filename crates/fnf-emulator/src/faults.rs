//! Injected failures: error rates, "fail the next N calls", added latency,
//! dropped connections and a whole-service pause. Decides what happens to one
//! request before it is served; never touches flows or executions.

use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::api_error::ApiError;

/// One fault. In JSON (config file, admin endpoint) it is tagged by `kind`, and
/// latencies are in milliseconds: `{"kind":"Latency","min_ms":50,"max_ms":200}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", deny_unknown_fields)]
pub enum Fault {
    /// Answer `code` to this fraction (0..=1) of calls (of `action`, or of all).
    ErrorRate {
        #[serde(default)]
        action: Option<String>,
        code: String,
        rate: f64,
    },
    /// Answer `code` to the next `count` calls of `action`.
    FailNext {
        action: String,
        code: String,
        count: u32,
    },
    /// Delay every answer by a uniformly drawn time in `min..=max`.
    Latency {
        #[serde(rename = "min_ms", with = "millis")]
        min: Duration,
        #[serde(rename = "max_ms", with = "millis")]
        max: Duration,
    },
    /// Close this fraction of connections (of `action`, or of all) without answering.
    DropConnections {
        #[serde(default)]
        action: Option<String>,
        rate: f64,
    },
    /// Serve this fraction of calls (of `action`, or of all), then close the
    /// connection instead of answering: the call took effect, the caller
    /// never learns it (a StartExecution whose answer is lost).
    DropAnswers {
        #[serde(default)]
        action: Option<String>,
        rate: f64,
    },
    /// Stop answering anything but the admin endpoint until `Resume`.
    Pause,
    /// Judge request timestamps against a clock `secs` ahead (negative:
    /// behind) of the emulator's, as a skewed service or caller clock would.
    ClockSkew {
        secs: i64,
    },
    Resume,
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

/// What to do with a request after the faults had their say.
#[derive(Debug)]
pub enum FaultOutcome {
    Serve,
    Fail(ApiError),
    Drop,
}

#[derive(Default)]
struct FaultTable {
    error_rates: Vec<(Option<String>, String, f64)>,
    fail_next: Vec<(String, String, u32)>,
    latency: Option<(Duration, Duration)>,
    drops: Vec<(Option<String>, f64)>,
    dropped_answers: Vec<(Option<String>, f64)>,
}

pub struct Faults {
    table: Mutex<FaultTable>,
    skew_secs: AtomicI64,
    paused: watch::Sender<bool>,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            table: Mutex::default(),
            skew_secs: AtomicI64::new(0),
            paused: watch::Sender::new(false),
        }
    }
}

fn applies(filter: &Option<String>, action: &str) -> bool {
    filter.as_deref().is_none_or(|a| a == action)
}

fn chance(rate: f64) -> bool {
    rate > 0.0 && rand::random::<f64>() < rate
}

impl Faults {
    pub fn inject(&self, fault: Fault) {
        match fault {
            Fault::Pause => {
                self.paused.send_replace(true);
            }
            Fault::Resume => {
                self.paused.send_replace(false);
            }
            Fault::ClockSkew { secs } => self.skew_secs.store(secs, Ordering::Relaxed),
            other => {
                let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
                match other {
                    Fault::ErrorRate { action, code, rate } => {
                        table.error_rates.push((action, code, rate))
                    }
                    Fault::FailNext {
                        action,
                        code,
                        count,
                    } => table.fail_next.push((action, code, count)),
                    Fault::Latency { min, max } => table.latency = Some((min, max.max(min))),
                    Fault::DropConnections { action, rate } => table.drops.push((action, rate)),
                    Fault::DropAnswers { action, rate } => {
                        table.dropped_answers.push((action, rate))
                    }
                    Fault::Pause | Fault::Resume | Fault::ClockSkew { .. } => {}
                }
            }
        }
    }

    /// Removes every fault and resumes a paused service.
    pub fn clear(&self) {
        *self.table.lock().unwrap_or_else(|e| e.into_inner()) = FaultTable::default();
        self.skew_secs.store(0, Ordering::Relaxed);
        self.paused.send_replace(false);
    }

    /// `now` as the injected clock skew shows it.
    pub fn skewed(&self, now: jiff::Timestamp) -> jiff::Timestamp {
        let secs = self.skew_secs.load(Ordering::Relaxed);
        now.checked_add(jiff::SignedDuration::from_secs(secs))
            .unwrap_or(now)
    }

    pub fn is_paused(&self) -> bool {
        *self.paused.borrow()
    }

    /// Returns once the service is not paused (at once when it is not).
    pub async fn wait_while_paused(&self) {
        let mut rx = self.paused.subscribe();
        // The sender lives as long as `self`, so this only ends on resume.
        let _ = rx.wait_for(|paused| !*paused).await;
    }

    /// Whether to drop the answer to a call of `action` already served.
    pub fn drop_answer(&self, action: &str) -> bool {
        let table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        table
            .dropped_answers
            .iter()
            .any(|(filter, rate)| applies(filter, action) && chance(*rate))
    }

    /// Applies latency, then drops, then "fail next", then error rates.
    pub async fn before_serving(&self, action: &str) -> FaultOutcome {
        let latency = self.table.lock().unwrap_or_else(|e| e.into_inner()).latency;
        if let Some((min, max)) = latency {
            let min_ms = u64::try_from(min.as_millis()).unwrap_or(u64::MAX);
            let max_ms = u64::try_from(max.as_millis()).unwrap_or(u64::MAX);
            let wait_ms = if max_ms > min_ms {
                rand::random_range(min_ms..=max_ms)
            } else {
                min_ms
            };
            tokio::time::sleep(Duration::from_millis(wait_ms)).await;
        }
        let mut table = self.table.lock().unwrap_or_else(|e| e.into_inner());
        if table
            .drops
            .iter()
            .any(|(filter, rate)| applies(filter, action) && chance(*rate))
        {
            return FaultOutcome::Drop;
        }
        if let Some(entry) = table
            .fail_next
            .iter_mut()
            .find(|(a, _, left)| a == action && *left > 0)
        {
            entry.2 -= 1;
            return FaultOutcome::Fail(ApiError::with_default_message(&entry.1));
        }
        table.fail_next.retain(|(_, _, left)| *left > 0);
        for (filter, code, rate) in &table.error_rates {
            if applies(filter, action) && chance(*rate) {
                return FaultOutcome::Fail(ApiError::with_default_message(code));
            }
        }
        FaultOutcome::Serve
    }
}
