//! Scaffolding for the fault and bad-input tests, on top of `e2e`: an
//! emulator with chosen accounts, operators with short long-polls (in this
//! process, or the built binary so that it can be SIGKILLed), Secrets, Events,
//! and call rates measured from the emulator's counters. Never asserts timings
//! itself: callers print what they measure and bound it generously.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::sandbox::{self, OperatorTask, SANDBOX_ACCESS_KEY_ID, SANDBOX_ACCESS_KEY_SECRET};
use fnf_emulator::{self as emulator, Account, Counters, EmulatorConfig, ExecutionMode};
use fnf_operator::OperatorConfig;
use fnf_operator::crd::{Condition, FlowExecution};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, PostParams};

use crate::e2e::{Env, FLOW_FAILING, FLOW_LONG, FLOW_QUICK};

/// A long-poll short enough that "recovered within one long-poll period" is
/// measurable in a test (the operator's default is 60 s).
pub const SHORT_WAIT_SECS: u32 = 5;

/// Waits `secs` seconds, then succeeds: long enough to outlive a first long-poll.
pub fn flow_waiting(secs: u32) -> String {
    format!(
        "Type: StateMachine\nSpecVersion: v1\nName: waiting\nStartAt: Pause\nStates:\n  - Type: Wait\n    Name: Pause\n    Seconds: {secs}\n    Next: Done\n  - Type: Succeed\n    Name: Done\n"
    )
}

/// `Env::new`, but with an emulator started from `config` (the sandbox account
/// is added when missing) holding the three test flows.
pub async fn env_with_emulator(prefix: &str, mut config: EmulatorConfig) -> Env {
    let mut env = Env::new(prefix).await;
    if !config
        .accounts
        .iter()
        .any(|a| a.access_key_id == SANDBOX_ACCESS_KEY_ID)
    {
        config.accounts.push(Account::new(
            SANDBOX_ACCESS_KEY_ID,
            SANDBOX_ACCESS_KEY_SECRET,
        ));
    }
    let replacement = emulator::start(config).await.expect("emulator");
    for (name, def) in [
        ("quick", FLOW_QUICK),
        ("failing", FLOW_FAILING),
        ("long", FLOW_LONG),
    ] {
        replacement
            .create_flow(name, def, ExecutionMode::Standard)
            .expect("flow");
    }
    let original = std::mem::replace(&mut env.emulator, replacement);
    original.shutdown().await;
    env
}

/// The sandbox operator settings for this env's namespace, with `wait_secs` long-polls.
pub fn operator_config(env: &Env, wait_secs: u32) -> OperatorConfig {
    sandbox::operator_config(
        &env.emulator.endpoint(),
        vec![env.namespace.clone()],
        wait_secs,
    )
    .expect("operator config")
}

pub fn start_operator_with(env: &Env, config: OperatorConfig) -> OperatorTask {
    OperatorTask::start(env.admin.clone(), config)
}

pub async fn create_secret(env: &Env, name: &str, data: &[(&str, &str)]) {
    let secret = Secret {
        metadata: kube::api::ObjectMeta {
            name: Some(name.to_string()),
            ..Default::default()
        },
        data: Some(
            data.iter()
                .map(|(k, v)| (k.to_string(), ByteString(v.as_bytes().to_vec())))
                .collect(),
        ),
        ..Default::default()
    };
    Api::<Secret>::namespaced(env.admin.clone(), &env.namespace)
        .create(&PostParams::default(), &secret)
        .await
        .expect("create Secret");
}

pub fn condition_of<'a>(fe: &'a FlowExecution, type_: &str) -> Option<&'a Condition> {
    fe.status.as_ref()?.condition(type_)
}

/// `Stalled=True` with `reason`.
pub fn stalled_with(fe: &FlowExecution, reason: &str) -> bool {
    condition_of(fe, "Stalled").is_some_and(|c| c.status == "True" && c.reason == reason)
}

/// Every Event of the namespace, as core/v1 JSON.
pub async fn events(env: &Env) -> Vec<serde_json::Value> {
    let out = env
        .kubectl(&["get", "events", "-n", &env.namespace, "-o", "json"])
        .await;
    let list: serde_json::Value = serde_json::from_str(&out).expect("event list JSON");
    list["items"].as_array().cloned().unwrap_or_default()
}

/// Warning Events about `object` with `reason`.
pub async fn warnings_about(env: &Env, object: &str, reason: &str) -> Vec<serde_json::Value> {
    events(env)
        .await
        .into_iter()
        .filter(|e| {
            e["type"] == "Warning" && e["reason"] == reason && e["involvedObject"]["name"] == object
        })
        .collect()
}

/// Calls the emulator answered between `open` and `close`, per action.
pub struct CallWindow {
    opened: Instant,
    before: Counters,
}

#[derive(Debug)]
pub struct CallRates {
    pub secs: f64,
    pub calls: BTreeMap<String, u64>,
}

impl CallWindow {
    pub fn open(env: &Env) -> Self {
        Self {
            opened: Instant::now(),
            before: env.emulator.counters(),
        }
    }

    pub fn close(&self, env: &Env) -> CallRates {
        let after = env.emulator.counters();
        let calls = after
            .calls
            .keys()
            .map(|action| {
                (
                    action.clone(),
                    after.calls(action) - self.before.calls(action),
                )
            })
            .filter(|(_, n)| *n > 0)
            .collect();
        CallRates {
            secs: self.opened.elapsed().as_secs_f64(),
            calls,
        }
    }
}

impl CallRates {
    pub fn total(&self) -> u64 {
        self.calls.values().sum()
    }

    pub fn of(&self, action: &str) -> u64 {
        self.calls.get(action).copied().unwrap_or(0)
    }

    /// Fails when any action was called more often than the cloud's documented
    /// per-account quota allows over the window (a full bucket plus its refill).
    /// Dropped connections are counted under `""` by older emulators: charged
    /// to the strictest quota.
    pub fn assert_within_documented_quota(&self, what: &str) {
        let quotas = emulator::QuotaSettings::default();
        for (action, calls) in &self.calls {
            let rate = if action.is_empty() {
                quotas.rate_for("DescribeExecution")
            } else {
                quotas.rate_for(action)
            };
            let allowed = f64::from(rate.burst) + rate.per_second * self.secs;
            assert!(
                (*calls as f64) <= allowed,
                "{what}: {calls} {action} calls in {:.1} s exceed the quota ({} burst + {}/s)",
                self.secs,
                rate.burst,
                rate.per_second
            );
        }
    }

    pub fn report(&self, what: &str) {
        let per_second: Vec<String> = self
            .calls
            .iter()
            .map(|(a, n)| format!("{a}={n} ({:.2}/s)", *n as f64 / self.secs))
            .collect();
        eprintln!(
            "MEASURED {what}: {} calls in {:.1} s: {}",
            self.total(),
            self.secs,
            per_second.join(", ")
        );
    }
}

/// The built `fnf-operator` binary, run against the shared control plane and
/// this env's emulator; stderr goes to a file. Killed (SIGKILL) when dropped.
pub struct OperatorProcess {
    child: tokio::process::Child,
    pub log_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl OperatorProcess {
    /// `fnf-operator run` for this namespace with the sandbox key in its
    /// environment, `wait_secs` long-polls, Secrets allowed, and `RUST_LOG`.
    /// `binary` is the built operator: `env!("CARGO_BIN_EXE_fnf-operator")` in
    /// the operator's tests (Cargo tells only the package that owns the binary).
    pub fn spawn(binary: &str, env: &Env, wait_secs: u32, rust_log: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let log_path = dir.path().join("operator.log");
        let log = std::fs::File::create(&log_path).expect("log file");
        let child = operator_command(binary, env.cluster.kubeconfig_path(), rust_log, log)
            .args([
                "--endpoint",
                &env.emulator.endpoint(),
                "--namespaces",
                &env.namespace,
                "--wait-time-seconds",
                &wait_secs.to_string(),
                "--metrics-addr",
                "127.0.0.1:0",
                "--secret-credentials",
                "true",
                "--input-from-config-maps",
                "true",
                "--input-from-secrets",
                "true",
                "--instance",
                &format!("fault-test-{}", env.namespace),
            ])
            .spawn()
            .expect("spawn fnf-operator");
        Self {
            child,
            log_path,
            _dir: dir,
        }
    }

    /// SIGKILL: no graceful shutdown, nothing flushed or released.
    pub async fn kill(mut self) -> String {
        self.child.kill().await.expect("SIGKILL fnf-operator");
        self.log()
    }

    /// Graceful stop (SIGTERM), waiting for the process to exit.
    pub async fn terminate(mut self) -> String {
        if let Some(pid) = self.child.id() {
            let status = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .expect("kill -TERM");
            assert!(status.success());
        }
        let exited = tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await;
        assert!(exited.is_ok(), "fnf-operator did not exit on SIGTERM");
        self.log()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}

/// Polls `probe` every 100 ms until it holds; `false` after `timeout`.
pub async fn eventually(timeout: Duration, mut probe: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if probe() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    probe()
}

/// `fnf-operator run` as a child process: the sandbox's credentials, this
/// control plane's kubeconfig, none of the caller's `FNF_*` settings, stderr
/// to `log`, killed with its handle. The caller adds the flags.
pub fn operator_command(
    binary: impl AsRef<std::ffi::OsStr>,
    kubeconfig: impl AsRef<std::ffi::OsStr>,
    rust_log: &str,
    log: std::fs::File,
) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(binary);
    command
        .arg("run")
        .env("KUBECONFIG", kubeconfig)
        .envs(crate::sandbox::sandbox_credentials_env())
        .env("RUST_LOG", rust_log)
        .env_remove("FNF_ENDPOINT")
        .env_remove("FNF_NAMESPACES")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .kill_on_drop(true);
    command
}
