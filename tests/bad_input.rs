//! Every user mistake ends in `Stalled=True` with a reason and a message that
//! names what to fix, plus a Warning Event, and the operator does not retry it
//! in a loop. A `credentialsSecretRef` can never reach into another namespace.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod e2e_support;
mod fault_support;

use std::time::Duration;

use e2e_support::*;
use fault_support::*;
use fnf_operator::emulator::{Account, EmulatorConfig, ExecutionMode};
use fnf_operator::sandbox::{SANDBOX_ACCESS_KEY_ID, SANDBOX_ACCESS_KEY_SECRET};
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
