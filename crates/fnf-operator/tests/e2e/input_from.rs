//! `spec.inputFrom` end to end: a missing source holds the start and names
//! it, its creation releases the start by itself, the cloud's Input carries
//! the values, and the Secret's value is found nowhere else: not in any log
//! line, Event, status, metric or execution name. A changed ConfigMap value
//! is a new declaration: the edit alone runs it once more (a Secret's value
//! is not part of the declaration: docs/gitops.md).

use std::time::Duration;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kube::api::{Patch, PatchParams, PostParams};

use fnf_testkit::e2e::*;
use fnf_testkit::fault::{OperatorProcess, condition_of, create_secret, events};

const TIMEOUT: Duration = Duration::from_secs(90);
const SECRET_VALUE: &str = "pin-4711-never-shown";
/// The value, its base64 (as the API serves a Secret's data) and pieces of
/// it a shortened or split copy would still hold.
const SECRET_PARTS: [&str; 5] = [
    SECRET_VALUE,
    "cGluLTQ3MTEtbmV2ZXItc2hvd24",
    "pin-4711",
    "4711-never",
    "never-shown",
];

fn name_of(fe: &fnf_operator::crd::FlowExecution) -> String {
    fe.status
        .as_ref()
        .and_then(|s| s.execution_name.clone())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_from_a_config_map_and_a_secret_reaches_the_cloud_and_nowhere_else() {
    // A flow that fails has no Output: one that echoed its input would put
    // the value there, which the status mirrors as the flow's own data.
    let env = Env::new("e2e-input-from").await;
    let settings: ConfigMap = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "settings"},
        "data": {"region": "eu", "limits": "{\"n\": 3}"},
    }))
    .unwrap();
    Api::<ConfigMap>::namespaced(env.admin.clone(), &env.namespace)
        .create(&PostParams::default(), &settings)
        .await
        .unwrap();
    let operator = env.start_operator();
    env.create(
        "fed",
        serde_json::json!({"flowName": "failing", "input": {"greeting": "hi"}, "inputFrom": [
            {"field": "region", "configMapKeyRef": {"name": "settings", "key": "region"}},
            {"field": "limits", "configMapKeyRef": {"name": "settings", "key": "limits"}, "asJson": true},
            {"field": "token", "secretKeyRef": {"name": "api", "key": "token"}},
        ]}),
    )
    .await;

    // The Secret does not exist yet: named, held, nothing started.
    let held = env
        .wait_for("fed", TIMEOUT, |fe| {
            condition_of(fe, "Reconciling").is_some_and(|c| c.reason == "InputSourceNotFound")
        })
        .await;
    let message = &condition_of(&held, "Reconciling").unwrap().message;
    assert!(message.contains("Secret \"api\""), "{message}");
    assert_eq!(env.emulator.counters().total_created(), 0);

    // It appears: the run starts by itself.
    create_secret(&env, "api", &[("token", SECRET_VALUE)]).await;
    let fe = env.wait_for("fed", TIMEOUT, completed).await;
    let name = name_of(&fe);
    let cloud = env.emulator.execution("failing", &name).unwrap();
    let input: serde_json::Value = serde_json::from_str(&cloud.input).unwrap();
    assert_eq!(
        input,
        serde_json::json!({"greeting": "hi", "region": "eu", "limits": {"n": 3}, "token": SECRET_VALUE})
    );
    let metrics = operator.metrics.render();
    operator.stop().await.unwrap();

    // Another run with the built operator, its logs at debug.
    let process = OperatorProcess::spawn(
        env!("CARGO_BIN_EXE_fnf-operator"),
        &env,
        2,
        "debug,fnf_operator=trace,fnf_client=trace",
    );
    env.patch_spec("fed", serde_json::json!({"runKey": "again"}))
        .await
        .unwrap();
    let again = env
        .wait_for("fed", TIMEOUT, |fe| completed(fe) && name_of(fe) != name)
        .await;
    let log = process.terminate().await;
    assert!(!log.is_empty(), "the operator logged");
    assert_eq!(env.emulator.counters().total_created(), 2);

    let status = serde_json::to_string(&again.status).unwrap();
    let events = serde_json::to_string(&events(&env).await).unwrap();
    let object = env
        .kubectl(&["get", "fe", "fed", "-n", &env.namespace, "-o", "yaml"])
        .await;
    for (what, text) in [
        ("a log line", log.as_str()),
        ("the status", status.as_str()),
        ("an Event", events.as_str()),
        ("a metric", metrics.as_str()),
        ("the object", object.as_str()),
        ("an execution name", name.as_str()),
        ("an execution name", name_of(&again).as_str()),
    ] {
        // Fragments long enough not to occur by chance: a bare "4711" did,
        // in a debug line's resourceVersion or port on a busy control plane.
        for part in SECRET_PARTS {
            let line = text.lines().find(|line| line.contains(part));
            assert!(
                line.is_none(),
                "{part:?} (part of the Secret's value) is in {what}: {}",
                line.unwrap_or_default()
            );
        }
    }
}

fn cloud_input(env: &Env, fe: &fnf_operator::crd::FlowExecution) -> serde_json::Value {
    let cloud = env.emulator.execution("failing", &name_of(fe)).unwrap();
    serde_json::from_str(&cloud.input).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_config_map_runs_the_new_value_once_by_itself() {
    let env = Env::new("e2e-input-from-edit").await;
    let config_maps = Api::<ConfigMap>::namespaced(env.admin.clone(), &env.namespace);
    let settings: ConfigMap = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "settings"}, "data": {"region": "eu"},
    }))
    .unwrap();
    config_maps
        .create(&PostParams::default(), &settings)
        .await
        .unwrap();
    create_secret(&env, "api", &[("token", "t1")]).await;
    let _operator = env.start_operator();
    env.create(
        "fed",
        serde_json::json!({"flowName": "failing", "inputFrom": [
            {"field": "region", "configMapKeyRef": {"name": "settings", "key": "region"}},
            {"field": "token", "secretKeyRef": {"name": "api", "key": "token"}},
        ]}),
    )
    .await;
    let first = env.wait_for("fed", TIMEOUT, completed).await;
    assert_eq!(
        cloud_input(&env, &first),
        serde_json::json!({"region": "eu", "token": "t1"})
    );
    let generation = first.metadata.generation;

    // Only the ConfigMap changes: no spec change, no restart. The run of the
    // new value starts once the watch wakes the object (without it, nothing
    // would ever reconcile this finished object again).
    config_maps
        .patch(
            "settings",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"data": {"region": "us"}})),
        )
        .await
        .unwrap();
    let second = env
        .wait_for("fed", TIMEOUT, |fe| {
            completed(fe) && name_of(fe) != name_of(&first)
        })
        .await;
    assert_eq!(
        cloud_input(&env, &second),
        serde_json::json!({"region": "us", "token": "t1"})
    );
    assert_eq!(second.metadata.generation, generation, "no spec change");
    assert_eq!(env.emulator.counters().total_created(), 2);
    let runs = &second.status.as_ref().unwrap().runs;
    assert_eq!(runs[0].execution_name, name_of(&first));
}
