//! Runs follow their declaration (`runPolicy: OnChange`, the default), end
//! to end: edits, re-creates, runKey, Wait and Replace, retries, suspend and
//! inputFrom, each counted in the emulator's executions. Retries and
//! suspend: `run_attempts`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use fnf_client::{Client, ClientConfig, CredentialProvider, Endpoint, StartExecution};
use fnf_emulator::ExecutionMode;
use fnf_operator::crd::FlowExecution;
use fnf_testkit::e2e::*;
use fnf_testkit::fault::{condition_of, stalled_with};
use fnf_testkit::gitops::{argo_health, kstatus};
use fnf_testkit::sandbox::sandbox_credentials;

pub(crate) const TIMEOUT: Duration = Duration::from_secs(90);
/// A flow that runs a few seconds: long enough to be live when edited.
const FLOW_MEDIUM: &str = "Type: StateMachine\nSpecVersion: v1\nName: medium\nStartAt: Pause\nStates:\n  - Type: Wait\n    Name: Pause\n    Seconds: 6\n    Next: Done\n  - Type: Succeed\n    Name: Done\n";

pub(crate) fn created(env: &Env) -> u64 {
    env.emulator.counters().total_created()
}

pub(crate) fn status_of(fe: &FlowExecution) -> fnf_operator::crd::FlowExecutionStatus {
    fe.status.clone().unwrap_or_default()
}

pub(crate) fn execution_name(fe: &FlowExecution) -> String {
    status_of(fe).execution_name.unwrap_or_default()
}

/// Completed=True for the object's current generation.
pub(crate) fn done_at_generation(fe: &FlowExecution) -> bool {
    completed(fe)
        && status_of(fe).observed_generation == fe.metadata.generation
        && status_of(fe)
            .condition("Completed")
            .is_some_and(|c| c.observed_generation == fe.metadata.generation)
}

fn cloud_input(env: &Env, flow: &str, name: &str) -> serde_json::Value {
    let execution = env
        .emulator
        .execution(flow, name)
        .expect("execution exists");
    serde_json::from_str(&execution.input).unwrap_or_default()
}

/// What the object said over time: (generation, observedGeneration,
/// executionName, Completed, Argo CD verdict, kstatus verdict).
type Sample = (i64, i64, String, String, String, String);

fn record_samples(env: &Env, name: &str) -> (Arc<Mutex<Vec<Sample>>>, tokio::task::JoinHandle<()>) {
    let samples = Arc::new(Mutex::new(Vec::<Sample>::new()));
    let api = env.api.clone();
    let name = name.to_string();
    let sink = samples.clone();
    let task = tokio::spawn(async move {
        loop {
            if let Ok(fe) = api.get(&name).await {
                let obj = serde_json::to_value(&fe).unwrap();
                let sample = (
                    fe.metadata.generation.unwrap_or_default(),
                    status_of(&fe).observed_generation.unwrap_or_default(),
                    execution_name(&fe),
                    condition(&fe, "Completed").unwrap_or("-").to_string(),
                    argo_health(&obj).0,
                    kstatus(&obj).0,
                );
                let mut all = sink.lock().unwrap();
                if all.last() != Some(&sample) {
                    all.push(sample);
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    (samples, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_input_runs_once_more_and_health_goes_progressing_then_healthy() {
    let env = Env::new("e2e-runs-edit").await;
    let operator = env.start_operator();
    env.create(
        "trap",
        serde_json::json!({"flowName": "quick", "input": {"greeting": "v1"}}),
    )
    .await;
    let first = env.wait_for("trap", TIMEOUT, done_at_generation).await;
    let first_name = execution_name(&first);
    assert_eq!(created(&env), 1);

    let (samples, sampler) = record_samples(&env, "trap");
    env.patch_spec("trap", serde_json::json!({"input": {"greeting": "v2"}}))
        .await
        .expect("OnChange admits an edited input");
    let second = env
        .wait_for("trap", TIMEOUT, |fe| {
            done_at_generation(fe) && execution_name(fe) != first_name
        })
        .await;
    sampler.abort();
    let status = status_of(&second);
    assert_eq!(created(&env), 2, "exactly one new execution");
    let second_name = execution_name(&second);
    assert_eq!(
        cloud_input(&env, "quick", &second_name),
        serde_json::json!({"greeting": "v2"})
    );
    assert_eq!(status.phase.as_deref(), Some("Succeeded"));
    let output: serde_json::Value =
        serde_json::from_str(status.output.as_deref().unwrap()).unwrap();
    assert_eq!(output["greeting"], "v2");
    assert_eq!(status.runs[0].execution_name, first_name);
    assert_eq!(status.runs[0].phase, "Succeeded");

    let samples = samples.lock().unwrap().clone();
    eprintln!("{samples:#?}");
    // Never healthy for the new generation on the old run's result.
    for (generation, observed, name, completed, argo, flux) in &samples {
        if *generation == 2 && name == &first_name {
            assert_ne!(
                (argo.as_str(), flux.as_str()),
                ("Healthy", "Current"),
                "{samples:?}"
            );
            if *observed == 2 {
                assert_eq!(completed, "False", "{samples:?}");
            }
        }
    }
    let progressing = samples
        .iter()
        .position(|s| s.0 == 2 && s.4 == "Progressing" && s.5 == "InProgress")
        .expect("Progressing/InProgress after the edit");
    assert!(samples[progressing..].iter().any(|s| s.3 == "False"));
    // The end, read from the object the wait returned (the sampler may not
    // have polled again since).
    let end = serde_json::to_value(&second).unwrap();
    assert_eq!(
        (argo_health(&end).0, kstatus(&end).0),
        ("Healthy".to_string(), "Current".to_string())
    );
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recreated_object_adopts_its_own_declaration_and_runs_another_once() {
    let env = Env::new("e2e-runs-recreate").await;
    let operator = env.start_operator();
    let v1 = serde_json::json!({"flowName": "quick", "input": {"greeting": "v1"}});
    env.create("trap", v1.clone()).await;
    let first = env.wait_for("trap", TIMEOUT, done_at_generation).await;
    env.delete("trap").await;
    env.wait_gone("trap", TIMEOUT).await;

    // Identical: the same execution, nothing new.
    env.create("trap", v1).await;
    let again = env.wait_for("trap", TIMEOUT, done_at_generation).await;
    assert_eq!(execution_name(&again), execution_name(&first));
    assert_eq!(created(&env), 1, "an identical re-create starts nothing");
    env.delete("trap").await;
    env.wait_gone("trap", TIMEOUT).await;

    // Another input: one new run, and the old Output is never shown for it.
    let (samples, sampler) = record_samples(&env, "trap");
    let outputs = {
        let api = env.api.clone();
        tokio::spawn(async move {
            let mut seen = Vec::new();
            for _ in 0..600 {
                if let Ok(fe) = api.get("trap").await
                    && let Some(output) = status_of(&fe).output
                {
                    seen.push(output.clone());
                    if output.contains("v2") {
                        break;
                    }
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            seen
        })
    };
    env.create(
        "trap",
        serde_json::json!({"flowName": "quick", "input": {"greeting": "v2"}}),
    )
    .await;
    let other = env.wait_for("trap", TIMEOUT, done_at_generation).await;
    sampler.abort();
    assert_eq!(created(&env), 2);
    assert_ne!(execution_name(&other), execution_name(&first));
    assert_ne!(status_of(&other).adopted, Some(true));
    let seen = outputs.await.unwrap();
    assert!(seen.iter().all(|o| !o.contains("v1")), "{seen:?}");
    let samples = samples.lock().unwrap().clone();
    assert!(
        samples.iter().all(|s| s.2 != execution_name(&first)),
        "the old run was never mirrored: {samples:?}"
    );
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_explicit_name_run_with_another_input_is_refused_and_nothing_starts() {
    let env = Env::new("e2e-runs-in-use").await;
    let name = format!("{}_taken", env.namespace);
    let config = ClientConfig::new(Endpoint::from_url(&env.emulator.endpoint()).unwrap()).unwrap();
    let cloud = Client::new(
        config,
        CredentialProvider::static_credentials(sandbox_credentials()),
    );
    cloud
        .start_execution(&StartExecution {
            flow_name: "quick".into(),
            execution_name: name.clone(),
            input: Some(r#"{"a":1}"#.into()),
            qualifier: None,
        })
        .await
        .unwrap();
    let operator = env.start_operator();
    env.create(
        "named",
        serde_json::json!({"flowName": "quick", "executionName": name, "input": {"a": 2}}),
    )
    .await;
    let fe = env
        .wait_for("named", TIMEOUT, |fe| {
            stalled_with(fe, "ExecutionNameInUse")
        })
        .await;
    let status = status_of(&fe);
    assert_eq!(status.output, None);
    assert_eq!(status.started_time, None);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(created(&env), 1, "nothing started");
    let message = &condition_of(&fe, "Stalled").unwrap().message;
    assert!(message.contains("spec.executionName"), "{message}");
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_key_bump_runs_the_same_input_again() {
    let env = Env::new("e2e-runs-key").await;
    let operator = env.start_operator();
    env.create(
        "again",
        serde_json::json!({"flowName": "quick", "input": {"n": 7}}),
    )
    .await;
    let first = env.wait_for("again", TIMEOUT, done_at_generation).await;
    env.patch_spec(
        "again",
        serde_json::json!({"runKey": "2026-12-01T00:00:00Z"}),
    )
    .await
    .unwrap();
    let second = env
        .wait_for("again", TIMEOUT, |fe| {
            done_at_generation(fe) && execution_name(fe) != execution_name(&first)
        })
        .await;
    assert_eq!(created(&env), 2);
    assert_eq!(
        cloud_input(&env, "quick", &execution_name(&second)),
        cloud_input(&env, "quick", &execution_name(&first))
    );
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_declaration_waits_for_the_live_run_or_replaces_it() {
    let env = Env::new("e2e-runs-live").await;
    env.emulator
        .create_flow("medium", FLOW_MEDIUM, ExecutionMode::Standard)
        .unwrap();
    let operator = env.start_operator();
    env.create(
        "waits",
        serde_json::json!({"flowName": "medium", "input": {"v": 1}}),
    )
    .await;
    env.create(
        "replaces",
        serde_json::json!({"flowName": "long", "input": {"v": 1}, "whileRunning": "Replace"}),
    )
    .await;
    let waits = env
        .wait_for("waits", TIMEOUT, |fe| phase(fe) == Some("Running"))
        .await;
    let replaces = env
        .wait_for("replaces", TIMEOUT, |fe| phase(fe) == Some("Running"))
        .await;
    env.patch_spec("waits", serde_json::json!({"input": {"v": 2}}))
        .await
        .unwrap();
    env.patch_spec("replaces", serde_json::json!({"input": {"v": 2}}))
        .await
        .unwrap();

    // Wait: the live run goes on, the object says why nothing new runs yet.
    let waiting = env
        .wait_for("waits", TIMEOUT, |fe| {
            condition_of(fe, "Reconciling").is_some_and(|c| c.reason == "WaitingForPreviousRun")
        })
        .await;
    assert_eq!(execution_name(&waiting), execution_name(&waits));
    assert_eq!(condition(&waiting, "Completed"), Some("False"));
    let waited = env
        .wait_for("waits", TIMEOUT, |fe| {
            done_at_generation(fe) && execution_name(fe) != execution_name(&waits)
        })
        .await;
    let old = env
        .emulator
        .execution("medium", &execution_name(&waits))
        .unwrap();
    assert_eq!(old.status, "Succeeded", "Wait let the live run finish");
    assert_eq!(status_of(&waited).runs[0].phase, "Succeeded");
    assert_eq!(
        cloud_input(&env, "medium", &execution_name(&waited)),
        serde_json::json!({"v": 2})
    );

    // Replace: the live run is stopped in the cloud, then the new one starts.
    let replaced = env
        .wait_for("replaces", TIMEOUT, |fe| {
            phase(fe) == Some("Running") && execution_name(fe) != execution_name(&replaces)
        })
        .await;
    let old = env
        .emulator
        .execution("long", &execution_name(&replaces))
        .unwrap();
    assert_eq!(old.status, "Stopped");
    assert_eq!(status_of(&replaced).runs[0].phase, "Stopped");
    assert_eq!(
        cloud_input(&env, "long", &execution_name(&replaced)),
        serde_json::json!({"v": 2})
    );
    assert_eq!(created(&env), 4, "two objects, two runs each");
    operator.stop().await.unwrap();
}
