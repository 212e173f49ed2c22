//! Every user mistake ends in `Stalled=True` with a reason and a message that
//! names what to fix, plus a Warning Event, and the operator does not retry it
//! in a loop. A `credentialsSecretRef` can never reach into another namespace.
//! Hostile input (an input nested past the decoder's limit, a 10 KB cause full
//! of terminal escapes, a 250-character name) never stops the operator or
//! silences its Events, and `/readyz` tells when the watch cannot list.

use std::time::Duration;

use fnf_emulator::{Account, EmulatorConfig, ExecutionMode};
use fnf_testkit::e2e::*;
use fnf_testkit::fault::*;
use fnf_testkit::sandbox::{OperatorTask, SANDBOX_ACCESS_KEY_ID, SANDBOX_ACCESS_KEY_SECRET};
use kube::api::{ApiResource, DynamicObject, PostParams};

const STALL_TIMEOUT: Duration = Duration::from_secs(40);
/// How long a stalled object is watched for calls.
const QUIET_WINDOW: Duration = Duration::from_secs(5);
const RESTRICTED_KEY_ID: &str = "LTAI5tOnlyTheLongFlow";
const RESTRICTED_KEY_SECRET: &str = "restricted-secret";

/// A mistake: the object, its spec, the Stalled reason, and the words its
/// message must contain for a reader to know what to fix.
struct Mistake {
    name: &'static str,
    spec: serde_json::Value,
    reason: &'static str,
    names: Vec<String>,
    /// Whether only a new object can fix it (`Completed=True`).
    final_: bool,
}

/// Applies every mistake, waits for each to stall as described, then proves
/// that nothing calls the cloud for `QUIET_WINDOW`.
async fn stalls_each_and_goes_quiet(env: &Env, mistakes: &[Mistake]) {
    for m in mistakes {
        env.create(m.name, m.spec.clone()).await;
    }
    for m in mistakes {
        let fe = env
            .wait_for(m.name, STALL_TIMEOUT, |fe| stalled_with(fe, m.reason))
            .await;
        let stalled = condition_of(&fe, "Stalled").unwrap();
        eprintln!(
            "MEASURED bad input {}: Stalled {}: {}",
            m.name, stalled.reason, stalled.message
        );
        for needle in &m.names {
            assert!(
                stalled.message.contains(needle.as_str()),
                "{}: the message does not name {needle:?}: {}",
                m.name,
                stalled.message
            );
        }
        assert_eq!(condition(&fe, "Succeeded"), Some("False"), "{}", m.name);
        assert_eq!(condition(&fe, "Ready"), Some("False"), "{}", m.name);
        let completed = if m.final_ { "True" } else { "False" };
        assert_eq!(condition(&fe, "Completed"), Some(completed), "{}", m.name);
        let warnings = warnings_about(env, m.name, m.reason).await;
        assert!(
            !warnings.is_empty(),
            "{}: no Warning Event {}",
            m.name,
            m.reason
        );
    }
    let window = CallWindow::open(env);
    tokio::time::sleep(QUIET_WINDOW).await;
    let rates = window.close(env);
    rates.report("bad input calls while stalled");
    // At most one slow retry each (credentials every 30 s, a missing flow every 15 s).
    assert!(
        rates.total() <= mistakes.len() as u64,
        "stalled objects are not retried in a loop: {rates:?}"
    );
    assert_eq!(env.emulator.counters().total_created(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_the_cloud_refuses_stall_naming_the_secret_to_fix() {
    let env = env_with_emulator(
        "bad-keys",
        EmulatorConfig {
            accounts: vec![Account {
                allowed_flows: Some(vec!["long".into()]),
                ..Account::new(RESTRICTED_KEY_ID, RESTRICTED_KEY_SECRET)
            }],
            ..EmulatorConfig::default()
        },
    )
    .await;
    let operator = start_operator_with(&env, operator_config(&env, SHORT_WAIT_SECS));
    for (secret, id, key) in [
        ("unknown-key", "LTAI5tNobodyKnowsThis", "whatever"),
        (
            "wrong-secret",
            SANDBOX_ACCESS_KEY_ID,
            "not-the-sandbox-secret",
        ),
        ("no-access", RESTRICTED_KEY_ID, RESTRICTED_KEY_SECRET),
    ] {
        create_secret(
            &env,
            secret,
            &[("accessKeyId", id), ("accessKeySecret", key)],
        )
        .await;
    }
    let with_secret = |secret: &str| serde_json::json!({"flowName": "quick", "credentialsSecretRef": {"name": secret}});
    let secret_named = |secret: &str| vec![format!("{}/{secret}", env.namespace)];
    let mistakes = [
        Mistake {
            name: "bad-key",
            spec: with_secret("unknown-key"),
            reason: "InvalidAccessKeyID",
            names: [secret_named("unknown-key"), vec!["accessKeyId".into()]].concat(),
            final_: false,
        },
        Mistake {
            name: "bad-secret",
            spec: with_secret("wrong-secret"),
            reason: "SignatureNotMatch",
            names: [secret_named("wrong-secret"), vec!["accessKeySecret".into()]].concat(),
            final_: false,
        },
        Mistake {
            name: "denied",
            spec: with_secret("no-access"),
            reason: "AccessDenied",
            names: [secret_named("no-access"), vec!["quick".into()]].concat(),
            final_: false,
        },
    ];
    stalls_each_and_goes_quiet(&env, &mistakes).await;
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mistakes_in_the_spec_or_its_secret_stall_naming_the_field_to_fix() {
    let env = Env::new("bad-spec").await;
    env.emulator
        .create_flow("express", FLOW_QUICK, ExecutionMode::Express)
        .unwrap();
    create_secret(&env, "half", &[("accessKeyId", SANDBOX_ACCESS_KEY_ID)]).await;
    let mut config = operator_config(&env, SHORT_WAIT_SECS);
    config.decide.flow_missing_grace = Duration::ZERO;
    let operator = start_operator_with(&env, config);
    let big = "x".repeat(33 * 1024);
    let mistakes = [
        Mistake {
            name: "half-secret",
            spec: serde_json::json!({"flowName": "quick", "credentialsSecretRef": {"name": "half"}}),
            reason: "SecretKeyMissing",
            names: vec![format!("{}/half", env.namespace), "accessKeySecret".into()],
            final_: false,
        },
        Mistake {
            name: "express",
            spec: serde_json::json!({"flowName": "express"}),
            reason: "InvalidArgument",
            names: vec!["Express".into(), "Standard".into()],
            final_: true,
        },
        Mistake {
            name: "too-big",
            spec: serde_json::json!({"flowName": "quick", "input": {"blob": big}}),
            reason: "InputTooLarge",
            names: vec!["spec.input".into(), "32768".into()],
            final_: true,
        },
        Mistake {
            name: "no-flow",
            spec: serde_json::json!({"flowName": "nonexistent"}),
            reason: "FlowNotExists",
            names: vec!["nonexistent".into(), "spec.flowName".into()],
            final_: false,
        },
    ];
    stalls_each_and_goes_quiet(&env, &mistakes).await;
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_secret_ref_cannot_name_a_secret_in_another_namespace() {
    let env = Env::new("bad-xns").await;
    // Valid keys, but in a namespace the FlowExecution does not live in.
    let elsewhere = env.cluster.create_namespace("bad-xns-other").await.unwrap();
    let secrets: kube::Api<k8s_openapi::api::core::v1::Secret> =
        kube::Api::namespaced(env.admin.clone(), &elsewhere);
    secrets
        .create(
            &PostParams::default(),
            &serde_json::from_value(serde_json::json!({
                "metadata": {"name": "creds"},
                "stringData": {"accessKeyId": SANDBOX_ACCESS_KEY_ID, "accessKeySecret": SANDBOX_ACCESS_KEY_SECRET},
            }))
            .unwrap(),
        )
        .await
        .unwrap();
    let borrowing = serde_json::json!({
        "apiVersion": "fnf-operator.dev/v1alpha1", "kind": "FlowExecution",
        "metadata": {"name": "borrow", "namespace": env.namespace},
        "spec": {"flowName": "quick", "credentialsSecretRef": {"name": "creds", "namespace": elsewhere}},
    });

    // kubectl validates strictly by default: refused, the field named.
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), borrowing.to_string()).unwrap();
    let out = env
        .cluster
        .kubectl(["create", "-f", file.path().to_str().unwrap()])
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "kubectl must refuse it");
    assert!(
        stderr.contains("credentialsSecretRef.namespace"),
        "the refusal names the field: {stderr}"
    );

    // A client that does not ask for strict validation: the field is pruned.
    let api: kube::Api<DynamicObject> = kube::Api::namespaced_with(
        env.admin.clone(),
        &env.namespace,
        &ApiResource::erase::<fnf_operator::crd::FlowExecution>(&()),
    );
    let stored = api
        .create(
            &PostParams::default(),
            &serde_json::from_value(borrowing).unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        stored.data["spec"]["credentialsSecretRef"],
        serde_json::json!({"name": "creds"}),
        "only the name is kept"
    );

    let operator = start_operator_with(&env, operator_config(&env, SHORT_WAIT_SECS));
    let fe = env
        .wait_for("borrow", STALL_TIMEOUT, |fe| {
            stalled_with(fe, "SecretNotFound")
        })
        .await;
    let message = &condition_of(&fe, "Stalled").unwrap().message;
    assert!(
        message.contains(&format!("{}/creds", env.namespace)),
        "{message}"
    );
    assert_eq!(env.emulator.counters().total_created(), 0);
    operator.stop().await.unwrap();
}

/// An input object nested `depth` levels (`{}` is one level).
fn nested_input(depth: usize) -> serde_json::Value {
    let mut value = serde_json::json!(1);
    for _ in 0..depth {
        value = serde_json::json!({ "a": value });
    }
    value
}

/// `kubectl create` of a FlowExecution (kubectl reads any depth, where a typed
/// Rust client could not read the answer back).
async fn kubectl_create(env: &Env, name: &str, spec: serde_json::Value) -> std::process::Output {
    let object = serde_json::json!({
        "apiVersion": "fnf-operator.dev/v1alpha1", "kind": "FlowExecution",
        "metadata": {"name": name, "namespace": env.namespace},
        "spec": spec,
    });
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), object.to_string()).unwrap();
    env.cluster
        .kubectl(["create", "-f", file.path().to_str().unwrap()])
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_object_nested_past_the_decoders_limit_does_not_stop_the_others() {
    use fnf_operator::Watched;
    let env = Env::new("deep").await;
    // The apiserver takes it (the admission policy is not installed here, as
    // in a cluster that had objects before it): serde_json's limit is 128.
    let created = kubectl_create(
        &env,
        "deep",
        serde_json::json!({"flowName": "quick", "input": nested_input(200)}),
    )
    .await;
    assert!(created.status.success(), "{created:?}");
    env.create("fine", serde_json::json!({"flowName": "quick"}))
        .await;
    let operator = start_operator_with(&env, operator_config(&env, SHORT_WAIT_SECS));

    env.wait_for("fine", STALL_TIMEOUT, completed).await;
    let deep_api: kube::Api<Watched> = kube::Api::namespaced(env.admin.clone(), &env.namespace);
    let mut deep = deep_api.get("deep").await.unwrap();
    let deadline = std::time::Instant::now() + STALL_TIMEOUT;
    while !deep
        .status()
        .and_then(|s| s.condition("Stalled"))
        .is_some_and(|c| c.status == "True" && c.reason == "InputTooDeep")
    {
        assert!(std::time::Instant::now() < deadline, "{:?}", deep.status());
        tokio::time::sleep(Duration::from_millis(200)).await;
        deep = deep_api.get("deep").await.unwrap();
    }
    let status = deep.status().unwrap();
    let stalled = status.condition("Stalled").unwrap();
    eprintln!(
        "MEASURED deep input: Stalled {}: {}",
        stalled.reason, stalled.message
    );
    assert!(stalled.message.contains("spec.input") && stalled.message.contains("100"));
    assert_eq!(status.condition("Completed").unwrap().status, "True");
    assert!(
        !warnings_about(&env, "deep", "InputTooDeep")
            .await
            .is_empty()
    );
    assert_eq!(
        env.emulator.counters().total_created(),
        1,
        "only `fine` ran"
    );
    assert!(operator.metrics.is_ready(), "listing works: ready");
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_fails_while_the_watch_cannot_list_and_shutdown_stays_prompt() {
    use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
    let env = Env::new("unlisted").await;
    let no_rights = env
        .cluster
        .service_account_client(&env.namespace, "no-rights")
        .await
        .unwrap();

    // Denied: the list fails, over and over.
    let denied = OperatorTask::start(no_rights.clone(), operator_config(&env, SHORT_WAIT_SECS));
    assert!(
        eventually(STALL_TIMEOUT, || denied.metrics.controller_errors() >= 2).await,
        "the list is refused"
    );
    assert!(
        !denied.metrics.is_ready(),
        "/readyz fails while nothing can be listed"
    );
    let asked = std::time::Instant::now();
    let stopped = tokio::time::timeout(Duration::from_secs(30), denied.stop()).await;
    eprintln!(
        "MEASURED shutdown while the list fails: {:.1}s",
        asked.elapsed().as_secs_f64()
    );
    assert!(stopped.is_ok(), "shutdown is prompt while the list fails");

    // Allowed from now on: the next attempt lists, and the operator is ready.
    let operator = OperatorTask::start(no_rights, operator_config(&env, SHORT_WAIT_SECS));
    assert!(
        eventually(STALL_TIMEOUT, || operator.metrics.controller_errors() >= 1).await,
        "still refused"
    );
    assert!(
        !operator.metrics.is_ready(),
        "not ready before a list worked"
    );
    let role: Role = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "fnf-operator"},
        "rules": [
            {"apiGroups": ["fnf-operator.dev"], "resources": ["flowexecutions"], "verbs": ["get", "list", "watch", "patch"]},
            {"apiGroups": ["fnf-operator.dev"], "resources": ["flowexecutions/status"], "verbs": ["patch"]},
            {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": ["create"]},
        ],
    }))
    .unwrap();
    let binding: RoleBinding = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "fnf-operator"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "fnf-operator"},
        "subjects": [{"kind": "ServiceAccount", "name": "no-rights", "namespace": env.namespace}],
    }))
    .unwrap();
    kube::Api::<Role>::namespaced(env.admin.clone(), &env.namespace)
        .create(&PostParams::default(), &role)
        .await
        .unwrap();
    kube::Api::<RoleBinding>::namespaced(env.admin.clone(), &env.namespace)
        .create(&PostParams::default(), &binding)
        .await
        .unwrap();
    // The watcher's back-off is capped well under this.
    assert!(
        eventually(Duration::from_secs(90), || operator.metrics.is_ready()).await,
        "ready once the list works"
    );
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admission_refuses_an_input_deeper_than_the_documented_limit() {
    let env = Env::new("depth-policy").await;
    let [policy, mut binding] = fnf_operator::crd::input_depth_policy();
    // Bound to this namespace only: other tests here create deep objects on purpose.
    binding["spec"]["matchResources"] = serde_json::json!({
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": env.namespace}},
    });
    for object in [policy, binding] {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), object.to_string()).unwrap();
        env.kubectl(&[
            "apply",
            "--server-side",
            "-f",
            file.path().to_str().unwrap(),
        ])
        .await;
    }
    let limit = fnf_operator::crd::INPUT_MAX_DEPTH;
    // A policy takes effect once the apiserver has loaded it: retry until refused.
    let deadline = std::time::Instant::now() + STALL_TIMEOUT;
    let mut attempt = 0;
    let refusal = loop {
        attempt += 1;
        let name = format!("too-deep-{attempt}");
        let out = kubectl_create(
            &env,
            &name,
            serde_json::json!({"flowName": "quick", "input": nested_input(limit + 1)}),
        )
        .await;
        if !out.status.success() {
            break String::from_utf8_lossy(&out.stderr).into_owned();
        }
        env.delete(&name).await;
        assert!(std::time::Instant::now() < deadline, "never refused");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    eprintln!("MEASURED depth refusal: {refusal}");
    assert!(
        refusal.contains("spec.input") && refusal.contains(&limit.to_string()),
        "the refusal names the field and the limit: {refusal}"
    );
    let at_limit = kubectl_create(
        &env,
        "at-limit",
        serde_json::json!({"flowName": "quick", "input": nested_input(limit)}),
    )
    .await;
    assert!(at_limit.status.success(), "{at_limit:?}");
    // runPolicy OnChange lets the input change: an update that deepens it is
    // refused too, and one that leaves it alone (a label) is not checked.
    let deepen = serde_json::json!({"spec": {"input": nested_input(limit + 1)}}).to_string();
    let out = env
        .cluster
        .kubectl([
            "patch",
            "fe",
            "at-limit",
            "-n",
            env.namespace.as_str(),
            "--type",
            "merge",
            "-p",
            deepen.as_str(),
        ])
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("spec.input"),
        "{stderr}"
    );
    env.kubectl(&[
        "label",
        "fe",
        "at-limit",
        "-n",
        env.namespace.as_str(),
        "touched=yes",
    ])
    .await;
    // And an ordinary input passes the policy.
    env.create(
        "plain",
        serde_json::json!({"flowName": "quick", "input": {"a": [1, {"b": 2}]}}),
    )
    .await;
}

/// Fails after a second with an Error and a 10 KB Cause full of terminal escapes.
fn flow_failing_verbosely() -> String {
    let cause = "the card expired \\e[31mred\\e[0m \\e]0;title\\a ".repeat(300);
    format!(
        "Type: StateMachine\nSpecVersion: v1\nName: verbose\nStartAt: Pause\nStates:\n  - Type: Wait\n    Name: Pause\n    Seconds: 1\n    Next: Boom\n  - Type: Fail\n    Name: Boom\n    Error: \"Payment\\e[2JDeclined\"\n    Cause: \"{cause}\"\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_cause_and_a_long_name_still_get_their_events_and_escapes_never_reach_the_reader() {
    let env = Env::new("notes").await;
    env.emulator
        .create_flow(
            "verbose",
            &flow_failing_verbosely(),
            ExecutionMode::Standard,
        )
        .unwrap();
    let operator = start_operator_with(&env, operator_config(&env, SHORT_WAIT_SECS));
    let long_name = format!("long-{}", "n".repeat(245));
    assert_eq!(long_name.len(), 250);
    env.create("verbose", serde_json::json!({"flowName": "verbose"}))
        .await;
    env.create(&long_name, serde_json::json!({"flowName": "quick"}))
        .await;

    let fe = env.wait_for("verbose", STALL_TIMEOUT, completed).await;
    let status = fe.status.as_ref().unwrap();
    let cause = status.cause.as_deref().unwrap();
    assert!(cause.len() > 10_000, "the status keeps the whole cause");
    let escape = '\u{1b}';
    assert!(
        !cause.contains(escape) && !cause.contains('\u{7}'),
        "{cause:.80}"
    );
    assert_eq!(status.error.as_deref(), Some("Payment[2JDeclined"));
    for c in &status.conditions {
        assert!(
            !c.message.contains(escape),
            "{}: {:.80}",
            c.type_,
            c.message
        );
    }
    let failed = warnings_about(&env, "verbose", "Failed").await;
    assert!(!failed.is_empty(), "the Failed Warning is published");
    let note = failed[0]["message"].as_str().unwrap();
    eprintln!("MEASURED shortened note: {} bytes", note.len());
    assert!(note.len() <= 1024, "{}", note.len());
    assert!(
        note.contains("shortened") && !note.contains(escape),
        "{note}"
    );

    env.wait_for(&long_name, STALL_TIMEOUT, completed).await;
    let reasons: Vec<String> = events(&env)
        .await
        .into_iter()
        .filter(|e| e["involvedObject"]["name"] == long_name.as_str())
        .map(|e| e["reason"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        reasons.iter().any(|r| r == "Started") && reasons.iter().any(|r| r == "Succeeded"),
        "a 250-character name gets its Events: {reasons:?}"
    );
    let metrics = operator.metrics.render();
    assert!(
        !metrics.contains(r#"result="failed""#),
        "no Event was refused:\n{metrics}"
    );
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_objects_normally_logs_no_warning() {
    let env = Env::new("quiet-delete").await;
    let operator = OperatorProcess::spawn(
        env!("CARGO_BIN_EXE_fnf-operator"),
        &env,
        SHORT_WAIT_SECS,
        "info",
    );
    // Several of each: a wake-up racing a deletion is a matter of timing.
    let done: Vec<String> = (0..3).map(|i| format!("done-{i}")).collect();
    let running: Vec<String> = (0..3).map(|i| format!("running-{i}")).collect();
    for name in &done {
        env.create(name, serde_json::json!({"flowName": "quick"}))
            .await;
    }
    for name in &running {
        env.create(name, serde_json::json!({"flowName": "long"}))
            .await;
    }
    for name in &done {
        env.wait_for(name, STALL_TIMEOUT, completed).await;
    }
    for name in &running {
        env.wait_for(name, STALL_TIMEOUT, |fe| phase(fe) == Some("Running"))
            .await;
    }
    for name in done.iter().chain(&running) {
        env.delete(name).await;
    }
    for name in done.iter().chain(&running) {
        env.wait_gone(name, STALL_TIMEOUT).await;
    }
    // Whatever was in flight when the objects went has finished by now.
    tokio::time::sleep(QUIET_WINDOW).await;
    let log = operator.terminate().await;
    let warnings: Vec<&str> = log.lines().filter(|l| l.contains("WARN")).collect();
    assert!(
        warnings.is_empty(),
        "normal deletions log no warning:\n{}",
        warnings.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_numbers_in_the_input_should_be_strings_as_the_readme_says() {
    let env = Env::new("big-numbers").await;
    let operator = start_operator_with(&env, operator_config(&env, SHORT_WAIT_SECS));
    // Written as raw JSON text, as kubectl sends a manifest.
    let spec = r#"{"flowName": "quick", "input": {"id": "123456789012345678901", "past2p53": 9007199254740993, "pastInt64": 123456789012345678901}}"#;
    let created = kubectl_create(&env, "big", serde_json::from_str(spec).unwrap()).await;
    assert!(created.status.success(), "{created:?}");
    let stored = env
        .kubectl(&[
            "get",
            "fe",
            "big",
            "-n",
            &env.namespace,
            "-o",
            "jsonpath={.spec.input}",
        ])
        .await;
    eprintln!("MEASURED stored input: {stored}");
    let fe = env.wait_for("big", STALL_TIMEOUT, completed).await;
    let output = fe.status.as_ref().unwrap().output.clone().unwrap();
    eprintln!("MEASURED output: {output}");
    assert!(
        output.contains(r#""id":"123456789012345678901""#),
        "a number written as a string reaches the execution unchanged: {output}"
    );
    // What the README says of numbers: within 64 bits they are kept, past that
    // the apiserver itself rounds them.
    assert!(
        output.contains(r#""past2p53":9007199254740993"#),
        "{output}"
    );
    assert!(
        !stored.contains(r#""pastInt64":123456789012345678901"#),
        "the apiserver rounds an integer past 64 bits: {stored}"
    );
    operator.stop().await.unwrap();
}
