//! Turns scenario results into the printed table and `docs/benchmarks.md`.
//! Pure text: no I/O, so the document's shape is unit-tested.

use std::fmt::Write as _;

use super::args::{ScenarioSpec, Strategy};
use super::limits::floor::{Floor, WRITES_PER_START, mass_start_floor_secs};
use super::limits::scenario_floor;
use super::measure::Machine;
use super::scenario::ScenarioResult;
use super::stats::{LagSummary, summarize};

const DESCRIBE: &str = "DescribeExecution";
const LIST: &str = "ListExecutions";
/// The apiserver's CPU per FlowExecution write measured on this machine
/// (docs/benchmarks.md, "The apiserver"), for the mass start's floor.
const APISERVER_WRITE_CPU_SECS: f64 = 0.003;

/// How the figures were produced, for the document's header.
pub struct RunContext {
    pub command: String,
    pub machine: Machine,
    pub date: String,
    pub box_seconds: u64,
    pub seed: u64,
    pub total_secs: f64,
    pub plot_file: Option<String>,
}

const HEADER: [&str; 18] = [
    "scenario",
    "strategy",
    "p50 lag s",
    "p90 lag s",
    "p99 lag s",
    "max lag s",
    "floor p99 s",
    "p99/floor",
    "read p99 ≤ s",
    "measured",
    "unseen",
    "Describe/s",
    "List/s",
    "429s",
    "writes/exec",
    "transitions+1",
    "peak RSS MiB",
    "CPU s",
];

/// p99 over its floor; a floor under 0.1 s (the status write and the watch
/// alone take about that) is taken as 0.1 s so a near-zero floor does not
/// make the ratio meaningless.
pub fn floor_ratio(result: &ScenarioResult) -> Option<(f64, f64, bool)> {
    let summary = summarize(&result.lags)?;
    let floor = scenario_floor(&result.spec).p99_secs?;
    Some((
        floor,
        summary.p99.secs / floor.max(MIN_FLOOR_SECS),
        summary.p99.at_least,
    ))
}

const MIN_FLOOR_SECS: f64 = 0.1;

fn row(result: &ScenarioResult) -> Vec<String> {
    let summary: Option<LagSummary> = summarize(&result.lags);
    let q = |pick: fn(&LagSummary) -> String| summary.as_ref().map_or("-".into(), pick);
    let floor = scenario_floor(&result.spec).p99_secs;
    vec![
        result.spec.workload_label(),
        result.spec.strategy.label().to_string(),
        q(|s| s.p50.to_string()),
        q(|s| s.p90.to_string()),
        q(|s| s.p99.to_string()),
        q(|s| s.max.to_string()),
        floor.map_or("∞".into(), |f| format!("{f:.2}")),
        floor_ratio(result).map_or("-".into(), |(_, ratio, at_least)| {
            format!("{}{ratio:.2}", if at_least { "≥" } else { "" })
        }),
        result
            .read_p99_le
            .map_or("-".into(), |le| format!("{le:.2}")),
        result.lags.len().to_string(),
        q(|s| format!("{:.1}%", s.unseen_share * 100.0)),
        format!("{:.2}", result.calls_per_sec(DESCRIBE)),
        format!("{:.2}", result.calls_per_sec(LIST)),
        result.total_throttled().to_string(),
        format!("{:.1}", result.writes_per_execution()),
        result
            .transitions
            .map_or("-".into(), |t| format!("{:.1}", t + 1.0)),
        result.peak_rss_kib.map_or("-".into(), |kib| {
            let mark = if result.peak_rss_is_per_scenario {
                ""
            } else {
                "*"
            };
            format!("{:.0}{mark}", kib as f64 / 1024.0)
        }),
        result.cpu_secs.map_or("-".into(), |s| format!("{s:.1}")),
    ]
}

/// p99(interval) / p99(planner) per size run with both.
pub fn p99_ratios(results: &[ScenarioResult]) -> Vec<(String, String)> {
    let mut workloads: Vec<String> = Vec::new();
    for r in results {
        let label = r.spec.workload_label();
        if !workloads.contains(&label) {
            workloads.push(label);
        }
    }
    let p99 = |workload: &str, strategy: Strategy| {
        results
            .iter()
            .find(|r| r.spec.strategy == strategy && r.spec.workload_label() == workload)
            .and_then(|r| summarize(&r.lags))
            .map(|s| s.p99)
    };
    workloads
        .into_iter()
        .filter_map(|workload| {
            let interval = p99(&workload, Strategy::Interval)?;
            let long_poll = p99(&workload, Strategy::LongPoll)?;
            // A floor keeps a near-zero planner lag from making the ratio meaningless.
            let ratio = interval.secs / long_poll.secs.max(0.01);
            let bound = if interval.at_least || long_poll.at_least {
                " (from bounds)"
            } else {
                ""
            };
            Some((workload, format!("{ratio:.0}×{bound}")))
        })
        .collect()
}

/// The plain-text table printed at the end of a run.
pub fn terminal_table(results: &[ScenarioResult]) -> String {
    let rows: Vec<Vec<String>> = results.iter().map(row).collect();
    let widths: Vec<usize> = (0..HEADER.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([HEADER[c].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:>w$}"))
            .collect();
        padded.join("  ")
    };
    let mut out = line(HEADER.iter().map(ToString::to_string).collect());
    for r in rows {
        out.push('\n');
        out.push_str(&line(r));
    }
    for (size, ratio) in p99_ratios(results) {
        let _ = write!(out, "\np99 lag interval/planner at {size}: {ratio}");
    }
    out
}

fn markdown_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!("| {} |\n", header.join(" | "));
    out.push_str(&format!("|{}\n", " --- |".repeat(header.len())));
    for r in rows {
        out.push_str(&format!("| {} |\n", r.join(" | ")));
    }
    out
}

fn calls_table(results: &[ScenarioResult]) -> String {
    let mut actions: Vec<&String> = results.iter().flat_map(|r| r.calls.keys()).collect();
    actions.sort();
    actions.dedup();
    let mut header = vec![
        "scenario",
        "strategy",
        "created",
        "measured s",
        "create s",
        "live started s",
        "waiting to start at close",
    ];
    // A request without an Action (someone reading the emulator's address
    // by hand) is still a call the emulator answered.
    header.extend(actions.iter().map(|a| {
        if a.is_empty() {
            "(no Action)"
        } else {
            a.as_str()
        }
    }));
    header.push("429 by action");
    header.push("failed reconciles");
    let rows: Vec<Vec<String>> = results
        .iter()
        .map(|r| {
            let mut cells = vec![
                r.spec.workload_label(),
                r.spec.strategy.label().to_string(),
                r.created.to_string(),
                format!("{:.0}", r.measured_secs),
                format!("{:.1}", r.create_secs),
                r.live_secs.map_or("—".into(), |x| format!("{x:.0}")),
                r.waiting_at_close.map_or("—".into(), |n| n.to_string()),
            ];
            cells.extend(
                actions
                    .iter()
                    .map(|a| r.calls.get(*a).copied().unwrap_or(0).to_string()),
            );
            let throttled: Vec<String> = r
                .throttled
                .iter()
                .map(|(a, n)| format!("{a} {n}"))
                .collect();
            cells.push(if throttled.is_empty() {
                "none".into()
            } else {
                throttled.join(", ")
            });
            let failed: Vec<String> = r
                .reconcile_errors
                .iter()
                .map(|(reason, n)| format!("{reason} {n}"))
                .collect();
            cells.push(if failed.is_empty() {
                "none".into()
            } else {
                failed.join(", ")
            });
            cells
        })
        .collect();
    markdown_table(&header, &rows)
}

/// A line per steady scenario whose starts fell behind its arrivals: more
/// than 1% of its live count still waiting to start when the window closed.
pub fn steady_state_lines(results: &[ScenarioResult]) -> Vec<String> {
    results
        .iter()
        .filter_map(|r| {
            let waiting = r.waiting_at_close?;
            let live = r.spec.size as u64;
            (waiting * 100 > live).then(|| {
                format!(
                    "- {} {}: **no steady state**: {waiting} FlowExecutions were still waiting to \
                     start when the window closed, so fewer than {live} runs were live; the floor \
                     is for {live}.",
                    r.spec.workload_label(),
                    r.spec.strategy.label(),
                )
            })
        })
        .collect()
}

/// One line per scenario: its floor and what the model saw, for a reader to
/// check against docs/benchmarks.md.
pub fn floor_lines(results: &[ScenarioResult]) -> Vec<String> {
    results
        .iter()
        .filter_map(|r| {
            let s = summarize(&r.lags)?;
            let f = scenario_floor(&r.spec);
            let floor = f
                .p99_secs
                .map_or("∞ (pages cannot keep up)".into(), |x| format!("{x:.2} s"));
            let round = f.round_secs.map_or("∞".into(), |x| format!("{x:.1} s"));
            let ratio =
                floor_ratio(r).map_or(String::new(), |(_, ratio, _)| format!(", ratio {ratio:.2}"));
            Some(format!(
                "- {} {}: p99 {} s against a floor of {floor}{ratio}. Per account: {} of {} flows \
                 wholly on long-polls, {} paged, {:.1}% of endings answered by a long-poll, {:.2} \
                 paged endings/s; a round-robin round over the paged flows {round}{}.",
                r.spec.workload_label(),
                r.spec.strategy.label(),
                s.p99,
                f.covered_flows,
                r.spec.shape.flows,
                f.paged_flows,
                f.zero_lag_share * 100.0,
                f.paged_endings_per_sec.max(0.0) + 0.0,
                repaging_clause(&f),
            ))
        })
        .collect()
}

/// One scenario's floor and the model's view of it, without a run.
pub fn floor_summary(spec: &ScenarioSpec) -> String {
    let f = scenario_floor(spec);
    let rate = spec
        .shape
        .arrival_rate(spec.size)
        .map_or(String::new(), |r| format!(", {r:.1} arrivals/s"));
    format!(
        "{}{rate}: floor p99 {}; per account {} of {} flows on long-polls, {} paged, \
         {:.1}% answered by a long-poll, {:.2} paged endings/s, round-robin round {}{}",
        spec.workload_label(),
        f.p99_secs.map_or("∞".into(), |x| format!("{x:.2} s")),
        f.covered_flows,
        spec.shape.flows,
        f.paged_flows,
        f.zero_lag_share * 100.0,
        f.paged_endings_per_sec.max(0.0) + 0.0,
        f.round_secs.map_or("∞".into(), |x| format!("{x:.1} s")),
        repaging_clause(&f),
    )
}

/// The re-paging bound's own figure (final statuses and a call per visit
/// charged), when the model applied it, with the describe price that sets it
/// (what a final status found by absence costs).
fn repaging_clause(f: &Floor) -> String {
    match (f.repaging_secs, f.repaging_describe_in_pages) {
        // A bound under 10 ms means describes alone nearly do it; the price
        // the search stopped at then tells a reader nothing.
        (Some(x), Some(price)) if x >= 0.01 => {
            format!(
                "; re-paging with final statuses and calls alone {x:.2} s (a describe worth {price:.2} pages)"
            )
        }
        (Some(x), _) => format!("; re-paging with final statuses and calls alone {x:.2} s"),
        _ => String::new(),
    }
}

/// The mass start of each burst: applying N FlowExecutions to the last
/// StartExecution, against its floor.
pub fn mass_start_lines(results: &[ScenarioResult], cores: usize) -> Vec<String> {
    results
        .iter()
        .filter_map(|r| {
            let span = r.start_span_secs?;
            let f = mass_start_floor_secs(r.spec.size, APISERVER_WRITE_CPU_SECS, cores);
            Some(format!(
                "- {} {}: last StartExecution {span:.1} s after the first creation; floor {:.1} s \
                 (StartExecution at 0.9 × 100/s: {:.1} s; apiserver {WRITES_PER_START} writes × \
                 {:.0} ms over {cores} cores: {:.1} s), ratio {:.2}.",
                r.spec.workload_label(),
                r.spec.strategy.label(),
                f.secs(),
                f.quota,
                APISERVER_WRITE_CPU_SECS * 1000.0,
                f.apiserver,
                span / f.secs().max(f64::EPSILON),
            ))
        })
        .collect()
}

/// The results part of `docs/benchmarks.md`; the prose around it is in `lib.rs`'s template.
pub fn markdown_results(results: &[ScenarioResult], ctx: &RunContext) -> String {
    let mut out = String::new();
    let m = &ctx.machine;
    let _ = writeln!(
        out,
        "Run on {}: {} cores ({}), {:.1} GiB memory, shared with other work. Seed {}; \
         scenarios close {} s after their last creation (burst) or their window (steady), \
         or as soon as every measured end is seen. Whole run: {:.0} s.\n",
        ctx.date, m.cores, m.cpu_model, m.memory_gib, ctx.seed, ctx.box_seconds, ctx.total_secs
    );
    let _ = writeln!(out, "```sh\n{}\n```\n", ctx.command);
    let rows: Vec<Vec<String>> = results.iter().map(row).collect();
    out.push_str(&markdown_table(&HEADER, &rows));
    let ratios = p99_ratios(results);
    if !ratios.is_empty() {
        out.push_str("\np99 lag, interval ÷ planner: ");
        let parts: Vec<String> = ratios
            .iter()
            .map(|(size, ratio)| format!("{size}: {ratio}"))
            .collect();
        out.push_str(&parts.join("; "));
        out.push_str(".\n");
    }
    for (title, lines) in [
        ("Against the floor", floor_lines(results)),
        ("Starts behind arrivals", steady_state_lines(results)),
        ("Mass starts", mass_start_lines(results, m.cores)),
    ] {
        if !lines.is_empty() {
            let _ = write!(out, "\n{title}:\n\n{}\n", lines.join("\n"));
        }
    }
    out.push_str("\nCloud calls the emulator answered during each scenario, by action:\n\n");
    out.push_str(&calls_table(results));
    if let Some(plot) = &ctx.plot_file {
        let _ = writeln!(
            out,
            "\n![Share of executions whose end was visible within a given lag]({plot})"
        );
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "report_tests.rs"]
mod tests;
