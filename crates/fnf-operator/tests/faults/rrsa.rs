//! Fault row 11: the operator on RRSA. Its STS credentials expire every few
//! seconds (the emulator issues them that short), so every run spans several
//! expiries; and the token file rotates mid-run: the old token stops working
//! and the operator must re-read the file to go on.

use std::process::Stdio;
use std::time::Duration;

use fnf_emulator::EmulatorConfig;
use fnf_testkit::e2e::*;
use fnf_testkit::fault::env_with_emulator;

const TOKEN_A: &str = "eyJhbGciOiJSUzI1NiJ9.token-a.sig";
const TOKEN_B: &str = "eyJhbGciOiJSUzI1NiJ9.token-b.sig";
const STS_LIFETIME_SECS: u64 = 6;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rrsa_credentials_expire_and_the_token_rotates_mid_run_without_losing_a_run() {
    let env = env_with_emulator(
        "fault-rrsa",
        EmulatorConfig {
            oidc_tokens: vec![TOKEN_A.into()],
            sts_duration_secs: Some(STS_LIFETIME_SECS),
            ..EmulatorConfig::default()
        },
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN_A}\n")).unwrap();
    let log_path = dir.path().join("operator.log");
    let mut operator = tokio::process::Command::new(env!("CARGO_BIN_EXE_fnf-operator"))
        .args([
            "run",
            "--endpoint",
            &env.emulator.endpoint(),
            "--namespaces",
            &env.namespace,
        ])
        .args(["--wait-time-seconds", "5", "--metrics-addr", "127.0.0.1:0"])
        .env("KUBECONFIG", env.cluster.kubeconfig_path())
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
        .env(
            "ALIBABA_CLOUD_ROLE_ARN",
            "acs:ram::1234567890:role/fnf-operator",
        )
        .env(
            "ALIBABA_CLOUD_OIDC_PROVIDER_ARN",
            "acs:ram::1234567890:oidc-provider/ack-rrsa",
        )
        .env("ALIBABA_CLOUD_OIDC_TOKEN_FILE", &token_file)
        .env("ALIBABA_CLOUD_STS_ENDPOINT", env.emulator.endpoint())
        .env("RUST_LOG", "debug")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(std::fs::File::create(&log_path).unwrap()))
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    // A run that lasts several credential lifetimes.
    env.create(
        "spans",
        serde_json::json!({"flowName": "long", "activeDeadlineSeconds": 3600}),
    )
    .await;
    env.create("first", serde_json::json!({"flowName": "quick"}))
        .await;
    let first = env
        .wait_for("first", Duration::from_secs(60), completed)
        .await;
    assert_eq!(phase(&first), Some("Succeeded"));
    env.wait_for("spans", Duration::from_secs(60), |fe| {
        phase(fe) == Some("Running")
    })
    .await;

    // Rotate: the new token is written, the old one stops being accepted.
    std::fs::write(&token_file, format!("{TOKEN_B}\n")).unwrap();
    env.emulator.set_oidc_tokens(vec![TOKEN_B.into()]);
    let rotated = std::time::Instant::now();
    tokio::time::sleep(Duration::from_secs(STS_LIFETIME_SECS + 1)).await;

    env.create("second", serde_json::json!({"flowName": "quick"}))
        .await;
    let second = env
        .wait_for("second", Duration::from_secs(60), completed)
        .await;
    assert_eq!(
        phase(&second),
        Some("Succeeded"),
        "runs go on with the rotated token"
    );
    env.patch_spec("spans", serde_json::json!({"stop": true}))
        .await
        .unwrap();
    let spans = env
        .wait_for("spans", Duration::from_secs(60), completed)
        .await;
    assert_eq!(
        phase(&spans),
        Some("Stopped"),
        "a run spanning expiry and rotation still ends in its status"
    );
    eprintln!(
        "MEASURED rrsa: second run done {:.1}s after rotation",
        rotated.elapsed().as_secs_f64()
    );

    let counters = env.emulator.counters();
    let exchanges = counters.calls("AssumeRoleWithOIDC");
    let refused =
        counters.calls_with_code("AssumeRoleWithOIDC", "AuthenticationFail.OIDCToken.Invalid");
    eprintln!("MEASURED rrsa: {exchanges} exchanges, {refused} refused");
    assert!(
        exchanges >= 3,
        "credentials were refreshed: {exchanges} exchanges"
    );
    for name in ["first", "second", "spans"] {
        assert_eq!(
            ["quick", "long"]
                .iter()
                .flat_map(|flow| env.runs_of(flow, name))
                .map(|(_, count)| count)
                .sum::<u64>(),
            1,
            "{name} started once"
        );
    }
    operator.start_kill().unwrap();
    let _ = operator.wait().await;
    let log = std::fs::read_to_string(&log_path).unwrap();
    for secret in [TOKEN_A, TOKEN_B, "CAIS"] {
        assert!(
            !log.contains(secret),
            "the operator logged a token ({secret})"
        );
    }
}
