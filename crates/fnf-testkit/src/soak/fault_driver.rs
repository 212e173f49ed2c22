//! Puts the plan's faults into effect at their times and records each as it
//! happened (from, cleared), so the checker's bounds start at the real clear.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::cut_proxy::CutProxy;
use super::plan::{FaultKind, PlannedFault};
use super::recorder::now_ms;
use super::recording::FaultWindow;
use super::replicas::{self, Replica, ReplicaSettings};
use crate::devcluster::DevCluster;
use fnf_emulator::{Fault, RunningEmulator};

/// Beyond the service's documented 15-minute tolerance: every signed call fails.
const SKEW_SECS: i64 = 30 * 60;
/// STS expiry: how often the issued credentials are expired again, and the
/// share of exchanges the STS stand-in refuses meanwhile (so the operator
/// also runs on cached credentials the service already calls expired).
const STS_EXPIRE_EVERY: Duration = Duration::from_secs(2);
const STS_REFUSED_RATE: f64 = 0.6;
/// Watch drop: how many times the proxy cuts every connection in the window.
const WATCH_DROP_CUTS: u32 = 3;

pub struct FaultDriver<'a> {
    pub emulator: &'a RunningEmulator,
    pub cluster: &'a DevCluster,
    /// The replicas reach the apiserver through it.
    pub proxy: &'a CutProxy,
    pub admin: kube::Client,
    pub replicas: Arc<Mutex<Vec<Replica>>>,
    pub settings: ReplicaSettings,
}

fn cloud_faults(kind: FaultKind) -> Vec<Fault> {
    let some = |a: &str| Some(a.to_string());
    match kind {
        FaultKind::Cloud5xxBurst => vec![
            Fault::ErrorRate {
                action: None,
                code: "ServiceUnavailable".into(),
                rate: 0.3,
            },
            Fault::ErrorRate {
                action: None,
                code: "InternalServerError".into(),
                rate: 0.2,
            },
        ],
        FaultKind::ThrottleStorm => vec![Fault::ErrorRate {
            action: None,
            code: "ResourceThrottled".into(),
            rate: 0.6,
        }],
        FaultKind::Latency => vec![Fault::Latency {
            min: Duration::from_millis(200),
            max: Duration::from_millis(3000),
        }],
        FaultKind::DroppedConnections => vec![Fault::DropConnections {
            action: None,
            rate: 0.3,
        }],
        FaultKind::DropOnStart => vec![
            Fault::DropConnections {
                action: some("StartExecution"),
                rate: 0.4,
            },
            Fault::DropAnswers {
                action: some("StartExecution"),
                rate: 0.6,
            },
        ],
        FaultKind::DropOnStop => vec![
            Fault::DropConnections {
                action: some("StopExecution"),
                rate: 0.4,
            },
            Fault::DropAnswers {
                action: some("StopExecution"),
                rate: 0.6,
            },
        ],
        FaultKind::CloudPause => vec![Fault::Pause],
        FaultKind::ClockSkew => vec![Fault::ClockSkew { secs: SKEW_SECS }],
        FaultKind::StsExpiry => vec![Fault::ErrorRate {
            action: some("AssumeRoleWithOIDC"),
            code: "ServiceUnavailable".into(),
            rate: STS_REFUSED_RATE,
        }],
        FaultKind::ApiserverRestart
        | FaultKind::WatchDrop
        | FaultKind::KillLeader
        | FaultKind::KillFollower
        | FaultKind::KillBoth => Vec::new(),
    }
}

impl FaultDriver<'_> {
    /// Runs the schedule from `began`; returns what happened.
    pub async fn run(&self, faults: &[PlannedFault], began: Instant) -> Vec<FaultWindow> {
        let mut windows = Vec::new();
        for planned in faults {
            tokio::time::sleep_until((began + Duration::from_millis(planned.at_ms)).into()).await;
            let from_ms = now_ms();
            let detail = self.apply(planned).await;
            eprintln!(
                "soak: fault {} ({detail}) t+{:.1}s",
                planned.kind.name(),
                began.elapsed().as_secs_f64()
            );
            windows.push(FaultWindow {
                kind: planned.kind.name().to_string(),
                detail,
                from_ms,
                to_ms: now_ms(),
            });
        }
        windows
    }

    async fn apply(&self, planned: &PlannedFault) -> String {
        let hold = Duration::from_millis(planned.hold_ms);
        let cloud = cloud_faults(planned.kind);
        if !cloud.is_empty() {
            let detail = format!("{cloud:?}");
            cloud.into_iter().for_each(|f| self.emulator.inject(f));
            let during = if planned.kind == FaultKind::StsExpiry {
                let expired = self.expire_sts_during(hold).await;
                format!(", issued credentials expired early {expired:?}")
            } else {
                tokio::time::sleep(hold).await;
                String::new()
            };
            self.emulator.clear_faults();
            return format!("{detail}{during}");
        }
        if planned.kind == FaultKind::WatchDrop {
            let mut cut = Vec::new();
            for _ in 0..WATCH_DROP_CUTS {
                cut.push(self.proxy.cut_all());
                tokio::time::sleep(hold / WATCH_DROP_CUTS).await;
            }
            return format!("apiserver kept running; connections cut {cut:?}");
        }
        if planned.kind == FaultKind::ApiserverRestart {
            return match self.cluster.restart_apiserver().await {
                Ok(()) => "restarted".to_string(),
                Err(e) => format!("restart failed: {e}"),
            };
        }
        let leader = replicas::leader(&self.admin).await;
        let victims: Vec<usize> = {
            let replicas = self.replicas.lock().await;
            let leader_index = replicas
                .iter()
                .position(|r| Some(r.name) == leader.as_deref())
                .unwrap_or(0);
            match planned.kind {
                FaultKind::KillLeader => vec![leader_index],
                FaultKind::KillFollower => vec![1 - leader_index],
                _ => vec![0, 1],
            }
        };
        for &i in &victims {
            self.replicas.lock().await[i].kill().await;
        }
        tokio::time::sleep(hold).await;
        self.respawn_dead().await;
        format!(
            "leader was {}, killed {victims:?}",
            leader.unwrap_or_else(|| "unknown".into())
        )
    }

    /// Expires every STS credential issued so far, again and again for
    /// `hold`; returns how many each round expired.
    async fn expire_sts_during(&self, hold: Duration) -> Vec<usize> {
        let until = Instant::now() + hold;
        let mut expired = Vec::new();
        while Instant::now() < until {
            expired.push(self.emulator.expire_sts_credentials());
            tokio::time::sleep(
                STS_EXPIRE_EVERY.min(until.saturating_duration_since(Instant::now())),
            )
            .await;
        }
        expired
    }

    /// Starts every replica that is not running.
    pub async fn respawn_dead(&self) {
        let mut replicas = self.replicas.lock().await;
        for replica in replicas.iter_mut().filter(|r| !r.is_live()) {
            if let Err(e) = replica.spawn(&self.settings) {
                eprintln!("soak: cannot respawn {}: {e}", replica.name);
            }
        }
    }
}
