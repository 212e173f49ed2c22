//! Argo CD's health check and Flux's kstatus agree with the conditions table on
//! FlowExecutions the real operator wrote: Running, Succeeded, Failed, Stopped,
//! a refused spec, and a new object the operator has not reached yet; and the
//! apiserver admits edits by `spec.runPolicy` as documented.

use std::time::Duration;

use fnf_emulator::ExecutionMode;
use fnf_operator::crd::FlowExecution;
use fnf_testkit::e2e::*;
use fnf_testkit::gitops::{argo_health, kstatus};

const TIMEOUT: Duration = Duration::from_secs(60);

async fn verdicts(env: &Env, name: &str) -> (String, String) {
    let obj = serde_json::to_value(env.api.get(name).await.unwrap()).unwrap();
    let (argo, argo_message) = argo_health(&obj);
    let (flux, flux_message) = kstatus(&obj);
    eprintln!("{name}: Argo CD {argo} ({argo_message}); kstatus {flux} ({flux_message})");
    (argo, flux)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gitops_health_matches_the_conditions_table_on_objects_the_operator_wrote() {
    let env = Env::new("e2e-gitops").await;
    env.emulator
        .create_flow("express", FLOW_QUICK, ExecutionMode::Express)
        .unwrap();

    // Before any operator: the CRD's default status keeps both tools waiting.
    env.create("fresh", serde_json::json!({"flowName": "quick"}))
        .await;
    assert_eq!(
        verdicts(&env, "fresh").await,
        ("Progressing".into(), "InProgress".into())
    );

    let operator = env.start_operator();
    env.create("running", serde_json::json!({"flowName": "long"}))
        .await;
    env.create("succeeded", serde_json::json!({"flowName": "quick"}))
        .await;
    env.create("failed", serde_json::json!({"flowName": "failing"}))
        .await;
    env.create("stopped", serde_json::json!({"flowName": "long"}))
        .await;
    env.create("refused", serde_json::json!({"flowName": "express"}))
        .await;

    env.wait_for("running", TIMEOUT, |fe| phase(fe) == Some("Running"))
        .await;
    assert_eq!(
        verdicts(&env, "running").await,
        ("Progressing".into(), "InProgress".into())
    );

    env.wait_for("succeeded", TIMEOUT, completed).await;
    assert_eq!(
        verdicts(&env, "succeeded").await,
        ("Healthy".into(), "Current".into())
    );

    env.wait_for("failed", TIMEOUT, completed).await;
    assert_eq!(
        verdicts(&env, "failed").await,
        ("Degraded".into(), "Failed".into())
    );

    env.wait_for("stopped", TIMEOUT, |fe| phase(fe) == Some("Running"))
        .await;
    env.patch_spec("stopped", serde_json::json!({"stop": true}))
        .await
        .unwrap();
    env.wait_for("stopped", TIMEOUT, completed).await;
    assert_eq!(
        verdicts(&env, "stopped").await,
        ("Degraded".into(), "Failed".into())
    );

    let refused = env
        .wait_for("refused", TIMEOUT, |fe| {
            condition(fe, "Stalled") == Some("True")
        })
        .await;
    assert_eq!(
        refused
            .status
            .unwrap()
            .condition("Succeeded")
            .unwrap()
            .reason,
        "InvalidArgument"
    );
    assert_eq!(
        verdicts(&env, "refused").await,
        ("Degraded".into(), "Failed".into())
    );
    operator.stop().await.unwrap();
}

/// The admission rules of `spec.runPolicy`, applied by the real apiserver
/// (which also proves the CEL rules fit its cost limits).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_policy_admission_allows_edits_on_change_and_refuses_them_once() {
    let env = Env::new("e2e-run-policy").await;
    let refusal = |err: kube::Error| err.to_string();

    // OnChange (the default): the declaration may be edited.
    env.create(
        "on-change",
        serde_json::json!({"flowName": "quick", "input": {"greeting": "v1"}}),
    )
    .await;
    for change in [
        serde_json::json!({"input": {"greeting": "v2"}}),
        serde_json::json!({"flowName": "long", "qualifier": "LATEST"}),
        serde_json::json!({"runKey": "again"}),
        serde_json::json!({"inputFrom": [{"field": "region", "configMapKeyRef": {"name": "settings", "key": "region"}}]}),
        // Writing the default explicitly is no change of policy.
        serde_json::json!({"runPolicy": "OnChange"}),
    ] {
        env.patch_spec("on-change", change.clone())
            .await
            .unwrap_or_else(|err| panic!("{change} refused: {err}"));
    }
    // What the execution is stays fixed, and so does the policy.
    for (change, field) in [
        (serde_json::json!({"mode": "Observe"}), "spec.mode"),
        (serde_json::json!({"region": "cn-beijing"}), "spec.region"),
        (serde_json::json!({"runPolicy": "Once"}), "spec.runPolicy"),
    ] {
        let err = refusal(env.patch_spec("on-change", change).await.unwrap_err());
        assert!(err.contains(field), "{err}");
    }

    // Once: today's immutability, with today's messages.
    env.create(
        "once",
        serde_json::json!({"flowName": "quick", "runPolicy": "Once", "input": {"a": 1}}),
    )
    .await;
    for change in [
        serde_json::json!({"flowName": "other"}),
        serde_json::json!({"input": {"a": 2}}),
        serde_json::json!({"qualifier": "v2"}),
        serde_json::json!({"runKey": "again"}),
        serde_json::json!({"runPolicy": "OnChange"}),
    ] {
        let key = change.as_object().unwrap().keys().next().unwrap().clone();
        let err = refusal(env.patch_spec("once", change).await.unwrap_err());
        assert!(err.contains(&format!("spec.{key}")), "{err}");
        assert!(err.contains("create a new FlowExecution"), "{err}");
    }
    let err = refusal(
        env.patch_spec("once", serde_json::json!({"input": {"a": 2}}))
            .await
            .unwrap_err(),
    );
    assert!(
        err.contains("spec.input is immutable: create a new FlowExecution (a new name, or a new spec.executionName) to run again"),
        "{err}"
    );

    // An explicit executionName: Once unless said otherwise, and never OnChange.
    let ns = env.namespace.clone();
    env.create(
        "named",
        serde_json::json!({"flowName": "quick", "executionName": format!("{ns}_named"), "input": {"a": 1}}),
    )
    .await;
    let err = refusal(
        env.patch_spec("named", serde_json::json!({"input": {"a": 2}}))
            .await
            .unwrap_err(),
    );
    assert!(err.contains("spec.input is immutable"), "{err}");
    env.patch_spec("named", serde_json::json!({"runPolicy": "Once"}))
        .await
        .expect("the effective policy written out is no change");
    let both: FlowExecution = serde_json::from_value(serde_json::json!({
        "apiVersion": "fnf-operator.dev/v1alpha1", "kind": "FlowExecution",
        "metadata": {"name": "both"},
        "spec": {"flowName": "quick", "executionName": format!("{ns}_both"), "runPolicy": "OnChange"},
    }))
    .unwrap();
    let err = refusal(
        env.api
            .create(&kube::api::PostParams::default(), &both)
            .await
            .unwrap_err(),
    );
    assert!(
        err.contains("OnChange cannot go with spec.executionName")
            && err.contains("names exactly one run"),
        "{err}"
    );

    // Each inputFrom entry names exactly one source.
    let neither: FlowExecution = serde_json::from_value(serde_json::json!({
        "apiVersion": "fnf-operator.dev/v1alpha1", "kind": "FlowExecution",
        "metadata": {"name": "neither"},
        "spec": {"flowName": "quick", "inputFrom": [{"field": "x"}]},
    }))
    .unwrap();
    let err = refusal(
        env.api
            .create(&kube::api::PostParams::default(), &neither)
            .await
            .unwrap_err(),
    );
    assert!(
        err.contains("exactly one of configMapKeyRef and secretKeyRef"),
        "{err}"
    );
}
