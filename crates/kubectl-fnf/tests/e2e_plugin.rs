//! `kubectl fnf` end to end: the built plugin binary (and the real kubectl
//! finding it on PATH) against the real kube-apiserver, the emulator and the
//! operator that ran the execution (or, for `runs` and `wait`, a status
//! written the way the operator writes it).
// Test code: a failed unwrap is a failed test. (clippy.toml allows it in #[test]
// functions only, not in the helpers beside them.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use fnf_client::{Client, ClientConfig, CredentialProvider, Endpoint};
use fnf_emulator::ExecutionMode;
use fnf_operator::STATUS_OUTPUT_MAX_BYTES;
use fnf_testkit::e2e::*;
use fnf_testkit::sandbox::{SANDBOX_ACCESS_KEY_ID, SANDBOX_ACCESS_KEY_SECRET, sandbox_credentials};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, Patch, PatchParams, PostParams};

const RUN_TIMEOUT: Duration = Duration::from_secs(60);
const PLUGIN: &str = env!("CARGO_BIN_EXE_kubectl-fnf");

/// Which cloud key the plugin's environment carries.
#[derive(Clone, Copy)]
enum EnvKey {
    Sandbox,
    None,
}

/// Runs the built plugin with nothing inherited but what a user would set:
/// the kubeconfig, the emulator's endpoint and (maybe) the sandbox key.
async fn plugin(env: &Env, key: EnvKey, args: &[&str]) -> Output {
    let mut command = tokio::process::Command::new(PLUGIN);
    command
        .args(args)
        .env_clear()
        .env("KUBECONFIG", env.cluster.kubeconfig_path())
        .env("FNF_ENDPOINT", env.emulator.endpoint());
    if let EnvKey::Sandbox = key {
        command.envs(fnf_testkit::sandbox::sandbox_credentials_env());
    }
    command.output().await.expect("kubectl-fnf runs")
}

fn stdout_of(out: &Output) -> String {
    assert!(
        out.status.success(),
        "kubectl-fnf failed ({:?}): {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn failure_of(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected exit code 1; stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(out.stdout.is_empty(), "a failure prints nothing on stdout");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The table's rows as (type, step) pairs, header checked.
fn type_and_step(table: &str) -> Vec<(String, String)> {
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split("   ").map(str::trim).collect();
    let header: Vec<&str> = header.into_iter().filter(|h| !h.is_empty()).collect();
    assert_eq!(header, ["EVENT ID", "TIME", "TYPE", "STEP", "DETAIL"]);
    lines
        .map(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            (cells[2].to_string(), cells[3].to_string())
        })
        .collect()
}

async fn cloud_history(env: &Env, execution: &str) -> serde_json::Value {
    let config = ClientConfig::new(Endpoint::from_url(&env.emulator.endpoint()).unwrap()).unwrap();
    let client = Client::new(
        config,
        CredentialProvider::static_credentials(sandbox_credentials()),
    );
    let page = client
        .call(
            "GetExecutionHistory",
            vec![
                ("FlowName".into(), "quick".into()),
                ("ExecutionName".into(), execution.into()),
                ("Limit".into(), "1000".into()),
            ],
        )
        .await
        .unwrap();
    assert!(page.get("NextToken").is_none(), "one page holds it all");
    // An empty string is the cloud's way of saying "not set"; the plugin
    // leaves such fields out.
    let mut events = page["Events"].clone();
    for event in events.as_array_mut().unwrap() {
        event
            .as_object_mut()
            .unwrap()
            .retain(|_, value| value.as_str() != Some(""));
    }
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_lists_every_step_event_and_output_prints_the_pretty_output() {
    let env = Env::new("e2e-plugin").await;
    let operator = env.start_operator();
    env.create(
        "run",
        serde_json::json!({"flowName": "quick", "input": {"order": {"id": 42, "items": ["a", "b"]}}}),
    )
    .await;
    let fe = env.wait_for("run", RUN_TIMEOUT, completed).await;
    assert_eq!(phase(&fe), Some("Succeeded"));
    let status = fe.status.clone().unwrap();
    let ns = env.namespace.as_str();

    let table = stdout_of(&plugin(&env, EnvKey::Sandbox, &["history", "run", "-n", ns]).await);
    // Shown when the test fails (and with --nocapture).
    println!("{table}");
    let rows = type_and_step(&table);
    for step in ["Greet", "Pause", "Done"] {
        for kind in ["StepEntered", "StepExited"] {
            assert!(
                rows.contains(&(kind.to_string(), step.to_string())),
                "no {kind} of {step} in:\n{table}"
            );
        }
    }
    let entered: Vec<&str> = rows
        .iter()
        .filter(|(kind, _)| kind == "StepEntered")
        .map(|(_, step)| step.as_str())
        .collect();
    assert_eq!(entered, ["Greet", "Pause", "Done"], "in the order they ran");
    assert_eq!(rows.last().unwrap().0, "ExecutionSucceeded");

    // Two events per call: the plugin must follow NextToken to the end and
    // print exactly what the cloud holds.
    let json = stdout_of(
        &plugin(
            &env,
            EnvKey::Sandbox,
            &["history", "run", "-n", ns, "-o", "json", "--page-size", "2"],
        )
        .await,
    );
    let printed: serde_json::Value = serde_json::from_str(&json).unwrap();
    let execution = status.execution_name.as_deref().unwrap();
    assert_eq!(printed, cloud_history(&env, execution).await);
    assert_eq!(printed.as_array().unwrap().len(), rows.len());

    let output = stdout_of(&plugin(&env, EnvKey::None, &["output", "run", "-n", ns]).await);
    let recorded = status.output.as_deref().unwrap();
    assert!(!recorded.contains('\n'), "the status holds compact JSON");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&output).unwrap(),
        serde_json::from_str::<serde_json::Value>(recorded).unwrap()
    );
    assert!(output.starts_with("{\n  \""), "pretty-printed: {output}");
    assert!(output.contains("\"id\": 42"), "{output}");

    // kubectl finds the plugin on PATH and passes the arguments through.
    let plugin_dir = Path::new(PLUGIN).parent().unwrap();
    let home = tempfile::tempdir().unwrap();
    let via_kubectl = tokio::process::Command::new(&env.cluster.binaries().kubectl)
        .args(["fnf", "output", "run", "-n", ns])
        .env_clear()
        .env("PATH", plugin_dir)
        .env("HOME", home.path())
        .env("KUBECONFIG", env.cluster.kubeconfig_path())
        .output()
        .await
        .unwrap();
    assert_eq!(stdout_of(&via_kubectl), output);

    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_reads_the_key_from_the_credentials_secret_and_never_prints_it() {
    let env = Env::new("e2e-plugin-secret").await;
    let secrets: Api<Secret> = Api::namespaced(env.admin.clone(), &env.namespace);
    let secret = |name: &str, data: serde_json::Value| -> Secret {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": name}, "stringData": data,
        }))
        .unwrap()
    };
    secrets
        .create(
            &PostParams::default(),
            &secret(
                "fnf-keys",
                serde_json::json!({"accessKeyId": SANDBOX_ACCESS_KEY_ID, "accessKeySecret": SANDBOX_ACCESS_KEY_SECRET}),
            ),
        )
        .await
        .unwrap();
    secrets
        .create(
            &PostParams::default(),
            &secret(
                "half",
                serde_json::json!({"accessKeyId": SANDBOX_ACCESS_KEY_ID}),
            ),
        )
        .await
        .unwrap();
    let operator = env.start_operator();
    env.create(
        "keyed",
        serde_json::json!({"flowName": "quick", "credentialsSecretRef": {"name": "fnf-keys"}}),
    )
    .await;
    env.wait_for("keyed", RUN_TIMEOUT, completed).await;
    operator.stop().await.unwrap();
    let ns = env.namespace.as_str();

    // No key in the environment: only the Secret can have signed this.
    let out = plugin(
        &env,
        EnvKey::None,
        &["history", "keyed", "-n", ns, "--wide"],
    )
    .await;
    let table = stdout_of(&out);
    assert!(
        type_and_step(&table).contains(&("StepEntered".into(), "Greet".into())),
        "{table}"
    );
    for text in [table.as_str(), &String::from_utf8_lossy(&out.stderr)] {
        assert!(
            !text.contains(SANDBOX_ACCESS_KEY_SECRET),
            "the secret was printed"
        );
    }

    // A Secret without its secret half: named, exit 1, the id not echoed.
    env.create(
        "half-keyed",
        serde_json::json!({"flowName": "quick", "credentialsSecretRef": {"name": "half"}}),
    )
    .await;
    let stderr =
        failure_of(&plugin(&env, EnvKey::Sandbox, &["history", "half-keyed", "-n", ns]).await);
    assert!(
        stderr.contains(&format!("Secret {ns}/half")) && stderr.contains("has no accessKeySecret"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_missing_is_named_and_the_exit_code_is_1() {
    let env = Env::new("e2e-plugin-errors").await;
    let ns = env.namespace.as_str();

    let stderr = failure_of(&plugin(&env, EnvKey::Sandbox, &["history", "nope", "-n", ns]).await);
    assert!(
        stderr.contains(&format!(
            "FlowExecution \"nope\" not found in namespace \"{ns}\""
        )),
        "{stderr}"
    );
    let stderr = failure_of(&plugin(&env, EnvKey::None, &["output", "nope", "-n", ns]).await);
    assert!(stderr.contains("\"nope\" not found"), "{stderr}");

    let operator = env.start_operator();
    env.create("slow", serde_json::json!({"flowName": "long"}))
        .await;
    env.wait_for("slow", RUN_TIMEOUT, |fe| phase(fe) == Some("Running"))
        .await;
    let stderr = failure_of(&plugin(&env, EnvKey::None, &["output", "slow", "-n", ns]).await);
    assert!(
        stderr.contains("has not succeeded yet") && stderr.contains("phase: Running"),
        "{stderr}"
    );

    // No spec.credentialsSecretRef and nothing in the environment.
    let stderr = failure_of(&plugin(&env, EnvKey::None, &["history", "slow", "-n", ns]).await);
    for variable in [
        "ALIBABA_CLOUD_ACCESS_KEY_ID",
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    ] {
        assert!(stderr.contains(variable), "{stderr}");
    }

    // Usage errors fail too; help does not.
    failure_of(&plugin(&env, EnvKey::None, &["history"]).await);
    let help = stdout_of(&plugin(&env, EnvKey::None, &["--help"]).await);
    assert!(help.contains("Usage: kubectl fnf"), "{help}");
    operator.stop().await.unwrap();
}

/// A flow whose Output is `{"blob": "xxx…"}` of about `bytes` bytes (a Pass
/// state's Result, so the history holds it only twice).
fn blob_flow(name: &str, bytes: usize) -> String {
    format!(
        "Type: StateMachine\nSpecVersion: v1\nName: {name}\nStartAt: Make\nStates:\n  - Type: Pass\n    Name: Make\n    Result: {{\"blob\": \"{}\"}}\n    Next: Done\n  - Type: Succeed\n    Name: Done\n",
        "x".repeat(bytes)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_output_over_the_status_cap_is_cut_marked_and_whole_in_the_configmap_and_the_plugin() {
    let env = Env::new("e2e-plugin-big").await;
    // 200 KB fits a ConfigMap; 1.6 MB would not even fit the object in etcd.
    env.emulator
        .create_flow("big", &blob_flow("big", 200_000), ExecutionMode::Standard)
        .unwrap();
    env.emulator
        .create_flow(
            "huge",
            &blob_flow("huge", 1_600_000),
            ExecutionMode::Standard,
        )
        .unwrap();
    let operator = env.start_operator();
    let ns = env.namespace.as_str();
    let cms: Api<ConfigMap> = Api::namespaced(env.admin.clone(), ns);
    env.create(
        "big",
        serde_json::json!({"flowName": "big", "outputTo": {"configMap": {"name": "big-output"}}}),
    )
    .await;
    env.create(
        "huge",
        serde_json::json!({"flowName": "huge", "outputTo": {"configMap": {"name": "huge-output"}}}),
    )
    .await;

    // Too large for the object itself: before the cap it stayed Running forever.
    let fe = env.wait_for("huge", RUN_TIMEOUT, completed).await;
    let status = fe.status.unwrap();
    assert_eq!(status.phase.as_deref(), Some("Succeeded"));
    assert_eq!(status.output_truncated, Some(true));
    assert_eq!(status.output_written_to, None);
    let printed = stdout_of(&plugin(&env, EnvKey::Sandbox, &["output", "huge", "-n", ns]).await);
    let printed: serde_json::Value = serde_json::from_str(&printed).unwrap();
    assert_eq!(printed["blob"].as_str().map(str::len), Some(1_600_000));
    let huge_len = serde_json::to_string(&printed).unwrap().len();
    assert!(cms.get_opt("huge-output").await.unwrap().is_none());

    let fe = env
        .wait_for("big", RUN_TIMEOUT, |fe| {
            fe.status
                .as_ref()
                .is_some_and(|s| s.output_written_to.is_some())
        })
        .await;
    let status = fe.status.unwrap();
    assert_eq!(status.phase.as_deref(), Some("Succeeded"));
    assert_eq!(status.output_truncated, Some(true));
    let held = status.output.unwrap();
    assert_eq!(held.len(), STATUS_OUTPUT_MAX_BYTES);
    let whole = cms.get("big-output").await.unwrap().data.unwrap()["output"].clone();
    assert!(whole.len() > 200_000 && whole.starts_with(&held));
    let expected: serde_json::Value = serde_json::from_str(&whole).unwrap();
    assert_eq!(expected["blob"].as_str().map(str::len), Some(200_000));
    let printed = stdout_of(&plugin(&env, EnvKey::Sandbox, &["output", "big", "-n", ns]).await);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&printed).unwrap(),
        expected,
        "the plugin reads the whole Output from the cloud"
    );

    let deadline = std::time::Instant::now() + RUN_TIMEOUT;
    loop {
        let events = env
            .kubectl(&[
                "get",
                "events.events.k8s.io",
                "-n",
                ns,
                "-o",
                "custom-columns=REASON:.reason,NOTE:.note",
            ])
            .await;
        let truncated = events
            .lines()
            .filter(|l| l.starts_with("OutputTruncated"))
            .count();
        let not_written = events.lines().any(|l| {
            l.starts_with("OutputNotWritten")
                && l.contains(&format!("{huge_len} bytes"))
                && l.contains("1048576")
        });
        if truncated == 2 && not_written {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{events}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    operator.stop().await.unwrap();
}

/// Writes `status` through the status subresource, as the operator would.
async fn write_status(env: &Env, name: &str, status: serde_json::Value) {
    env.api
        .patch_status(
            name,
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({ "status": status })),
        )
        .await
        .unwrap();
}

fn condition(type_: &str, status: &str, reason: &str, generation: i64) -> serde_json::Value {
    serde_json::json!({
        "type": type_, "status": status, "reason": reason,
        "message": format!("{reason} at generation {generation}"),
        "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": generation,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rerun_sets_a_new_run_key_as_kubectl_fnf_and_refuses_objects_that_run_once() {
    let env = Env::new("e2e-plugin-rerun").await;
    let ns = env.namespace.as_str();
    env.create(
        "again",
        serde_json::json!({"flowName": "quick", "input": {"a": 1}}),
    )
    .await;

    let mut keys = Vec::new();
    for _ in 0..2 {
        let said = stdout_of(&plugin(&env, EnvKey::None, &["rerun", "again", "-n", ns]).await);
        assert!(said.contains("rerun requested"), "{said}");
        let fe = env.api.get("again").await.unwrap();
        let key = fe.spec.run_key.clone().expect("runKey set");
        assert!(said.contains(&key), "{said}");
        assert_eq!(
            fe.spec.input,
            Some(serde_json::from_value(serde_json::json!({"a": 1})).unwrap())
        );
        let managers: Vec<String> = fe
            .metadata
            .managed_fields
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| m.manager)
            .collect();
        assert!(managers.iter().any(|m| m == "kubectl-fnf"), "{managers:?}");
        keys.push(key);
    }
    assert_ne!(keys[0], keys[1], "each rerun is a new runKey");

    env.create(
        "once",
        serde_json::json!({"flowName": "quick", "runPolicy": "Once"}),
    )
    .await;
    let stderr = failure_of(&plugin(&env, EnvKey::None, &["rerun", "once", "-n", ns]).await);
    assert!(stderr.contains("runPolicy is Once"), "{stderr}");
    env.create(
        "named",
        serde_json::json!({"flowName": "quick", "executionName": format!("{ns}_named")}),
    )
    .await;
    let stderr = failure_of(&plugin(&env, EnvKey::None, &["rerun", "named", "-n", ns]).await);
    assert!(
        stderr.contains("spec.executionName names exactly one run"),
        "{stderr}"
    );
    for name in ["once", "named"] {
        assert_eq!(env.api.get(name).await.unwrap().spec.run_key, None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_prints_the_current_run_then_the_recorded_history() {
    let env = Env::new("e2e-plugin-runs").await;
    let ns = env.namespace.as_str();
    env.create("history", serde_json::json!({"flowName": "quick"}))
        .await;
    write_status(
        &env,
        "history",
        serde_json::json!({
            "executionName": format!("{ns}_history_R222222222222_A2"), "attempt": 2,
            "runIdentity": "222222222222", "phase": "Running",
            "startedTime": "2026-01-01T00:05:00Z",
            "runs": [
                {"executionName": format!("{ns}_history_R222222222222"), "phase": "Failed",
                 "attempt": 1, "runIdentity": "222222222222",
                 "startedTime": "2026-01-01T00:03:00Z", "stoppedTime": "2026-01-01T00:04:00Z"},
                {"executionName": format!("{ns}_history_R111111111111"), "phase": "Succeeded",
                 "startedTime": "2026-01-01T00:00:00Z", "stoppedTime": "2026-01-01T00:01:00Z"},
            ],
        }),
    )
    .await;
    let table = stdout_of(&plugin(&env, EnvKey::None, &["runs", "history", "-n", ns]).await);
    println!("{table}");
    let rows: Vec<Vec<&str>> = table
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows[0],
        ["EXECUTION", "ATTEMPT", "PHASE", "STARTED", "FINISHED"]
    );
    let execution_history = format!("{ns}_history_R222222222222_A2");
    assert_eq!(
        rows[1],
        [
            execution_history.as_str(),
            "2",
            "Running",
            "2026-01-01T00:05:00Z",
            "<none>"
        ]
    );
    assert_eq!(
        rows[2][..3],
        [
            format!("{ns}_history_R222222222222").as_str(),
            "1",
            "Failed"
        ]
    );
    assert_eq!(
        rows[3][..3],
        [
            format!("{ns}_history_R111111111111").as_str(),
            "1",
            "Succeeded"
        ]
    );
    assert_eq!(rows.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_returns_only_on_conditions_of_the_current_generation() {
    let env = Env::new("e2e-plugin-wait").await;
    let ns = env.namespace.to_string();
    env.create(
        "w",
        serde_json::json!({"flowName": "quick", "input": {"v": 1}}),
    )
    .await;
    let done = |generation: i64, succeeded: &str, reason: &str| {
        serde_json::json!({
            "observedGeneration": generation,
            "conditions": [
                condition("Succeeded", succeeded, reason, generation),
                condition("Completed", "True", reason, generation),
            ],
        })
    };
    write_status(&env, "w", done(1, "True", "Succeeded")).await;
    // The previous declaration's run is Completed; a new one is applied.
    let fe = env
        .patch_spec("w", serde_json::json!({"input": {"v": 2}}))
        .await
        .unwrap();
    assert_eq!(fe.metadata.generation, Some(2));

    // kubectl wait skips a condition whose observedGeneration is older than
    // the object's generation, so it is not fooled by the old run (the
    // README's form relies on this)...
    let kubectl_wait = |timeout: &'static str| {
        let ns = ns.clone();
        let cluster = env.cluster;
        async move {
            cluster
                .kubectl([
                    "wait",
                    "fe/w",
                    "-n",
                    ns.as_str(),
                    "--for=condition=Completed",
                    timeout,
                ])
                .await
                .unwrap()
        }
    };
    let out = kubectl_wait("--timeout=3s").await;
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("timed out"),
        "{out:?}"
    );

    // ...nor is `kubectl fnf wait`: it times out with exit code 2...
    let out = plugin(
        &env,
        EnvKey::None,
        &["wait", "w", "-n", &ns, "--timeout", "2s"],
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("timed out") && stderr.contains("generation 2"),
        "{stderr}"
    );

    // ...and returns once the current generation's run has completed.
    let mut waiting = tokio::process::Command::new(PLUGIN)
        .args([
            "wait",
            "w",
            "-n",
            &ns,
            "--for",
            "completed",
            "--timeout",
            "5m",
        ])
        .env_clear()
        .env("KUBECONFIG", env.cluster.kubeconfig_path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        waiting.try_wait().unwrap().is_none(),
        "still waiting on the old run"
    );
    write_status(&env, "w", done(2, "False", "Failed")).await;
    let out = waiting.wait_with_output().await.unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("condition met"));
    let out = kubectl_wait("--timeout=60s").await;
    assert!(out.status.success(), "{out:?}");

    // --for succeeded: a failed run ends the wait with exit 1, the reason and message.
    let stderr = failure_of(
        &plugin(
            &env,
            EnvKey::None,
            &["wait", "w", "-n", &ns, "--for", "succeeded"],
        )
        .await,
    );
    assert!(
        stderr.contains("completed without success: Failed: Failed at generation 2"),
        "{stderr}"
    );
    write_status(&env, "w", done(2, "True", "Succeeded")).await;
    let said = stdout_of(
        &plugin(
            &env,
            EnvKey::None,
            &[
                "wait",
                "w",
                "-n",
                &ns,
                "--for",
                "succeeded",
                "--timeout",
                "1m",
            ],
        )
        .await,
    );
    assert!(said.contains("condition met"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_from_a_cronflowexecution_creates_one_owned_run_now() {
    let env = Env::new("e2e-plugin-run").await;
    let ns = env.namespace.as_str();
    let crons: Api<fnf_operator::crd::CronFlowExecution> = Api::namespaced(env.admin.clone(), ns);
    let cron: fnf_operator::crd::CronFlowExecution = serde_json::from_value(serde_json::json!({
        "apiVersion": "fnf-operator.dev/v1alpha1", "kind": "CronFlowExecution",
        "metadata": {"name": "nightly"},
        "spec": {"schedule": "@yearly", "template": {
            "metadata": {"labels": {"team": "data"}},
            "spec": {"flowName": "quick", "input": {"a": 1}}}},
    }))
    .unwrap();
    let cron = crons.create(&PostParams::default(), &cron).await.unwrap();

    let said = stdout_of(
        &plugin(
            &env,
            EnvKey::None,
            &["run", "--from=cronflowexecution/nightly", "now", "-n", ns],
        )
        .await,
    );
    assert_eq!(said, "flowexecution.fnf-operator.dev/now created\n");
    let run = env.api.get("now").await.unwrap();
    assert_eq!(run.spec.flow_name, "quick");
    assert_eq!(
        run.spec.run_policy,
        Some(fnf_operator::crd::RunPolicy::Once)
    );
    let labels = run.metadata.labels.clone().unwrap();
    assert_eq!(labels.get("team").map(String::as_str), Some("data"));
    assert_eq!(
        labels
            .get("fnf-operator.dev/cronflowexecution")
            .map(String::as_str),
        Some("nightly")
    );
    let annotations = run.metadata.annotations.clone().unwrap();
    assert_eq!(
        annotations
            .get("fnf-operator.dev/instantiate")
            .map(String::as_str),
        Some("manual")
    );
    let owner = &run.metadata.owner_references.clone().unwrap()[0];
    assert_eq!(
        (owner.uid.as_str(), owner.controller),
        (cron.metadata.uid.as_deref().unwrap(), Some(true))
    );

    // Without a name: {name}-manual-{unix seconds}.
    let said = stdout_of(
        &plugin(
            &env,
            EnvKey::None,
            &["run", "--from", "cfe/nightly", "-n", ns],
        )
        .await,
    );
    assert!(
        said.starts_with("flowexecution.fnf-operator.dev/nightly-manual-"),
        "{said}"
    );

    let stderr = failure_of(
        &plugin(
            &env,
            EnvKey::None,
            &["run", "--from", "cfe/missing", "-n", ns],
        )
        .await,
    );
    assert!(
        stderr.contains("CronFlowExecution \"missing\" not found"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_shows_the_cloud_definition_against_the_flow_spec() {
    let env = Env::new("plugin-diff").await;
    let cloud = "Type: StateMachine\nSpecVersion: v1\nStartAt: a\nStates:\n  - Type: Pass\n    Name: a\n    End: true\n";
    let declared = cloud.replace("Name: a", "Name: a\n    Result: {}");
    env.emulator
        .create_flow("diffed", cloud, ExecutionMode::Standard)
        .unwrap();
    let flows: Api<fnf_operator::crd::Flow> = Api::namespaced(env.admin.clone(), &env.namespace);
    for (name, flow_name, definition) in [
        ("diffed", "diffed", declared.as_str()),
        ("same", "diffed", cloud),
        ("absent", "nowhere", cloud),
    ] {
        let flow: fnf_operator::crd::Flow = serde_json::from_value(serde_json::json!({
            "apiVersion": "fnf-operator.dev/v1alpha1", "kind": "Flow",
            "metadata": {"name": name},
            "spec": {"flowName": flow_name, "definition": definition, "mode": "Observe"},
        }))
        .unwrap();
        flows.create(&PostParams::default(), &flow).await.unwrap();
    }
    let ns = env.namespace.clone();
    let diff = stdout_of(&plugin(&env, EnvKey::Sandbox, &["diff", "diffed", "-n", &ns]).await);
    assert!(diff.starts_with("--- cloud\n+++ spec\n"), "{diff}");
    assert!(diff.contains("+    Result: {}\n"), "{diff}");
    let same = stdout_of(&plugin(&env, EnvKey::Sandbox, &["diff", "same", "-n", &ns]).await);
    assert!(same.contains("holds the declared definition"), "{same}");
    let absent = stdout_of(&plugin(&env, EnvKey::Sandbox, &["diff", "absent", "-n", &ns]).await);
    assert!(absent.contains("does not exist"), "{absent}");
}
