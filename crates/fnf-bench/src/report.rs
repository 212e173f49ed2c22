//! Turns scenario results into the printed table and `docs/benchmarks.md`.
//! Pure text: no I/O, so the document's shape is unit-tested.

use std::fmt::Write as _;

use super::args::Strategy;
use super::limits::{limit_comparison, quota_repoll_secs};
use super::measure::Machine;
use super::scenario::ScenarioResult;
use super::stats::{LagSummary, summarize};

const DESCRIBE: &str = "DescribeExecution";

/// How the figures were produced, for the document's header.
pub struct RunContext {
    pub command: String,
    pub machine: Machine,
    pub date: String,
    pub box_seconds: u64,
    pub wait_min_seconds: u32,
    pub wait_max_seconds: u32,
    pub total_secs: f64,
    pub plot_file: Option<String>,
}

const HEADER: [&str; 15] = [
    "N",
    "strategy",
    "p50 lag s",
    "p90 lag s",
    "p99 lag s",
    "max lag s",
    "read p99 ≤ s",
    "unseen",
    "N/Q s",
    "Describe/s",
    "429s",
    "writes/exec",
    "peak RSS MiB",
    "CPU s",
    "not ended",
];

fn row(result: &ScenarioResult) -> Vec<String> {
    let summary: Option<LagSummary> = summarize(&result.lags);
    let q = |pick: fn(&LagSummary) -> String| summary.as_ref().map_or("-".into(), pick);
    vec![
        result.spec.size.to_string(),
        result.spec.strategy.label().to_string(),
        q(|s| s.p50.to_string()),
        q(|s| s.p90.to_string()),
        q(|s| s.p99.to_string()),
        q(|s| s.max.to_string()),
        result
            .read_p99_le
            .map_or("-".into(), |le| format!("{le:.2}")),
        q(|s| format!("{:.1}%", s.unseen_share * 100.0)),
        quota_repoll_secs(result.spec).map_or("≈0".into(), |s| format!("{s:.0}")),
        format!("{:.2}", result.calls_per_sec(DESCRIBE)),
        result.total_throttled().to_string(),
        format!(
            "{:.1}",
            result.status_writes / result.spec.size.max(1) as f64
        ),
        result.peak_rss_kib.map_or("-".into(), |kib| {
            let mark = if result.peak_rss_is_per_scenario {
                ""
            } else {
                "*"
            };
            format!("{:.0}{mark}", kib as f64 / 1024.0)
        }),
        result.cpu_secs.map_or("-".into(), |s| format!("{s:.1}")),
        result.not_ended.to_string(),
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
    let mut header = vec!["N", "strategy", "measured s", "create s"];
    header.extend(actions.iter().map(|a| a.as_str()));
    header.push("429 by action");
    header.push("failed reconciles");
    let rows: Vec<Vec<String>> = results
        .iter()
        .map(|r| {
            let mut cells = vec![
                r.spec.size.to_string(),
                r.spec.strategy.label().to_string(),
                format!("{:.0}", r.measured_secs),
                format!("{:.1}", r.create_secs),
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

/// The results part of `docs/benchmarks.md`; the prose around it is in `lib.rs`'s template.
pub fn markdown_results(results: &[ScenarioResult], ctx: &RunContext) -> String {
    let mut out = String::new();
    let m = &ctx.machine;
    let _ = writeln!(
        out,
        "Run on {}: {} cores ({}), {:.1} GiB memory, shared with other work. \
         Flows wait {}–{} s (uniform), scenarios close {} s after their last creation \
         (or as soon as every end is seen). Whole run: {:.0} s.\n",
        ctx.date,
        m.cores,
        m.cpu_model,
        m.memory_gib,
        ctx.wait_min_seconds,
        ctx.wait_max_seconds,
        ctx.box_seconds,
        ctx.total_secs
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
    let comparison = limit_comparison(results, ctx.wait_min_seconds, ctx.wait_max_seconds);
    if !comparison.is_empty() {
        out.push_str("\nAgainst the physical limit:\n\n");
        out.push_str(&comparison.join("\n"));
        out.push('\n');
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
mod tests {
    use super::*;

    use crate::scenario::sample_result as result;

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
}
