//! Results to test the report and the limits with, without running anything.

use crate::scenario::ScenarioResult;

/// A scenario where every execution lagged `lag`, for the report's tests.
pub fn sample_result(size: usize, strategy: crate::args::Strategy, lag: f64) -> ScenarioResult {
    ScenarioResult {
        spec: crate::args::ScenarioSpec {
            size,
            strategy,
            shape: crate::shape::Shape::classic(20.0, 60.0),
        },
        lags: vec![
            crate::stats::LagSample {
                secs: lag,
                seen: true
            };
            size
        ],
        not_ended: 0,
        created: size,
        create_secs: 1.0,
        start_span_secs: Some(1.0),
        window_secs: None,
        measured_secs: 100.0,
        calls: [("DescribeExecution".to_string(), 250)].into(),
        throttled: Default::default(),
        status_writes: 3.0 * size as f64,
        transitions: Some(3.0),
        read_p99_le: Some(0.02),
        reconcile_errors: Default::default(),
        peak_rss_kib: Some(204_800),
        peak_rss_is_per_scenario: true,
        cpu_secs: Some(12.0),
        waiting_at_close: None,
        live_secs: None,
    }
}
