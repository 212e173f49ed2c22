//! One soak from start to verdict: its own control plane (an apiserver
//! restart must not hit anyone else), the emulator with the documented
//! quotas and two accounts, two replicas, the recorder, the seeded workload
//! and faults, a quiet period, then the checker.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::sync::Mutex;

use super::checker::{self, Violation};
use super::cut_proxy::{self, CutProxy};
use super::fault_driver::FaultDriver;
use super::plan::{CREDENTIALS_B_SECRET, NAMESPACES, SoakPlan};
use super::plant::{self, Plant};
use super::recorder::{Recorder, now_ms};
use super::recording::{Bounds, CloudExecution, EmittedText, KnownSecret, Recording};
use super::replicas::{REPLICAS, Replica, ReplicaSettings, RrsaSettings};
use super::workload::{FLOW_SLOWPOKE, Workload, waiting_definition};
use crate::devcluster::DevCluster;
use crate::e2e::{FLOW_FAILING, FLOW_QUICK};
use crate::sandbox::{SANDBOX_ACCESS_KEY_ID, SANDBOX_ACCESS_KEY_SECRET};
use fnf_emulator::{Account, EmulatorConfig, ExecutionMode, RunningEmulator};

/// Credential set B: a second account, used through a Secret.
pub const SET_B_KEY_ID: &str = "LTAI5tSoakSetB0002";
pub const SET_B_KEY_SECRET: &str = "soak-set-b-secret-never-logged";
/// The projected service-account token the replicas trade for STS
/// credentials (set A, the operator's own, by RRSA).
pub const OIDC_TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.soak-operator-sa-token.c2lnbmF0dXJl";
/// Issued STS credentials live this long: STS's documented minimum, as a user
/// would see it. The client refreshes what has 180 s or less left (every 12
/// minutes here), and renews at once what the service refuses as expired, which
/// is what an STS expiry fault tests.
pub const STS_LIFETIME_SECS: u64 = fnf_client::rrsa::MIN_SESSION_DURATION_SECS as u64;
/// How long a sweep round takes at most at the soak's size (bound of invariant 2).
pub const SWEEP_ROUND_SECS: i64 = 15;

#[derive(Clone, Debug)]
pub struct SoakSettings {
    pub seed: u64,
    /// Workload and faults run this long; then the quiet period.
    pub active: Duration,
    /// The operators' long-poll.
    pub wait_secs: u32,
    pub operator_binary: PathBuf,
    /// Without faults (the planted-violation tests want a calm stack).
    pub faults: bool,
    pub plants: Vec<Plant>,
}

#[derive(Debug)]
pub struct SoakReport {
    pub seed: u64,
    pub faults_by_kind: BTreeMap<String, u32>,
    pub calls_by_action: BTreeMap<String, BTreeMap<String, u64>>,
    pub executions_created: usize,
    pub objects: usize,
    pub versions_recorded: usize,
    pub ends_in_cloud: usize,
    pub coverage: checker::Coverage,
    /// Per replica incarnation: samples, peak RSS (KiB), peak open descriptors.
    pub resource_peaks: BTreeMap<String, (usize, u64, u64)>,
    pub workload_steps: usize,
    pub workload_errors: usize,
    pub bounds: Bounds,
    pub violations: Vec<Violation>,
    pub wall_secs: f64,
}

impl SoakSettings {
    pub fn bounds(&self) -> Bounds {
        Bounds::for_settings(
            i64::from(self.wait_secs),
            SWEEP_ROUND_SECS,
            super::replicas::LEASE_SECS as i64,
        )
    }
}

async fn start_emulator() -> anyhow::Result<RunningEmulator> {
    let emulator = fnf_emulator::start(EmulatorConfig {
        accounts: vec![
            Account::new(SANDBOX_ACCESS_KEY_ID, SANDBOX_ACCESS_KEY_SECRET),
            Account::new(SET_B_KEY_ID, SET_B_KEY_SECRET),
        ],
        oidc_tokens: vec![OIDC_TOKEN.to_string()],
        sts_duration_secs: Some(STS_LIFETIME_SECS),
        ..EmulatorConfig::default()
    })
    .await?;
    for (name, definition) in [
        ("quick", FLOW_QUICK.to_string()),
        ("failing", FLOW_FAILING.to_string()),
        ("waiting", waiting_definition("waiting", 8)),
        ("long", waiting_definition("long", 40)),
        ("slowpoke", FLOW_SLOWPOKE.to_string()),
    ] {
        emulator.create_flow(name, &definition, ExecutionMode::Standard)?;
    }
    Ok(emulator)
}

async fn prepare_cluster(cluster: &DevCluster) -> anyhow::Result<()> {
    crate::install_operator_crds(cluster).await?;
    for ns in NAMESPACES {
        cluster.kubectl(["create", "namespace", ns]).await?;
        cluster
            .kubectl([
                "create",
                "secret",
                "generic",
                CREDENTIALS_B_SECRET,
                "-n",
                ns,
                &format!("--from-literal=accessKeyId={SET_B_KEY_ID}"),
                &format!("--from-literal=accessKeySecret={SET_B_KEY_SECRET}"),
            ])
            .await?;
    }
    Ok(())
}

fn cloud_executions(emulator: &RunningEmulator) -> Vec<CloudExecution> {
    emulator
        .all_executions()
        .into_iter()
        .map(|e| {
            let s = e.snapshot;
            let stopped_at_ms = s
                .stopped_time
                .parse::<jiff::Timestamp>()
                .ok()
                .map(|t| t.as_millisecond());
            let (error, cause) = e
                .error_and_cause
                .map_or((None, None), |(e, c)| (Some(e), Some(c)));
            CloudExecution {
                flow: s.flow_name,
                name: s.name,
                status: s.status,
                output: s.output,
                started_time: s.started_time,
                stopped_time: s.stopped_time,
                stopped_at_ms,
                error,
                cause,
            }
        })
        .collect()
}

/// Every secret value of the soak: the static keys, the OIDC token and every
/// STS credential the stand-in issued.
fn known_secrets(emulator: &RunningEmulator) -> Vec<KnownSecret> {
    let known = |label: &str, value: &str| KnownSecret {
        label: label.to_string(),
        value: value.to_string(),
    };
    let mut secrets = vec![
        known("the sandbox AccessKey secret", SANDBOX_ACCESS_KEY_SECRET),
        known("credential set B's AccessKey secret", SET_B_KEY_SECRET),
        known("the OIDC token of RRSA", OIDC_TOKEN),
    ];
    for sts in emulator.sts_credentials() {
        let id = &sts.access_key_id;
        secrets.push(known(
            &format!("the AccessKeySecret of STS credential {id}"),
            &sts.access_key_secret,
        ));
        secrets.push(known(
            &format!("the SecurityToken of STS credential {id}"),
            &sts.security_token,
        ));
    }
    secrets
}

pub async fn run(settings: &SoakSettings) -> anyhow::Result<SoakReport> {
    fnf_client::install_crypto_provider();
    let wall = Instant::now();
    let plan = SoakPlan::new(settings.seed, settings.active.as_millis() as u64);
    eprintln!("{plan}");
    let cluster = DevCluster::start().await.context("control plane")?;
    prepare_cluster(&cluster).await?;
    let admin = cluster.admin_client().await?;
    let emulator = start_emulator().await?;
    let recorder = Recorder::default();
    let watches = recorder.start(&admin);
    let log_dir = tempfile::tempdir()?;
    let apiserver = cluster.apiserver_url();
    let proxy =
        CutProxy::start(cut_proxy::socket_addr_of(&apiserver).context("the apiserver's address")?)
            .await?;
    let token_file = log_dir.path().join("rrsa-token");
    std::fs::write(&token_file, format!("{OIDC_TOKEN}\n"))?;
    let replica_settings = ReplicaSettings {
        binary: settings.operator_binary.clone(),
        kubeconfig: proxy.kubeconfig(cluster.kubeconfig_path(), &apiserver, log_dir.path())?,
        endpoint: emulator.endpoint(),
        rrsa: Some(RrsaSettings {
            token_file,
            sts_endpoint: emulator.endpoint(),
        }),
        namespaces: NAMESPACES.iter().map(|s| s.to_string()).collect(),
        wait_secs: settings.wait_secs,
        log_dir: log_dir.path().to_path_buf(),
    };
    let replicas = Arc::new(Mutex::new(
        REPLICAS.iter().map(|n| Replica::new(n)).collect::<Vec<_>>(),
    ));
    let driver = FaultDriver {
        emulator: &emulator,
        cluster: &cluster,
        proxy: &proxy,
        admin: admin.clone(),
        replicas: replicas.clone(),
        settings: replica_settings,
    };
    driver.respawn_dead().await;
    let samples = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sampler = {
        let (replicas, samples) = (replicas.clone(), samples.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(2)).await;
                let taken: Vec<_> = replicas
                    .lock()
                    .await
                    .iter()
                    .filter_map(|r| r.sample(now_ms()))
                    .collect();
                samples
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(taken);
            }
        })
    };

    let began = Instant::now();
    let began_ms = now_ms();
    let workload = Workload::new(admin.clone());
    let steps = async {
        let mut errors = 0;
        for step in &plan.steps {
            tokio::time::sleep_until((began + Duration::from_millis(step.at_ms)).into()).await;
            if workload.apply(&step.action).await.is_err() {
                errors += 1;
            }
        }
        errors
    };
    let no_faults = Vec::new();
    let schedule = if settings.faults {
        &plan.faults
    } else {
        &no_faults
    };
    let plants = plant::run_all(
        &settings.plants,
        &emulator,
        &admin,
        &recorder,
        began + settings.active / 2,
    );
    let (workload_errors, windows, ()) = tokio::join!(steps, driver.run(schedule, began), plants);

    // Quiet: no faults, both replicas up, then the bound and some slack.
    emulator.clear_faults();
    driver.respawn_dead().await;
    let bounds = settings.bounds();
    let quiet = Duration::from_millis(bounds.end_shown_within_ms as u64) + Duration::from_secs(10);
    eprintln!("soak: quiet for {:.0} s", quiet.as_secs_f64());
    tokio::time::sleep(quiet).await;

    let mut texts: Vec<EmittedText> = Vec::new();
    for replica in replicas.lock().await.iter() {
        texts.extend(replica.scrape_metrics().await);
    }
    if let Ok(out) = cluster.kubectl(["get", "events", "-A", "-o", "json"]).await {
        texts.push(EmittedText {
            source: "events".into(),
            text: String::from_utf8_lossy(&out.stdout).into_owned(),
        });
    }
    sampler.abort();
    for replica in replicas.lock().await.iter_mut() {
        replica.kill().await;
        texts.extend(replica.logs());
    }
    watches.iter().for_each(|w| w.abort());
    // For a failure's post-mortem: the replicas' logs outlive the run.
    if std::env::var_os("FNF_SOAK_KEEP_LOGS").is_some() {
        eprintln!("replica logs kept in {}", log_dir.keep().display());
    }
    let recording = Recording {
        calls: emulator.call_log(),
        created: emulator.created_log(),
        executions: cloud_executions(&emulator),
        versions: recorder.versions(),
        texts,
        faults: windows,
        samples: samples.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        began_ms,
        ended_ms: now_ms(),
    };
    let secrets = known_secrets(&emulator);
    let violations = checker::check(&recording, &secrets, &bounds);
    let coverage = checker::coverage(&recording, &bounds);
    let report = SoakReport {
        seed: settings.seed,
        faults_by_kind: recording.faults.iter().fold(BTreeMap::new(), |mut m, w| {
            *m.entry(w.kind.clone()).or_insert(0) += 1;
            m
        }),
        calls_by_action: emulator.counters().calls,
        executions_created: recording.created.len(),
        objects: recording
            .versions
            .iter()
            .map(|v| (v.kind.clone(), v.uid.clone()))
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        versions_recorded: recording.versions.len(),
        resource_peaks: recording.samples.iter().fold(BTreeMap::new(), |mut m, s| {
            let peak = m.entry(s.process.clone()).or_insert((0, 0, 0));
            *peak = (peak.0 + 1, peak.1.max(s.rss_kib), peak.2.max(s.open_fds));
            m
        }),
        coverage,
        ends_in_cloud: recording
            .executions
            .iter()
            .filter(|e| e.is_terminal())
            .count(),
        workload_steps: plan.steps.len(),
        workload_errors,
        bounds,
        violations,
        wall_secs: 0.0,
    };
    emulator.shutdown().await;
    cluster.shutdown().await?;
    Ok(SoakReport {
        wall_secs: wall.elapsed().as_secs_f64(),
        ..report
    })
}

impl std::fmt::Display for SoakReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "SOAK seed {} in {:.0} s: {} workload steps ({} refused), {} objects, {} executions created",
            self.seed,
            self.wall_secs,
            self.workload_steps,
            self.workload_errors,
            self.objects,
            self.executions_created
        )?;
        writeln!(
            f,
            "object versions recorded: {}, executions ended in the cloud: {}",
            self.versions_recorded, self.ends_in_cloud
        )?;
        writeln!(
            f,
            "judged: {} starts (invariant 1), {} ends ({} not judged: not current when they ended, object going away, or deadline after the end) (invariant 2), {} versions (invariant 3)",
            self.coverage.starts,
            self.coverage.ends_judged,
            self.coverage.ends_not_judged,
            self.coverage.versions
        )?;
        writeln!(f, "faults by kind: {:?}", self.faults_by_kind)?;
        for (process, (samples, rss_kib, fds)) in &self.resource_peaks {
            writeln!(
                f,
                "{process}: {samples} samples, peak RSS {} MiB, peak open descriptors {fds}",
                rss_kib / 1024
            )?;
        }
        for (action, codes) in &self.calls_by_action {
            writeln!(f, "calls {action}: {codes:?}")?;
        }
        writeln!(
            f,
            "invariant 2 bound: {} s after the end or the last fault's clearing",
            self.bounds.end_shown_within_ms / 1000
        )?;
        writeln!(f, "violations: {}", self.violations.len())?;
        for v in &self.violations {
            writeln!(f, "{v}")?;
        }
        Ok(())
    }
}
