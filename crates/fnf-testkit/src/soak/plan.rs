//! The seeded part of a soak: the workload and the fault schedule, drawn up
//! front from the seed alone (same seed, same duration: same plan), so a
//! failing seed replays and turns into a regression test. Pure.

use std::fmt;

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

/// Namespaces the workload spreads over.
pub const NAMESPACES: [&str; 3] = ["soak-a", "soak-b", "soak-c"];
/// The cloud flows a FlowExecution may name (loaded into the emulator).
pub const FLOWS: [&str; 5] = ["quick", "failing", "waiting", "long", "slowpoke"];
/// The Secret holding credential set B in every namespace.
pub const CREDENTIALS_B_SECRET: &str = "soak-creds-b";

/// One change the workload makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WorkloadAction {
    Create {
        namespace: &'static str,
        name: String,
        flow: &'static str,
        input: u32,
        /// Credential set B (a Secret) instead of the operator's default (A).
        set_b: bool,
        /// `retry` on Failed and TimedOut, twice.
        retry: bool,
        /// `whileRunning: Replace` instead of `Wait`.
        replace: bool,
    },
    EditInput {
        namespace: &'static str,
        name: String,
        input: u32,
    },
    EditRunKey {
        namespace: &'static str,
        name: String,
        key: u32,
    },
    Stop {
        namespace: &'static str,
        name: String,
    },
    Suspend {
        namespace: &'static str,
        name: String,
        suspend: bool,
    },
    Delete {
        namespace: &'static str,
        name: String,
    },
    CreateCron {
        namespace: &'static str,
        name: String,
        flow: &'static str,
    },
    DeleteCron {
        namespace: &'static str,
        name: String,
    },
    /// A Flow object (the operator creates and updates its cloud flow).
    ApplyFlow {
        namespace: &'static str,
        name: String,
        wait_secs: u32,
    },
    DeleteFlow {
        namespace: &'static str,
        name: String,
    },
}

/// The catalogue of faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FaultKind {
    Cloud5xxBurst,
    ThrottleStorm,
    Latency,
    DroppedConnections,
    DropOnStart,
    DropOnStop,
    CloudPause,
    ClockSkew,
    StsExpiry,
    ApiserverRestart,
    WatchDrop,
    KillLeader,
    KillFollower,
    KillBoth,
}

impl FaultKind {
    pub const ALL: [FaultKind; 14] = [
        FaultKind::Cloud5xxBurst,
        FaultKind::ThrottleStorm,
        FaultKind::Latency,
        FaultKind::DroppedConnections,
        FaultKind::DropOnStart,
        FaultKind::DropOnStop,
        FaultKind::CloudPause,
        FaultKind::ClockSkew,
        FaultKind::StsExpiry,
        FaultKind::ApiserverRestart,
        FaultKind::WatchDrop,
        FaultKind::KillLeader,
        FaultKind::KillFollower,
        FaultKind::KillBoth,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Cloud5xxBurst => "cloud-5xx-burst",
            FaultKind::ThrottleStorm => "429-storm",
            FaultKind::Latency => "latency",
            FaultKind::DroppedConnections => "dropped-connections",
            FaultKind::DropOnStart => "drop-on-StartExecution",
            FaultKind::DropOnStop => "drop-on-StopExecution",
            FaultKind::CloudPause => "cloud-pause",
            FaultKind::ClockSkew => "clock-skew",
            FaultKind::StsExpiry => "sts-expiry",
            FaultKind::ApiserverRestart => "apiserver-restart+watch-drop",
            FaultKind::WatchDrop => "watch-drop",
            FaultKind::KillLeader => "sigkill-leader",
            FaultKind::KillFollower => "sigkill-follower",
            FaultKind::KillBoth => "sigkill-both",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedStep {
    pub at_ms: u64,
    pub action: WorkloadAction,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedFault {
    pub at_ms: u64,
    /// How long it holds (a killed process: how long it stays dead).
    pub hold_ms: u64,
    pub kind: FaultKind,
}

/// A whole soak's plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SoakPlan {
    pub seed: u64,
    pub active_ms: u64,
    pub steps: Vec<PlannedStep>,
    pub faults: Vec<PlannedFault>,
}

/// Plans shorter than this pace their faults faster.
const SHORT_PLAN_MS: u64 = 240_000;
/// Plans shorter than this (and not short) pace them a little faster, so
/// five minutes still hold every kind.
const MEDIUM_PLAN_MS: u64 = 600_000;

/// What exists at a point of the plan, so that edits name live objects.
#[derive(Default)]
struct Live {
    runs: Vec<(&'static str, String)>,
    crons: Vec<(&'static str, String)>,
    flows: Vec<(&'static str, String)>,
}

fn pick<T: Clone>(rng: &mut StdRng, from: &[T]) -> Option<T> {
    (!from.is_empty()).then(|| from[rng.random_range(0..from.len())].clone())
}

fn take(
    rng: &mut StdRng,
    from: &mut Vec<(&'static str, String)>,
) -> Option<(&'static str, String)> {
    (!from.is_empty()).then(|| from.swap_remove(rng.random_range(0..from.len())))
}

fn next_action(rng: &mut StdRng, live: &mut Live, serial: &mut u32) -> Option<WorkloadAction> {
    *serial += 1;
    let roll = rng.random_range(0..100);
    let namespace = NAMESPACES[rng.random_range(0..NAMESPACES.len())];
    let action = match roll {
        0..40 => {
            let name = format!("run{serial}");
            live.runs.push((namespace, name.clone()));
            WorkloadAction::Create {
                namespace,
                name,
                flow: FLOWS[rng.random_range(0..FLOWS.len())],
                input: rng.random_range(0..1000),
                set_b: rng.random_bool(0.4),
                retry: rng.random_bool(0.4),
                replace: rng.random_bool(0.3),
            }
        }
        40..52 => {
            let (namespace, name) = pick(rng, &live.runs)?;
            WorkloadAction::EditInput {
                namespace,
                name,
                input: rng.random_range(0..1000),
            }
        }
        52..60 => {
            let (namespace, name) = pick(rng, &live.runs)?;
            WorkloadAction::EditRunKey {
                namespace,
                name,
                key: rng.random_range(0..1000),
            }
        }
        60..66 => {
            let (namespace, name) = pick(rng, &live.runs)?;
            WorkloadAction::Stop { namespace, name }
        }
        66..72 => {
            let (namespace, name) = pick(rng, &live.runs)?;
            WorkloadAction::Suspend {
                namespace,
                name,
                suspend: rng.random_bool(0.5),
            }
        }
        72..84 => {
            let (namespace, name) = take(rng, &mut live.runs)?;
            WorkloadAction::Delete { namespace, name }
        }
        84..89 if live.crons.len() < 3 => {
            let name = format!("cron{serial}");
            live.crons.push((namespace, name.clone()));
            WorkloadAction::CreateCron {
                namespace,
                name,
                flow: FLOWS[rng.random_range(0..2)],
            }
        }
        84..89 => {
            let (namespace, name) = take(rng, &mut live.crons)?;
            WorkloadAction::DeleteCron { namespace, name }
        }
        89..96 => {
            let (namespace, name) = match pick(rng, &live.flows) {
                Some(existing) if rng.random_bool(0.5) => existing,
                _ => {
                    let name = format!("flow{serial}");
                    live.flows.push((namespace, name.clone()));
                    (namespace, name)
                }
            };
            WorkloadAction::ApplyFlow {
                namespace,
                name,
                wait_secs: rng.random_range(1..4),
            }
        }
        _ => {
            let (namespace, name) = take(rng, &mut live.flows)?;
            WorkloadAction::DeleteFlow { namespace, name }
        }
    };
    Some(action)
}

impl SoakPlan {
    /// Workload steps every 0.5–2.5 s over `active_ms`; faults from 10 s on,
    /// one at a time (5–20 s each, 5–15 s apart; under 10 minutes, 4–12 s
    /// each, 4–10 s apart; under 4 minutes, 3–8 s each, 3–6 s apart, so a
    /// short soak still holds most kinds), every
    /// kind of the catalogue before any repeats (a shuffled round-robin).
    pub fn new(seed: u64, active_ms: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut live = Live::default();
        let mut serial = 0;
        let mut steps = Vec::new();
        let mut at_ms = 500;
        while at_ms < active_ms {
            if let Some(action) = next_action(&mut rng, &mut live, &mut serial) {
                steps.push(PlannedStep { at_ms, action });
            }
            at_ms += rng.random_range(500..2500);
        }
        let mut faults = Vec::new();
        let mut kinds: Vec<FaultKind> = Vec::new();
        let (holds, gaps) = if active_ms < SHORT_PLAN_MS {
            (3_000..8_000, 3_000..6_000)
        } else if active_ms < MEDIUM_PLAN_MS {
            (4_000..12_000, 4_000..10_000)
        } else {
            (5_000..20_000, 5_000..15_000)
        };
        let mut at_ms = 10_000;
        loop {
            let hold_ms = rng.random_range(holds.clone());
            if at_ms + hold_ms > active_ms {
                break;
            }
            if kinds.is_empty() {
                kinds = FaultKind::ALL.to_vec();
                kinds.shuffle(&mut rng);
            }
            let kind = kinds.pop().unwrap_or(FaultKind::Latency);
            faults.push(PlannedFault {
                at_ms,
                hold_ms,
                kind,
            });
            at_ms += hold_ms + rng.random_range(gaps.clone());
        }
        Self {
            seed,
            active_ms,
            steps,
            faults,
        }
    }
}

impl fmt::Display for SoakPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "soak plan: seed {} active {} s, {} steps, {} faults",
            self.seed,
            self.active_ms / 1000,
            self.steps.len(),
            self.faults.len()
        )?;
        for fault in &self.faults {
            writeln!(
                f,
                "  fault t+{:>6.1}s {:<30} for {:.1}s",
                fault.at_ms as f64 / 1000.0,
                fault.kind.name(),
                fault.hold_ms as f64 / 1000.0
            )?;
        }
        for step in &self.steps {
            writeln!(
                f,
                "  step  t+{:>6.1}s {:?}",
                step.at_ms as f64 / 1000.0,
                step.action
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_plan_and_another_seed_another() {
        let a = SoakPlan::new(7, 300_000);
        assert_eq!(a, SoakPlan::new(7, 300_000));
        assert_ne!(a, SoakPlan::new(8, 300_000));
    }

    #[test]
    fn five_minutes_hold_every_fault_kind_one_at_a_time() {
        let plan = SoakPlan::new(1, 300_000);
        for kind in FaultKind::ALL {
            assert!(
                plan.faults.iter().any(|f| f.kind == kind),
                "{kind:?} missing:\n{plan}"
            );
        }
        for pair in plan.faults.windows(2) {
            assert!(pair[0].at_ms + pair[0].hold_ms < pair[1].at_ms);
        }
        assert!(plan.faults.iter().all(|f| f.at_ms + f.hold_ms <= 300_000));
    }

    #[test]
    fn half_an_hour_holds_every_kind_several_times() {
        let plan = SoakPlan::new(11, 1_800_000);
        for kind in FaultKind::ALL {
            let times = plan.faults.iter().filter(|f| f.kind == kind).count();
            assert!(times >= 4, "{kind:?} {times} times:\n{plan}");
        }
    }

    #[test]
    fn a_ninety_second_plan_still_holds_most_kinds() {
        let plan = SoakPlan::new(21, 90_000);
        let kinds: std::collections::BTreeSet<_> = plan.faults.iter().map(|f| f.kind).collect();
        assert!(kinds.len() >= 6, "{plan}");
    }
}
