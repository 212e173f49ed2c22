//! The two operator replicas as processes of the built binary, with leader
//! election on one Lease: spawned, SIGKILLed, respawned, sampled (RSS, open
//! descriptors), their logs kept across incarnations and their metrics read.

use std::path::{Path, PathBuf};

use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;

use super::recording::{EmittedText, ResourceSample};

pub const REPLICAS: [&str; 2] = ["replica-a", "replica-b"];
pub const LEASE_NAMESPACE: &str = "default";
pub const LEASE_NAME: &str = "fnf-soak";
pub const LEASE_SECS: u64 = 15;
/// What ACK's RRSA webhook would set for the operator's own credentials.
pub const RRSA_ROLE_ARN: &str = "acs:ram::1234567890:role/fnf-soak-operator";
pub const RRSA_OIDC_PROVIDER_ARN: &str = "acs:ram::1234567890:oidc-provider/ack-rrsa-soak";

/// The operator's own credentials (set A) by RRSA: a projected OIDC token
/// file exchanged at an STS endpoint.
#[derive(Clone, Debug)]
pub struct RrsaSettings {
    pub token_file: PathBuf,
    pub sts_endpoint: String,
}

/// What every replica runs with.
#[derive(Clone, Debug)]
pub struct ReplicaSettings {
    pub binary: PathBuf,
    /// The replicas' kubeconfig (through the watch-drop proxy).
    pub kubeconfig: PathBuf,
    pub endpoint: String,
    /// `None`: the sandbox AccessKey in the environment.
    pub rrsa: Option<RrsaSettings>,
    pub namespaces: Vec<String>,
    pub wait_secs: u32,
    pub log_dir: PathBuf,
}

struct Incarnation {
    child: tokio::process::Child,
    label: String,
    metrics_addr: String,
}

pub struct Replica {
    pub name: &'static str,
    incarnations: u32,
    live: Option<Incarnation>,
    logs: Vec<(String, PathBuf)>,
}

fn free_local_addr() -> String {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.to_string())
        .unwrap_or_else(|_| "127.0.0.1:0".to_string())
}

impl Replica {
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            incarnations: 0,
            live: None,
            logs: Vec::new(),
        }
    }

    pub fn is_live(&self) -> bool {
        self.live.is_some()
    }

    pub fn spawn(&mut self, settings: &ReplicaSettings) -> std::io::Result<()> {
        self.incarnations += 1;
        let label = format!("{}#{}", self.name, self.incarnations);
        let log_path = settings.log_dir.join(format!("{label}.log"));
        let log = std::fs::File::create(&log_path)?;
        let metrics_addr = free_local_addr();
        let mut command =
            crate::fault::operator_command(&settings.binary, &settings.kubeconfig, "info", log);
        if let Some(rrsa) = &settings.rrsa {
            use fnf_client::credentials as env;
            command
                .env_remove(env::ENV_ACCESS_KEY_ID)
                .env_remove(env::ENV_ACCESS_KEY_SECRET)
                .env_remove(env::ENV_SECURITY_TOKEN)
                .env(env::ENV_ROLE_ARN, RRSA_ROLE_ARN)
                .env(env::ENV_OIDC_PROVIDER_ARN, RRSA_OIDC_PROVIDER_ARN)
                .env(env::ENV_OIDC_TOKEN_FILE, &rrsa.token_file)
                .env(env::ENV_STS_ENDPOINT, &rrsa.sts_endpoint);
        }
        let child = command
            .args(["--endpoint", &settings.endpoint])
            .args(["--namespaces", &settings.namespaces.join(",")])
            .args(["--wait-time-seconds", &settings.wait_secs.to_string()])
            .args(["--metrics-addr", &metrics_addr])
            .args(["--secret-credentials", "true", "--leader-election", "true"])
            .args([
                "--lease-name",
                LEASE_NAME,
                "--lease-namespace",
                LEASE_NAMESPACE,
            ])
            .args(["--lease-duration-seconds", &LEASE_SECS.to_string()])
            .args(["--instance", self.name])
            .spawn()?;
        self.logs.push((label.clone(), log_path));
        self.live = Some(Incarnation {
            child,
            label,
            metrics_addr,
        });
        Ok(())
    }

    /// SIGKILL: nothing released, the Lease is left to expire.
    pub async fn kill(&mut self) {
        if let Some(mut live) = self.live.take() {
            let _ = live.child.kill().await;
        }
    }

    pub fn sample(&self, at_ms: i64) -> Option<ResourceSample> {
        let live = self.live.as_ref()?;
        let pid = live.child.id()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let rss_kib = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())?;
        let open_fds = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count() as u64;
        Some(ResourceSample {
            at_ms,
            process: live.label.clone(),
            rss_kib,
            open_fds,
        })
    }

    /// /metrics of the live incarnation, as a text to check.
    pub async fn scrape_metrics(&self) -> Option<EmittedText> {
        let live = self.live.as_ref()?;
        let text = reqwest::get(format!("http://{}/metrics", live.metrics_addr))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        Some(EmittedText {
            source: format!("metrics {}", live.label),
            text,
        })
    }

    /// Every incarnation's log.
    pub fn logs(&self) -> Vec<EmittedText> {
        self.logs
            .iter()
            .map(|(label, path)| EmittedText {
                source: format!("log {label}"),
                text: read(path),
            })
            .collect()
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The replica holding the Lease now, if any.
pub async fn leader(admin: &kube::Client) -> Option<String> {
    let leases: Api<Lease> = Api::namespaced(admin.clone(), LEASE_NAMESPACE);
    leases
        .get_opt(LEASE_NAME)
        .await
        .ok()??
        .spec?
        .holder_identity
}
