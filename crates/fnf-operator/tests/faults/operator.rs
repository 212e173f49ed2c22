//! The operator's own misfortunes: SIGKILLed between a cloud call and the
//! status write that would record it, and things a GitOps apply delivers out
//! of order (the flow, the Secret). The execution is still started at most
//! once, the object still ends mirroring the cloud, and while it waits the
//! status says what it waits for.

use std::time::{Duration, Instant};

use fnf_emulator::{ExecutionMode, Fault};
use fnf_operator::crd::FINALIZER;
use fnf_testkit::e2e::*;
use fnf_testkit::fault::*;
use fnf_testkit::sandbox::{SANDBOX_ACCESS_KEY_ID, SANDBOX_ACCESS_KEY_SECRET};
use k8s_openapi::api::core::v1::Secret;
use kube::{Api, ResourceExt};

const RUN_TIMEOUT: Duration = Duration::from_secs(60);
/// Every cloud answer is held this long, so the test can pause the emulator
/// after a call was received and before its answer leaves.
const HELD_CALL: Duration = Duration::from_secs(5);
/// Well inside `HELD_CALL`: the call has arrived, its answer has not left.
const CALL_ARRIVED: Duration = Duration::from_secs(2);

/// The run's name `fe` started for `flow` (OnChange: `{namespace}_{fe}_R…`).
fn execution_name(env: &Env, flow: &str, fe: &str) -> String {
    env.run_name(flow, fe)
}

/// Holds every answer: calls already inside their latency are served (the
/// execution is created or stopped) but their answers wait for `clear_faults`.
async fn hold_answers_of_calls_in_flight(env: &Env) {
    tokio::time::sleep(CALL_ARRIVED).await;
    env.emulator.inject(Fault::Pause);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_after_start_execution_before_the_status_write_still_starts_once() {
    let env = Env::new("flt-kill-start").await;
    let operator = OperatorProcess::spawn(
        env!("CARGO_BIN_EXE_fnf-operator"),
        &env,
        SHORT_WAIT_SECS,
        "info",
    );
    env.emulator.inject(Fault::Latency {
        min: HELD_CALL,
        max: HELD_CALL,
    });
    env.create("crash", serde_json::json!({"flowName": "quick"}))
        .await;
    // The execution name is persisted before StartExecution is sent.
    env.wait_for("crash", RUN_TIMEOUT, |fe| {
        fe.status
            .as_ref()
            .is_some_and(|s| s.execution_name.is_some())
    })
    .await;
    hold_answers_of_calls_in_flight(&env).await;
    let created = eventually(HELD_CALL * 2, || {
        env.emulator
            .counters()
            .executions_created("quick", &execution_name(&env, "quick", "crash"))
            == 1
    })
    .await;
    assert!(created, "StartExecution reached the cloud");
    let log = operator.kill().await;
    let before_restart = env.api.get("crash").await.unwrap();
    assert_eq!(
        phase(&before_restart),
        Some("Pending"),
        "killed before any status write recorded the start; log:\n{log}"
    );

    env.emulator.clear_faults();
    let restarted = Instant::now();
    let operator = OperatorProcess::spawn(
        env!("CARGO_BIN_EXE_fnf-operator"),
        &env,
        SHORT_WAIT_SECS,
        "info",
    );
    let fe = env.wait_for("crash", RUN_TIMEOUT, completed).await;
    eprintln!(
        "MEASURED flt-kill-start: Succeeded {:.1} s after the restart (status.adopted {:?})",
        restarted.elapsed().as_secs_f64(),
        fe.status.as_ref().and_then(|s| s.adopted)
    );
    assert_eq!(phase(&fe), Some("Succeeded"));
    let counters = env.emulator.counters();
    assert_eq!(
        counters.executions_created("quick", &execution_name(&env, "quick", "crash")),
        1,
        "one start across the crash"
    );
    assert!(
        counters.calls("StartExecution") <= 1,
        "the restarted operator asked (DescribeExecution) instead of starting again: {counters:?}"
    );
    operator.terminate().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_while_a_stop_on_delete_is_in_flight_still_stops_and_releases() {
    let env = Env::new("flt-kill-stop").await;
    let operator = OperatorProcess::spawn(
        env!("CARGO_BIN_EXE_fnf-operator"),
        &env,
        SHORT_WAIT_SECS,
        "info",
    );
    env.create("doomed", serde_json::json!({"flowName": "long"}))
        .await;
    env.wait_for("doomed", RUN_TIMEOUT, |fe| {
        phase(fe) == Some("Running") && fe.finalizers().contains(&FINALIZER.to_string())
    })
    .await;
    env.emulator.inject(Fault::Latency {
        min: HELD_CALL,
        max: HELD_CALL,
    });
    env.delete("doomed").await;
    hold_answers_of_calls_in_flight(&env).await;
    let stopped_before_kill = eventually(HELD_CALL * 2, || {
        env.emulator
            .execution("long", &execution_name(&env, "long", "doomed"))
            .is_some_and(|e| e.status == "Stopped")
    })
    .await;
    operator.kill().await;
    // Whether or not the stop was served, its answer never reached the operator.
    eprintln!("MEASURED flt-kill-stop: stop served before the kill: {stopped_before_kill}");
    assert!(
        env.api.get_opt("doomed").await.unwrap().is_some(),
        "the finalizer holds the object while the stop is unconfirmed"
    );

    env.emulator.clear_faults();
    let restarted = Instant::now();
    let operator = OperatorProcess::spawn(
        env!("CARGO_BIN_EXE_fnf-operator"),
        &env,
        SHORT_WAIT_SECS,
        "info",
    );
    env.wait_gone("doomed", RUN_TIMEOUT).await;
    eprintln!(
        "MEASURED flt-kill-stop: object gone {:.1} s after the restart",
        restarted.elapsed().as_secs_f64()
    );
    let cloud = env
        .emulator
        .execution("long", &execution_name(&env, "long", "doomed"))
        .unwrap();
    assert_eq!(cloud.status, "Stopped");
    assert_eq!(
        env.emulator
            .counters()
            .executions_created("long", &execution_name(&env, "long", "doomed")),
        1
    );
    operator.terminate().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flow_created_after_its_flowexecution_is_waited_for_then_run() {
    const FLOW_ARRIVES: Duration = Duration::from_secs(5);
    let env = Env::new("flt-noflow").await;
    let mut config = operator_config(&env, SHORT_WAIT_SECS);
    config.decide.flow_missing_grace = Duration::from_secs(60);
    let operator = start_operator_with(&env, config);
    let applied = Instant::now();
    env.create("early", serde_json::json!({"flowName": "arriving"}))
        .await;
    let fe = env
        .wait_for("early", RUN_TIMEOUT, |fe| {
            condition_of(fe, "Succeeded").is_some_and(|c| c.reason == "FlowNotExists")
        })
        .await;
    let succeeded = condition_of(&fe, "Succeeded").unwrap();
    assert_eq!(succeeded.status, "Unknown", "still hoping within the grace");
    assert!(
        succeeded.message.contains("arriving"),
        "{}",
        succeeded.message
    );
    assert_eq!(condition(&fe, "Stalled"), None);
    assert_eq!(condition(&fe, "Reconciling"), Some("True"));

    tokio::time::sleep(FLOW_ARRIVES.saturating_sub(applied.elapsed())).await;
    env.emulator
        .create_flow("arriving", FLOW_QUICK, ExecutionMode::Standard)
        .unwrap();
    let flow_created = Instant::now();
    let fe = env.wait_for("early", RUN_TIMEOUT, completed).await;
    eprintln!(
        "MEASURED flt-noflow: Succeeded {:.1} s after the flow was created (retry interval 15 s)",
        flow_created.elapsed().as_secs_f64()
    );
    assert_eq!(phase(&fe), Some("Succeeded"));
    assert_eq!(
        env.emulator
            .counters()
            .executions_created("arriving", &execution_name(&env, "arriving", "early")),
        1
    );
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_created_after_its_flowexecution_is_picked_up_on_the_next_retry() {
    let env = Env::new("flt-nosecret").await;
    let operator = start_operator_with(&env, operator_config(&env, SHORT_WAIT_SECS));
    env.create(
        "keyed",
        serde_json::json!({"flowName": "quick", "credentialsSecretRef": {"name": "late-creds"}}),
    )
    .await;
    let fe = env
        .wait_for("keyed", RUN_TIMEOUT, |fe| {
            stalled_with(fe, "SecretNotFound")
        })
        .await;
    let message = condition_of(&fe, "Stalled").unwrap().message.clone();
    let secret = format!("{}/late-creds", env.namespace);
    for needle in [
        secret.as_str(),
        "spec.credentialsSecretRef",
        "accessKeyId",
        "accessKeySecret",
    ] {
        assert!(message.contains(needle), "{needle} missing in: {message}");
    }
    assert_eq!(
        condition(&fe, "Completed"),
        Some("False"),
        "fixable without a new object"
    );
    assert!(
        !warnings_about(&env, "keyed", "SecretNotFound")
            .await
            .is_empty()
    );
    assert_eq!(env.emulator.counters().total_created(), 0);

    create_secret(
        &env,
        "late-creds",
        &[
            ("accessKeyId", SANDBOX_ACCESS_KEY_ID),
            ("accessKeySecret", SANDBOX_ACCESS_KEY_SECRET),
        ],
    )
    .await;
    let secret_created = Instant::now();
    let fe = env.wait_for("keyed", RUN_TIMEOUT, completed).await;
    eprintln!(
        "MEASURED flt-nosecret: Succeeded {:.1} s after the Secret was created (credentials retry 30 s)",
        secret_created.elapsed().as_secs_f64()
    );
    assert_eq!(phase(&fe), Some("Succeeded"));
    assert_eq!(condition(&fe, "Stalled"), None);
    assert_eq!(
        env.emulator
            .counters()
            .executions_created("quick", &execution_name(&env, "quick", "keyed")),
        1
    );
    operator.stop().await.unwrap();
}

/// Replaces the keys in Secret `name` (as a rotation would).
async fn set_keys(env: &Env, name: &str, id: &str, secret: &str) {
    use kube::api::{Patch, PatchParams};
    Api::<Secret>::namespaced(env.admin.clone(), &env.namespace)
        .patch(
            name,
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({
                "stringData": {"accessKeyId": id, "accessKeySecret": secret}
            })),
        )
        .await
        .expect("patch Secret");
}

async fn delete_secret(env: &Env, name: &str) {
    Api::<Secret>::namespaced(env.admin.clone(), &env.namespace)
        .delete(name, &Default::default())
        .await
        .expect("delete Secret");
}

fn has_finalizer(fe: &fnf_operator::crd::FlowExecution) -> bool {
    fe.finalizers().contains(&FINALIZER.to_string())
}

fn completed_reason(fe: &fnf_operator::crd::FlowExecution) -> Option<String> {
    condition_of(fe, "Completed")
        .filter(|c| c.status == "True")
        .map(|c| c.reason.clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_asked_before_the_start_starts_nothing() {
    let env = Env::new("flt-stopfirst").await;
    let operator = start_operator_with(&env, operator_config(&env, SHORT_WAIT_SECS));
    // Stopped at creation.
    env.create(
        "never",
        serde_json::json!({"flowName": "quick", "stop": true}),
    )
    .await;
    let fe = env.wait_for("never", RUN_TIMEOUT, completed).await;
    assert_eq!(completed_reason(&fe).as_deref(), Some("StoppedBeforeStart"));
    assert_eq!(condition(&fe, "Succeeded"), Some("False"));
    assert!(!has_finalizer(&fe));

    // Stopped while waiting for its flow to exist.
    env.create("waiting", serde_json::json!({"flowName": "arriving"}))
        .await;
    env.wait_for("waiting", RUN_TIMEOUT, |fe| {
        condition_of(fe, "Succeeded").is_some_and(|c| c.reason == "FlowNotExists")
    })
    .await;
    env.patch_spec("waiting", serde_json::json!({"stop": true}))
        .await
        .unwrap();
    let fe = env.wait_for("waiting", RUN_TIMEOUT, completed).await;
    assert_eq!(completed_reason(&fe).as_deref(), Some("StoppedBeforeStart"));
    env.emulator
        .create_flow("arriving", FLOW_QUICK, ExecutionMode::Standard)
        .unwrap();
    // Longer than the 15 s FlowNotExists retry: a start would have come by now.
    tokio::time::sleep(Duration::from_secs(20)).await;
    let counters = env.emulator.counters();
    assert_eq!(counters.total_created(), 0, "nothing started: {counters:?}");
    let fe = env.api.get("waiting").await.unwrap();
    assert_eq!(completed_reason(&fe).as_deref(), Some("StoppedBeforeStart"));
    assert!(
        warnings_about(&env, "never", "StoppedBeforeStart")
            .await
            .is_empty(),
        "a stop the user asked for is no Warning"
    );
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_object_that_never_started_holds_no_finalizer_and_claims_no_cloud_answer() {
    let env = Env::new("flt-keyless").await;
    let operator = start_operator_with(&env, operator_config(&env, SHORT_WAIT_SECS));
    create_secret(&env, "half", &[("accessKeyId", SANDBOX_ACCESS_KEY_ID)]).await;
    env.create(
        "keyless",
        serde_json::json!({"flowName": "quick", "credentialsSecretRef": {"name": "half"}}),
    )
    .await;
    let fe = env
        .wait_for("keyless", RUN_TIMEOUT, |fe| {
            stalled_with(fe, "SecretKeyMissing")
        })
        .await;
    assert!(!has_finalizer(&fe), "nothing was started: nothing to stop");
    assert_eq!(
        condition_of(&fe, "CloudReachable"),
        None,
        "no call was made"
    );
    env.delete("keyless").await;
    env.wait_gone("keyless", Duration::from_secs(20)).await;
    assert_eq!(env.emulator.counters().total_created(), 0);
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_waiting_for_its_secret_says_why_and_goes_on_once_it_is_back() {
    let env = Env::new("flt-delcreds").await;
    let operator = start_operator_with(&env, operator_config(&env, SHORT_WAIT_SECS));
    let keys = [
        ("accessKeyId", SANDBOX_ACCESS_KEY_ID),
        ("accessKeySecret", SANDBOX_ACCESS_KEY_SECRET),
    ];
    create_secret(&env, "creds", &keys).await;
    env.create(
        "held",
        serde_json::json!({"flowName": "long", "credentialsSecretRef": {"name": "creds"}}),
    )
    .await;
    env.wait_for("held", RUN_TIMEOUT, |fe| {
        phase(fe) == Some("Running") && has_finalizer(fe)
    })
    .await;
    delete_secret(&env, "creds").await;
    env.delete("held").await;
    let fe = env
        .wait_for("held", RUN_TIMEOUT, |fe| {
            condition_of(fe, "Ready").is_some_and(|c| c.message.starts_with("deletion waits"))
        })
        .await;
    let ready = condition_of(&fe, "Ready").unwrap();
    eprintln!(
        "MEASURED flt-delcreds: Ready: {}: {}",
        ready.reason, ready.message
    );
    assert!(ready.message.contains("creds"), "{}", ready.message);
    assert!(
        !warnings_about(&env, "held", "DeletionWaiting")
            .await
            .is_empty(),
        "an Event says why the deletion waits"
    );
    let execution = execution_name(&env, "long", "held");
    assert_eq!(
        env.emulator.execution("long", &execution).unwrap().status,
        "Running",
        "not stopped without keys"
    );

    create_secret(&env, "creds", &keys).await;
    let restored = Instant::now();
    env.wait_gone("held", RUN_TIMEOUT).await;
    eprintln!(
        "MEASURED flt-delcreds: object gone {:.1} s after the Secret came back (promise: 30 s)",
        restored.elapsed().as_secs_f64()
    );
    assert_eq!(
        env.emulator.execution("long", &execution).unwrap().status,
        "Stopped"
    );
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_keys_in_the_secret_serve_the_next_call_of_a_running_execution() {
    let env = Env::new("flt-rotate").await;
    let operator = start_operator_with(&env, operator_config(&env, SHORT_WAIT_SECS));
    create_secret(
        &env,
        "rotating",
        &[
            ("accessKeyId", SANDBOX_ACCESS_KEY_ID),
            ("accessKeySecret", SANDBOX_ACCESS_KEY_SECRET),
        ],
    )
    .await;
    env.create(
        "rotated",
        serde_json::json!({"flowName": "long", "credentialsSecretRef": {"name": "rotating"}}),
    )
    .await;
    env.wait_for("rotated", RUN_TIMEOUT, |fe| phase(fe) == Some("Running"))
        .await;
    // A key the cloud does not know: the next call must use it and say so.
    set_keys(&env, "rotating", "LTAIunknownkey0000", "nope").await;
    let rotated = Instant::now();
    env.wait_for("rotated", RUN_TIMEOUT, |fe| {
        stalled_with(fe, "InvalidAccessKeyID")
    })
    .await;
    eprintln!(
        "MEASURED flt-rotate: the refused key showed {:.1} s after the rotation",
        rotated.elapsed().as_secs_f64()
    );
    set_keys(
        &env,
        "rotating",
        SANDBOX_ACCESS_KEY_ID,
        SANDBOX_ACCESS_KEY_SECRET,
    )
    .await;
    let fixed = Instant::now();
    let fe = env
        .wait_for("rotated", RUN_TIMEOUT, |fe| {
            condition(fe, "Stalled").is_none() && phase(fe) == Some("Running")
        })
        .await;
    eprintln!(
        "MEASURED flt-rotate: mirrored again {:.1} s after the keys were fixed",
        fixed.elapsed().as_secs_f64()
    );
    assert_eq!(condition(&fe, "Completed"), Some("False"));
    assert_eq!(
        env.emulator
            .counters()
            .executions_created("long", &execution_name(&env, "long", "rotated")),
        1
    );
    operator.stop().await.unwrap();
}
