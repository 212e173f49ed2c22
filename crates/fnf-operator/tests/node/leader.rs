//! Test 2: two replicas with leader election. The leader pod is deleted mid-run; another
//! replica takes over within the lease, and every execution starts once and ends in its
//! status. "Another" is either the standby or the pod the ReplicaSet starts in the deleted
//! one's place: the deleted leader releases the Lease on its way out, and a fresh pod can
//! take it before the standby, which sleeps until the Lease's expiry, looks again.

use std::time::{Duration, Instant};

use fnf_emulator::CODE_OK;
use fnf_testkit::e2e::completed;
use k8s_openapi::api::coordination::v1::Lease;
use kube::Api;

use crate::support::{NodeEnv, enabled, kubectl, phase};

/// The operator's default `--lease-duration-seconds` (the chart sets none).
const LEASE_SECS: u64 = 15;
/// A deleted pod shuts down gracefully: in-flight reconciles get up to this long (the
/// operator's SHUTDOWN_GRACE) while it still holds the Lease, then it releases it.
const SHUTDOWN_GRACE_SECS: u64 = 10;
/// Polling and the apiserver's write latency on a loaded machine.
const TAKEOVER_SLACK_SECS: u64 = 10;
const BEFORE: usize = 6;
const AFTER: usize = 3;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_replica_takes_over_within_the_lease_and_no_execution_starts_twice() {
    if !enabled("leader") {
        return;
    }
    let env = NodeEnv::new("node-leader").await;
    env.helm_install(&["replicas=2"]).await;
    let pod_names: Vec<String> = env
        .operator_pods()
        .await
        .into_iter()
        .filter_map(|p| p.metadata.name)
        .collect();
    assert_eq!(pod_names.len(), 2, "{pod_names:?}");

    let leases: Api<Lease> = Api::namespaced(env.admin.clone(), &env.namespace);
    let lease_name = env.fullname();
    let holder = || async {
        leases
            .get_opt(&lease_name)
            .await
            .ok()
            .flatten()
            .and_then(|l| l.spec)
            .and_then(|s| s.holder_identity)
            .filter(|h| !h.is_empty())
    };
    let deadline = Instant::now() + Duration::from_secs(120);
    let leader = loop {
        if let Some(h) = holder().await
            && pod_names.contains(&h)
        {
            break h;
        }
        assert!(Instant::now() < deadline, "no pod took the lease");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };

    // 20 s executions, so that they are still running when the leader goes.
    for i in 0..BEFORE {
        env.create(&format!("ha-{i}"), "slow").await;
    }
    for i in 0..BEFORE {
        env.wait_for(&format!("ha-{i}"), Duration::from_secs(120), |fe| {
            phase(fe) == Some("Running") || completed(fe)
        })
        .await;
    }

    kubectl(
        env.cluster,
        &[
            "delete",
            "pod",
            &leader,
            "-n",
            &env.namespace,
            "--wait=false",
        ],
    )
    .await;
    let deleted = Instant::now();
    let new_leader = loop {
        let live: Vec<String> = env
            .operator_pods()
            .await
            .into_iter()
            .filter(|p| p.metadata.deletion_timestamp.is_none())
            .filter_map(|p| p.metadata.name)
            .collect();
        if let Some(h) = holder().await
            && h != leader
            && live.contains(&h)
        {
            break h;
        }
        assert!(
            deleted.elapsed() < Duration::from_secs(120),
            "the standby never took over\n{}",
            env.operator_logs().await
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let takeover = deleted.elapsed();
    eprintln!("leader: {leader} deleted; {new_leader} took over after {takeover:?}");
    assert!(
        takeover < Duration::from_secs(SHUTDOWN_GRACE_SECS + LEASE_SECS + TAKEOVER_SLACK_SECS),
        "the standby took over after {takeover:?}: more than the shutdown grace \
         ({SHUTDOWN_GRACE_SECS}s) plus the lease ({LEASE_SECS}s) plus {TAKEOVER_SLACK_SECS}s"
    );

    for i in 0..AFTER {
        env.create(&format!("after-{i}"), "short").await;
    }
    let names = (0..BEFORE)
        .map(|i| format!("ha-{i}"))
        .chain((0..AFTER).map(|i| format!("after-{i}")));
    for name in names {
        let fe = env
            .wait_for(&name, Duration::from_secs(240), completed)
            .await;
        assert_eq!(phase(&fe), Some("Succeeded"), "{name}: {:?}", fe.status);
    }
    let counters = env.tls.emulator.counters();
    let total = (BEFORE + AFTER) as u64;
    assert_eq!(
        counters.total_created(),
        total,
        "every execution started once"
    );
    assert_eq!(
        counters.calls_with_code("StartExecution", CODE_OK),
        total,
        "no second StartExecution succeeded"
    );
}
