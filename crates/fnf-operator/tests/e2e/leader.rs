//! Two operator replicas with leader election: only the Lease holder acts; when
//! it is SIGKILLed (so it never releases the Lease), the other takes over within
//! the lease time, and nothing starts twice.

use std::time::{Duration, Instant};

use fnf_operator::LeaderElection;
use fnf_operator::election::{Elector, Outcome, Plan, Timing};
use fnf_testkit::e2e::*;
use fnf_testkit::sandbox::{self, OperatorTask};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::Api;

const LEASE_SECS: u64 = 6;

fn replica(env: &Env, lease_ns: &str, name: &str) -> OperatorTask {
    replica_on(env, lease_ns, "fnf-operator", name)
}

fn replica_on(env: &Env, lease_ns: &str, lease: &str, name: &str) -> OperatorTask {
    let mut config =
        sandbox::operator_config(&env.emulator.endpoint(), vec![env.namespace.clone()], 60)
            .unwrap();
    config.instance = name.into();
    config.leader_election = Some(LeaderElection {
        lease_name: lease.into(),
        lease_namespace: lease_ns.into(),
        lease_duration_secs: LEASE_SECS,
    });
    OperatorTask::start(env.admin.clone(), config)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standby_takes_over_when_the_leader_dies_and_nothing_starts_twice() {
    let env = Env::new("e2e-leader").await;
    let lease_ns = env.cluster.create_namespace("fnf-lease").await.unwrap();
    // Replica A is the real binary, so it can be SIGKILLed.
    let mut a = tokio::process::Command::new(env!("CARGO_BIN_EXE_fnf-operator"))
        .args([
            "run",
            "--endpoint",
            &env.emulator.endpoint(),
            "--namespaces",
            &env.namespace,
        ])
        .args([
            "--metrics-addr",
            "127.0.0.1:0",
            "--leader-election",
            "true",
            "--instance",
            "replica-a",
        ])
        .args([
            "--lease-namespace",
            &lease_ns,
            "--lease-duration-seconds",
            &LEASE_SECS.to_string(),
        ])
        .env("KUBECONFIG", env.cluster.kubeconfig_path())
        .envs(sandbox::sandbox_credentials_env())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let leases: Api<Lease> = Api::namespaced(env.admin.clone(), &lease_ns);
    let holder = || async {
        leases
            .get_opt("fnf-operator")
            .await
            .unwrap()
            .and_then(|l| l.spec)
            .and_then(|s| s.holder_identity)
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while holder().await.as_deref() != Some("replica-a") {
        assert!(Instant::now() < deadline, "replica-a never led");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let b = replica(&env, &lease_ns, "replica-b");

    env.create("ha", serde_json::json!({"flowName": "long"}))
        .await;
    env.wait_for("ha", Duration::from_secs(30), |fe| {
        phase(fe) == Some("Running")
    })
    .await;
    assert!(!b.metrics.is_leader(), "only one replica leads");
    assert!(
        b.metrics
            .render()
            .contains("fnf_operator_reconciles_total 0"),
        "the standby does nothing"
    );

    // The leader dies without releasing the Lease.
    a.start_kill().unwrap(); // SIGKILL
    a.wait().await.unwrap();
    let killed = Instant::now();
    while !b.metrics.is_leader() {
        assert!(
            killed.elapsed() < Duration::from_secs(LEASE_SECS * 4),
            "replica-b never took over"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let takeover = killed.elapsed();
    eprintln!(
        "takeover after {:.1}s (lease {LEASE_SECS}s)",
        takeover.as_secs_f64()
    );

    env.patch_spec("ha", serde_json::json!({"stop": true}))
        .await
        .unwrap();
    let fe = env.wait_for("ha", Duration::from_secs(30), completed).await;
    assert_eq!(phase(&fe), Some("Stopped"));
    assert_eq!(
        env.emulator
            .counters()
            .executions_created("long", &fe.status.unwrap().execution_name.unwrap()),
        1
    );
    b.stop().await.unwrap();
}

/// Two replicas start at once on a Lease left by a dead process: one named
/// like the restarted replica (it renews at once), one named like neither
/// (both wait out its duration, then race). Sampled every 10 ms, never do
/// both lead, and one does. (kube-lease-manager let the restarted holder
/// lead without writing while the other took the expired Lease: the CI
/// soak saw statuses flip between their two views for seconds.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_racing_for_a_dead_holders_lease_never_lead_at_once() {
    let env = Env::new("e2e-lease-race").await;
    let lease_ns = env.cluster.create_namespace("fnf-lease").await.unwrap();
    let leases: Api<Lease> = Api::namespaced(env.admin.clone(), &lease_ns);
    for (lease, dead_holder) in [("race-own", "replica-b"), ("race-gone", "replica-gone")] {
        let an_hour_ago = Timestamp::now() - SignedDuration::from_hours(1);
        let left: Lease = serde_json::from_value(serde_json::json!({
            "metadata": {"name": lease},
            "spec": {
                "holderIdentity": dead_holder,
                "leaseDurationSeconds": LEASE_SECS,
                "renewTime": MicroTime(an_hour_ago),
            },
        }))
        .unwrap();
        leases.create(&Default::default(), &left).await.unwrap();
        let a = replica_on(&env, &lease_ns, lease, "replica-a");
        let b = replica_on(&env, &lease_ns, lease, "replica-b");
        let began = Instant::now();
        let mut led = None;
        while began.elapsed() < Duration::from_secs(LEASE_SECS * 2 + 2) {
            let leading = (a.metrics.is_leader(), b.metrics.is_leader());
            assert!(
                leading != (true, true),
                "{lease}: both replicas led at once after {:?}",
                began.elapsed()
            );
            if leading.0 || leading.1 {
                led.get_or_insert(began.elapsed());
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let holder = leases
            .get(lease)
            .await
            .unwrap()
            .spec
            .unwrap()
            .holder_identity;
        eprintln!("{lease}: {holder:?} led after {led:?}");
        assert!(led.is_some(), "{lease}: nobody led");
        if dead_holder == "replica-b" {
            assert_eq!(
                holder.as_deref(),
                Some("replica-b"),
                "the restarted holder renews"
            );
        }
        a.stop().await.unwrap();
        b.stop().await.unwrap();
    }
}

/// The election's core promise, on the real apiserver's conditional writes:
/// when two replicas read the Lease and both decide to write, only the first
/// write lands and the second is told it `Raced`, whatever each decided
/// (create, take or renew). A blind write in any of them (kube-lease-manager
/// released an expired Lease so) lets both believe they lead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_two_replicas_that_read_the_lease_at_once_only_the_first_write_wins() {
    let env = Env::new("e2e-lease-cas").await;
    let lease_ns = env.cluster.create_namespace("fnf-lease").await.unwrap();
    let leases: Api<Lease> = Api::namespaced(env.admin.clone(), &lease_ns);
    let timing = Timing::for_lease(1);
    let elector =
        |lease: &str, identity: &str| Elector::new(leases.clone(), lease, identity, timing);
    let holder = |lease: &'static str| {
        let leases = leases.clone();
        async move {
            leases
                .get(lease)
                .await
                .unwrap()
                .spec
                .unwrap()
                .holder_identity
        }
    };

    // No Lease yet: both plan to create it.
    let (mut a, mut b) = (
        elector("cas-new", "replica-a"),
        elector("cas-new", "replica-b"),
    );
    let (plan_a, plan_b) = (a.read().await.unwrap(), b.read().await.unwrap());
    assert_eq!(a.commit(plan_a).await.unwrap(), Outcome::Holding);
    assert_eq!(b.commit(plan_b).await.unwrap(), Outcome::Raced);
    assert_eq!(holder("cas-new").await.as_deref(), Some("replica-a"));

    // A dead rival's Lease, and a dead incarnation of replica-b's: each
    // reader sees it unchanged for its duration, so both plan to write
    // (replica-b to renew its own, the others to take it).
    for (lease, dead_holder) in [("cas-expired", "replica-gone"), ("cas-own", "replica-b")] {
        let left: Lease = serde_json::from_value(serde_json::json!({
            "metadata": {"name": lease},
            "spec": {"holderIdentity": dead_holder, "leaseDurationSeconds": 1},
        }))
        .unwrap();
        leases.create(&Default::default(), &left).await.unwrap();
        let (mut a, mut b) = (elector(lease, "replica-a"), elector(lease, "replica-c"));
        if dead_holder == "replica-b" {
            b = elector(lease, "replica-b");
        }
        a.read().await.unwrap();
        b.read().await.unwrap();
        tokio::time::sleep(timing.duration + Duration::from_millis(100)).await;
        let (plan_a, plan_b) = (a.read().await.unwrap(), b.read().await.unwrap());
        for plan in [&plan_a, &plan_b] {
            assert!(matches!(plan, Plan::Write { .. }), "{lease}: {plan:?}");
        }
        assert_eq!(a.commit(plan_a).await.unwrap(), Outcome::Holding, "{lease}");
        assert_eq!(b.commit(plan_b).await.unwrap(), Outcome::Raced, "{lease}");
        assert_eq!(holder(lease).await.as_deref(), Some("replica-a"), "{lease}");
        assert_eq!(
            b.try_lead().await.unwrap(),
            Outcome::HeldBy("replica-a".into()),
            "{lease}: the loser reads again and waits"
        );
    }
}
