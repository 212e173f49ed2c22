//! The emulator against Alibaba's official Python SDKs (the new
//! `alibabacloud-fnf20190315`, RPC and V3 signing, and the old
//! `aliyun-python-sdk-fnf` + core): every action (UpdateFlow with the
//! definitions the cloud refuses, DeleteFlow and its effect on executions), static keys and STS tokens,
//! and the credential errors. The SDKs live in a virtualenv outside the repo,
//! made once under a file lock and reused.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Output;

use fnf_emulator::EmulatorConfig;
use fnf_testkit::emulator_calls::*;

/// The versions the facts file names.
const SDK_PINS: [&str; 3] = [
    "alibabacloud-fnf20190315==2.0.1",
    "aliyun-python-sdk-fnf==1.8.3",
    "aliyun-python-sdk-core==2.16.1",
];
const OIDC_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.e30.emulator";

fn cache_dir() -> PathBuf {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    home.join(".cache").join("fnf-operator")
}

fn run(command: &mut std::process::Command) {
    let status = command.status().expect("command runs");
    assert!(status.success(), "{command:?} failed: {status}");
}

/// The virtualenv's python, installing the pinned SDKs first if needed.
fn sdk_python() -> PathBuf {
    let cache = cache_dir();
    std::fs::create_dir_all(&cache).expect("cache dir");
    let lock = File::create(cache.join("sdk-venv.lock")).expect("lock file");
    // Parallel test processes wait here instead of installing over each other.
    lock.lock().expect("lock");
    let venv = cache.join("sdk-venv");
    let marker = venv.join(".fnf-operator-pins");
    let python = venv.join("bin").join("python");
    let wanted = SDK_PINS.join("\n");
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(wanted.as_str()) {
        if venv.exists() {
            std::fs::remove_dir_all(&venv).expect("remove stale venv");
        }
        run(std::process::Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv));
        run(std::process::Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(SDK_PINS));
        std::fs::write(&marker, &wanted).expect("marker");
    }
    drop(lock);
    python
}

fn scripts_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("sdk")
}

async fn script(python: &Path, name: &str, endpoint: &str, args: &[&str]) -> Output {
    let host = endpoint.trim_start_matches("http://");
    tokio::process::Command::new(python)
        .current_dir(scripts_dir())
        .arg(name)
        .args(["--endpoint", host])
        .args(args)
        .output()
        .await
        .expect("python runs")
}

fn assert_passed(what: &str, output: &Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{what} failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    print!("{what}: {stdout}");
}

/// Exchanges the OIDC token at the emulator's STS stand-in.
async fn sts_credentials(endpoint: &str) -> (String, String, String) {
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!(
            "{endpoint}/?Action=AssumeRoleWithOIDC&Version=2015-04-01&Format=JSON"
        ))
        .form(&[
            ("RoleArn", "acs:ram::1234:role/fnf-operator"),
            ("OIDCProviderArn", "acs:ram::1234:oidc-provider/ack-rrsa"),
            ("OIDCToken", OIDC_TOKEN),
            ("RoleSessionName", "sdk-test"),
        ])
        .send()
        .await
        .expect("STS answers")
        .json()
        .await
        .expect("JSON");
    let creds = &answer["Credentials"];
    let field = |name: &str| {
        creds[name]
            .as_str()
            .unwrap_or_else(|| panic!("{name} in {answer}"))
            .to_string()
    };
    (
        field("AccessKeyId"),
        field("AccessKeySecret"),
        field("SecurityToken"),
    )
}

#[tokio::test]
async fn every_action_succeeds_through_both_official_sdks_and_both_signatures_with_keys_and_sts() {
    install_crypto();
    let python = tokio::task::spawn_blocking(sdk_python).await.expect("venv");
    let emulator = start(EmulatorConfig {
        oidc_tokens: vec![OIDC_TOKEN.into()],
        ..config()
    })
    .await;
    let endpoint = emulator.endpoint();
    let (sts_id, sts_secret, sts_token) = sts_credentials(&endpoint).await;
    let ak = ["--key-id", KEY_ID, "--secret", KEY_SECRET];
    let sts = [
        "--key-id",
        &sts_id,
        "--secret",
        &sts_secret,
        "--token",
        &sts_token,
    ];
    let runs: Vec<(&str, &str, Vec<&str>)> = vec![
        (
            "new SDK, RPC, AccessKey",
            "new_sdk.py",
            [&ak[..], &["--prefix", "new_rpc_ak_"]].concat(),
        ),
        (
            "new SDK, V3, AccessKey",
            "new_sdk.py",
            [&ak[..], &["--prefix", "new_v3_ak_", "--v3"]].concat(),
        ),
        (
            "new SDK, RPC, STS",
            "new_sdk.py",
            [&sts[..], &["--prefix", "new_rpc_sts_"]].concat(),
        ),
        (
            "new SDK, V3, STS",
            "new_sdk.py",
            [&sts[..], &["--prefix", "new_v3_sts_", "--v3"]].concat(),
        ),
        (
            "old SDK, RPC, AccessKey",
            "old_sdk.py",
            [&ak[..], &["--prefix", "old_ak_"]].concat(),
        ),
        (
            "old SDK, RPC, STS",
            "old_sdk.py",
            [&sts[..], &["--prefix", "old_sts_"]].concat(),
        ),
    ];
    let outputs = futures::future::join_all(
        runs.iter()
            .map(|(_, name, args)| script(&python, name, &endpoint, args)),
    )
    .await;
    for ((what, _, _), output) in runs.iter().zip(&outputs) {
        assert_passed(what, output);
    }
    let counters = emulator.counters();
    for prefix in [
        "new_rpc_ak_",
        "new_v3_ak_",
        "new_rpc_sts_",
        "new_v3_sts_",
        "old_ak_",
        "old_sts_",
    ] {
        let flow = format!("{prefix}flow");
        // The scripts start e1 twice while it runs: only one execution exists.
        assert_eq!(counters.executions_created(&flow, "e1"), 1, "{flow}");
        assert_eq!(counters.executions_created(&flow, "long"), 1, "{flow}");
    }
    assert_eq!(
        counters.calls_with_code("StopExecution", "ExecutionAlreadyCompleted"),
        6
    );
    // Four refused definitions in each of the six runs, and a refused RoleArn
    // in each of the four runs of the new SDK.
    assert_eq!(
        counters.calls_with_code("UpdateFlow", "InvalidArgument"),
        6 * 4 + 4
    );
    assert_eq!(counters.calls_with_code("UpdateFlow", "FlowNotExists"), 6);
    emulator.shutdown().await;
}

#[tokio::test]
async fn wrong_secret_unknown_key_and_stale_time_are_refused_through_both_sdks() {
    install_crypto();
    let python = tokio::task::spawn_blocking(sdk_python).await.expect("venv");
    let emulator = start(config()).await;
    // An emulator an hour ahead sees every SDK timestamp as stale.
    let ahead = start(EmulatorConfig {
        clock_offset_secs: 3600,
        ..config()
    })
    .await;
    let variants: [(&str, &[&str]); 3] = [
        ("new_sdk.py", &[]),
        ("new_sdk.py", &["--v3"]),
        ("old_sdk.py", &[]),
    ];
    let mut runs = Vec::new();
    for (name, extra) in variants {
        let cases = [
            (
                KEY_ID,
                "not-the-secret",
                "SignatureNotMatch",
                emulator.endpoint(),
            ),
            (
                "LTAIunknown",
                KEY_SECRET,
                "InvalidAccessKeyID",
                emulator.endpoint(),
            ),
            (KEY_ID, KEY_SECRET, "RequestTimeTooSkewed", ahead.endpoint()),
        ];
        for (id, secret, code, endpoint) in cases {
            let mut args = vec!["--key-id", id, "--secret", secret, "--expect-error", code];
            args.extend_from_slice(extra);
            let what = format!("{name} {extra:?} expects {code}");
            let python = python.clone();
            runs.push(async move {
                let output = script(&python, name, &endpoint, &args).await;
                (what, output)
            });
        }
    }
    for (what, output) in futures::future::join_all(runs).await {
        assert_passed(&what, &output);
    }
    assert_eq!(
        emulator
            .counters()
            .calls_with_code("ListFlows", "SignatureNotMatch"),
        3
    );
    assert_eq!(
        emulator
            .counters()
            .calls_with_code("ListFlows", "InvalidAccessKeyID"),
        3
    );
    assert_eq!(
        ahead
            .counters()
            .calls_with_code("ListFlows", "RequestTimeTooSkewed"),
        3
    );
    emulator.shutdown().await;
    ahead.shutdown().await;
}
