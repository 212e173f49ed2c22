//! The committed CRD YAML is exactly what the Rust types generate, in both
//! places it is committed (`crds/` for users, the chart's `crds/` for Helm);
//! and the metric names the README and docs give are the ones `/metrics` serves.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use fnf_operator::Metrics;

#[test]
fn committed_crds_match_the_rust_types() {
    let generated = fnf_operator::crd::crd_yaml().unwrap();
    for path in fnf_operator::crd::CRD_PATHS {
        let committed = std::fs::read_to_string(fnf_testkit::repo_path(path))
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(
            committed == generated,
            "{path} is stale: run `cargo run --bin fnf-crdgen -- --write` and commit the result"
        );
    }
}

#[test]
fn committed_cron_crds_match_the_rust_types() {
    let generated = fnf_operator::crd::cron_crd_yaml().unwrap();
    for path in fnf_operator::crd::CRON_CRD_PATHS {
        let committed = std::fs::read_to_string(fnf_testkit::repo_path(path))
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(
            committed == generated,
            "{path} is stale: run `cargo run --bin fnf-crdgen -- --write` and commit the result"
        );
    }
}

#[test]
fn the_cron_crd_has_cronjobs_names_and_columns() {
    let crd = fnf_operator::crd::cron_crd();
    assert_eq!(crd.spec.names.kind, "CronFlowExecution");
    assert_eq!(crd.spec.names.short_names, Some(vec!["cfe".to_string()]));
    assert_eq!(crd.spec.names.categories, Some(vec!["fnf".to_string()]));
    let version = &crd.spec.versions[0];
    let columns: Vec<_> = version
        .additional_printer_columns
        .as_ref()
        .unwrap()
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        columns,
        [
            "Schedule",
            "Timezone",
            "Suspend",
            "Active",
            "Last Schedule",
            "Age"
        ]
    );
}

#[test]
fn committed_flow_crds_match_the_rust_types() {
    let generated = fnf_operator::crd::flow_crd_yaml().unwrap();
    for path in fnf_operator::crd::FLOW_CRD_PATHS {
        let committed = std::fs::read_to_string(fnf_testkit::repo_path(path))
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(
            committed == generated,
            "{path} is stale: run `cargo run --bin fnf-crdgen -- --write` and commit the result"
        );
    }
}

#[test]
fn the_flow_crd_has_the_documented_names_and_columns() {
    let crd = fnf_operator::crd::flow_crd();
    assert_eq!(crd.spec.names.kind, "Flow");
    assert_eq!(crd.spec.names.categories, Some(vec!["fnf".to_string()]));
    let version = &crd.spec.versions[0];
    let columns: Vec<_> = version
        .additional_printer_columns
        .as_ref()
        .unwrap()
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        columns,
        ["Flow", "Mode", "Ready", "Last Modified", "Age", "Reason"]
    );
}

#[test]
fn committed_input_depth_policies_match_the_rust_code() {
    let generated = fnf_operator::crd::input_depth_policy_yaml().unwrap();
    for path in fnf_operator::crd::POLICY_PATHS {
        let committed = std::fs::read_to_string(fnf_testkit::repo_path(path))
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(
            committed == generated,
            "{path} is stale: run `cargo run --bin fnf-crdgen -- --write` and commit the result"
        );
    }
}

#[test]
fn the_crd_has_the_documented_names_columns_and_subresources() {
    let crd = fnf_operator::crd::crd();
    assert_eq!(crd.spec.group, "fnf-operator.dev");
    assert_eq!(crd.spec.names.kind, "FlowExecution");
    assert_eq!(crd.spec.names.short_names, Some(vec!["fe".to_string()]));
    assert_eq!(crd.spec.names.categories, Some(vec!["fnf".to_string()]));
    let version = &crd.spec.versions[0];
    assert_eq!(version.name, "v1alpha1");
    assert!(
        version
            .subresources
            .as_ref()
            .and_then(|s| s.status.as_ref())
            .is_some()
    );
    let columns: Vec<_> = version
        .additional_printer_columns
        .as_ref()
        .unwrap()
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        columns,
        [
            "Flow",
            "Execution",
            "Status",
            "Started",
            "Finished",
            "Age",
            "Current Step",
            "Reason",
            "Message"
        ]
    );
}

/// Every metric family with one series, so that each shows in the output.
fn metrics_with_every_family() -> Metrics {
    let metrics = Metrics::new();
    metrics.reconciled();
    metrics.reconcile_failed("CloudTransient");
    metrics.status_written();
    metrics.controller_error();
    metrics.start_sent(false);
    (metrics.call_observer().0)("DescribeExecution", "Success", Duration::ZERO);
    metrics.ending_seen("sweep", Duration::ZERO);
    metrics.event("Started", true);
    metrics.set_executions(&BTreeMap::from([("Running".to_string(), 1)]));
    metrics
}

/// The names a scraper queries: a counter's `_total` series, any other
/// family by its name (a histogram's `_bucket`, `_sum`, `_count` hang off it).
fn served_metric_names(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|line| line.strip_prefix("# TYPE "))
        .filter_map(|rest| rest.split_once(' '))
        .map(|(name, kind)| match kind {
            "counter" => format!("{name}_total"),
            _ => name.to_string(),
        })
        .collect()
}

/// Every `fnf_operator_...` word in a document.
fn documented_metric_names(doc: &str) -> BTreeSet<String> {
    let is_name_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_';
    doc.match_indices("fnf_operator_")
        .filter(|(at, _)| !doc[..*at].ends_with(is_name_char))
        .map(|(at, _)| {
            let rest = &doc[at..];
            let end = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
            rest[..end].to_string()
        })
        .collect()
}

#[test]
fn the_readme_lists_every_metric_under_the_name_it_is_served_as() {
    let served = served_metric_names(&metrics_with_every_family().render());
    assert!(
        served.contains("fnf_operator_reconciles_total"),
        "{served:?}"
    );
    let readme = std::fs::read_to_string(fnf_testkit::repo_path("README.md")).unwrap();
    let section_start = readme
        .find("## Metrics and health")
        .expect("a metrics section");
    let section = &readme[section_start..];
    let section = &section[..section[3..]
        .find("\n## ")
        .map_or(section.len(), |end| end + 3)];
    assert_eq!(
        documented_metric_names(section),
        served,
        "the README's metrics section and /metrics disagree"
    );
    let mut docs = vec![readme.clone()];
    for entry in std::fs::read_dir(fnf_testkit::repo_path("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "md") {
            docs.push(std::fs::read_to_string(&path).unwrap());
        }
    }
    for doc in &docs {
        let unknown: Vec<_> = documented_metric_names(doc)
            .into_iter()
            .filter(|name| {
                let family = ["_bucket", "_sum", "_count"]
                    .iter()
                    .find_map(|series| name.strip_suffix(series))
                    .unwrap_or(name);
                !served.contains(name) && !served.contains(family)
            })
            .collect();
        assert!(unknown.is_empty(), "documented but not served: {unknown:?}");
    }
}

/// A schema default for runPolicy would be written into every object, and
/// `Once` for objects with an explicit executionName could no longer follow.
#[test]
fn run_policy_has_no_schema_default_and_run_history_is_capped() {
    let crd = serde_json::to_value(fnf_operator::crd::crd()).unwrap();
    let schema = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"];
    let run_policy = &schema["spec"]["properties"]["runPolicy"];
    assert_eq!(run_policy["enum"], serde_json::json!(["OnChange", "Once"]));
    assert!(run_policy.get("default").is_none(), "{run_policy}");
    assert_eq!(
        schema["spec"]["properties"]["whileRunning"]["default"],
        "Wait"
    );
    assert_eq!(
        schema["status"]["properties"]["runs"]["maxItems"],
        fnf_operator::crd::RUNS_MAX
    );
}
