//! What the benchmark reads about itself and the machine: this process's peak
//! RSS and CPU time from `/proc`, the machine's cores, memory and CPU model,
//! and counters out of the operator's Prometheus text. Reads only; the one
//! write is resetting the kernel's peak-RSS mark between scenarios.

use std::collections::BTreeMap;
use std::process::Command;

/// Clock ticks per second when `getconf` cannot tell (Linux's usual value).
const FALLBACK_CLOCK_TICKS_PER_SEC: f64 = 100.0;

/// Resets this process's VmHWM to its current RSS, so the next read is the
/// peak of what came after. False where the kernel refuses.
pub fn reset_peak_rss() -> bool {
    // "5" is the kernel's clear_refs code for resetting the peak RSS.
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// This process's peak resident set (VmHWM), KiB.
pub fn peak_rss_kib() -> Option<u64> {
    peak_rss_kib_of("self")
}

/// The peak resident set of `/proc/<pid>`, KiB.
pub fn peak_rss_kib_of(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    proc_field_kib(&status, "VmHWM:")
}

fn proc_field_kib(text: &str, field: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
}

/// CPU seconds (user + system) this process has used so far.
pub fn cpu_seconds(ticks_per_sec: f64) -> Option<f64> {
    cpu_seconds_of("self", ticks_per_sec)
}

/// CPU seconds (user + system) `/proc/<pid>` has used so far.
pub fn cpu_seconds_of(pid: &str, ticks_per_sec: f64) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_cpu_ticks(&stat).map(|ticks| ticks as f64 / ticks_per_sec)
}

/// utime + stime from a `/proc/PID/stat` line. The command name may hold
/// spaces and parentheses, so fields are counted after the last `)`.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After the name: state is field 3 of the line, utime 14 and stime 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

pub fn clock_ticks_per_sec() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .and_then(|text| text.trim().parse::<f64>().ok())
        .filter(|ticks| *ticks > 0.0)
        .unwrap_or(FALLBACK_CLOCK_TICKS_PER_SEC)
}

/// The machine the figures came from.
#[derive(Clone, Debug, Default)]
pub struct Machine {
    pub cores: usize,
    pub memory_gib: f64,
    pub cpu_model: String,
}

pub fn machine() -> Machine {
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let memory_kib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| proc_field_kib(&text, "MemTotal:"))
        .unwrap_or(0);
    let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    Machine {
        cores,
        memory_gib: memory_kib as f64 / (1024.0 * 1024.0),
        cpu_model,
    }
}

/// The value of an unlabelled counter in Prometheus text, e.g.
/// `fnf_operator_status_writes_total`.
pub fn prometheus_counter(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (metric, value) = line.split_once(' ')?;
            (metric == name).then(|| value.trim().parse().ok())?
        })
}

/// Every series of a labelled counter, as (labels, value), e.g.
/// `fnf_operator_reconcile_errors_total{reason="KubernetesApi"} 3`.
pub fn prometheus_series(text: &str, name: &str) -> Vec<(String, f64)> {
    text.lines()
        .filter_map(|line| {
            let rest = line.strip_prefix(name)?.strip_prefix('{')?;
            let (labels, value) = rest.split_once("} ")?;
            Some((labels.to_string(), value.trim().parse().ok()?))
        })
        .collect()
}

/// The upper bound of the bucket holding quantile `q` of a histogram, its
/// series of every label summed (`None` when it has no observations).
pub fn histogram_quantile_bound(text: &str, name: &str, q: f64) -> Option<f64> {
    let mut cumulative: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
    for (labels, count) in prometheus_series(text, &format!("{name}_bucket")) {
        let le = labels
            .split(',')
            .find_map(|label| label.strip_prefix("le="))
            .map(|v| v.trim_matches('"'))?;
        let bound: f64 = if le == "+Inf" {
            f64::INFINITY
        } else {
            le.parse().ok()?
        };
        cumulative.entry(bound.to_bits()).or_insert((bound, 0.0)).1 += count;
    }
    let mut buckets: Vec<(f64, f64)> = cumulative.into_values().collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total = buckets.last()?.1;
    if total <= 0.0 {
        return None;
    }
    buckets
        .iter()
        .find(|(_, count)| *count >= q * total)
        .map(|(bound, _)| *bound)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_quantile_is_bounded_by_its_bucket_over_every_label() {
        let text = "h_bucket{via=\"sweep\",le=\"1.0\"} 0\n\
                    h_bucket{via=\"sweep\",le=\"2.0\"} 50\n\
                    h_bucket{via=\"sweep\",le=\"+Inf\"} 50\n\
                    h_bucket{via=\"long-poll\",le=\"1.0\"} 49\n\
                    h_bucket{via=\"long-poll\",le=\"2.0\"} 49\n\
                    h_bucket{via=\"long-poll\",le=\"+Inf\"} 50\n";
        assert_eq!(histogram_quantile_bound(text, "h", 0.4), Some(1.0));
        assert_eq!(histogram_quantile_bound(text, "h", 0.9), Some(2.0));
        assert_eq!(
            histogram_quantile_bound(text, "h", 1.0),
            Some(f64::INFINITY)
        );
        assert_eq!(histogram_quantile_bound(text, "missing", 0.5), None);
    }

    #[test]
    fn cpu_ticks_are_counted_after_a_name_with_spaces_and_parentheses() {
        let stat = "4242 (fnf (bench) x) S 1 2 3 4 5 6 7 8 9 10 150 25 0 0 20 0";
        assert_eq!(parse_cpu_ticks(stat), Some(175));
    }

    #[test]
    fn the_status_write_counter_is_read_from_prometheus_text() {
        let text = "# HELP fnf_operator_status_writes Status writes\n\
                    # TYPE fnf_operator_status_writes counter\n\
                    fnf_operator_status_writes_total 1234\n\
                    fnf_operator_reconciles_total 99\n";
        assert_eq!(
            prometheus_counter(text, "fnf_operator_status_writes_total"),
            Some(1234.0)
        );
        assert_eq!(prometheus_counter(text, "fnf_operator_missing_total"), None);
    }

    #[test]
    fn labelled_series_are_read_with_their_labels() {
        let text = "fnf_operator_reconcile_errors_total{reason=\"KubernetesApi\"} 3\n\
                    fnf_operator_reconcile_errors_total{reason=\"CloudTransient\"} 1\n\
                    fnf_operator_reconciles_total 99\n";
        let series = prometheus_series(text, "fnf_operator_reconcile_errors_total");
        assert_eq!(
            series,
            vec![
                ("reason=\"KubernetesApi\"".to_string(), 3.0),
                ("reason=\"CloudTransient\"".to_string(), 1.0)
            ]
        );
    }

    #[test]
    fn the_peak_rss_is_read_in_kib() {
        let status = "Name:\tx\nVmHWM:\t  123456 kB\nVmRSS:\t 1000 kB\n";
        assert_eq!(proc_field_kib(status, "VmHWM:"), Some(123456));
        assert!(peak_rss_kib().is_some_and(|kib| kib > 0));
    }
}
