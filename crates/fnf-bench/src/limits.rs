//! The physical limits the measured lags are set against: what the cloud's
//! documented quotas allow any scheme, whatever it does. Pure arithmetic.

use super::args::{INTERVAL_PERIOD, LONG_POLL_WAIT_SECS, ScenarioSpec, Strategy};
use super::scenario::ScenarioResult;
use super::stats::summarize;
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

/// The average re-poll period the quota forces on N executions (N/Q), or
/// `None` when every execution can hold a long-poll at all times.
pub fn quota_repoll_secs(spec: ScenarioSpec) -> Option<f64> {
    let n = spec.size as f64;
    match spec.strategy {
        Strategy::LongPoll if n <= long_poll_capacity() => None,
        Strategy::LongPoll => Some(n / DESCRIBE_QUOTA_PER_SEC),
        Strategy::Interval => Some((n / DESCRIBE_QUOTA_PER_SEC).max(INTERVAL_PERIOD.as_secs_f64())),
    }
}

/// When N executions start together and run uniformly between `wait_min` and
/// `wait_max` seconds, the share that ends before its first DescribeExecution
/// long-poll can be placed, whatever the order (nobody knows a run's length in
/// advance): at most B + Q·t first calls are placed by time t, even with the
/// cloud's whole burst. Those ends can only be found by a ListExecutions page.
pub fn mass_start_unplaced_share(n: usize, wait_min: u32, wait_max: u32) -> f64 {
    let (a, b) = (f64::from(wait_min), f64::from(wait_max));
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

/// One line per scenario setting its measured lags against the quota's bound:
/// a pure round-robin over N executions at Q calls/s spreads lags uniformly
/// over [0, N/Q], i.e. p50 ≈ N/2Q and p99 ≈ 0.99·N/Q. Where N fits the
/// long-polls, the bound is the mass start's.
pub fn limit_comparison(results: &[ScenarioResult], wait_min: u32, wait_max: u32) -> Vec<String> {
    results
        .iter()
        .filter_map(|r| {
            let s = summarize(&r.lags)?;
            let name = format!("N={} {}", r.spec.size, r.spec.strategy.label());
            Some(match quota_repoll_secs(r.spec) {
                None => {
                    let unplaced = mass_start_unplaced_share(r.spec.size, wait_min, wait_max);
                    let start = if unplaced > 0.01 {
                        format!(
                            " Started together, at least {:.1}% end before any scheme can place \
                             their first long-poll, so p99 can be no better than a ListExecutions \
                             page's wait (1/{LIST_QUOTA_PER_SEC:.0} s per page).",
                            unplaced * 100.0
                        )
                    } else {
                        format!(
                            " Started together, {:.2}% end before their first long-poll can be placed.",
                            unplaced * 100.0
                        )
                    };
                    format!(
                        "- {name}: N ≤ Q×60 = {:.0}: p50 {} s, p99 {} s.{start}",
                        long_poll_capacity(),
                        s.p50,
                        s.p99
                    )
                }
                Some(bound) => format!(
                    "- {name}: p50 {} s, p99 {} s against a bound of {bound:.0} s \
                     (round-robin reference: p50 ≈ {:.0} s, p99 ≈ {:.0} s).",
                    s.p50,
                    s.p99,
                    bound / 2.0,
                    bound * 0.99
                ),
            })
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::scenario::sample_result as result;

    #[test]
    fn the_quota_bound_applies_to_long_polls_only_beyond_q_times_the_wait() {
        let spec = |size, strategy| ScenarioSpec {
            size,
            strategy,
            shape: crate::shape::Shape::classic(20.0, 60.0),
        };
        assert_eq!(long_poll_capacity(), 300.0);
        assert_eq!(quota_repoll_secs(spec(300, Strategy::LongPoll)), None);
        assert_eq!(
            quota_repoll_secs(spec(1000, Strategy::LongPoll)),
            Some(200.0)
        );
        assert_eq!(quota_repoll_secs(spec(10, Strategy::Interval)), Some(10.0));
        assert_eq!(quota_repoll_secs(spec(100, Strategy::Interval)), Some(20.0));
    }

    #[test]
    fn a_mass_start_leaves_some_ends_before_their_first_long_poll() {
        // 250 over 20–60 s: 50 + 5t placed by t, unplaced share 0.8 − 0.02t
        // until t = 40, i.e. (1/40)·∫₂₀⁴⁰ (0.8 − 0.02t) dt = 4/40.
        let share = mass_start_unplaced_share(250, 20, 60);
        assert!((share - 0.10).abs() < 1e-6, "{share}");
        // The burst alone places 50; at 100, 50 + 5·20 = 150 are placed before
        // the first end.
        assert_eq!(mass_start_unplaced_share(50, 20, 60), 0.0);
        assert_eq!(mass_start_unplaced_share(100, 20, 60), 0.0);
        assert_eq!(mass_start_unplaced_share(0, 20, 60), 0.0);
    }

    #[test]
    fn lags_are_set_against_the_quota_bound_only_where_there_is_one() {
        let lines = limit_comparison(
            &[
                result(10, Strategy::LongPoll, 0.01),
                result(1000, Strategy::Interval, 150.0),
                result(250, Strategy::LongPoll, 1.0),
            ],
            20,
            60,
        );
        assert_eq!(
            lines[0],
            "- N=10 planner: N ≤ Q×60 = 300: p50 0.01 s, p99 0.01 s. Started together, \
             0.00% end before their first long-poll can be placed."
        );
        assert_eq!(
            lines[1],
            "- N=1000 interval: p50 150 s, p99 150 s against a bound of 200 s \
             (round-robin reference: p50 ≈ 100 s, p99 ≈ 198 s)."
        );
        assert!(
            lines[2].contains("at least 10.0% end before"),
            "{}",
            lines[2]
        );
    }
}
