//! What GitOps tools conclude about a FlowExecution: Argo CD through our Lua health
//! check (`deploy/argocd/health.lua`, run in a real Lua 5.1), Flux through kstatus
//! (the built `kstatus-check`, the same `status.Compute` Flux's health checks call).
//!
//! The fixtures in `tests/fixtures/flowexecutions/` are shaped by the conditions
//! table in the README; `argo_health` and `kstatus` are pure helpers other tests can
//! feed objects the operator produced.

use fnf_operator::crd::FlowExecution;
use serde_json::{Value, json};

use fnf_testkit::gitops::*;

fn fixture(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/fixtures/flowexecutions/{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

fn condition<'a>(obj: &'a Value, type_: &str) -> Option<&'a Value> {
    obj["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == type_)
}

fn condition_status(obj: &Value, type_: &str) -> Option<String> {
    condition(obj, type_).map(|c| c["status"].as_str().unwrap_or_default().to_string())
}

/// fixture, Argo CD health, kstatus status
const EXPECTED: [(&str, &str, &str); 6] = [
    ("running", "Progressing", "InProgress"),
    ("succeeded", "Healthy", "Current"),
    ("failed", "Degraded", "Failed"),
    ("stopped", "Degraded", "Failed"),
    ("refused", "Degraded", "Failed"),
    // With no status at all kstatus says Current; the CRD's status default prevents that (test below).
    ("no-status", "Progressing", "Current"),
];

#[test]
fn fixtures_are_flowexecutions_shaped_by_the_conditions_table() {
    // (fixture, Succeeded, Completed, Ready, Reconciling, Stalled); None = absent.
    let table: [(&str, [Option<&str>; 5]); 5] = [
        (
            "running",
            [
                Some("Unknown"),
                Some("False"),
                Some("False"),
                Some("True"),
                None,
            ],
        ),
        (
            "succeeded",
            [Some("True"), Some("True"), Some("True"), None, None],
        ),
        (
            "failed",
            [
                Some("False"),
                Some("True"),
                Some("False"),
                None,
                Some("True"),
            ],
        ),
        (
            "stopped",
            [
                Some("False"),
                Some("True"),
                Some("False"),
                None,
                Some("True"),
            ],
        ),
        (
            "refused",
            [
                Some("False"),
                Some("True"),
                Some("False"),
                None,
                Some("True"),
            ],
        ),
    ];
    for (name, expected) in table {
        let obj = fixture(name);
        let typed: FlowExecution = serde_json::from_value(obj.clone())
            .unwrap_or_else(|e| panic!("{name} does not match the CRD types: {e}"));
        let status = typed.status.expect("status");
        assert_eq!(
            status.observed_generation, typed.metadata.generation,
            "{name}"
        );
        let types = ["Succeeded", "Completed", "Ready", "Reconciling", "Stalled"];
        for (type_, want) in types.iter().zip(expected) {
            assert_eq!(
                condition_status(&obj, type_).as_deref(),
                want,
                "{name} {type_}"
            );
        }
        assert_eq!(
            condition_status(&obj, "CloudReachable").as_deref(),
            Some("True")
        );
    }
    for (name, reason) in [
        ("failed", "Failed"),
        ("stopped", "Stopped"),
        ("refused", "FlowNotExists"),
    ] {
        let obj = fixture(name);
        assert_eq!(
            condition(&obj, "Succeeded").expect("Succeeded")["reason"],
            reason,
            "{name}"
        );
    }
    let bare: FlowExecution = serde_json::from_value(fixture("no-status")).expect("no-status");
    assert!(bare.status.is_none());
}

#[test]
fn argo_cd_health_follows_the_conditions_table() {
    for (name, argo, _) in EXPECTED {
        let (status, message) = argo_health(&fixture(name));
        assert_eq!(status, argo, "{name}: {message}");
        assert!(
            !message.is_empty(),
            "{name}: Argo CD shows an empty message"
        );
    }
}

#[test]
fn argo_cd_degraded_message_carries_the_stalled_reason_and_message() {
    for name in ["failed", "stopped", "refused"] {
        let obj = fixture(name);
        let stalled = condition(&obj, "Stalled").expect("Stalled");
        let (_, message) = argo_health(&obj);
        let want = format!(
            "{}: {}",
            stalled["reason"].as_str().expect("reason"),
            stalled["message"].as_str().expect("message")
        );
        assert_eq!(message, want, "{name}");
    }
}

#[test]
fn kstatus_follows_the_conditions_table_once_the_operator_has_written_status() {
    for (name, _, flux) in EXPECTED.iter().filter(|(name, ..)| *name != "no-status") {
        let (status, message) = kstatus(&fixture(name));
        assert_eq!(&status, flux, "{name}: {message}");
    }
    let failed = fixture("failed");
    let stalled_message = condition(&failed, "Stalled").expect("Stalled")["message"].clone();
    assert_eq!(json!(kstatus(&failed).1), stalled_message);
}

/// kstatus has no rule for an object with no status at all and calls it Current,
/// so Flux's `wait: true` could pass before the operator has looked at a new
/// FlowExecution. The CRD therefore defaults `status` to `{observedGeneration: 0}`:
/// a new object comes back from the apiserver with that status (measured on a real
/// kube-apiserver 1.37), and both tools wait.
#[test]
fn a_new_flowexecution_as_the_crd_defaults_it_is_in_progress_for_flux_and_argo_cd() {
    assert_eq!(
        kstatus(&fixture("no-status")).0,
        "Current",
        "the gap the default closes"
    );
    let crd: Value = serde_saphyr::from_str(
        &std::fs::read_to_string(repo_path("crds/flowexecutions.fnf-operator.dev.yaml"))
            .expect("CRD"),
    )
    .expect("CRD YAML");
    let default =
        &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"]["default"];
    let mut obj = fixture("no-status");
    obj["status"] = default.clone();
    assert_eq!(obj["status"], json!({ "observedGeneration": 0 }));
    assert_eq!(kstatus(&obj).0, "InProgress");
    assert_eq!(argo_health(&obj).0, "Progressing");
}

#[test]
fn a_spec_change_not_yet_observed_is_progressing_for_argo_cd_and_flux() {
    let mut obj = fixture("succeeded");
    obj["metadata"]["generation"] = json!(2);
    let (status, message) = argo_health(&obj);
    assert_eq!(status, "Progressing");
    assert!(message.contains("generation 2"), "{message}");
    assert_eq!(kstatus(&obj).0, "InProgress");
}

#[test]
fn an_unreachable_cloud_keeps_a_running_execution_progressing_and_says_so() {
    let mut obj = fixture("running");
    let conditions = obj["status"]["conditions"]
        .as_array_mut()
        .expect("conditions");
    let reachable = conditions
        .iter_mut()
        .find(|c| c["type"] == "CloudReachable")
        .expect("CloudReachable");
    reachable["status"] = json!("False");
    reachable["reason"] = json!("ResourceThrottled");
    let (status, message) = argo_health(&obj);
    assert_eq!(status, "Progressing");
    assert!(
        message.contains("cloud unreachable: ResourceThrottled"),
        "{message}"
    );
    assert_eq!(kstatus(&obj).0, "InProgress");
}

#[test]
fn argo_cd_falls_back_to_the_phase_when_there_are_no_conditions() {
    for (phase, want) in [
        ("Pending", "Progressing"),
        ("Starting", "Progressing"),
        ("Running", "Progressing"),
        ("Succeeded", "Healthy"),
        ("Failed", "Degraded"),
        ("TimedOut", "Degraded"),
        ("Stopped", "Degraded"),
        ("SomethingNew", "Progressing"),
    ] {
        let mut obj = fixture("no-status");
        obj["status"] = json!({ "phase": phase, "observedGeneration": 1 });
        assert_eq!(argo_health(&obj).0, want, "phase {phase}");
    }
}

#[test]
fn argo_cd_snippet_installs_exactly_health_lua() {
    let snippet = std::fs::read_to_string(repo_path(ARGOCD_CM_SNIPPET)).expect("snippet");
    let cm: Value = serde_saphyr::from_str(&snippet).expect("snippet is YAML");
    assert_eq!(cm["kind"], "ConfigMap");
    assert_eq!(cm["metadata"]["name"], "argocd-cm");
    let embedded = cm["data"][ARGOCD_HEALTH_KEY].as_str().expect("health key");
    let lua = std::fs::read_to_string(repo_path(HEALTH_LUA)).expect("health.lua");
    assert_eq!(
        embedded, lua,
        "argocd-cm-snippet.yaml drifted from health.lua"
    );
    let embedded = cm["data"][ARGOCD_FLOW_HEALTH_KEY]
        .as_str()
        .expect("flow health key");
    let lua = std::fs::read_to_string(repo_path(FLOW_HEALTH_LUA)).expect("flow-health.lua");
    assert_eq!(
        embedded, lua,
        "argocd-cm-snippet.yaml drifted from flow-health.lua"
    );
}

/// A Flow as the operator writes it at generation 2 with these conditions.
fn flow_object(observed: Option<i64>, conditions: Value) -> Value {
    let mut status = json!({ "conditions": conditions, "flowName": "orders" });
    if let Some(g) = observed {
        status["observedGeneration"] = json!(g);
    }
    json!({
        "apiVersion": "fnf-operator.dev/v1alpha1", "kind": "Flow",
        "metadata": {"name": "orders", "namespace": "ns", "generation": 2},
        "spec": {"definition": "x"},
        "status": status,
    })
}

fn cond(type_: &str, status: &str, reason: &str) -> Value {
    json!({"type": type_, "status": status, "reason": reason, "message": format!("{reason} message"),
        "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 2})
}

#[test]
fn argo_cd_and_kstatus_agree_on_ready_in_progress_and_stalled_flows() {
    let cases = [
        (
            "ready",
            flow_object(Some(2), json!([cond("Ready", "True", "UpToDate")])),
            "Healthy",
            "Current",
        ),
        (
            "creating",
            flow_object(
                Some(2),
                json!([
                    cond("Ready", "False", "Creating"),
                    cond("Reconciling", "True", "Creating")
                ]),
            ),
            "Progressing",
            "InProgress",
        ),
        (
            "spec not yet observed",
            flow_object(Some(1), json!([cond("Ready", "True", "UpToDate")])),
            "Progressing",
            "InProgress",
        ),
        (
            "default status of a new object",
            flow_object(Some(0), json!([])),
            "Progressing",
            "InProgress",
        ),
        (
            "refused definition",
            flow_object(
                Some(2),
                json!([
                    cond("Ready", "False", "InvalidArgument"),
                    cond("Stalled", "True", "InvalidArgument")
                ]),
            ),
            "Degraded",
            "Failed",
        ),
    ];
    for (what, obj, argo, flux) in cases {
        let (argo_status, argo_message) = argo_flow_health(&obj);
        assert_eq!(argo_status, argo, "{what}: Argo CD said {argo_message}");
        let (flux_status, flux_message) = kstatus(&obj);
        assert_eq!(flux_status, flux, "{what}: kstatus said {flux_message}");
    }
}

/// The examples are what users commit to Git: every FlowExecution in them must be
/// one the CRD types accept, and the flow they run must be a chain that ends.
#[test]
fn examples_are_flowexecutions_and_their_flow_is_a_chain_that_ends() {
    let mut seen = 0;
    for example in ["start", "observe", "stop", "credentials-secret"] {
        let text = std::fs::read_to_string(repo_path(&format!("examples/{example}.yaml")))
            .expect("example");
        for value in serde_saphyr::from_multiple::<Value>(&text).expect("YAML") {
            if value["kind"] == "FlowExecution" {
                let fe: FlowExecution = serde_json::from_value(value)
                    .unwrap_or_else(|e| panic!("examples/{example}.yaml: {e}"));
                assert_eq!(fe.spec.flow_name, "hello", "{example}");
                seen += 1;
            }
        }
    }
    assert_eq!(seen, 4);

    let flow_text = std::fs::read_to_string(repo_path("examples/flow-hello.yaml")).expect("flow");
    let flow: Value = serde_saphyr::from_str(&flow_text).expect("flow YAML");
    assert_eq!(
        (flow["Type"].as_str(), flow["Name"].as_str()),
        (Some("StateMachine"), Some("hello"))
    );
    let states = flow["States"].as_array().expect("States");
    let mut at = flow["StartAt"].as_str().expect("StartAt").to_string();
    let mut path = Vec::new();
    loop {
        let state = states
            .iter()
            .find(|s| s["Name"] == at.as_str())
            .expect("state exists");
        path.push(state["Type"].as_str().expect("Type").to_string());
        match state["Next"].as_str() {
            Some(next) if path.len() <= states.len() => at = next.to_string(),
            _ => break,
        }
    }
    assert_eq!(path, ["Pass", "Wait", "Succeed"]);
}
