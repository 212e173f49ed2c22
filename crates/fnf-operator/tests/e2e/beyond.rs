//! What the anchors lack, end to end: the current step in `kubectl get -o wide`,
//! Output handed to a ConfigMap and a Secret, a deadline, TTL clean-up, and
//! history following that stays within its own quota.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use fnf_emulator::ExecutionMode;
use fnf_testkit::e2e::*;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, PostParams};

const TIMEOUT: Duration = Duration::from_secs(60);
/// Pass -> Wait 4 s -> Wait 4 s -> Succeed, with a JSON object as output.
const FLOW_STEPS: &str = "Type: StateMachine\nSpecVersion: v1\nName: steps\nStartAt: Prepare\nStates:\n  - Type: Pass\n    Name: Prepare\n    Next: Extract\n  - Type: Wait\n    Name: Extract\n    Seconds: 8\n    Next: Load\n  - Type: Wait\n    Name: Load\n    Seconds: 8\n    Next: Done\n  - Type: Succeed\n    Name: Done\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_current_step_moves_through_the_flow_in_kubectl_get_wide() {
    let env = Env::new("e2e-steps").await;
    env.emulator
        .create_flow("steps", FLOW_STEPS, ExecutionMode::Standard)
        .unwrap();
    let operator = env.start_operator();
    env.create("etl", serde_json::json!({"flowName": "steps"}))
        .await;
    let mut seen = BTreeSet::new();
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let wide = env
            .kubectl(&["get", "fe", "etl", "-n", &env.namespace, "-o", "wide"])
            .await;
        // The step as kubectl shows it: the status may move on between this
        // read and the next, so the column itself is what is collected.
        if let Some(step) = current_step_column(&wide) {
            seen.insert(step);
        }
        let fe = env.api.get("etl").await.unwrap();
        if completed(&fe) {
            assert!(fe.status.unwrap().step_count.unwrap_or_default() >= 3);
            break;
        }
        assert!(Instant::now() < deadline, "did not complete");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        seen.contains("Extract") && seen.contains("Load"),
        "steps seen: {seen:?}"
    );
    operator.stop().await.unwrap();
}

/// The CURRENT STEP cell of a one-object `kubectl get -o wide` table (kubectl
/// aligns every column under its header).
fn current_step_column(table: &str) -> Option<String> {
    let mut lines = table.lines();
    let header = lines.next()?;
    assert!(header.contains("CURRENT STEP"), "{table}");
    let start = header.find("CURRENT STEP")?;
    let end = header.find("REASON")?;
    let row = lines.next()?;
    let cell = row.get(start..end.min(row.len()))?.trim();
    (!cell.is_empty()).then(|| cell.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_succeeded_output_lands_in_an_owned_configmap_and_secret_and_nothing_else_is_overwritten()
{
    let env = Env::new("e2e-output").await;
    let operator = env.start_operator();
    let cms: Api<ConfigMap> = Api::namespaced(env.admin.clone(), &env.namespace);
    let secrets: Api<Secret> = Api::namespaced(env.admin.clone(), &env.namespace);
    let foreign: ConfigMap = serde_json::from_value(
        serde_json::json!({"metadata": {"name": "taken"}, "data": {"output": "mine"}}),
    )
    .unwrap();
    cms.create(&PostParams::default(), &foreign).await.unwrap();

    let input = serde_json::json!({"url": "https://example.test/report", "rows": 42});
    env.create(
        "to-cm",
        serde_json::json!({"flowName": "quick", "input": input,
        "outputTo": {"configMap": {"name": "report"}, "fields": ["url", "rows"]}}),
    )
    .await;
    env.create(
        "to-secret",
        serde_json::json!({"flowName": "quick", "input": input,
        "outputTo": {"secret": {"name": "report-secret"}, "key": "result.json"}}),
    )
    .await;
    env.create(
        "to-taken",
        serde_json::json!({"flowName": "quick", "outputTo": {"configMap": {"name": "taken"}}}),
    )
    .await;

    let to_cm = env
        .wait_for("to-cm", TIMEOUT, |fe| {
            fe.status
                .as_ref()
                .is_some_and(|s| s.output_written_to.is_some())
        })
        .await;
    let cm = cms.get("report").await.unwrap();
    let data = cm.data.unwrap();
    assert_eq!(data["url"], "https://example.test/report");
    assert_eq!(data["rows"], "42");
    assert_eq!(Some(&data["output"]), to_cm.status.unwrap().output.as_ref());
    let owner = &cm.metadata.owner_references.unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str()),
        ("FlowExecution", "to-cm")
    );

    env.wait_for("to-secret", TIMEOUT, |fe| {
        fe.status
            .as_ref()
            .is_some_and(|s| s.output_written_to.is_some())
    })
    .await;
    let secret = secrets.get("report-secret").await.unwrap();
    let value = secret.data.unwrap()["result.json"].0.clone();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&value).unwrap(),
        input
    );
    assert_eq!(
        secret.metadata.owner_references.unwrap()[0].name,
        "to-secret"
    );

    env.wait_for("to-taken", TIMEOUT, completed).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        cms.get("taken").await.unwrap().data.unwrap()["output"],
        "mine",
        "never overwrite a foreign object"
    );
    let events = env.kubectl(&["get", "events", "-n", &env.namespace]).await;
    assert!(
        events.contains("OutputNotWritten") && events.contains("not owned"),
        "{events}"
    );
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deadline_stops_a_long_run_and_ttl_deletes_only_finished_ones() {
    let env = Env::new("e2e-deadline").await;
    let operator = env.start_operator();
    env.create(
        "bounded",
        serde_json::json!({"flowName": "long", "activeDeadlineSeconds": 3}),
    )
    .await;
    env.create(
        "short-lived",
        serde_json::json!({"flowName": "quick", "ttlSecondsAfterFinished": 1}),
    )
    .await;
    env.create(
        "still-running",
        serde_json::json!({"flowName": "long", "ttlSecondsAfterFinished": 1}),
    )
    .await;

    let fe = env
        .wait_for("bounded", Duration::from_secs(30), completed)
        .await;
    let status = fe.status.unwrap();
    assert_eq!(status.phase.as_deref(), Some("Stopped"));
    assert_eq!(
        status.condition("Succeeded").unwrap().reason,
        "DeadlineExceeded"
    );
    assert_eq!(status.stop_reason.as_deref(), Some("DeadlineExceeded"));

    env.wait_gone("short-lived", Duration::from_secs(30)).await;
    let running = env.api.get("still-running").await.unwrap();
    assert_eq!(
        phase(&running),
        Some("Running"),
        "TTL never deletes a running one"
    );
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ttl_also_deletes_an_object_that_ended_refused() {
    let env = Env::new("e2e-ttl-refused").await;
    let operator = env.start_operator();
    // Refused before any call: Completed=True, Stalled=True, InputTooLarge.
    let blob = "x".repeat(40 * 1024);
    env.create(
        "too-large",
        serde_json::json!({"flowName": "quick", "input": {"blob": blob},
            "ttlStrategy": {"secondsAfterFailure": 2}}),
    )
    .await;
    env.create(
        "too-large-kept",
        serde_json::json!({"flowName": "quick", "input": {"blob": blob}}),
    )
    .await;
    env.wait_gone("too-large", Duration::from_secs(30)).await;
    let kept = env.api.get("too-large-kept").await.unwrap();
    assert!(
        completed(&kept),
        "refused without a TTL stays: {:?}",
        kept.status
    );
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_output_to_moves_the_output_and_removes_the_old_object() {
    let env = Env::new("e2e-output-moved").await;
    let operator = env.start_operator();
    let cms: Api<ConfigMap> = Api::namespaced(env.admin.clone(), &env.namespace);
    let secrets: Api<Secret> = Api::namespaced(env.admin.clone(), &env.namespace);
    let input = serde_json::json!({"report": "q3"});
    env.create(
        "moving",
        serde_json::json!({"flowName": "quick", "input": input,
            "outputTo": {"configMap": {"name": "first"}}}),
    )
    .await;
    let written_to = |target: &'static str| {
        move |fe: &fnf_operator::crd::FlowExecution| {
            fe.status
                .as_ref()
                .and_then(|s| s.output_written_to.as_deref())
                == Some(target)
        }
    };
    env.wait_for("moving", TIMEOUT, written_to("ConfigMap/first"))
        .await;
    assert!(cms.get_opt("first").await.unwrap().is_some());

    env.patch_spec(
        "moving",
        serde_json::json!({"outputTo": {"configMap": {"name": "second"}}}),
    )
    .await
    .unwrap();
    env.wait_for("moving", TIMEOUT, written_to("ConfigMap/second"))
        .await;
    let data = cms.get("second").await.unwrap().data.unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&data["output"]).unwrap(),
        input
    );
    assert!(
        cms.get_opt("first").await.unwrap().is_none(),
        "the old one is removed"
    );

    // To a Secret: the ConfigMap goes too.
    env.patch_spec(
        "moving",
        serde_json::json!({"outputTo": {"configMap": null, "secret": {"name": "third"}}}),
    )
    .await
    .unwrap();
    env.wait_for("moving", TIMEOUT, written_to("Secret/third"))
        .await;
    let value = secrets.get("third").await.unwrap().data.unwrap()["output"]
        .0
        .clone();
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&value).unwrap(),
        input
    );
    assert!(cms.get_opt("second").await.unwrap().is_none());
    operator.stop().await.unwrap();
}
