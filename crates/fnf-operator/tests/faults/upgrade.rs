//! The upgrade to run names (`runPolicy: OnChange` by default): an object
//! whose status recorded today's default execution name keeps that run, so
//! nothing starts twice because the naming changed; and a change of its
//! declaration afterwards runs once under a run name.

use std::time::Duration;

use fnf_client::{Client, ClientConfig, CredentialProvider, Endpoint, StartExecution};
use fnf_operator::crd::default_execution_name;
use fnf_testkit::e2e::*;
use fnf_testkit::sandbox::sandbox_credentials;
use kube::api::{Patch, PatchParams};

const RUN_TIMEOUT: Duration = Duration::from_secs(90);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_recorded_under_the_default_name_before_the_upgrade_is_kept() {
    let env = Env::new("flt-upgrade").await;
    let old_name = default_execution_name(&env.namespace, "before");
    // An older operator started it and recorded its name.
    let config = ClientConfig::new(Endpoint::from_url(&env.emulator.endpoint()).unwrap()).unwrap();
    Client::new(
        config,
        CredentialProvider::static_credentials(sandbox_credentials()),
    )
    .start_execution(&StartExecution {
        flow_name: "quick".into(),
        execution_name: old_name.clone(),
        input: Some(r#"{"v":1}"#.into()),
        qualifier: None,
    })
    .await
    .unwrap();
    env.create(
        "before",
        serde_json::json!({"flowName": "quick", "input": {"v": 1}}),
    )
    .await;
    env.api
        .patch_status(
            "before",
            &PatchParams::apply("fnf-operator").force(),
            &Patch::Apply(serde_json::json!({
                "apiVersion": "fnf-operator.dev/v1alpha1", "kind": "FlowExecution",
                "status": {"executionName": old_name, "phase": "Running"}})),
        )
        .await
        .unwrap();

    let operator = env.start_operator();
    let kept = env.wait_for("before", RUN_TIMEOUT, completed).await;
    let status = kept.status.clone().unwrap();
    assert_eq!(status.execution_name.as_deref(), Some(old_name.as_str()));
    assert_eq!(status.phase.as_deref(), Some("Succeeded"));
    assert!(
        status.run_identity.is_some(),
        "the run's identity is recorded"
    );
    assert_eq!(
        env.emulator.counters().total_created(),
        1,
        "nothing started twice"
    );

    // A new declaration afterwards: one run, under a run name.
    env.patch_spec("before", serde_json::json!({"input": {"v": 2}}))
        .await
        .unwrap();
    let next = env
        .wait_for("before", RUN_TIMEOUT, |fe| {
            completed(fe)
                && fe.status.as_ref().and_then(|s| s.observed_generation) == fe.metadata.generation
                && fe.status.as_ref().and_then(|s| s.execution_name.as_deref())
                    != Some(old_name.as_str())
        })
        .await;
    let status = next.status.unwrap();
    assert!(
        status
            .execution_name
            .as_deref()
            .unwrap()
            .starts_with(&format!("{old_name}_R")),
        "{status:?}"
    );
    assert_eq!(status.runs[0].execution_name, old_name);
    assert_eq!(env.emulator.counters().total_created(), 2);
    operator.stop().await.unwrap();
}
