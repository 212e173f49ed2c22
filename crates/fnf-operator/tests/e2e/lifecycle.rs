//! The FlowExecution lifecycle end to end: the real kube-apiserver, the real
//! emulator on the wire, and the real operator.

use std::time::Duration;

use fnf_client::{Client, ClientConfig, CredentialProvider, Endpoint, StartExecution};
use fnf_operator::crd::FINALIZER;
use fnf_testkit::e2e::*;
use fnf_testkit::sandbox::sandbox_credentials;
use futures::StreamExt;
use kube::ResourceExt;
use kube::runtime::watcher;

const RUN_TIMEOUT: Duration = Duration::from_secs(60);

fn cloud_client(env: &Env) -> Client {
    let config = ClientConfig::new(Endpoint::from_url(&env.emulator.endpoint()).unwrap()).unwrap();
    Client::new(
        config,
        CredentialProvider::static_credentials(sandbox_credentials()),
    )
}

/// The statuses the watch saw carry only news: after the first write, each
/// one moves the phase along Pending, Starting, Running, Succeeded or shows
/// a step the history read (the 1 s flow has three; how many land while it
/// runs depends on timing, so they are not counted).
fn assert_every_write_is_news(statuses: &[serde_json::Value]) {
    const PHASES: [&str; 4] = ["Pending", "Starting", "Running", "Succeeded"];
    let phase = |s: &serde_json::Value| s.get("phase").and_then(|p| p.as_str()).map(str::to_owned);
    let mut reached = 0;
    for pair in statuses.windows(2).skip(1) {
        let (before, after) = (&pair[0], &pair[1]);
        let step_news = ["currentStep", "stepCount"]
            .iter()
            .any(|field| before.get(field) != after.get(field));
        let now = phase(after);
        let phase_news = now != phase(before);
        assert!(
            phase_news || step_news,
            "a status write without news: {pair:#?}"
        );
        let at = PHASES
            .iter()
            .position(|p| Some(*p) == now.as_deref())
            .unwrap_or_else(|| panic!("unexpected phase in {after:#?}"));
        assert!(at >= reached, "the phase went back: {statuses:#?}");
        reached = at;
    }
    let last = statuses.last().expect("the watch saw the object");
    assert_eq!(phase(last).as_deref(), Some("Succeeded"), "{statuses:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_applied_flowexecution_starts_once_and_mirrors_the_cloud_until_succeeded() {
    let env = Env::new("e2e-success").await;
    // Count status writes from the apiserver's side.
    let writes = {
        let api = env.api.clone();
        tokio::spawn(async move {
            let mut seen = Vec::new();
            let mut stream = watcher::watch_object(api, "run").boxed();
            // `None` until the object is created: keep watching.
            while let Some(event) = stream.next().await {
                let Ok(Some(fe)) = event else { continue };
                let status = serde_json::to_value(&fe.status).unwrap();
                if seen.last() != Some(&status) {
                    seen.push(status);
                }
                if completed(&fe) {
                    break;
                }
            }
            seen
        })
    };
    let operator = env.start_operator();
    env.create(
        "run",
        serde_json::json!({"flowName": "quick", "input": {"n": 1, "nested": {"k": "v"}}}),
    )
    .await;
    let waited = env
        .kubectl(&[
            "wait",
            "--for=condition=Completed",
            "fe/run",
            "-n",
            &env.namespace,
            "--timeout=60s",
        ])
        .await;
    assert!(waited.contains("condition met"), "{waited}");

    let fe = env
        .wait_for("run", RUN_TIMEOUT, |fe| {
            completed(fe) && !fe.finalizers().contains(&FINALIZER.to_string())
        })
        .await;
    let status = fe.status.clone().unwrap();
    // The default name under runPolicy OnChange: the object's name, then its
    // declaration's identity.
    let exec_name = status.execution_name.clone().unwrap();
    let identity = status.run_identity.clone().unwrap();
    assert_eq!(exec_name, format!("{}_run_R{identity}", env.namespace));
    assert_eq!(identity.len(), 12);
    let cloud = env
        .emulator
        .execution("quick", &exec_name)
        .expect("execution exists in the cloud");
    assert_eq!(status.phase.as_deref(), Some("Succeeded"));
    assert_eq!(condition(&fe, "Succeeded"), Some("True"));
    assert_eq!(condition(&fe, "Ready"), Some("True"));
    assert_eq!(status.execution_name.as_deref(), Some(exec_name.as_str()));
    assert_eq!(status.output.as_deref(), Some(cloud.output.as_str()));
    assert_eq!(
        status.started_time.as_deref(),
        Some(cloud.started_time.as_str())
    );
    assert_eq!(
        status.stopped_time.as_deref(),
        Some(cloud.stopped_time.as_str())
    );
    let output: serde_json::Value = serde_json::from_str(&cloud.output).unwrap();
    assert_eq!(output["nested"]["k"], "v", "input flowed to output");

    let table = env.kubectl(&["get", "fe", "-n", &env.namespace]).await;
    for column in [
        "NAME",
        "FLOW",
        "EXECUTION",
        "STATUS",
        "STARTED",
        "FINISHED",
        "AGE",
        "Succeeded",
    ] {
        assert!(table.contains(column), "missing {column} in:\n{table}");
    }
    let wide = env
        .kubectl(&["get", "fe", "-n", &env.namespace, "-o", "wide"])
        .await;
    assert!(
        wide.contains("REASON") && wide.contains("MESSAGE"),
        "{wide}"
    );

    assert_eq!(
        env.emulator
            .counters()
            .executions_created("quick", &exec_name),
        1,
        "started exactly once"
    );
    let describes = env.emulator.counters().calls("DescribeExecution");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        env.emulator.counters().calls("DescribeExecution"),
        describes,
        "no calls after the end"
    );
    let statuses = writes.await.unwrap();
    assert_every_write_is_news(&statuses);
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_flow_ends_stalled_with_its_error_and_cause() {
    let env = Env::new("e2e-fail").await;
    let operator = env.start_operator();
    env.create("doomed", serde_json::json!({"flowName": "failing"}))
        .await;
    let fe = env.wait_for("doomed", RUN_TIMEOUT, completed).await;
    let status = fe.status.clone().unwrap();
    assert_eq!(status.phase.as_deref(), Some("Failed"));
    assert_eq!(condition(&fe, "Succeeded"), Some("False"));
    assert_eq!(condition(&fe, "Stalled"), Some("True"));
    assert_eq!(status.condition("Succeeded").unwrap().reason, "Failed");
    assert_eq!(status.error.as_deref(), Some("PaymentDeclined"));
    assert_eq!(status.cause.as_deref(), Some("card expired"));
    let events = env.kubectl(&["get", "events", "-n", &env.namespace]).await;
    assert!(
        events.contains("Failed") && events.contains("PaymentDeclined"),
        "{events}"
    );
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_true_stops_the_execution_at_once_even_during_a_long_poll() {
    let env = Env::new("e2e-stop").await;
    let operator = env.start_operator();
    env.create("halt", serde_json::json!({"flowName": "long"}))
        .await;
    env.wait_for("halt", RUN_TIMEOUT, |fe| phase(fe) == Some("Running"))
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await; // the long-poll is now in flight
    env.patch_spec("halt", serde_json::json!({"stop": true}))
        .await
        .unwrap();
    let fe = env
        .wait_for("halt", Duration::from_secs(10), completed)
        .await;
    assert_eq!(phase(&fe), Some("Stopped"));
    assert_eq!(
        fe.status.unwrap().condition("Succeeded").unwrap().reason,
        "Stopped"
    );
    let refused = env
        .patch_spec("halt", serde_json::json!({"stop": false}))
        .await;
    let message = refused.expect_err("stop cannot go back").to_string();
    assert!(message.contains("spec.stop"), "{message}");
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_stops_a_live_execution_orphan_leaves_it_and_a_finished_one_is_not_called() {
    let env = Env::new("e2e-delete").await;
    let operator = env.start_operator();
    env.create("live", serde_json::json!({"flowName": "long"}))
        .await;
    env.create(
        "kept",
        serde_json::json!({"flowName": "long", "deletionPolicy": "Orphan"}),
    )
    .await;
    env.create("done", serde_json::json!({"flowName": "quick"}))
        .await;
    let mut names = Vec::new();
    for name in ["live", "kept"] {
        let fe = env
            .wait_for(name, RUN_TIMEOUT, |fe| phase(fe) == Some("Running"))
            .await;
        names.push(fe.status.unwrap().execution_name.unwrap());
    }
    env.wait_for("done", RUN_TIMEOUT, completed).await;

    env.delete("live").await;
    env.wait_gone("live", Duration::from_secs(15)).await;
    let live = env.emulator.execution("long", &names[0]).unwrap();
    assert_eq!(live.status, "Stopped");

    // The gauge must first count the orphan-to-be's long-poll, or the final check proves nothing.
    let counted = std::time::Instant::now() + Duration::from_secs(20);
    while operator
        .metrics
        .render()
        .contains("fnf_operator_long_polls_in_flight 0")
    {
        assert!(
            std::time::Instant::now() < counted,
            "the long-poll gauge never counted"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    env.delete("kept").await;
    env.wait_gone("kept", Duration::from_secs(15)).await;
    let kept = env.emulator.execution("long", &names[1]).unwrap();
    assert_eq!(kept.status, "Running");

    let stops = env.emulator.counters().calls("StopExecution");
    env.delete("done").await;
    env.wait_gone("done", Duration::from_secs(15)).await;
    assert_eq!(
        env.emulator.counters().calls("StopExecution"),
        stops,
        "deleting a finished one calls nothing"
    );
    // The orphaned execution still runs, but nothing is left watching it.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !operator
        .metrics
        .render()
        .contains("fnf_operator_long_polls_in_flight 0")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "a long-poll outlived its object"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observe_mode_mirrors_an_execution_started_elsewhere_and_never_starts_one() {
    let env = Env::new("e2e-observe").await;
    let operator = env.start_operator();
    // A name with the namespace's prefix: observing other names needs the operator's leave.
    let observed = format!("{}_started_by_someone", env.namespace);
    env.create(
        "watcher",
        serde_json::json!({"flowName": "quick", "executionName": observed, "mode": "Observe"}),
    )
    .await;
    let fe = env
        .wait_for("watcher", RUN_TIMEOUT, |fe| {
            fe.status
                .as_ref()
                .and_then(|s| s.condition("Reconciling"))
                .is_some_and(|c| c.reason == "ExecutionNotFound")
        })
        .await;
    assert_eq!(phase(&fe), Some("Pending"));
    assert_eq!(env.emulator.counters().total_created(), 0);

    cloud_client(&env)
        .start_execution(&StartExecution {
            flow_name: "quick".into(),
            execution_name: observed.clone(),
            input: Some(r#"{"from":"elsewhere"}"#.into()),
            qualifier: None,
        })
        .await
        .unwrap();
    let fe = env
        .wait_for("watcher", Duration::from_secs(90), completed)
        .await;
    assert_eq!(phase(&fe), Some("Succeeded"));
    assert_eq!(
        fe.status.unwrap().output.as_deref(),
        Some(r#"{"from":"elsewhere"}"#)
    );
    assert_eq!(env.emulator.counters().total_created(), 1);
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recreated_object_adopts_its_execution_and_an_operator_restart_starts_nothing() {
    let env = Env::new("e2e-adopt").await;
    let operator = env.start_operator();
    env.create("again", serde_json::json!({"flowName": "quick"}))
        .await;
    env.wait_for("again", RUN_TIMEOUT, completed).await;
    env.delete("again").await;
    env.wait_gone("again", Duration::from_secs(15)).await;
    env.create("again", serde_json::json!({"flowName": "quick"}))
        .await;
    let fe = env.wait_for("again", RUN_TIMEOUT, completed).await;
    assert_eq!(phase(&fe), Some("Succeeded"));
    let again = fe.status.clone().unwrap().execution_name.unwrap();
    assert_eq!(fe.status.unwrap().adopted, Some(true));
    let events = env.kubectl(&["get", "events", "-n", &env.namespace]).await;
    assert!(events.contains("Adopted"), "{events}");
    assert_eq!(
        env.emulator.counters().executions_created("quick", &again),
        1
    );

    // Killed mid-run (no graceful stop), then a new operator: still one start.
    env.create("crash", serde_json::json!({"flowName": "long"}))
        .await;
    env.wait_for("crash", RUN_TIMEOUT, |fe| phase(fe) == Some("Running"))
        .await;
    operator.kill();
    let operator = env.start_operator();
    env.patch_spec("crash", serde_json::json!({"stop": true}))
        .await
        .unwrap();
    let crash = env.wait_for("crash", RUN_TIMEOUT, completed).await;
    let crash = crash.status.unwrap().execution_name.unwrap();
    assert_eq!(
        env.emulator.counters().executions_created("long", &crash),
        1
    );
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apiserver_refuses_bad_specs_and_identity_changes_with_the_field_named() {
    let env = Env::new("e2e-cel").await;
    let dynamic: kube::Api<kube::api::DynamicObject> = kube::Api::namespaced_with(
        env.admin.clone(),
        &env.namespace,
        &kube::api::ApiResource::erase::<fnf_operator::crd::FlowExecution>(&()),
    );
    // Raw objects, as kubectl would send them: the typed client would refuse some first.
    let try_create = |spec: serde_json::Value| {
        let api = dynamic.clone();
        let obj = serde_json::json!({
            "apiVersion": "fnf-operator.dev/v1alpha1", "kind": "FlowExecution",
            "metadata": {"generateName": "bad-"}, "spec": spec,
        });
        async move {
            let obj: kube::api::DynamicObject = serde_json::from_value(obj).unwrap();
            api.create(&Default::default(), &obj)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    };
    for (spec, field) in [
        (serde_json::json!({"flowName": "a.b"}), "spec.flowName"),
        (serde_json::json!({"flowName": "a b"}), "spec.flowName"),
        (serde_json::json!({"flowName": ""}), "spec.flowName"),
        (
            serde_json::json!({"flowName": "a".repeat(129)}),
            "spec.flowName",
        ),
        (
            serde_json::json!({"flowName": "ok", "executionName": "9lives"}),
            "spec.executionName",
        ),
        (
            serde_json::json!({"flowName": "ok", "mode": "Sometimes"}),
            "spec.mode",
        ),
        (
            serde_json::json!({"flowName": "ok", "deletionPolicy": "Shred"}),
            "spec.deletionPolicy",
        ),
        (
            serde_json::json!({"flowName": "ok", "region": "Mars"}),
            "spec.region",
        ),
    ] {
        let err = try_create(spec.clone())
            .await
            .expect_err(&format!("{spec} must be refused"));
        assert!(err.contains(field), "{spec}: {err}");
    }
    let err = try_create(serde_json::json!({"flowName": "ok", "input": [1, 2]}))
        .await
        .expect_err("input must be an object");
    assert!(err.contains("spec.input"), "{err}");

    // runPolicy Once: the declaration is immutable (OnChange lets it change).
    env.create(
        "fixed",
        serde_json::json!({"flowName": "quick", "runPolicy": "Once", "input": {"a": 1}}),
    )
    .await;
    for change in [
        serde_json::json!({"flowName": "other"}),
        serde_json::json!({"executionName": "renamed"}),
        serde_json::json!({"input": {"a": 2}}),
        serde_json::json!({"mode": "Observe"}),
    ] {
        let key = change.as_object().unwrap().keys().next().unwrap().clone();
        let err = env
            .patch_spec("fixed", change)
            .await
            .expect_err("identity is immutable")
            .to_string();
        assert!(
            err.contains(&format!("spec.{key}")) && err.contains("create a new FlowExecution"),
            "{err}"
        );
    }
}
