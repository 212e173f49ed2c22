//! What one scenario is: a size and shape of workload, and the poll strategy
//! that watches it. Pure.

use std::time::Duration;

use super::BenchError;
use super::shape::{Arrivals, Shape};
use fnf_operator::PollStrategy;

/// The long-poll's wait, the API's maximum.
pub const LONG_POLL_WAIT_SECS: u32 = 60;
/// The peer controllers' polling period, the baseline.
pub const INTERVAL_PERIOD: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strategy {
    LongPoll,
    Interval,
}

impl Strategy {
    pub fn parse(text: &str) -> Result<Self, BenchError> {
        match text.trim() {
            "planner" | "long-poll" => Ok(Self::LongPoll),
            "interval" => Ok(Self::Interval),
            other => Err(BenchError::Usage(format!(
                "unknown strategy {other:?} (planner or interval)"
            ))),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::LongPoll => "planner",
            Self::Interval => "interval",
        }
    }

    pub fn poll(self) -> PollStrategy {
        match self {
            Self::LongPoll => PollStrategy::LongPoll {
                wait_time_secs: LONG_POLL_WAIT_SECS,
            },
            Self::Interval => PollStrategy::Interval {
                period: INTERVAL_PERIOD,
            },
        }
    }
}

/// One run: a workload of this size and shape watched with this strategy.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScenarioSpec {
    /// Executions started together (burst) or kept live (steady), all accounts.
    pub size: usize,
    pub strategy: Strategy,
    pub shape: Shape,
}

impl ScenarioSpec {
    pub fn label(&self) -> String {
        format!("{} {}", self.workload_label(), self.strategy.label())
    }

    /// The label without the strategy: the scenarios run with both share it.
    pub fn workload_label(&self) -> String {
        let s = &self.shape;
        if s.is_classic() {
            return format!("N={}", self.size);
        }
        let mut out = match s.arrivals {
            Arrivals::Burst => format!("N={}", self.size),
            Arrivals::Steady { .. } => format!("live={}", self.size),
        };
        out.push_str(&format!(" flows={}", s.flows));
        if s.flows > 1 {
            out.push_str(&format!(" {}", s.skew));
        }
        out.push_str(&format!(" {} {}", s.durations, s.arrivals));
        if s.accounts > 1 {
            out.push_str(&format!(" accounts={}", s.accounts));
        }
        out
    }

    /// Live executions per account.
    pub fn live_per_account(&self) -> f64 {
        self.size as f64 / self.shape.accounts.max(1) as f64
    }
}

/// `SIZE[@STRATEGY],…` with one shape: each size with its strategy, or all.
pub fn expand(
    sizes: &str,
    shape: Shape,
    strategies: &[Strategy],
) -> Result<Vec<ScenarioSpec>, BenchError> {
    let mut out = Vec::new();
    for entry in sizes.split(',') {
        let (size, only) = match entry.split_once('@') {
            Some((size, strategy)) => (size, Some(Strategy::parse(strategy)?)),
            None => (entry, None),
        };
        let size: usize = size
            .trim()
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| BenchError::Usage(format!("size {entry:?} is not a count")))?;
        let spec = |strategy| ScenarioSpec {
            size,
            strategy,
            shape,
        };
        match only {
            Some(strategy) => out.push(spec(strategy)),
            None => out.extend(strategies.iter().map(|&s| spec(s))),
        }
    }
    Ok(out)
}
