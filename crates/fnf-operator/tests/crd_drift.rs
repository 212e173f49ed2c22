//! The committed CRD YAML is exactly what the Rust types generate, in both
//! places it is committed (`crds/` for users, the chart's `crds/` for Helm).
// Test code: a failed unwrap is a failed test. (clippy.toml allows it in #[test]
// functions only, not in the helpers beside them.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

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
