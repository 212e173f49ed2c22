//! The benchmark's command line and the scenarios it names. Parsing only: no
//! I/O, so the scenario grammar is unit-tested.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use super::BenchError;
use fnf_operator::PollStrategy;

/// The long-poll's wait, the API's maximum.
pub const LONG_POLL_WAIT_SECS: u32 = 60;
/// The peer controllers' polling period, the baseline.
pub const INTERVAL_PERIOD: Duration = Duration::from_secs(10);

/// Status lag of FlowExecutions under the cloud's documented quotas, per
/// number of live executions and poll strategy.
#[derive(Debug, Clone, Parser)]
#[command(name = "fnf-bench")]
pub struct BenchArgs {
    /// Numbers of FlowExecutions, one scenario each. `SIZE@STRATEGY` runs that
    /// size with one strategy only (e.g. `250@planner`).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "10,100,250@planner,1000,10000"
    )]
    pub sizes: Vec<String>,
    /// Poll strategies to compare: `planner` (long-polls within the quota,
    /// ListExecutions sweeps for the rest; `long-poll` is an alias), `interval`.
    #[arg(long, value_delimiter = ',', default_value = "planner,interval")]
    pub strategies: Vec<String>,
    /// How long a scenario goes on after its last creation before executions
    /// not yet seen ended are counted as lagging at least that long.
    #[arg(long, default_value_t = 240)]
    pub box_seconds: u64,
    /// Shortest flow run, seconds.
    #[arg(long, default_value_t = 20)]
    pub wait_min_seconds: u32,
    /// Longest flow run, seconds.
    #[arg(long, default_value_t = 60)]
    pub wait_max_seconds: u32,
    /// FlowExecution creations in flight at once.
    #[arg(long, default_value_t = 16)]
    pub create_concurrency: usize,
    /// `Flow` objects to keep beside the FlowExecutions of each scenario (each
    /// a flow of its own the operator creates and then resyncs), to measure the
    /// flow-management calls and 429s and whether the executions' lag moves.
    #[arg(long, default_value_t = 0)]
    pub flows: usize,
    /// Where `benchmarks.md` and `benchmarks-lag.png` are written.
    #[arg(long, default_value = "docs")]
    pub out_dir: PathBuf,
}

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

/// One run: this many FlowExecutions watched with this strategy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ScenarioSpec {
    pub size: usize,
    pub strategy: Strategy,
}

impl ScenarioSpec {
    pub fn label(&self) -> String {
        format!("N={} {}", self.size, self.strategy.label())
    }
}

impl BenchArgs {
    /// Scenarios in run order: by size, each size with every strategy asked.
    pub fn scenarios(&self) -> Result<Vec<ScenarioSpec>, BenchError> {
        let strategies = self
            .strategies
            .iter()
            .map(|s| Strategy::parse(s))
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::new();
        for entry in &self.sizes {
            let (size, only) = match entry.split_once('@') {
                Some((size, strategy)) => (size, Some(Strategy::parse(strategy)?)),
                None => (entry.as_str(), None),
            };
            let size: usize = size
                .trim()
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| BenchError::Usage(format!("size {entry:?} is not a count")))?;
            match only {
                Some(strategy) => out.push(ScenarioSpec { size, strategy }),
                None => out.extend(
                    strategies
                        .iter()
                        .map(|&strategy| ScenarioSpec { size, strategy }),
                ),
            }
        }
        if out.is_empty() {
            return Err(BenchError::Usage("no scenario to run".into()));
        }
        if self.wait_min_seconds > self.wait_max_seconds {
            return Err(BenchError::Usage(
                "--wait-min-seconds is above --wait-max-seconds".into(),
            ));
        }
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn args(line: &[&str]) -> BenchArgs {
        BenchArgs::parse_from(std::iter::once("fnf-bench").chain(line.iter().copied()))
    }

    #[test]
    fn every_size_runs_every_strategy_unless_it_names_one() {
        let specs = args(&["--sizes", "10,10000@long-poll"])
            .scenarios()
            .unwrap();
        let labels: Vec<String> = specs.iter().map(ScenarioSpec::label).collect();
        assert_eq!(labels, ["N=10 planner", "N=10 interval", "N=10000 planner"]);
    }

    #[test]
    fn unknown_strategies_and_zero_sizes_are_refused() {
        assert!(args(&["--strategies", "push"]).scenarios().is_err());
        assert!(args(&["--sizes", "0"]).scenarios().is_err());
        assert!(args(&["--sizes", "10@fast"]).scenarios().is_err());
    }
}
