//! Secrets never leave the Secret: after full lifecycles (success, failure,
//! bad key, stop, delete) with the operator's own key and Secret-provided
//! keys, no Event, no status and no line of the operator's debug log holds a
//! secret, raw or base64-encoded. And one object never takes another's run
//! (`security_identity`).

use std::time::Duration;

use base64::Engine as _;
use fnf_emulator::{Account, EmulatorConfig};
use fnf_testkit::e2e::*;
use fnf_testkit::fault::*;
use fnf_testkit::sandbox::SANDBOX_ACCESS_KEY_SECRET;

const RUN_TIMEOUT: Duration = Duration::from_secs(60);
const TENANT_KEY_ID: &str = "LTAI5tTenantKey";
const TENANT_KEY_SECRET: &str = "tenant-secret-7f3a-must-not-leak";
/// Not the tenant's secret: its use fails, and must not leak either.
const WRONG_KEY_SECRET: &str = "wrong-secret-91c2-must-not-leak";
const TENANT_TOKEN: &str = "CAIS-tenant-token-5d1e-must-not-leak";

/// Every form a secret could take in text: itself, and a stretch of its
/// base64 encoding at each of the three byte alignments it could have inside a
/// longer encoded text (a Secret's `data`, say).
fn forms(secret: &str) -> Vec<String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut forms = vec![secret.to_string()];
    for pad in 0..3 {
        let encoded = b64.encode(format!("{}{secret}", "\0".repeat(pad)));
        // The first 4 characters also encode the padding when there is some.
        let start = if pad == 0 { 0 } else { 4 };
        forms.push(encoded[start..start + 16].to_string());
    }
    forms
}

/// The first secret found in `text`, in any of its forms.
fn secret_in(text: &str) -> Option<String> {
    [
        SANDBOX_ACCESS_KEY_SECRET,
        TENANT_KEY_SECRET,
        WRONG_KEY_SECRET,
        TENANT_TOKEN,
    ]
    .into_iter()
    .flat_map(forms)
    .find(|form| text.contains(form.as_str()))
}

fn assert_no_secret(what: &str, text: &str) {
    if let Some(form) = secret_in(text) {
        panic!("{what} holds a secret, as {form}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_events_status_or_the_operators_debug_log() {
    let env = env_with_emulator(
        "sec-leak",
        EmulatorConfig {
            accounts: vec![Account::new(TENANT_KEY_ID, TENANT_KEY_SECRET)],
            ..EmulatorConfig::default()
        },
    )
    .await;
    create_secret(
        &env,
        "tenant",
        &[
            ("accessKeyId", TENANT_KEY_ID),
            ("accessKeySecret", TENANT_KEY_SECRET),
        ],
    )
    .await;
    create_secret(
        &env,
        "wrong",
        &[
            ("accessKeyId", TENANT_KEY_ID),
            ("accessKeySecret", WRONG_KEY_SECRET),
            ("securityToken", TENANT_TOKEN),
        ],
    )
    .await;
    let operator = OperatorProcess::spawn(
        env!("CARGO_BIN_EXE_fnf-operator"),
        &env,
        SHORT_WAIT_SECS,
        "debug",
    );
    let tenant = serde_json::json!({"name": "tenant"});
    for (name, spec) in [
        ("own-ok", serde_json::json!({"flowName": "quick"})),
        (
            "tenant-ok",
            serde_json::json!({"flowName": "quick", "credentialsSecretRef": tenant}),
        ),
        (
            "tenant-fail",
            serde_json::json!({"flowName": "failing", "credentialsSecretRef": tenant}),
        ),
        (
            "tenant-stop",
            serde_json::json!({"flowName": "long", "credentialsSecretRef": tenant, "stop": true}),
        ),
        (
            "tenant-deleted",
            serde_json::json!({"flowName": "long", "credentialsSecretRef": tenant}),
        ),
        (
            "wrong-key",
            serde_json::json!({"flowName": "quick", "credentialsSecretRef": {"name": "wrong"}}),
        ),
    ] {
        env.create(name, spec).await;
    }
    for name in ["own-ok", "tenant-ok", "tenant-fail", "tenant-stop"] {
        env.wait_for(name, RUN_TIMEOUT, completed).await;
    }
    env.wait_for("wrong-key", RUN_TIMEOUT, |fe| {
        condition(fe, "Stalled") == Some("True")
    })
    .await;
    env.wait_for("tenant-deleted", RUN_TIMEOUT, |fe| {
        phase(fe) == Some("Running")
    })
    .await;
    env.delete("tenant-deleted").await;
    env.wait_gone("tenant-deleted", RUN_TIMEOUT).await;
    let cloud = env
        .emulator
        .execution("long", &env.run_name("long", "tenant-deleted"))
        .unwrap();
    assert_eq!(cloud.status, "Stopped", "the lifecycle really ran");

    // The search finds what it looks for: the Secret itself holds it, base64-encoded.
    let secret_json = env
        .kubectl(&[
            "get",
            "secret",
            "tenant",
            "-n",
            &env.namespace,
            "-o",
            "json",
        ])
        .await;
    assert!(secret_in(&secret_json).is_some(), "{secret_json}");

    let objects = env
        .kubectl(&["get", "flowexecutions", "-n", &env.namespace, "-o", "json"])
        .await;
    assert!(objects.contains("PaymentDeclined"), "statuses were read");
    assert_no_secret("a FlowExecution", &objects);
    let events = serde_json::to_string(&events(&env).await).unwrap();
    assert!(events.contains("PaymentDeclined"), "events were read");
    assert_no_secret("an Event", &events);

    let log = operator.terminate().await;
    let lines = log.lines().count();
    eprintln!("MEASURED sec-leak: searched {lines} lines of debug log");
    assert!(
        log.contains("DEBUG") && log.contains("fnf call"),
        "the log is the debug log of real calls:\n{}",
        &log[..log.len().min(2000)]
    );
    assert_no_secret("the operator's debug log", &log);
}
