//! The `Flow` resource on the real apiserver and the emulator: a Flow and a
//! run of it applied together (the run waits, FlowNotReady, and never meets
//! FlowNotExists); a definition edit reaches the cloud; a bad definition is
//! Stalled with the cloud's message and recovers; Observe never writes;
//! Manage adopts an existing flow; Orphan and Delete do what they say.

use std::time::Duration;

use fnf_emulator::ExecutionMode;
use fnf_operator::crd::Flow;
use fnf_testkit::e2e::*;
use k8s_openapi::api::events::v1::Event;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};

const TIMEOUT: Duration = Duration::from_secs(60);
const PASS: &str = "Type: StateMachine\nSpecVersion: v1\nStartAt: done\nStates:\n  - Type: Pass\n    Name: done\n    End: true\n";
const PASS_V2: &str = "Type: StateMachine\nSpecVersion: v1\nStartAt: first\nStates:\n  - Type: Pass\n    Name: first\n    Next: done\n  - Type: Pass\n    Name: done\n    End: true\n";

fn flows(env: &Env) -> Api<Flow> {
    Api::namespaced(env.admin.clone(), &env.namespace)
}

async fn apply_flow(env: &Env, name: &str, spec: serde_json::Value) {
    let flow: Flow = serde_json::from_value(serde_json::json!({
        "apiVersion": "fnf-operator.dev/v1alpha1", "kind": "Flow",
        "metadata": {"name": name}, "spec": spec,
    }))
    .unwrap();
    flows(env)
        .create(&PostParams::default(), &flow)
        .await
        .unwrap();
}

async fn patch_flow(env: &Env, name: &str, spec: serde_json::Value) {
    flows(env)
        .patch(
            name,
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({ "spec": spec })),
        )
        .await
        .unwrap();
}

/// Waits until the Flow's Ready/Stalled condition has `reason`.
async fn wait_flow(env: &Env, name: &str, condition: &str, reason: &str) -> Flow {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let flow = flows(env).get(name).await.unwrap();
        let matches = flow.status.as_ref().is_some_and(|s| {
            s.observed_generation == flow.metadata.generation
                && s.condition(condition)
                    .is_some_and(|c| c.status == "True" && c.reason == reason)
        });
        if matches {
            return flow;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Flow {name} never had {condition}={reason}: {:?}",
            flow.status
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn event_reasons(env: &Env, object: &str) -> Vec<String> {
    let events: Api<Event> = Api::namespaced(env.admin.clone(), &env.namespace);
    events
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(object))
        .filter_map(|e| e.reason)
        .collect()
}

fn cloud_definition(env: &Env, flow: &str) -> Option<String> {
    env.emulator
        .describe_flow(flow)
        .and_then(|f| f["Definition"].as_str().map(str::to_string))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flow_and_its_run_applied_together_create_the_flow_then_run_it() {
    let env = Env::new("e2e-flow").await;
    // The run first, as a GitOps tool may apply it: it must wait for the Flow.
    env.create("run", serde_json::json!({"flowName": "orders"}))
        .await;
    apply_flow(&env, "orders", serde_json::json!({"definition": PASS})).await;
    let _operator = env.start_operator();

    env.wait_for("run", TIMEOUT, completed).await;
    let run = env.api.get("run").await.unwrap();
    assert_eq!(phase(&run), Some("Succeeded"));
    let flow = wait_flow(&env, "orders", "Ready", "UpToDate").await;
    let status = flow.status.unwrap();
    assert!(status.flow_id.is_some());
    assert_eq!(
        status.definition_hash,
        Some(fnf_operator::crd::definition_hash(PASS))
    );
    assert_eq!(cloud_definition(&env, "orders").as_deref(), Some(PASS));
    let run_events = event_reasons(&env, "run").await;
    assert!(
        !run_events.iter().any(|r| r == "FlowNotExists"),
        "the run met FlowNotExists: {run_events:?}"
    );
    assert!(
        event_reasons(&env, "orders")
            .await
            .contains(&"FlowCreated".to_string())
    );

    // A definition edit is an UpdateFlow; the cloud's LastModifiedTime moves.
    let modified = status.last_modified_time.clone();
    patch_flow(&env, "orders", serde_json::json!({"definition": PASS_V2})).await;
    let flow = wait_flow(&env, "orders", "Ready", "UpToDate").await;
    assert_eq!(cloud_definition(&env, "orders").as_deref(), Some(PASS_V2));
    assert_ne!(flow.status.unwrap().last_modified_time, modified);

    // A definition the cloud refuses: Stalled with its message, then fixed.
    patch_flow(
        &env,
        "orders",
        serde_json::json!({"definition": "Type: StateMachine\nStates: []\n"}),
    )
    .await;
    let stalled = wait_flow(&env, "orders", "Stalled", "InvalidArgument").await;
    let status = stalled.status.unwrap();
    let message = &status.condition("Stalled").unwrap().message;
    assert!(message.contains("StartAt"), "{message}");
    assert_eq!(cloud_definition(&env, "orders").as_deref(), Some(PASS_V2));
    patch_flow(&env, "orders", serde_json::json!({"definition": PASS})).await;
    wait_flow(&env, "orders", "Ready", "UpToDate").await;
    assert_eq!(cloud_definition(&env, "orders").as_deref(), Some(PASS));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observe_never_writes_and_manage_adopts_without_a_second_flow() {
    let env = Env::new("e2e-flow-obs").await;
    env.emulator
        .create_flow("existing", PASS, ExecutionMode::Standard)
        .unwrap();
    let created_id = env.emulator.describe_flow("existing").unwrap()["Id"].clone();
    let _operator = env.start_operator();

    // Observe: a missing flow is waited for, never created; a different
    // definition is mirrored, never put back.
    apply_flow(
        &env,
        "watched",
        serde_json::json!({"flowName": "elsewhere", "definition": PASS, "mode": "Observe"}),
    )
    .await;
    wait_flow(&env, "watched", "Reconciling", "FlowNotFound").await;
    assert!(env.emulator.describe_flow("elsewhere").is_none());
    apply_flow(
        &env,
        "mirror",
        serde_json::json!({"flowName": "existing", "definition": PASS_V2, "mode": "Observe"}),
    )
    .await;
    wait_flow(&env, "mirror", "Ready", "Observed").await;
    assert_eq!(cloud_definition(&env, "existing").as_deref(), Some(PASS));

    // Manage adopts the existing flow: same Id, definition made to match.
    apply_flow(
        &env,
        "adopter",
        serde_json::json!({"flowName": "existing", "definition": PASS_V2}),
    )
    .await;
    let flow = wait_flow(&env, "adopter", "Ready", "UpToDate").await;
    assert_eq!(flow.status.unwrap().flow_id.as_deref(), created_id.as_str());
    assert_eq!(cloud_definition(&env, "existing").as_deref(), Some(PASS_V2));
    assert!(
        event_reasons(&env, "adopter")
            .await
            .contains(&"FlowAdopted".to_string())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphan_leaves_the_cloud_flow_and_delete_deletes_it() {
    let env = Env::new("e2e-flow-del").await;
    let _operator = env.start_operator();
    apply_flow(&env, "kept", serde_json::json!({"definition": PASS})).await;
    apply_flow(
        &env,
        "removed",
        serde_json::json!({"definition": PASS, "deletionPolicy": "Delete"}),
    )
    .await;
    wait_flow(&env, "kept", "Ready", "UpToDate").await;
    wait_flow(&env, "removed", "Ready", "UpToDate").await;
    for name in ["kept", "removed"] {
        flows(&env)
            .delete(name, &DeleteParams::default())
            .await
            .unwrap();
    }
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while flows(&env).get_opt("removed").await.unwrap().is_some()
        || flows(&env).get_opt("kept").await.unwrap().is_some()
    {
        assert!(tokio::time::Instant::now() < deadline, "Flows not deleted");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(env.emulator.describe_flow("kept").is_some());
    assert!(env.emulator.describe_flow("removed").is_none());
}

/// The resync period of the drift test: short, so the test does not wait
/// the default five minutes.
const TEST_RESYNC: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_definition_changed_behind_the_operators_back_is_put_back_within_the_resync() {
    let env = Env::new("e2e-flow-drift").await;
    let mut config = fnf_testkit::sandbox::operator_config(
        &env.emulator.endpoint(),
        vec![env.namespace.clone()],
        60,
    )
    .unwrap();
    config.flow_resync = TEST_RESYNC;
    let _operator = fnf_testkit::sandbox::OperatorTask::start(env.admin.clone(), config);
    apply_flow(&env, "kept", serde_json::json!({"definition": PASS})).await;
    wait_flow(&env, "kept", "Ready", "UpToDate").await;

    env.emulator
        .update_flow_definition("kept", PASS_V2)
        .unwrap();
    assert_eq!(cloud_definition(&env, "kept").as_deref(), Some(PASS_V2));
    // Put back by the next resync (no spec change wakes the operator).
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while cloud_definition(&env, "kept").as_deref() != Some(PASS) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the drift was not put back"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let reasons = event_reasons(&env, "kept").await;
    assert!(
        reasons.contains(&"FlowDriftCorrected".to_string()),
        "{reasons:?}"
    );
}
