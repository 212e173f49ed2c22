//! Metric names in the dashboard and the alert rules, and the series names an
//! operator's /metrics text exports. Shared by the offline suite (a fresh registry)
//! and the e2e suite (a running operator), which include this file by path.

use std::collections::BTreeSet;

const DASHBOARD: &str = "deploy/grafana/fnf-operator-dashboard.json";
const ALERTS: &str = "charts/fnf-operator/files/alerts.yaml";

/// Every `fnf_operator_*` name the dashboard's queries and the alert rules use.
pub fn used_by_dashboard_and_alerts() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for file in [DASHBOARD, ALERTS] {
        let text = std::fs::read_to_string(fnf_testkit::repo_path(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        names.extend(metric_tokens(&text));
    }
    names
}

fn metric_tokens(text: &str) -> impl Iterator<Item = String> + '_ {
    text.match_indices("fnf_operator_").map(move |(at, _)| {
        text[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    })
}

/// The series names a /metrics text (OpenMetrics) can hold: every sample's name, and
/// for each `# TYPE` the names its samples take, so a family that has no series yet
/// (no call of that action made) still counts as exported.
pub fn exported(metrics_text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in metrics_text.lines() {
        if let Some(declared) = line.strip_prefix("# TYPE ") {
            let mut parts = declared.split_whitespace();
            let (Some(name), Some(kind)) = (parts.next(), parts.next()) else {
                continue;
            };
            let suffixes: &[&str] = match kind {
                "counter" => &["_total", "_created"],
                "histogram" => &["_bucket", "_sum", "_count", "_created"],
                "summary" => &["", "_sum", "_count"],
                "info" => &["_info"],
                _ => &[""],
            };
            names.extend(suffixes.iter().map(|s| format!("{name}{s}")));
        } else if !line.starts_with('#') {
            let name: String = line
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                names.insert(name);
            }
        }
    }
    names
}

/// The names the dashboard or the alerts use that the text does not export.
pub fn missing_from(metrics_text: &str) -> Vec<String> {
    let exported = exported(metrics_text);
    used_by_dashboard_and_alerts()
        .into_iter()
        .filter(|name| !exported.contains(name))
        .collect()
}
