//! The report's tables and lines, on sample results.

use super::*;

use crate::testing::sample_result as result;

#[test]
fn the_table_shows_rates_per_execution_and_the_p99_ratio() {
    let results = [
        result(10, Strategy::LongPoll, 0.5),
        result(10, Strategy::Interval, 5.0),
    ];
    let table = terminal_table(&results);
    assert!(table.contains("2.50"), "{table}");
    assert!(table.contains("3.0"), "{table}");
    assert!(table.contains("200"), "{table}");
    assert!(table.ends_with("at N=10: 10×"), "{table}");
}

#[test]
fn each_scenario_is_set_against_its_floor_and_each_burst_against_its_start_floor() {
    let results = [result(250, Strategy::LongPoll, 1.0)];
    let table = terminal_table(&results);
    // Floor 0.50 s, p99 1.00 s: ratio 2.00.
    assert!(table.contains("0.50"), "{table}");
    assert!(table.contains("2.00"), "{table}");
    let lines = floor_lines(&results);
    assert!(
        lines[0].starts_with("- N=250 planner: p99 1.00 s against a floor of 0.50 s, ratio 2.00."),
        "{}",
        lines[0]
    );
    let starts = mass_start_lines(&results, 2);
    // 250 at 90/s: 2.8 s; 4 writes × 3 ms / 2 cores: 1.5 s.
    assert!(starts[0].contains("floor 2.8 s"), "{}", starts[0]);
    assert!(starts[0].contains("1.5 s), ratio 0.36."), "{}", starts[0]);
}

#[test]
fn a_steady_scenario_whose_starts_fell_behind_is_flagged() {
    let mut behind = result(1000, Strategy::LongPoll, 1.0);
    behind.waiting_at_close = Some(11);
    let mut kept_up = result(1000, Strategy::LongPoll, 1.0);
    kept_up.waiting_at_close = Some(10);
    let lines = steady_state_lines(&[behind, kept_up, result(1000, Strategy::LongPoll, 1.0)]);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("no steady state**: 11 FlowExecutions"),
        "{}",
        lines[0]
    );
}
