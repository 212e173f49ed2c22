//! The chart's RBAC is all the operator needs and no more: the operator runs as
//! the chart's ServiceAccount with exactly the rendered Roles and completes a
//! FlowExecution (start, status, Events, Lease, finalizer, Secret) and a
//! CronFlowExecution's run (create, status, history deletion); with any one
//! verb taken away, it does not.

use std::time::{Duration, Instant};

use fnf_operator::{InputSourceWatch, LeaderElection};
use fnf_testkit::e2e::*;
use fnf_testkit::sandbox::{self, OperatorTask};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ListParams, PostParams};
use serde_json::Value;

const RELEASE: &str = "fnf-operator";
const PASS_DEFINITION: &str = "Type: StateMachine\nSpecVersion: v1\nStartAt: done\nStates:\n  - Type: Pass\n    Name: done\n    End: true\n";
const SUCCESS_TIMEOUT: Duration = Duration::from_secs(40);
/// Long enough for a healthy operator to finish (it takes ~2 s), short enough
/// to run every removal.
const FAILURE_WINDOW: Duration = Duration::from_secs(15);

/// The chart's RBAC for one watched namespace, as rendered by the real helm.
async fn render_rbac(env: &Env, release_ns: &str) -> Vec<Value> {
    let chart = concat!(env!("CARGO_MANIFEST_DIR"), "/../../charts/fnf-operator");
    let out = env
        .cluster
        .helm([
            "template",
            RELEASE,
            chart,
            "--namespace",
            release_ns,
            "--set",
            &format!("watchNamespaces={{{}}}", env.namespace),
            "--set",
            "leaderElection.enabled=true",
            "--set",
            "secretCredentials=true",
            "--set",
            "outputExport.secrets=true",
            "--show-only",
            "templates/rbac.yaml",
            "--show-only",
            "templates/serviceaccount.yaml",
        ])
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    serde_saphyr::from_multiple::<Value>(&text).unwrap()
}

/// Every (document, rule, verb) the rendered Roles grant.
fn grants(docs: &[Value]) -> Vec<(usize, usize, String)> {
    let mut all = Vec::new();
    for (d, doc) in docs.iter().enumerate() {
        if doc["kind"] != "Role" {
            continue;
        }
        for (r, rule) in doc["rules"].as_array().unwrap().iter().enumerate() {
            for verb in rule["verbs"].as_array().unwrap() {
                all.push((d, r, verb.as_str().unwrap().to_string()));
            }
        }
    }
    all
}

fn without(docs: &[Value], (d, r, verb): &(usize, usize, String)) -> Vec<Value> {
    let mut docs = docs.to_vec();
    let verbs = docs[*d]["rules"][*r]["verbs"].as_array_mut().unwrap();
    verbs.retain(|v| v.as_str() != Some(verb));
    if verbs.is_empty() {
        // A rule without verbs is invalid: the whole rule goes.
        docs[*d]["rules"].as_array_mut().unwrap().remove(*r);
    }
    docs
}

fn describe(docs: &[Value], (d, r, verb): &(usize, usize, String)) -> String {
    let rule = &docs[*d]["rules"][*r];
    format!(
        "{} {:?}",
        verb,
        rule["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap_or(""))
            .collect::<Vec<_>>()
    )
}

/// Applies `docs`, runs the operator as the chart's ServiceAccount and reports
/// whether a FlowExecution with a Secret completed with Events and a held Lease.
async fn operator_succeeds(env: &Env, release_ns: &str, docs: &[Value], window: Duration) -> bool {
    let yaml: String = docs
        .iter()
        .map(|d| format!("---\n{}", serde_saphyr::to_string(d).unwrap()))
        .collect();
    let file = env.cluster.dir().join(format!("rbac-{release_ns}.yaml"));
    std::fs::write(&file, yaml).unwrap();
    env.kubectl(&["apply", "--server-side", "-f", &file.to_string_lossy()])
        .await;

    let sa = env
        .cluster
        .service_account_client(release_ns, RELEASE)
        .await
        .unwrap();
    let mut config =
        sandbox::operator_config(&env.emulator.endpoint(), vec![env.namespace.clone()], 60)
            .unwrap();
    // As the chart's Deployment says for these values (inputFrom off:
    // FNF_INPUT_FROM_*=false); rbac_input_from covers those watches.
    config.input_sources = InputSourceWatch::default();
    config.leader_election = Some(LeaderElection {
        lease_name: RELEASE.into(),
        lease_namespace: release_ns.into(),
        lease_duration_secs: 15,
    });
    // RBAC bindings take effect after a short lag.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let operator = OperatorTask::start(sa, config);

    let secrets: Api<Secret> = Api::namespaced(env.admin.clone(), &env.namespace);
    let secret: Secret = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "fnf-keys"},
        "stringData": {"accessKeyId": sandbox::SANDBOX_ACCESS_KEY_ID, "accessKeySecret": sandbox::SANDBOX_ACCESS_KEY_SECRET},
    }))
    .unwrap();
    let _ = secrets.create(&PostParams::default(), &secret).await;
    // One run exports to a ConfigMap and is deleted by its TTL; one exports to a Secret.
    let name = format!("run-{release_ns}");
    let cm_name = format!("out-{release_ns}");
    env.create(
        &name,
        serde_json::json!({"flowName": "quick", "credentialsSecretRef": {"name": "fnf-keys"},
        "outputTo": {"configMap": {"name": cm_name}}, "ttlSecondsAfterFinished": 1}),
    )
    .await;
    // One exports to a Secret and is moved to a ConfigMap, then to another Secret:
    // the operator deletes each object it wrote before (`delete` on both kinds).
    let secret_run = format!("sec-{release_ns}");
    let first_secret = format!("first-{release_ns}");
    let mid_cm = format!("mid-{release_ns}");
    let out_secret = format!("out-{release_ns}");
    env.create(
        &secret_run,
        serde_json::json!({"flowName": "quick", "outputTo": {"secret": {"name": first_secret}}}),
    )
    .await;
    let moves = [
        (
            format!("Secret/{first_secret}"),
            serde_json::json!({"outputTo": {"secret": null, "configMap": {"name": mid_cm}}}),
        ),
        (
            format!("ConfigMap/{mid_cm}"),
            serde_json::json!({"outputTo": {"configMap": null, "secret": {"name": out_secret}}}),
        ),
    ];

    // A schedule whose current minute is due at once (its status says the last
    // run was minutes ago): its run is created, succeeds, and with a history
    // limit of 0 is deleted, all within the window.
    let crons: Api<fnf_operator::crd::CronFlowExecution> =
        Api::namespaced(env.admin.clone(), &env.namespace);
    let cron_name = format!("cron-{release_ns}");
    let cron: fnf_operator::crd::CronFlowExecution = serde_json::from_value(serde_json::json!({
        "apiVersion": "fnf-operator.dev/v1alpha1", "kind": "CronFlowExecution",
        "metadata": {"name": cron_name},
        "spec": {"schedule": "* * * * *", "successfulRunsHistoryLimit": 0,
                 "template": {"spec": {"flowName": "quick"}}},
    }))
    .unwrap();
    crons.create(&PostParams::default(), &cron).await.unwrap();
    let earlier = jiff::Timestamp::now() - jiff::SignedDuration::from_mins(3);
    crons
        .patch_status(
            &cron_name,
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(serde_json::json!({"status": {
                "lastScheduleTime": earlier.strftime("%Y-%m-%dT%H:%M:00Z").to_string()}})),
        )
        .await
        .unwrap();
    // A Flow the operator creates in the cloud (with its delete-flow
    // finalizer and status), and a run of it that waits for it to be Ready.
    let flow_name = format!("rbac_{}", release_ns.replace('-', "_"));
    let flows: Api<fnf_operator::crd::Flow> = Api::namespaced(env.admin.clone(), &env.namespace);
    let flow: fnf_operator::crd::Flow = serde_json::from_value(serde_json::json!({
        "apiVersion": "fnf-operator.dev/v1alpha1", "kind": "Flow",
        "metadata": {"name": format!("flow-{release_ns}")},
        "spec": {"flowName": flow_name, "definition": PASS_DEFINITION, "deletionPolicy": "Delete"},
    }))
    .unwrap();
    let _ = flows.create(&PostParams::default(), &flow).await;
    let flow_run = format!("flowrun-{release_ns}");
    env.create(&flow_run, serde_json::json!({"flowName": flow_name}))
        .await;

    let deadline = Instant::now() + window;
    let mut saw_finalizer = false;
    let mut saw_success = false;
    let mut ok = false;
    let configmaps: Api<k8s_openapi::api::core::v1::ConfigMap> =
        Api::namespaced(env.admin.clone(), &env.namespace);
    while Instant::now() < deadline {
        let written_to = env
            .api
            .get(&secret_run)
            .await
            .unwrap()
            .status
            .and_then(|s| s.output_written_to);
        for (from, patch) in &moves {
            if written_to.as_deref() == Some(from.as_str()) {
                env.patch_spec(&secret_run, patch.clone()).await.unwrap();
            }
        }
        match env.api.get_opt(&name).await.unwrap() {
            Some(fe) => {
                saw_finalizer |= fe
                    .metadata
                    .finalizers
                    .as_ref()
                    .is_some_and(|f| !f.is_empty());
                saw_success |= phase(&fe) == Some("Succeeded");
            }
            None => {
                let exported = configmaps.get_opt(&cm_name).await.unwrap().is_some()
                    && secrets.get_opt(&out_secret).await.unwrap().is_some();
                let other_done = written_to.as_deref() == Some(&format!("Secret/{out_secret}"))
                    && secrets.get_opt(&first_secret).await.unwrap().is_none()
                    && configmaps.get_opt(&mid_cm).await.unwrap().is_none();
                // The Output is exported only for a succeeded execution, and the
                // TTL may delete the object between two polls of its phase.
                let flow_ok = flows
                    .get(&format!("flow-{release_ns}"))
                    .await
                    .unwrap()
                    .is_ready()
                    && phase(&env.api.get(&flow_run).await.unwrap()) == Some("Succeeded");
                if exported && other_done && flow_ok {
                    ok = true;
                    break;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let events: Api<k8s_openapi::api::events::v1::Event> =
        Api::namespaced(env.admin.clone(), &env.namespace);
    let has_events = events
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .iter()
        .any(|e| {
            e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name.as_str())
                && e.reason.as_deref() == Some("Started")
        });
    // Creating the Lease is not enough: the leader must renew it (every 2 s
    // for this duration), or it stops leading after 10 s, and a quick run
    // may finish before that.
    let leases: Api<Lease> = Api::namespaced(env.admin.clone(), release_ns);
    let held = eventually_renewed(&leases).await;
    // The run was created (create), succeeded and was seen to (list, watch
    // of the schedule, status), and deleted by the history limit (delete).
    let cron_ran = eventually_cron_done(&crons, &cron_name, &env.api).await;
    // A healthy operator's watch never fails.
    let watch_healthy = operator.metrics.controller_errors() == 0;
    operator.kill();
    // Printed so a failure says which part was missing (captured unless it fails).
    println!(
        "RBAC of {release_ns}: completed={ok} started_event={has_events} lease={held} finalizer={saw_finalizer} watch_healthy={watch_healthy} succeeded={saw_success} cron_ran={cron_ran}"
    );
    ok && has_events && held && saw_finalizer && watch_healthy && cron_ran
}

/// Whether the Lease was renewed by its holder (a renewal after its
/// acquisition), looked at for a few renewal periods.
async fn eventually_renewed(leases: &Api<Lease>) -> bool {
    eventually_holds(Duration::from_secs(10), || async {
        let spec = leases.get_opt(RELEASE).await.unwrap().and_then(|l| l.spec);
        spec.is_some_and(|spec| {
            let renewed = match (&spec.acquire_time, &spec.renew_time) {
                (Some(acquired), Some(renewed)) => renewed.0 > acquired.0,
                _ => false,
            };
            spec.holder_identity.is_some() && renewed
        })
    })
    .await
}

/// Whether the CronFlowExecution recorded a succeeded run that is gone now:
/// checked once more a few seconds on, after the FlowExecution part is done.
async fn eventually_cron_done(
    crons: &Api<fnf_operator::crd::CronFlowExecution>,
    name: &str,
    runs: &Api<fnf_operator::crd::FlowExecution>,
) -> bool {
    let label = format!("{}={name}", fnf_operator::cron::runs::CRON_LABEL);
    let label = &label;
    eventually_holds(Duration::from_secs(5), || async move {
        let succeeded = crons
            .get(name)
            .await
            .unwrap()
            .status
            .is_some_and(|s| s.last_successful_time.is_some());
        let left = runs
            .list(&ListParams::default().labels(label))
            .await
            .unwrap()
            .items
            .len();
        succeeded && left == 0
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_needs_every_verb_of_the_chart_rbac_and_nothing_more() {
    let env = Env::new("e2e-rbac").await;
    let release_ns = env.cluster.create_namespace("fnf-system").await.unwrap();
    let docs = render_rbac(&env, &release_ns).await;
    assert!(
        operator_succeeds(&env, &release_ns, &docs, SUCCESS_TIMEOUT).await,
        "the operator must complete a FlowExecution with exactly the chart's RBAC"
    );

    // Each variant in its own watched and release namespaces, all at once.
    let variants = grants(&docs).into_iter().map(|grant| async move {
        let env = Env::new("rbac-less").await;
        let ns = env.cluster.create_namespace("fnf-less").await.unwrap();
        let full = render_rbac(&env, &ns).await;
        let works = operator_succeeds(&env, &ns, &without(&full, &grant), FAILURE_WINDOW).await;
        (describe(&full, &grant), works)
    });
    let unneeded: Vec<String> = futures::future::join_all(variants)
        .await
        .into_iter()
        .filter(|(_, works)| *works)
        .map(|(grant, _)| grant)
        .collect();
    assert!(
        unneeded.is_empty(),
        "the chart grants verbs the operator works without: {unneeded:?}"
    );
}
