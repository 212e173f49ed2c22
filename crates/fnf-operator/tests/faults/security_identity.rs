//! Whose run an object mirrors, tried as a hostile user would: a second object
//! naming a running execution, a status forged by another client, two names
//! that used to collide, and a namespace naming another's executions.

use std::time::Duration;

use fnf_client::{Client, ClientConfig, CredentialProvider, Endpoint, StartExecution};
use fnf_operator::crd::{
    FINALIZER, FlowExecution, default_execution_name, legacy_default_execution_name,
};
use fnf_testkit::sandbox::sandbox_credentials;
use kube::ResourceExt;
use kube::api::{Patch, PatchParams};

use fnf_testkit::e2e::*;
use fnf_testkit::fault::*;

const RUN_TIMEOUT: Duration = Duration::from_secs(90);
/// Long enough for a run to count as older than a StartExecution sent after
/// it: the operator allows 1 s of clock skew.
const ADOPTION_GAP: Duration = Duration::from_secs(3);

fn cloud_client(env: &Env) -> Client {
    let config = ClientConfig::new(Endpoint::from_url(&env.emulator.endpoint()).unwrap()).unwrap();
    Client::new(
        config,
        CredentialProvider::static_credentials(sandbox_credentials()),
    )
}

async fn start_elsewhere(env: &Env, flow: &str, name: &str, input: Option<&str>) {
    cloud_client(env)
        .start_execution(&StartExecution {
            flow_name: flow.into(),
            execution_name: name.into(),
            input: input.map(str::to_string),
            qualifier: None,
        })
        .await
        .unwrap();
}

fn status_of(fe: &FlowExecution) -> fnf_operator::crd::FlowExecutionStatus {
    fe.status.clone().unwrap_or_default()
}

/// Events about `object` with `reason`, of any type.
async fn events_about(env: &Env, object: &str, reason: &str) -> usize {
    events(env)
        .await
        .into_iter()
        .filter(|e| e["reason"] == reason && e["involvedObject"]["name"] == object)
        .count()
}

/// Waits (bounded) until at least one Warning `reason` about `object` was
/// recorded (Events follow the status write), then returns them all.
async fn warnings_landed(env: &Env, object: &str, reason: &str) -> Vec<serde_json::Value> {
    for _ in 0..60 {
        let found = warnings_about(env, object, reason).await;
        if !found.is_empty() {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Vec::new()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_object_naming_a_running_execution_adopts_it_only_with_the_same_input() {
    let env = Env::new("sec-adopt").await;
    let operator = env.start_operator();
    let shared = format!("{}_shared", env.namespace);
    env.create(
        "first",
        serde_json::json!({"flowName": "long", "executionName": shared, "input": {"day": 1, "tag": "x"}}),
    )
    .await;
    env.wait_for("first", RUN_TIMEOUT, |fe| phase(fe) == Some("Running"))
        .await;
    tokio::time::sleep(ADOPTION_GAP).await;

    env.create(
        "other-input",
        serde_json::json!({"flowName": "long", "executionName": shared, "input": {"day": 2, "tag": "x"}}),
    )
    .await;
    // The refusal settles in two writes: the status, then the finalizer the
    // start attempt added is released. Wait for both; a finalizer that is
    // never released still fails here, on the timeout.
    let refused = env
        .wait_for("other-input", RUN_TIMEOUT, |fe| {
            stalled_with(fe, "ExecutionNameInUse")
                && !fe.finalizers().iter().any(|f| f == FINALIZER)
        })
        .await;
    let status = status_of(&refused);
    assert_eq!(status.phase.as_deref(), Some("Pending"), "nothing mirrored");
    assert_eq!((status.started_time, status.output), (None, None));
    let warnings = warnings_landed(&env, "other-input", "ExecutionNameInUse").await;
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(
        warnings[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("spec.executionName"),
        "{warnings:#?}"
    );

    // The same input (keys in another order) adopts the run, and deleting the
    // adopter leaves it running.
    env.create(
        "same-input",
        serde_json::json!({"flowName": "long", "executionName": shared, "input": {"tag": "x", "day": 1}}),
    )
    .await;
    let adopted = env
        .wait_for("same-input", RUN_TIMEOUT, |fe| phase(fe) == Some("Running"))
        .await;
    assert_eq!(status_of(&adopted).adopted, Some(true));
    assert_eq!(events_about(&env, "same-input", "Adopted").await, 1);
    assert_eq!(events_about(&env, "same-input", "Started").await, 0);
    assert_eq!(
        env.emulator.counters().total_created(),
        1,
        "one start in all"
    );
    env.delete("same-input").await;
    env.wait_gone("same-input", RUN_TIMEOUT).await;
    env.delete("other-input").await;
    env.wait_gone("other-input", RUN_TIMEOUT).await;
    let cloud = env.emulator.execution("long", &shared).unwrap();
    assert_eq!(
        cloud.status, "Running",
        "no one but its starter stops a run"
    );
    // Nothing more was started or refused after the refusal (it is final).
    let refused_again = warnings_about(&env, "other-input", "ExecutionNameInUse").await;
    assert!(refused_again.len() <= 1);
    assert_eq!(env.emulator.counters().total_created(), 1);

    env.delete("first").await;
    env.wait_gone("first", RUN_TIMEOUT).await;
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_status_is_rebuilt_from_the_cloud_without_repeating_events() {
    let env = Env::new("sec-forged").await;
    let operator = env.start_operator();
    env.create("running", serde_json::json!({"flowName": "long"}))
        .await;
    env.create(
        "done",
        serde_json::json!({"flowName": "quick", "input": {"a": 1}}),
    )
    .await;
    env.wait_for("running", RUN_TIMEOUT, |fe| phase(fe) == Some("Running"))
        .await;
    let done = env.wait_for("done", RUN_TIMEOUT, completed).await;
    let truth = status_of(&done);
    assert_eq!(truth.phase.as_deref(), Some("Succeeded"));
    // Let the transition Events land before counting them.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let counted = |name: &'static str, reasons: &'static [&'static str]| {
        let env = &env;
        async move {
            let mut counts = Vec::new();
            for reason in reasons {
                counts.push(events_about(env, name, reason).await);
            }
            counts
        }
    };
    let running_before = counted("running", &["Started", "Running"]).await;
    let done_before = counted("done", &["Started", "Running", "Succeeded"]).await;
    assert_eq!(
        running_before,
        [1, 0],
        "Running is in the status, not an Event"
    );

    let intruder = PatchParams {
        field_manager: Some("intruder".into()),
        ..PatchParams::default()
    };
    env.api
        .patch_status(
            "running",
            &intruder,
            &Patch::Merge(serde_json::json!({"status": {
                "phase": "Pending", "output": "forged", "stoppedTime": "2020-01-01T00:00:00Z",
                "error": "Forged", "cause": "forged"}})),
        )
        .await
        .unwrap();
    env.api
        .patch_status(
            "done",
            &intruder,
            &Patch::Merge(serde_json::json!({"status": {
                "phase": "Running", "output": "forged", "stoppedTime": "2020-01-01T00:00:00Z",
                "error": "Forged", "cause": "forged"}})),
        )
        .await
        .unwrap();

    let running = env
        .wait_for("running", RUN_TIMEOUT, |fe| {
            let s = status_of(fe);
            s.phase.as_deref() == Some("Running")
                && s.output.is_none()
                && s.stopped_time.is_none()
                && s.error.is_none()
                && s.cause.is_none()
        })
        .await;
    assert!(status_of(&running).started_time.is_some());
    let done = env
        .wait_for("done", RUN_TIMEOUT, |fe| {
            let s = status_of(fe);
            s.phase.as_deref() == Some("Succeeded") && s.error.is_none() && s.cause.is_none()
        })
        .await;
    let corrected = status_of(&done);
    assert_eq!(corrected.output, truth.output);
    assert_eq!(corrected.stopped_time, truth.stopped_time);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        counted("running", &["Started", "Running"]).await,
        running_before
    );
    assert_eq!(
        counted("done", &["Started", "Running", "Succeeded"]).await,
        done_before
    );

    env.delete("running").await;
    env.wait_gone("running", RUN_TIMEOUT).await;
    env.delete("done").await;
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_that_collided_get_their_own_executions_and_a_recorded_old_name_is_kept() {
    let env = Env::new("sec-names").await;
    let long = "a".repeat(150);
    let legacy = legacy_default_execution_name(&env.namespace, &long);
    // The object whose plain name spelled out the long one's old name.
    let twin = legacy[env.namespace.len() + 1..].replace('_', ".");
    assert_eq!(legacy_default_execution_name(&env.namespace, &twin), legacy);

    // An object created by an older operator: its run started under the old name.
    let old = "b".repeat(150);
    let old_name = legacy_default_execution_name(&env.namespace, &old);
    start_elsewhere(&env, "long", &old_name, None).await;
    env.create(&old, serde_json::json!({"flowName": "long"}))
        .await;
    env.api
        .patch_status(
            &old,
            &PatchParams::apply("fnf-operator").force(),
            &Patch::Apply(serde_json::json!({
                "apiVersion": "fnf-operator.dev/v1alpha1", "kind": "FlowExecution",
                "status": {"executionName": old_name, "phase": "Running"}})),
        )
        .await
        .unwrap();

    let operator = env.start_operator();
    // Default names are Once's (OnChange appends the run's identity).
    env.create(
        &long,
        serde_json::json!({"flowName": "quick", "runPolicy": "Once"}),
    )
    .await;
    env.create(
        &twin,
        serde_json::json!({"flowName": "quick", "runPolicy": "Once"}),
    )
    .await;
    let a = env.wait_for(&long, RUN_TIMEOUT, completed).await;
    let b = env.wait_for(&twin, RUN_TIMEOUT, completed).await;
    let (a, b) = (status_of(&a), status_of(&b));
    assert_eq!(a.phase.as_deref(), Some("Succeeded"));
    assert_eq!(b.phase.as_deref(), Some("Succeeded"));
    assert_eq!(
        a.execution_name.as_deref(),
        Some(default_execution_name(&env.namespace, &long).as_str())
    );
    assert_eq!(b.execution_name.as_deref(), Some(legacy.as_str()));
    assert_ne!(a.execution_name, b.execution_name);

    let kept = env
        .wait_for(&old, RUN_TIMEOUT, |fe| status_of(fe).started_time.is_some())
        .await;
    assert_eq!(
        status_of(&kept).execution_name.as_deref(),
        Some(old_name.as_str())
    );
    let cloud = env.emulator.execution("long", &old_name).unwrap();
    assert_eq!(
        status_of(&kept).started_time.as_deref(),
        Some(cloud.started_time.as_str()),
        "the old object still mirrors its run"
    );
    assert_eq!(
        env.emulator.counters().total_created(),
        3,
        "the two objects started one each; the old object started nothing"
    );
    env.delete(&old).await;
    env.wait_gone(&old, RUN_TIMEOUT).await;
    env.delete(&long).await;
    env.delete(&twin).await;
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespace_reaches_another_namespaces_runs_only_when_the_operator_allows_it() {
    let env = Env::new("sec-tenant").await;
    let victim = "team-victim_nightly";
    start_elsewhere(&env, "long", victim, Some(r#"{"secret":"plan"}"#)).await;
    let operator = env.start_operator();
    env.create(
        "take",
        serde_json::json!({"flowName": "long", "executionName": victim, "input": {"secret": "plan"}}),
    )
    .await;
    env.create(
        "peek",
        serde_json::json!({"flowName": "long", "executionName": victim, "mode": "Observe"}),
    )
    .await;
    for name in ["take", "peek"] {
        let fe = env
            .wait_for(name, RUN_TIMEOUT, |fe| {
                stalled_with(fe, "ExecutionNameNotAllowed")
            })
            .await;
        let status = status_of(&fe);
        assert_eq!(status.phase.as_deref(), Some("Pending"), "{name}");
        assert_eq!(status.started_time, None, "{name}: nothing mirrored");
        let message = &condition_of(&fe, "Stalled").unwrap().message;
        assert!(
            message.contains("spec.executionName")
                && message.contains("--allow-foreign-execution-names"),
            "{message}"
        );
        assert_eq!(
            warnings_landed(&env, name, "ExecutionNameNotAllowed")
                .await
                .len(),
            1
        );
    }
    env.delete("take").await;
    env.wait_gone("take", RUN_TIMEOUT).await;
    assert_eq!(
        env.emulator.execution("long", victim).unwrap().status,
        "Running"
    );
    assert_eq!(env.emulator.counters().total_created(), 1);
    operator.stop().await.unwrap();

    // Allowed for this namespace: it may observe and adopt, and still never stops.
    let mut config = operator_config(&env, 60);
    config.decide.allow_foreign_execution_names = vec![env.namespace.clone()];
    let operator = start_operator_with(&env, config);
    env.wait_for("peek", RUN_TIMEOUT, |fe| phase(fe) == Some("Running"))
        .await;
    tokio::time::sleep(ADOPTION_GAP).await;
    env.create(
        "take",
        serde_json::json!({"flowName": "long", "executionName": victim, "input": {"secret": "plan"}}),
    )
    .await;
    let taken = env
        .wait_for("take", RUN_TIMEOUT, |fe| phase(fe) == Some("Running"))
        .await;
    assert_eq!(status_of(&taken).adopted, Some(true));
    env.patch_spec("take", serde_json::json!({"stop": true}))
        .await
        .unwrap();
    env.wait_for("take", RUN_TIMEOUT, |fe| {
        status_of(fe).observed_generation == fe.metadata.generation
    })
    .await;
    assert_eq!(
        warnings_landed(&env, "take", "StopNotAllowed").await.len(),
        1
    );
    env.delete("take").await;
    env.wait_gone("take", RUN_TIMEOUT).await;
    env.delete("peek").await;
    env.wait_gone("peek", RUN_TIMEOUT).await;
    assert_eq!(
        env.emulator.execution("long", victim).unwrap().status,
        "Running"
    );
    assert_eq!(env.emulator.counters().total_created(), 1);
    operator.stop().await.unwrap();
}
