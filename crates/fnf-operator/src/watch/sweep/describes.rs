//! Final-status reads: an execution absent from a `Running` listing has
//! ended, and one DescribeExecution (no wait) reads how. A sweep may make as
//! many as an allowance filled at the rate the planner's slots leave it, so
//! those reads and the slots' long-polls together stay within the account's
//! share of the quota (the client's own bucket would only queue the excess,
//! and long-polls queued behind it cover nothing). The allowance is pure (the
//! caller passes the clock); the reads are made by a task of their own, so a
//! visit never waits on the DescribeExecution bucket while ListExecutions
//! calls could go.

use std::time::Instant;

use tokio::sync::mpsc;

use super::visit::Sought;
use crate::watch::key::ReadVia;
use crate::watch::views::CloudViews;
use fnf_client::Client;

/// The allowance holds at most this many seconds of its rate: enough for the
/// absences of a large flow's old runs found by one visit.
pub const BURST_SECS: f64 = 30.0;
/// Reads queued at most; a visit pages around any beyond them.
pub const QUEUE: usize = 512;

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Allowance {
    tokens: f64,
    filled_at: Option<Instant>,
}

impl Allowance {
    /// Adds what `per_second` gave since the last fill, up to `BURST_SECS`
    /// of it (an unlimited rate fills it without bound).
    pub fn fill(&mut self, per_second: f64, now: Instant) {
        if !per_second.is_finite() {
            self.tokens = f64::INFINITY;
        } else if let Some(at) = self.filled_at {
            let per_second = per_second.max(0.0);
            let gained = per_second * now.saturating_duration_since(at).as_secs_f64();
            self.tokens = (self.tokens + gained).min(per_second * BURST_SECS);
        }
        self.filled_at = Some(now);
    }

    /// Whole reads available now.
    pub fn available(&self) -> usize {
        // Non-negative, and an infinite count saturates.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let whole = self.tokens.max(0.0).floor() as usize;
        whole
    }

    pub fn spend(&mut self, reads: usize) {
        #[allow(clippy::cast_precision_loss)]
        let reads = reads as f64;
        self.tokens -= reads;
    }
}

/// One final status to read.
pub struct FinalStatus {
    pub client: Client,
    pub flow_name: String,
    pub sought: Sought,
}

/// Reads each queued execution as it stands and records it, until the
/// sweep that queues them ends. A failed read records nothing: the execution
/// is still sought, so the next visit covers it again.
pub async fn read_final_statuses<V: CloudViews>(
    tracker: V,
    mut queue: mpsc::Receiver<FinalStatus>,
) {
    while let Some(FinalStatus {
        client,
        flow_name,
        sought,
    }) = queue.recv().await
    {
        match client
            .describe_execution(&flow_name, &sought.execution_name, 0)
            .await
        {
            Ok(execution) => {
                tracker.record_read(&sought.key, &execution, ReadVia::Sweep);
                tracker.sweep_described(1, u64::from(execution.is_terminal()));
            }
            Err(err) => {
                tracker.sweep_described(1, 0);
                tracing::debug!(
                    flow = %flow_name, reason = err.reason(), error = %err,
                    "final-status read failed"
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn reads_accrue_at_the_rate_up_to_the_burst_and_are_spent() {
        let start = Instant::now();
        let mut allowance = Allowance::default();
        allowance.fill(1.5, start);
        assert_eq!(allowance.available(), 0, "nothing before time passes");
        allowance.fill(1.5, start + Duration::from_secs(2));
        assert_eq!(allowance.available(), 3);
        allowance.spend(2);
        assert_eq!(allowance.available(), 1);
        // Up to 30 s of the rate: 45.
        allowance.fill(1.5, start + Duration::from_secs(600));
        assert_eq!(allowance.available(), 45);
        allowance.fill(0.0, start + Duration::from_secs(601));
        assert_eq!(allowance.available(), 0, "no rate, nothing held");
        allowance.fill(f64::INFINITY, start + Duration::from_secs(62));
        assert_eq!(allowance.available(), usize::MAX);
    }
}
