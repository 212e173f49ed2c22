//! Argo CD's health check and Flux's kstatus agree with the conditions table on
//! FlowExecutions the real operator wrote: Running, Succeeded, Failed, Stopped,
//! a refused spec, and a new object the operator has not reached yet.

use std::time::Duration;

use fnf_emulator::ExecutionMode;
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
