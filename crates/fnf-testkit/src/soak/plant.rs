//! Violations planted on purpose, to prove the checker sees them end to end:
//! a second execution for a run identity started behind the operator's back
//! (as an operator that lost the recorded name before StartExecution would),
//! and an older status written over a newer one (as a stale list page
//! overwriting a long-poll's answer would).

use std::time::{Duration, Instant};

use kube::Api;
use kube::api::{ApiResource, DynamicObject, Patch, PatchParams, PostParams};
use serde_json::json;

use super::recorder::Recorder;
use super::recording::ObjectVersion;
use crate::emulator_calls::Caller;
use crate::sandbox::{SANDBOX_ACCESS_KEY_ID, SANDBOX_ACCESS_KEY_SECRET};
use fnf_emulator::RunningEmulator;
use fnf_operator::crd::{FlowExecution, default_execution_name};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plant {
    SecondStart,
    StaleStatus,
}

const NAMESPACE: &str = "soak-a";
const WAIT: Duration = Duration::from_secs(180);

fn api(admin: &kube::Client) -> Api<DynamicObject> {
    Api::namespaced_with(
        admin.clone(),
        NAMESPACE,
        &ApiResource::erase::<FlowExecution>(&()),
    )
}

async fn create(admin: &kube::Client, name: &str, flow: &str) {
    let object: Result<DynamicObject, _> = serde_json::from_value(json!({
        "apiVersion": "fnf-operator.dev/v1alpha1", "kind": "FlowExecution",
        "metadata": { "name": name, "namespace": NAMESPACE },
        "spec": { "flowName": flow, "input": { "planted": true } },
    }));
    if let Ok(object) = object
        && let Err(e) = api(admin).create(&PostParams::default(), &object).await
    {
        eprintln!("soak: cannot create planted object {name}: {e}");
    }
}

/// The first recorded version of `name` that `done` accepts.
async fn wait_for(
    recorder: &Recorder,
    name: &str,
    done: impl Fn(&ObjectVersion) -> bool,
) -> Option<ObjectVersion> {
    let deadline = Instant::now() + WAIT;
    while Instant::now() < deadline {
        if let Some(v) = recorder
            .versions()
            .into_iter()
            .find(|v| v.name == name && v.namespace == NAMESPACE && done(v))
        {
            return Some(v);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("soak: planted object {name} never got there");
    None
}

async fn second_start(emulator: &RunningEmulator, admin: &kube::Client, recorder: &Recorder) {
    let name = "planted-second-start";
    create(admin, name, "long").await;
    let Some(running) =
        wait_for(recorder, name, |v| v.status_str("phase") == Some("Running")).await
    else {
        return;
    };
    let flow = running.status_str("flowName").unwrap_or("long").to_string();
    let mut caller = Caller::new(emulator);
    caller.key_id = SANDBOX_ACCESS_KEY_ID.into();
    caller.secret = SANDBOX_ACCESS_KEY_SECRET.into();
    let lost = default_execution_name(NAMESPACE, name);
    // Injected faults may refuse a call: try until the cloud took it.
    for _ in 0..20 {
        let params = [
            ("FlowName", flow.as_str()),
            ("ExecutionName", lost.as_str()),
            ("Input", "{\"planted\":true}"),
        ];
        // A dropped connection is an answer too here: try again.
        let status = match caller.request("StartExecution", &params).send().await {
            Ok(answer) => answer.status().as_u16(),
            Err(_) => 0,
        };
        eprintln!("soak: planted a second start {flow}/{lost}: {status}");
        if status == 200 {
            return;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

async fn stale_status(admin: &kube::Client, recorder: &Recorder) {
    let name = "planted-stale-status";
    create(admin, name, "waiting").await;
    let Some(running) =
        wait_for(recorder, name, |v| v.status_str("phase") == Some("Running")).await
    else {
        return;
    };
    if wait_for(recorder, name, |v| {
        v.status_str("phase") == Some("Succeeded")
    })
    .await
    .is_none()
    {
        return;
    }
    let patch = json!({ "status": running.status() });
    match api(admin)
        .patch_status(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
    {
        Ok(_) => eprintln!("soak: planted a stale status on {name}"),
        Err(e) => eprintln!("soak: cannot plant a stale status on {name}: {e}"),
    }
}

/// Plants each of `plants` once, starting at `at`.
pub async fn run_all(
    plants: &[Plant],
    emulator: &RunningEmulator,
    admin: &kube::Client,
    recorder: &Recorder,
    at: Instant,
) {
    if plants.is_empty() {
        return;
    }
    tokio::time::sleep_until(at.into()).await;
    for plant in plants {
        match plant {
            Plant::SecondStart => second_start(emulator, admin, recorder).await,
            Plant::StaleStatus => stale_status(admin, recorder).await,
        }
    }
}
