//! What GitOps tools conclude about a CronFlowExecution: Argo CD through
//! `deploy/argocd/cron-health.lua` (real Lua 5.1), Flux through kstatus (the
//! real `status.Compute`), for each state the operator writes.

use fnf_operator::crd::CronFlowExecution;
use serde_json::{Value, json};

use fnf_testkit::gitops::*;

fn cron(suspend: bool, status: Value) -> Value {
    let obj = json!({
        "apiVersion": "fnf-operator.dev/v1alpha1", "kind": "CronFlowExecution",
        "metadata": {"name": "nightly", "namespace": "flows", "generation": 2},
        "spec": {"schedule": "0 2 * * *", "suspend": suspend,
                 "template": {"spec": {"flowName": "etl"}}},
        "status": status,
    });
    let _: CronFlowExecution = serde_json::from_value(obj.clone()).expect("matches the CRD types");
    obj
}

fn condition(type_: &str, status: &str, reason: &str, message: &str) -> Value {
    json!({"type": type_, "status": status, "reason": reason, "message": message,
           "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 2})
}

/// (state, object, Argo CD, kstatus)
fn table() -> Vec<(&'static str, Value, &'static str, &'static str)> {
    let ready = condition(
        "Ready",
        "True",
        "Scheduled",
        "next run at 2026-01-02T02:00:00Z",
    );
    vec![
        (
            "new (the CRD's status default)",
            cron(false, json!({"observedGeneration": 0})),
            "Progressing",
            "InProgress",
        ),
        (
            "spec change not yet observed",
            cron(
                false,
                json!({"observedGeneration": 1, "conditions": [ready.clone()]}),
            ),
            "Progressing",
            "InProgress",
        ),
        (
            "scheduling",
            cron(
                false,
                json!({"observedGeneration": 2, "conditions": [ready],
            "active": [{"name": "nightly-29433720"}], "lastScheduleTime": "2026-01-01T02:00:00Z"}),
            ),
            "Healthy",
            "Current",
        ),
        (
            "run skipped (Forbid)",
            cron(
                false,
                json!({"observedGeneration": 2, "conditions": [
            condition("Ready", "True", "RunSkipped", "skipped the schedule time 2026-01-01T02:00:00Z: run nightly-29432280 is still live (concurrencyPolicy Forbid)")]}),
            ),
            "Healthy",
            "Current",
        ),
        (
            "suspended",
            cron(
                true,
                json!({"observedGeneration": 2, "conditions": [
            condition("Ready", "True", "Suspended", "suspended: no new runs until spec.suspend is false")]}),
            ),
            "Suspended",
            "Current",
        ),
        (
            "schedule unreadable",
            cron(
                false,
                json!({"observedGeneration": 2, "conditions": [
            condition("Ready", "False", "InvalidSchedule", "spec.schedule \"every day\" is not a cron expression"),
            condition("Stalled", "True", "InvalidSchedule", "spec.schedule \"every day\" is not a cron expression")]}),
            ),
            "Degraded",
            "Failed",
        ),
    ]
}

#[test]
fn argo_cd_health_of_a_cronflowexecution_follows_its_conditions() {
    for (state, obj, argo, _) in table() {
        let (status, message) = argo_health_by(CRON_HEALTH_LUA, &obj);
        assert_eq!(status, argo, "{state}: {message}");
        assert!(!message.is_empty(), "{state}: empty message");
    }
    let (_, message) = argo_health_by(CRON_HEALTH_LUA, &table()[5].1);
    assert!(message.starts_with("InvalidSchedule: "), "{message}");
}

#[test]
fn kstatus_of_a_cronflowexecution_follows_its_conditions() {
    for (state, obj, _, flux) in table() {
        let (status, message) = kstatus(&obj);
        assert_eq!(status, flux, "{state}: {message}");
    }
}

#[test]
fn argo_cd_snippet_installs_exactly_cron_health_lua() {
    let snippet = std::fs::read_to_string(repo_path(ARGOCD_CM_SNIPPET)).expect("snippet");
    let cm: Value = serde_saphyr::from_str(&snippet).expect("snippet is YAML");
    let embedded = cm["data"][ARGOCD_CRON_HEALTH_KEY]
        .as_str()
        .expect("cron health key");
    let lua = std::fs::read_to_string(repo_path(CRON_HEALTH_LUA)).expect("cron-health.lua");
    assert_eq!(
        embedded, lua,
        "argocd-cm-snippet.yaml drifted from cron-health.lua"
    );
}

#[test]
fn the_cron_example_is_a_cronflowexecution_of_the_example_flow() {
    let text = std::fs::read_to_string(repo_path("examples/cron-nightly.yaml")).expect("example");
    let cfe: CronFlowExecution = serde_saphyr::from_str(&text).expect("a CronFlowExecution");
    assert_eq!(cfe.spec.template.spec.flow_name, "hello");
    assert_eq!(cfe.spec.successful_runs_history_limit, 3);
    assert_eq!(cfe.spec.failed_runs_history_limit, 1);
}
