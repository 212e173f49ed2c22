//! The physical limits the measured lags are set against: what the cloud's
//! documented quotas allow any scheme, whatever it does. Pure arithmetic.

pub mod floor;
pub mod repaging;
pub mod repaging_bound;

use super::args::{LONG_POLL_WAIT_SECS, ScenarioSpec};
use super::shape::Durations;
use floor::{Floor, FloorInput};
use fnf_client::quota::{DESCRIBE_EXECUTION_RATE, OTHER_ACTIONS_RATE};

/// The documented DescribeExecution quota: steady calls per second, and burst.
pub const DESCRIBE_QUOTA_PER_SEC: f64 = DESCRIBE_EXECUTION_RATE.per_second;
pub const DESCRIBE_BURST: f64 = DESCRIBE_EXECUTION_RATE.burst as f64;
/// The documented ListExecutions quota (one of the "other actions"): calls per second.
pub const LIST_QUOTA_PER_SEC: f64 = OTHER_ACTIONS_RATE.per_second;

/// Executions one pure polling scheme can keep a call in flight for.
pub fn long_poll_capacity() -> f64 {
    DESCRIBE_QUOTA_PER_SEC * f64::from(LONG_POLL_WAIT_SECS)
}

/// When N executions start together and run uniformly between `wait_min` and
/// `wait_max` seconds, the share that ends before its first DescribeExecution
/// long-poll can be placed, whatever the order (nobody knows a run's length in
/// advance): at most B + Q·t first calls are placed by time t, even with the
/// cloud's whole burst. Those ends can only be found by a ListExecutions page.
pub fn mass_start_unplaced_share(n: usize, wait_min: f64, wait_max: f64) -> f64 {
    let (a, b) = (wait_min, wait_max);
    if n == 0 || b <= a {
        return 0.0;
    }
    let n = n as f64;
    let unplaced_at = |t: f64| (1.0 - (DESCRIBE_BURST + DESCRIBE_QUOTA_PER_SEC * t) / n).max(0.0);
    // The share ending in [t, t + dt] is dt / (b − a); a midpoint sum is exact
    // enough for a piecewise-linear integrand.
    const STEPS: u32 = 10_000;
    let dt = (b - a) / f64::from(STEPS);
    (0..STEPS)
        .map(|i| unplaced_at(a + (f64::from(i) + 0.5) * dt) * dt)
        .sum::<f64>()
        / (b - a)
}

/// The floor of one scenario: its accounts are alike (executions are dealt
/// round robin, each account with the same flows), so one account's floor is
/// the scenario's.
pub fn scenario_floor(spec: &ScenarioSpec) -> Floor {
    let shape = spec.shape;
    let live = spec.live_per_account();
    let accounts = shape.accounts.max(1) as f64;
    let (endings_per_sec, burst_secs, unplaceable_share) = match shape.arrival_rate(spec.size) {
        Some(rate) => (rate / accounts, None, 0.0),
        None => {
            // A burst's endings spread over its run times: uniformly over
            // [A, B] for uniform runs; a lognormal's, about its mean.
            let (spread, unplaced) = match shape.durations {
                Durations::Uniform { min, max } => (
                    (max - min).max(1.0),
                    mass_start_unplaced_share(live.round() as usize, min, max),
                ),
                Durations::LogNormal { .. } => (shape.durations.mean(), 0.0),
            };
            (live / spread, Some(spread), unplaced)
        }
    };
    let long_polls_per_execution = match burst_secs {
        // A burst's long-polls are bounded by the first calls (the
        // unplaceable share) and by the S slots over its live count.
        Some(_) => live / (f64::from(LONG_POLL_WAIT_SECS) * endings_per_sec),
        None => shape
            .durations
            .mean_waits_started(f64::from(LONG_POLL_WAIT_SECS)),
    };
    let run_ages = match burst_secs {
        Some(_) => Vec::new(),
        None => run_ages(shape.durations),
    };
    floor::floor(&FloorInput {
        run_ages,
        long_polls_per_execution,
        flow_shares: shape.skew.shares(shape.flows),
        endings_per_sec,
        unplaceable_share,
        burst_secs,
    })
}

/// The run-time distribution in slices for the re-paging bound, up to the
/// cap (or, uncapped, to where fewer than one run in 10⁹ is still going).
/// The bound sorts them a few thousand times (every deadline and describe
/// price it tries), so 2,000: 1.8 s wide for a cap of an hour.
fn run_ages(durations: Durations) -> Vec<repaging::AgeSlice> {
    let horizon = durations.max().unwrap_or_else(|| match durations {
        Durations::LogNormal { median, sigma, .. } => median * (6.0 * sigma).exp(),
        Durations::Uniform { max, .. } => max,
    });
    repaging::age_slices(|a| durations.survival(a), horizon, 2_000)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_mass_start_leaves_some_ends_before_their_first_long_poll() {
        // 250 over 20–60 s: 50 + 5t placed by t, unplaced share 0.8 − 0.02t
        // until t = 40, i.e. (1/40)·∫₂₀⁴⁰ (0.8 − 0.02t) dt = 4/40.
        let share = mass_start_unplaced_share(250, 20.0, 60.0);
        assert!((share - 0.10).abs() < 1e-6, "{share}");
        // The burst alone places 50; at 100, 50 + 5·20 = 150 are placed before
        // the first end.
        assert_eq!(mass_start_unplaced_share(50, 20.0, 60.0), 0.0);
        assert_eq!(mass_start_unplaced_share(100, 20.0, 60.0), 0.0);
        assert_eq!(mass_start_unplaced_share(0, 20.0, 60.0), 0.0);
    }

    #[test]
    fn a_scenarios_floor_is_one_accounts() {
        use crate::args::{ScenarioSpec, Strategy};
        use crate::shape::{Arrivals, FlowSkew, Shape};
        // The classic burst of 250 over 20–60 s: 10% unplaceable, one flow
        // paged at 1.8/s for 0.9 of them (floor::tests has the arithmetic).
        let burst = ScenarioSpec {
            size: 250,
            strategy: Strategy::LongPoll,
            shape: Shape::classic(20.0, 60.0),
        };
        let f = scenario_floor(&burst);
        assert!((f.p99_secs.unwrap() - 0.5).abs() < 1e-3, "{f:?}");
        // Two accounts of 2,000 live over 10 alike flows, runs of 50–150 s: 20
        // endings/s an account, 2 per flow, each run 1 + 0.9 + 0.3 = 2.2
        // long-polls. 4.5 calls/s hold one flow (4.4) and 0.1/2.2 endings/s
        // of the other 18/s: nine flows paged at 1.99495/s, z = 0.10227.
        // 99% needs 17.7545/s within x: eight whole flows and 0.89975 of the
        // ninth, x = 8.89975/1.8.
        let steady = ScenarioSpec {
            size: 4000,
            strategy: Strategy::LongPoll,
            shape: Shape {
                flows: 10,
                skew: FlowSkew::Uniform,
                durations: Durations::Uniform {
                    min: 50.0,
                    max: 150.0,
                },
                arrivals: Arrivals::Steady { rate: None },
                accounts: 2,
            },
        };
        let f = scenario_floor(&steady);
        assert!((f.zero_lag_share - 0.102_27).abs() < 1e-5, "{f:?}");
        assert!((f.p99_secs.unwrap() - 8.899_75 / 1.8).abs() < 1e-4, "{f:?}");
    }
}
