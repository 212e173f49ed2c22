//! CronFlowExecution on the real control plane and the emulator. Schedule
//! times are real minutes: each test waits for one minute boundary (at most
//! ~70 s), and the two tests wait for theirs at the same time. A run for the
//! minute before is made due at once by writing an older
//! `status.lastScheduleTime`, as if the operator had been down since.

use std::time::Duration;

use fnf_operator::crd::{CronFlowExecution, FlowExecution};
use fnf_operator::cron::runs::{CRON_LABEL, SCHEDULED_AT_ANNOTATION};
use fnf_testkit::e2e::*;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

/// Up to the next minute boundary, the run it creates, and its completion.
const BOUNDARY_TIMEOUT: Duration = Duration::from_secs(150);

async fn create_cron(env: &Env, name: &str, spec: serde_json::Value) -> CronFlowExecution {
    let crons: Api<CronFlowExecution> = Api::namespaced(env.admin.clone(), &env.namespace);
    let cfe: CronFlowExecution = serde_json::from_value(json!({
        "apiVersion": "fnf-operator.dev/v1alpha1", "kind": "CronFlowExecution",
        "metadata": {"name": name}, "spec": spec,
    }))
    .unwrap();
    crons.create(&PostParams::default(), &cfe).await.unwrap()
}

/// Writes `status.lastScheduleTime` a few minutes back: the current minute is due.
async fn backdate(env: &Env, name: &str) {
    let crons: Api<CronFlowExecution> = Api::namespaced(env.admin.clone(), &env.namespace);
    let earlier = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(3);
    crons
        .patch_status(
            name,
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"lastScheduleTime": earlier.strftime("%Y-%m-%dT%H:%M:00Z").to_string()}})),
        )
        .await
        .unwrap();
}

async fn cron_status(env: &Env, name: &str) -> CronFlowExecution {
    let crons: Api<CronFlowExecution> = Api::namespaced(env.admin.clone(), &env.namespace);
    crons.get(name).await.unwrap()
}

/// The runs of `cron`, oldest schedule time first.
async fn runs_of(env: &Env, cron: &str) -> Vec<FlowExecution> {
    let mut runs = env
        .api
        .list(&ListParams::default().labels(&format!("{CRON_LABEL}={cron}")))
        .await
        .unwrap()
        .items;
    runs.sort_by_key(|fe| scheduled_at(fe).unwrap_or_default());
    runs
}

fn scheduled_at(fe: &FlowExecution) -> Option<String> {
    fe.metadata
        .annotations
        .as_ref()?
        .get(SCHEDULED_AT_ANNOTATION)
        .cloned()
}

/// Waits until the second of the minute is within [5, 35], so that a minute
/// boundary comes between 25 and 55 s later: a 60 s run started now is still
/// live at it.
async fn early_in_a_minute() {
    let second = jiff::Timestamp::now().as_second().rem_euclid(60);
    let wait = match second {
        0..5 => 5 - second,
        5..=35 => 0,
        _ => 65 - second,
    };
    tokio::time::sleep(Duration::from_secs(wait.unsigned_abs())).await;
}

fn minute_after(t: jiff::Timestamp) -> String {
    let next = (t.as_second().div_euclid(60) + 1) * 60;
    jiff::Timestamp::from_second(next)
        .unwrap()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_minute_runs_once_at_the_minute_and_each_policy_holds_across_it() {
    let env = Env::new("e2e-cron").await;
    early_in_a_minute().await;
    let _operator = env.start_operator();
    let every_minute = |flow: &str, extra: serde_json::Value| {
        let mut spec = json!({"schedule": "* * * * *", "template": {"spec": {"flowName": flow}}});
        for (k, v) in extra.as_object().unwrap() {
            spec[k] = v.clone();
        }
        spec
    };
    let created = jiff::Timestamp::now();
    create_cron(&env, "plain", every_minute("quick", json!({}))).await;
    create_cron(
        &env,
        "forbid",
        every_minute("long", json!({"concurrencyPolicy": "Forbid"})),
    )
    .await;
    create_cron(
        &env,
        "replace",
        every_minute("long", json!({"concurrencyPolicy": "Replace"})),
    )
    .await;
    create_cron(
        &env,
        "history",
        every_minute("quick", json!({"successfulRunsHistoryLimit": 1})),
    )
    .await;
    create_cron(
        &env,
        "paused",
        every_minute("quick", json!({"suspend": true})),
    )
    .await;
    for name in ["forbid", "replace", "history", "paused"] {
        backdate(&env, name).await;
    }
    // The backdated ones run at once (not "paused"): one run each, live.
    for name in ["forbid", "replace", "history"] {
        assert!(
            eventually_holds(Duration::from_secs(30), || async {
                runs_of(&env, name).await.len() == 1
            })
            .await,
            "{name}: no run for the backdated minute"
        );
    }
    let boundary = minute_after(created);

    // "plain" waits for the boundary: exactly one run, for that minute, and it completes.
    let one_run = eventually_holds(BOUNDARY_TIMEOUT, || async {
        let runs = runs_of(&env, "plain").await;
        runs.len() == 1 && runs.iter().all(|r| phase(r) == Some("Succeeded"))
    })
    .await;
    let runs = runs_of(&env, "plain").await;
    assert!(
        one_run,
        "plain: {:?}",
        runs.iter()
            .map(|r| (&r.metadata.name, phase(r)))
            .collect::<Vec<_>>()
    );
    assert_eq!(scheduled_at(&runs[0]).as_deref(), Some(boundary.as_str()));
    let minutes = boundary.parse::<jiff::Timestamp>().unwrap().as_second() / 60;
    assert_eq!(
        runs[0].metadata.name.as_deref(),
        Some(format!("plain-{minutes}").as_str())
    );
    let owner = &runs[0].metadata.owner_references.as_ref().unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.controller),
        ("CronFlowExecution", Some(true))
    );
    assert!(
        eventually_holds(Duration::from_secs(30), || async {
            let status = cron_status(&env, "plain").await.status.unwrap_or_default();
            status.last_successful_time.is_some() && status.active.is_empty()
        })
        .await,
        "plain: lastSuccessfulTime and an empty active list"
    );

    // Forbid: the boundary passed while the first run was live: still one run.
    let forbid = runs_of(&env, "forbid").await;
    assert_eq!(forbid.len(), 1, "Forbid created a second run");
    assert!(!completed(&forbid[0]), "the first run should still be live");
    let ready = cron_status(&env, "forbid").await.status.unwrap().conditions;
    assert_eq!(ready[0].reason, "RunSkipped", "{ready:?}");

    // Replace: the first run was stopped (in the cloud too), a second one runs.
    assert!(
        eventually_holds(Duration::from_secs(60), || async {
            let runs = runs_of(&env, "replace").await;
            runs.len() == 2 && phase(&runs[0]) == Some("Stopped") && !runs[1].spec.stop
        })
        .await,
        "replace: {:?}",
        runs_of(&env, "replace")
            .await
            .iter()
            .map(|r| (&r.metadata.name, phase(r)))
            .collect::<Vec<_>>()
    );
    let stopped = &runs_of(&env, "replace").await[0];
    let execution = stopped
        .status
        .as_ref()
        .unwrap()
        .execution_name
        .clone()
        .unwrap();
    assert_eq!(
        env.emulator
            .execution("long", &execution)
            .map(|e| e.status)
            .as_deref(),
        Some("Stopped")
    );

    // History limit 1: the older succeeded run is deleted, the newer kept.
    assert!(
        eventually_holds(Duration::from_secs(60), || async {
            let runs = runs_of(&env, "history").await;
            runs.len() == 1
                && scheduled_at(&runs[0]).as_deref() == Some(boundary.as_str())
                && phase(&runs[0]) == Some("Succeeded")
        })
        .await,
        "history: {:?}",
        runs_of(&env, "history")
            .await
            .iter()
            .map(|r| (&r.metadata.name, phase(r)))
            .collect::<Vec<_>>()
    );

    // Suspended: nothing ran, not even the backdated minute.
    assert!(runs_of(&env, "paused").await.is_empty());
    let paused = cron_status(&env, "paused").await.status.unwrap();
    assert_eq!(paused.conditions[0].reason, "Suspended");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_killed_across_a_schedule_time_creates_its_run_exactly_once() {
    let env = Env::new("e2e-cron-kill").await;
    early_in_a_minute().await;
    let operator = env.start_operator();
    let created = jiff::Timestamp::now();
    create_cron(
        &env,
        "nightly",
        json!({"schedule": "* * * * *", "template": {"spec": {"flowName": "quick"}}}),
    )
    .await;
    assert!(
        eventually_holds(Duration::from_secs(30), || async {
            cron_status(&env, "nightly")
                .await
                .status
                .is_some_and(|s| s.conditions.iter().any(|c| c.reason == "Scheduled"))
        })
        .await,
        "the operator never scheduled"
    );
    operator.kill();
    let boundary = minute_after(created);
    let boundary_at: jiff::Timestamp = boundary.parse().unwrap();
    let wait = jiff::Timestamp::now()
        .duration_until(boundary_at)
        .unsigned_abs();
    tokio::time::sleep(wait + Duration::from_secs(3)).await;
    assert!(
        runs_of(&env, "nightly").await.is_empty(),
        "no operator, no run"
    );

    // Two operators one after the other (the second while the first may
    // still be writing): the missed time runs once.
    let first = env.start_operator();
    assert!(
        eventually_holds(Duration::from_secs(40), || async {
            !runs_of(&env, "nightly").await.is_empty()
        })
        .await,
        "the restarted operator did not run the missed time"
    );
    first.kill();
    let _second = env.start_operator();
    // On a loaded machine the next minute may pass before this point; the
    // promise is one run for the missed time, checked below, whichever
    // time the status names last.
    let last_schedule = || async {
        cron_status(&env, "nightly")
            .await
            .status
            .and_then(|s| s.last_schedule_time)
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
    };
    let recorded = eventually_holds(Duration::from_secs(40), || async {
        last_schedule().await.is_some_and(|t| t >= boundary_at)
    })
    .await;
    assert!(
        recorded,
        "lastScheduleTime never reached {boundary}: {:?}",
        last_schedule().await
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let runs = runs_of(&env, "nightly").await;
    let for_boundary: Vec<_> = runs
        .iter()
        .filter(|r| scheduled_at(r).as_deref() == Some(boundary.as_str()))
        .collect();
    assert_eq!(for_boundary.len(), 1, "{runs:?}");
    let run = for_boundary[0].metadata.name.clone().unwrap();
    env.wait_for(&run, Duration::from_secs(60), |fe| {
        phase(fe) == Some("Succeeded")
    })
    .await;
}
