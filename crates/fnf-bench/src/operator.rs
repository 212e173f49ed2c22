//! The operator under test as its own process: the benchmark binary re-runs
//! itself as `fnf-bench operator run …` (the same code as `fnf-operator run`),
//! so the operator's peak RSS and CPU time are its own, not the emulator's or
//! the watch's. Its counters come from its metrics endpoint.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::{Child, Command};

use super::BenchError;
use super::args::{INTERVAL_PERIOD, LONG_POLL_WAIT_SECS, Strategy};
use super::measure;
use fnf_testkit::sandbox;

/// The first argument that makes `fnf-bench` the operator instead.
pub const OPERATOR_SUBCOMMAND: &str = "operator";
const READY_TIMEOUT: Duration = Duration::from_secs(30);
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// Overrides the operator process's `RUST_LOG` (its log goes to stderr).
pub const OPERATOR_LOG_ENV: &str = "FNF_BENCH_OPERATOR_LOG";

pub struct OperatorProcess {
    child: Child,
    pid: u32,
    metrics_url: String,
    http: reqwest::Client,
}

impl OperatorProcess {
    pub async fn start(
        kubeconfig: &Path,
        endpoint: &str,
        namespace: &str,
        strategy: Strategy,
        secret_credentials: bool,
    ) -> Result<Self, BenchError> {
        let io = |context: &str| {
            let context = context.to_string();
            move |source| BenchError::Io { context, source }
        };
        let exe = std::env::current_exe().map_err(io("finding the benchmark binary"))?;
        // The port is free when asked; nothing else binds on loopback meanwhile.
        let metrics_addr = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .and_then(|l| l.local_addr())
            .map_err(io("choosing a metrics port"))?;
        let strategy_args: Vec<String> = match strategy {
            Strategy::LongPoll => vec![
                "--poll-strategy".into(),
                "long-poll".into(),
                "--wait-time-seconds".into(),
                LONG_POLL_WAIT_SECS.to_string(),
            ],
            Strategy::Interval => vec![
                "--poll-strategy".into(),
                "interval".into(),
                "--poll-interval".into(),
                format!("{}s", INTERVAL_PERIOD.as_secs()),
            ],
        };
        let child = Command::new(exe)
            .args([OPERATOR_SUBCOMMAND, "run", "--endpoint", endpoint])
            .args(["--namespaces", namespace])
            .args(["--metrics-addr", &metrics_addr.to_string()])
            .args(["--flow-missing-grace-seconds", "20"])
            .args(strategy_args)
            .args(["--secret-credentials", &secret_credentials.to_string()])
            .env("KUBECONFIG", kubeconfig)
            .env(
                "ALIBABA_CLOUD_ACCESS_KEY_ID",
                sandbox::SANDBOX_ACCESS_KEY_ID,
            )
            .env(
                "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                sandbox::SANDBOX_ACCESS_KEY_SECRET,
            )
            .env(
                "RUST_LOG",
                // The operator's own log level for a closer look at one run.
                std::env::var(OPERATOR_LOG_ENV).unwrap_or_else(|_| {
                    "warn,fnf_operator::reconcile=error,fnf_operator::watch=error,fnf_operator::run=error,kube_client=off".into()
                }),
            )
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(io("starting the operator process"))?;
        let pid = child.id().unwrap_or_default();
        let operator = Self {
            child,
            pid,
            metrics_url: metrics_url(metrics_addr),
            http: reqwest::Client::new(),
        };
        operator.wait_ready().await?;
        Ok(operator)
    }

    async fn wait_ready(&self) -> Result<(), BenchError> {
        let deadline = Instant::now() + READY_TIMEOUT;
        while self.metrics().await.is_none() {
            if Instant::now() > deadline {
                return Err(BenchError::Operator(format!(
                    "the operator process (pid {}) served no metrics within {}s",
                    self.pid,
                    READY_TIMEOUT.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(())
    }

    /// The operator's Prometheus text, `None` when it does not answer.
    pub async fn metrics(&self) -> Option<String> {
        let answer = self.http.get(&self.metrics_url).send().await.ok()?;
        answer.error_for_status().ok()?.text().await.ok()
    }

    pub fn peak_rss_kib(&self) -> Option<u64> {
        measure::peak_rss_kib_of(&self.pid.to_string())
    }

    pub fn cpu_seconds(&self, ticks_per_sec: f64) -> Option<f64> {
        measure::cpu_seconds_of(&self.pid.to_string(), ticks_per_sec)
    }

    /// SIGTERM, then SIGKILL if it has not ended in time.
    pub async fn stop(mut self) {
        // The operator drains on SIGTERM as it does in a pod.
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .await;
        if tokio::time::timeout(STOP_TIMEOUT, self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

fn metrics_url(addr: SocketAddr) -> String {
    format!("http://{addr}/metrics")
}
