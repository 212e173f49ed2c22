//! The named scenario lists `--preset` runs: the steady workloads,
//! a small one to try the harness, and the classic bursts.

use super::BenchError;
use super::shape::{Arrivals, Durations, FlowSkew, Shape};
use super::spec::{ScenarioSpec, Strategy, expand};

/// The steady workloads: 10,000 live over 50 flows (both strategies),
/// 2,000 over 200, and two accounts of 5,000. At 10,000 live, runs of a 300 s
/// median arrive at 20 a second, what this machine's apiserver can start
/// (docs/benchmarks.md, "How long a run takes").
const STEADY_LINES: [PresetLine; 3] = [
    (
        "10000",
        50,
        "zipf:1.1",
        "lognormal:300,1,cap=3600",
        "steady",
        1,
    ),
    (
        "2000@planner",
        200,
        "zipf:1.1",
        "lognormal:180,1,cap=3600",
        "steady",
        1,
    ),
    (
        "10000@planner",
        50,
        "zipf:1.1",
        "lognormal:300,1,cap=3600",
        "steady",
        2,
    ),
];

/// The named scenario lists. Each line: sizes (as `--sizes`), then the shape
/// flags' values; `-` keeps the classic shape's value.
const PRESETS: [(&str, &[PresetLine]); 4] = [
    // The steady workloads alone: with the classic bursts a run took about
    // 70 minutes (docs/benchmarks.md, "How long a run takes").
    ("default", &STEADY_LINES),
    ("steady", &STEADY_LINES),
    (
        "small",
        &[
            ("300", 20, "zipf:1.1", "lognormal:20,1,cap=600", "steady", 1),
            ("250@planner", 1, "uniform", "-", "burst", 1),
        ],
    ),
    ("classic", &[CLASSIC_LINE]),
];
type PresetLine = (
    &'static str,
    usize,
    &'static str,
    &'static str,
    &'static str,
    usize,
);
pub const CLASSIC_SIZES: &str = "10,100,250@planner,1000,10000";
const CLASSIC_LINE: PresetLine = (CLASSIC_SIZES, 1, "uniform", "-", "burst", 1);

/// The scenarios of preset `name`; the shape flags must not be given.
pub fn scenarios(
    classic_durations: Durations,
    name: &str,
    strategies: &[Strategy],
) -> Result<Vec<ScenarioSpec>, BenchError> {
    let lines = PRESETS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, lines)| *lines)
        .ok_or_else(|| {
            let names: Vec<&str> = PRESETS.iter().map(|(n, _)| *n).collect();
            BenchError::Usage(format!("unknown preset {name:?} ({})", names.join(", ")))
        })?;
    let mut out = Vec::new();
    for &(sizes, flows, skew, durations, arrivals, accounts) in lines {
        let shape = Shape {
            flows,
            skew: FlowSkew::parse(skew)?,
            durations: match durations {
                "-" => classic_durations,
                text => Durations::parse(text)?,
            },
            arrivals: Arrivals::parse(arrivals)?,
            accounts,
        };
        out.extend(expand(sizes, shape, strategies)?);
    }
    Ok(out)
}
