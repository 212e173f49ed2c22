//! The dashboard's and the alerts' metric names against the `/metrics` of the real
//! operator binary after it ran an execution to its end.

use std::time::{Duration, Instant};

use fnf_testkit::e2e::*;
use fnf_testkit::sandbox;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[path = "../offline/metric_names.rs"]
mod metric_names;

/// Families a clean run leaves without series (no reconcile fails here); the offline
/// suite checks their names on a registry where every family has a series.
const NOT_SEEN_IN_A_CLEAN_RUN: &[&str] = &["fnf_operator_reconcile_errors_total"];

async fn scrape(addr: &str) -> Option<String> {
    let mut stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: operator\r\n\r\n")
        .await
        .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    (head.split_whitespace().nth(1) == Some("200")).then(|| body.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_and_alerts_name_only_metrics_a_running_operator_serves() {
    let env = Env::new("e2e-release-metrics").await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let _operator = tokio::process::Command::new(env!("CARGO_BIN_EXE_fnf-operator"))
        .args(["run", "--endpoint", &env.emulator.endpoint()])
        .args(["--namespaces", &env.namespace, "--metrics-addr", &addr])
        .args(["--leader-election", "false"])
        .env("KUBECONFIG", env.cluster.kubeconfig_path())
        .envs(sandbox::sandbox_credentials_env())
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    env.create("measured", serde_json::json!({"flowName": "quick"}))
        .await;
    env.wait_for("measured", Duration::from_secs(120), completed)
        .await;

    // The end is read before the gauges and Events of that read are all written: poll.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = scrape(&addr).await.unwrap_or_default();
        let missing: Vec<String> = metric_names::missing_from(&text)
            .into_iter()
            .filter(|name| !NOT_SEEN_IN_A_CLEAN_RUN.contains(&name.as_str()))
            .collect();
        if missing.is_empty() {
            assert!(text.contains("fnf_operator_build_info{version="), "{text}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the dashboard or the alerts use metrics /metrics does not serve: {missing:?}\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
