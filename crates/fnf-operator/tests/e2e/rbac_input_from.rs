//! The chart's `inputFrom` values grant exactly the reads `spec.inputFrom`
//! needs: the operator runs as the chart's ServiceAccount with the rendered
//! Role; without `inputFrom.configMaps` / `inputFrom.secrets` it cannot read
//! the sources and says so (`InputSourceUnreadable`), starting nothing; with
//! them the run starts with both values, and the metadata watch they grant
//! runs an edited ConfigMap's new value by itself.

use std::time::Duration;

use fnf_operator::InputSourceWatch;
use fnf_testkit::e2e::*;
use fnf_testkit::fault::{condition_of, create_secret};
use fnf_testkit::sandbox::{self, OperatorTask};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::Value;

const RELEASE: &str = "fnf-operator";
const TIMEOUT: Duration = Duration::from_secs(60);

/// Applies the chart's RBAC for `env`'s namespace (with `sets`) and starts the
/// operator as its ServiceAccount, watching what the chart's Deployment tells
/// it to (`watches`, as FNF_INPUT_FROM_*).
async fn operator_with_chart_rbac(
    env: &Env,
    sets: &[&str],
    watches: InputSourceWatch,
) -> OperatorTask {
    let release_ns = env.cluster.create_namespace("fnf-inputs").await.unwrap();
    let chart = concat!(env!("CARGO_MANIFEST_DIR"), "/../../charts/fnf-operator");
    let watch = format!("watchNamespaces={{{}}}", env.namespace);
    let mut args = vec![
        "template",
        RELEASE,
        chart,
        "--namespace",
        &release_ns,
        "--set",
        &watch,
        "--set",
        "leaderElection.enabled=false",
        "--set",
        "outputExport.configMaps=false",
        "--show-only",
        "templates/rbac.yaml",
        "--show-only",
        "templates/serviceaccount.yaml",
    ];
    for set in sets {
        args.extend(["--set", set]);
    }
    let out = env.cluster.helm(args).await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let docs =
        serde_saphyr::from_multiple::<Value>(&String::from_utf8(out.stdout).unwrap()).unwrap();
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
        .service_account_client(&release_ns, RELEASE)
        .await
        .unwrap();
    let mut config =
        sandbox::operator_config(&env.emulator.endpoint(), vec![env.namespace.clone()], 60)
            .unwrap();
    config.input_sources = watches;
    // RBAC bindings take effect after a short lag.
    tokio::time::sleep(Duration::from_secs(1)).await;
    OperatorTask::start(sa, config)
}

async fn create_sources_and_object(env: &Env) {
    let settings: ConfigMap = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "settings"}, "data": {"region": "eu"},
    }))
    .unwrap();
    Api::<ConfigMap>::namespaced(env.admin.clone(), &env.namespace)
        .create(&PostParams::default(), &settings)
        .await
        .unwrap();
    create_secret(env, "api", &[("token", "t0ken")]).await;
    env.create(
        "fed",
        serde_json::json!({"flowName": "failing", "inputFrom": [
            {"field": "region", "configMapKeyRef": {"name": "settings", "key": "region"}},
            {"field": "token", "secretKeyRef": {"name": "api", "key": "token"}},
        ]}),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_from_reads_work_only_with_the_charts_input_from_values() {
    // Without the values: refused by RBAC, said so, nothing started.
    let env = Env::new("e2e-rbac-inputs-off").await;
    let operator = operator_with_chart_rbac(&env, &[], InputSourceWatch::default()).await;
    create_sources_and_object(&env).await;
    let fe = env
        .wait_for("fed", TIMEOUT, |fe| {
            condition_of(fe, "Reconciling").is_some_and(|c| c.reason == "InputSourceUnreadable")
        })
        .await;
    let message = &condition_of(&fe, "Reconciling").unwrap().message;
    assert!(
        message.contains("ConfigMap \"settings\"") && message.contains("inputFrom"),
        "{message}"
    );
    assert_eq!(env.emulator.counters().total_created(), 0);
    operator.kill();

    // With them: the run starts with both values.
    let env = Env::new("e2e-rbac-inputs-on").await;
    let operator = operator_with_chart_rbac(
        &env,
        &["inputFrom.configMaps=true", "inputFrom.secrets=true"],
        InputSourceWatch {
            config_maps: true,
            secrets: true,
        },
    )
    .await;
    create_sources_and_object(&env).await;
    let fe = env.wait_for("fed", TIMEOUT, completed).await;
    let name = fe.status.unwrap().execution_name.unwrap();
    let input: Value =
        serde_json::from_str(&env.emulator.execution("failing", &name).unwrap().input).unwrap();
    assert_eq!(input, serde_json::json!({"region": "eu", "token": "t0ken"}));

    // The grant includes list and watch: an edited ConfigMap wakes the
    // finished object, which runs the new value (nothing else would
    // reconcile it again).
    Api::<ConfigMap>::namespaced(env.admin.clone(), &env.namespace)
        .patch(
            "settings",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"data": {"region": "us"}})),
        )
        .await
        .unwrap();
    let again = env
        .wait_for("fed", TIMEOUT, |fe| {
            completed(fe)
                && fe.status.as_ref().and_then(|s| s.execution_name.as_deref())
                    != Some(name.as_str())
        })
        .await;
    let name = again.status.unwrap().execution_name.unwrap();
    let input: Value =
        serde_json::from_str(&env.emulator.execution("failing", &name).unwrap().input).unwrap();
    assert_eq!(input, serde_json::json!({"region": "us", "token": "t0ken"}));
    assert_eq!(env.emulator.counters().total_created(), 2);
    assert_eq!(
        operator.metrics.controller_errors(),
        0,
        "no watch was refused"
    );
    operator.kill();
}
