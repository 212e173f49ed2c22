//! The operator's own misfortunes: SIGKILLed between a cloud call and the
//! status write that would record it, and things a GitOps apply delivers out
//! of order (the flow, the Secret). The execution is still started at most
//! once, the object still ends mirroring the cloud, and while it waits the
//! status says what it waits for.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod e2e_support;
mod fault_support;

use std::time::{Duration, Instant};

use e2e_support::*;
use fault_support::*;
use fnf_operator::crd::FINALIZER;
use fnf_operator::emulator::{ExecutionMode, Fault};
use fnf_operator::sandbox::{SANDBOX_ACCESS_KEY_ID, SANDBOX_ACCESS_KEY_SECRET};
use kube::ResourceExt;

const RUN_TIMEOUT: Duration = Duration::from_secs(60);
/// Every cloud answer is held this long, so the test can pause the emulator
/// after a call was received and before its answer leaves.
const HELD_CALL: Duration = Duration::from_secs(5);
/// Well inside `HELD_CALL`: the call has arrived, its answer has not left.
const CALL_ARRIVED: Duration = Duration::from_secs(2);

fn execution_name(env: &Env, fe: &str) -> String {
    format!("{}_{fe}", env.namespace)
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
    let operator = OperatorProcess::spawn(&env, SHORT_WAIT_SECS, "info");
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
            .executions_created("quick", &execution_name(&env, "crash"))
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
    let operator = OperatorProcess::spawn(&env, SHORT_WAIT_SECS, "info");
    let fe = env.wait_for("crash", RUN_TIMEOUT, completed).await;
    eprintln!(
        "MEASURED flt-kill-start: Succeeded {:.1} s after the restart (status.adopted {:?})",
        restarted.elapsed().as_secs_f64(),
        fe.status.as_ref().and_then(|s| s.adopted)
    );
    assert_eq!(phase(&fe), Some("Succeeded"));
    let counters = env.emulator.counters();
    assert_eq!(
        counters.executions_created("quick", &execution_name(&env, "crash")),
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
    let operator = OperatorProcess::spawn(&env, SHORT_WAIT_SECS, "info");
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
            .execution("long", &execution_name(&env, "doomed"))
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
    let operator = OperatorProcess::spawn(&env, SHORT_WAIT_SECS, "info");
    env.wait_gone("doomed", RUN_TIMEOUT).await;
    eprintln!(
        "MEASURED flt-kill-stop: object gone {:.1} s after the restart",
        restarted.elapsed().as_secs_f64()
    );
    let cloud = env
        .emulator
        .execution("long", &execution_name(&env, "doomed"))
        .unwrap();
    assert_eq!(cloud.status, "Stopped");
    assert_eq!(
        env.emulator
            .counters()
            .executions_created("long", &execution_name(&env, "doomed")),
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
            .executions_created("arriving", &execution_name(&env, "early")),
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
            .executions_created("quick", &execution_name(&env, "keyed")),
        1
    );
    operator.stop().await.unwrap();
}
