//! The benchmark's command line and the scenarios it names. Parsing only: no
//! I/O, so the scenario grammar is unit-tested.

use std::path::PathBuf;

use clap::Parser;

use super::BenchError;
use super::shape::{Arrivals, Durations, FlowSkew, Shape};
use super::spec::expand;
pub use super::spec::{INTERVAL_PERIOD, LONG_POLL_WAIT_SECS, ScenarioSpec, Strategy};

/// Status lag of FlowExecutions under the cloud's documented quotas, per
/// workload shape and poll strategy.
#[derive(Debug, Clone, Parser)]
#[command(name = "fnf-bench")]
pub struct BenchArgs {
    /// A named list of scenarios (`default`, `small`, `classic`); the shape
    /// flags below then must not be given. See docs/benchmarks.md.
    #[arg(long)]
    pub preset: Option<String>,
    /// Numbers of FlowExecutions started together (burst) or kept live
    /// (steady), one scenario each. `SIZE@STRATEGY` runs that size with one
    /// strategy only (e.g. `250@planner`). Default: 10,100,250@planner,1000,10000.
    #[arg(long, value_delimiter = ',')]
    pub sizes: Option<Vec<String>>,
    /// The live count to keep with steady arrivals (the same as `--sizes N`).
    #[arg(long)]
    pub live: Option<usize>,
    /// Poll strategies to compare: `planner` (long-polls within the quota,
    /// ListExecutions sweeps for the rest; `long-poll` is an alias), `interval`.
    #[arg(long, value_delimiter = ',', default_value = "planner,interval")]
    pub strategies: Vec<String>,
    /// Flows per account over which the executions are spread.
    #[arg(long)]
    pub flows: Option<usize>,
    /// How executions pick their flow: `uniform` or `zipf:S` (share ∝ 1/k^S).
    #[arg(long)]
    pub flow_skew: Option<String>,
    /// Run times: `uniform:MIN-MAX` or `lognormal:MEDIAN,SIGMA[,cap=C]`
    /// (seconds). Default: uniform between the two --wait-*-seconds.
    #[arg(long)]
    pub durations: Option<String>,
    /// `burst` (all start together) or `steady[:RATE]` (the live count from the
    /// start, then Poisson arrivals at RATE/s; default live ÷ mean run time).
    #[arg(long)]
    pub arrivals: Option<String>,
    /// Credential sets (accounts, each with its own quotas) the executions are
    /// spread over, round robin.
    #[arg(long)]
    pub accounts: Option<usize>,
    /// Seeds every random draw (flows, accounts, run times, arrivals).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Steady scenarios: the shortest measurement window, seconds; it is at
    /// least three median run times.
    #[arg(long, default_value_t = 0)]
    pub measure_seconds: u64,
    /// How long a scenario goes on after its last creation (burst) or its
    /// measurement window (steady) before executions not yet seen ended are
    /// counted as lagging at least that long.
    #[arg(long, default_value_t = 240)]
    pub box_seconds: u64,
    /// Shortest flow run, seconds (when --durations is not given).
    #[arg(long, default_value_t = 20)]
    pub wait_min_seconds: u32,
    /// Longest flow run, seconds (when --durations is not given).
    #[arg(long, default_value_t = 60)]
    pub wait_max_seconds: u32,
    /// FlowExecution creations in flight at once.
    #[arg(long, default_value_t = 16)]
    pub create_concurrency: usize,
    /// `Flow` objects to keep beside the FlowExecutions of each scenario (each
    /// a flow of its own the operator creates and then resyncs), to measure the
    /// flow-management calls and 429s and whether the executions' lag moves.
    #[arg(long, default_value_t = 0)]
    pub flow_objects: usize,
    /// Print each scenario's floor (docs/benchmarks.md, "The floor") and exit
    /// without running anything.
    #[arg(long)]
    pub floors: bool,
    /// Where `benchmarks.md` and `benchmarks-lag.png` are written.
    #[arg(long, default_value = "docs")]
    pub out_dir: PathBuf,
}

impl BenchArgs {
    pub(crate) fn classic_durations(&self) -> Result<Durations, BenchError> {
        if self.wait_min_seconds > self.wait_max_seconds {
            return Err(BenchError::Usage(
                "--wait-min-seconds is above --wait-max-seconds".into(),
            ));
        }
        Ok(Durations::Uniform {
            min: f64::from(self.wait_min_seconds.max(1)),
            max: f64::from(self.wait_max_seconds.max(1)),
        })
    }

    /// The shape the flags give (or the classic one).
    fn shape(&self) -> Result<Shape, BenchError> {
        let positive = |n: Option<usize>, what: &str| match n {
            Some(0) => Err(BenchError::Usage(format!("--{what} must be at least 1"))),
            n => Ok(n.unwrap_or(1)),
        };
        Ok(Shape {
            flows: positive(self.flows, "flows")?,
            skew: self
                .flow_skew
                .as_deref()
                .map_or(Ok(FlowSkew::Uniform), FlowSkew::parse)?,
            durations: match &self.durations {
                Some(text) => Durations::parse(text)?,
                None => self.classic_durations()?,
            },
            arrivals: self
                .arrivals
                .as_deref()
                .map_or(Ok(Arrivals::Burst), Arrivals::parse)?,
            accounts: positive(self.accounts, "accounts")?,
        })
    }

    /// Scenarios in run order: by line, each size with every strategy asked.
    pub fn scenarios(&self) -> Result<Vec<ScenarioSpec>, BenchError> {
        let strategies = self
            .strategies
            .iter()
            .map(|s| Strategy::parse(s))
            .collect::<Result<Vec<_>, _>>()?;
        let out = match &self.preset {
            Some(name) => {
                let shape_flag_given = self.sizes.is_some()
                    || self.live.is_some()
                    || self.flows.is_some()
                    || self.flow_skew.is_some()
                    || self.durations.is_some()
                    || self.arrivals.is_some()
                    || self.accounts.is_some();
                if shape_flag_given {
                    return Err(BenchError::Usage(
                        "--preset names whole scenarios: drop the shape flags".into(),
                    ));
                }
                super::presets::scenarios(self.classic_durations()?, name, &strategies)?
            }
            None => {
                let shape = self.shape()?;
                let sizes = match (&self.sizes, self.live) {
                    (Some(_), Some(_)) => {
                        return Err(BenchError::Usage(
                            "--live and --sizes name the same thing; give one".into(),
                        ));
                    }
                    (Some(sizes), None) => sizes.join(","),
                    (None, Some(live)) => live.to_string(),
                    (None, None) => super::presets::CLASSIC_SIZES.to_string(),
                };
                expand(&sizes, shape, &strategies)?
            }
        };
        if out.is_empty() {
            return Err(BenchError::Usage("no scenario to run".into()));
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
        assert!(args(&["--flows", "0"]).scenarios().is_err());
        assert!(
            args(&["--sizes", "10", "--live", "10"])
                .scenarios()
                .is_err()
        );
        assert!(args(&["--preset", "nightly"]).scenarios().is_err());
        assert!(
            args(&["--preset", "small", "--flows", "3"])
                .scenarios()
                .is_err()
        );
    }

    #[test]
    fn shape_flags_make_one_scenario_per_strategy() {
        let specs = args(&[
            "--live",
            "300",
            "--flows",
            "20",
            "--flow-skew",
            "zipf:1.1",
            "--durations",
            "lognormal:20,1,cap=600",
            "--arrivals",
            "steady",
            "--accounts",
            "2",
            "--strategies",
            "planner",
        ])
        .scenarios()
        .unwrap();
        assert_eq!(specs.len(), 1);
        let spec = specs[0];
        assert_eq!(spec.size, 300);
        assert_eq!(spec.shape.flows, 20);
        assert_eq!(spec.shape.skew, FlowSkew::Zipf(1.1));
        assert_eq!(spec.shape.accounts, 2);
        assert_eq!(spec.live_per_account(), 150.0);
        assert_eq!(
            spec.label(),
            "live=300 flows=20 zipf:1.1 lognormal:20,1,cap=600 steady accounts=2 planner"
        );
    }

    #[test]
    fn the_default_preset_has_the_issues_steady_scenarios_and_no_flags_run_the_classic_bursts() {
        let specs = args(&["--preset", "default"]).scenarios().unwrap();
        let labels: Vec<String> = specs.iter().map(ScenarioSpec::label).collect();
        let steady = "zipf:1.1 lognormal:300,1,cap=3600 steady";
        let shorter = "zipf:1.1 lognormal:180,1,cap=3600 steady";
        assert_eq!(
            labels[..4],
            [
                format!("live=10000 flows=50 {steady} planner"),
                format!("live=10000 flows=50 {steady} interval"),
                format!("live=2000 flows=200 {shorter} planner"),
                format!("live=10000 flows=50 {steady} accounts=2 planner"),
            ]
        );
        assert_eq!(labels.len(), 4);
        // Without a preset or sizes, the classic bursts: what the first benchmark ran.
        let classic = args(&[]).scenarios().unwrap();
        assert_eq!(classic.len(), 9);
        assert_eq!(classic[0].label(), "N=10 planner");
    }
}
