//! Test 3: `helm upgrade` to a changed value (a rolling update of two replicas) while 50
//! executions run: none starts twice, none loses its end, and the Service never goes
//! without a ready pod for longer than the lease. The chart rolls with `maxUnavailable: 0`,
//! so a ready pod should serve throughout: a gap of more than a few readiness polls means
//! pods were stopped before their successors were Ready (a `Recreate` strategy makes a gap
//! of several seconds on this node, well inside the lease, so the lease alone would not see it).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use fnf_emulator::CODE_OK;
use fnf_testkit::e2e::completed;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::Api;
use kube::api::ListParams;

use crate::support::{NodeEnv, enabled, phase};

const EXECUTIONS: usize = 50;
/// The operator's default `--lease-duration-seconds`.
const LEASE_SECS: u64 = 15;
/// What a rolling update that keeps a ready pod may show: a list that raced an EndpointSlice
/// update, not a pod restart (which takes seconds: stop, start, first readiness probe).
const ROLLING_GAP_MILLIS: u64 = 2_000;
const READINESS_POLL_MILLIS: u64 = 250;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_upgrade_under_load_starts_nothing_twice_and_loses_no_end() {
    if !enabled("upgrade") {
        return;
    }
    let env = NodeEnv::new("node-upgrade").await;
    env.helm_install(&["replicas=2"]).await;
    for i in 0..EXECUTIONS {
        env.create(&format!("load-{i}"), "slow").await;
    }

    // Watch the Service's ready endpoints through the whole upgrade.
    let slices: Api<EndpointSlice> = Api::namespaced(env.admin.clone(), &env.namespace);
    let service = format!("{}-metrics", env.fullname());
    let upgrading = Arc::new(AtomicBool::new(true));
    let watcher = {
        let upgrading = upgrading.clone();
        tokio::spawn(async move {
            let selector = format!("kubernetes.io/service-name={service}");
            let mut longest_gap = Duration::ZERO;
            let mut gap_since: Option<Instant> = None;
            while upgrading.load(Ordering::Relaxed) {
                let ready =
                    slices
                        .list(&ListParams::default().labels(&selector))
                        .await
                        .map(|list| {
                            list.items.iter().any(|slice| {
                                slice.endpoints.iter().flatten().any(|e| {
                                    e.conditions.as_ref().and_then(|c| c.ready) == Some(true)
                                })
                            })
                        })
                        .unwrap_or(true);
                match (ready, gap_since) {
                    (false, None) => gap_since = Some(Instant::now()),
                    (true, Some(since)) => {
                        longest_gap = longest_gap.max(since.elapsed());
                        gap_since = None;
                    }
                    _ => {}
                }
                tokio::time::sleep(Duration::from_millis(READINESS_POLL_MILLIS)).await;
            }
            if let Some(since) = gap_since {
                longest_gap = longest_gap.max(since.elapsed());
            }
            longest_gap
        })
    };
    env.helm_install(&["replicas=2", "podAnnotations.rollout=second"])
        .await;

    for i in 0..EXECUTIONS {
        let name = format!("load-{i}");
        let fe = env
            .wait_for(&name, Duration::from_secs(420), completed)
            .await;
        assert_eq!(phase(&fe), Some("Succeeded"), "{name}: {:?}", fe.status);
    }
    upgrading.store(false, Ordering::Relaxed);
    let longest_gap = watcher.await.unwrap();
    eprintln!("upgrade: the longest time without a ready pod behind the Service: {longest_gap:?}");
    assert!(
        longest_gap < Duration::from_secs(LEASE_SECS),
        "the Service had no ready pod for {longest_gap:?}, longer than the lease"
    );
    assert!(
        longest_gap < Duration::from_millis(ROLLING_GAP_MILLIS),
        "the Service had no ready pod for {longest_gap:?}: the rollout stopped pods before \
         their successors were Ready"
    );
    let counters = env.tls.emulator.counters();
    assert_eq!(
        counters.total_created(),
        EXECUTIONS as u64,
        "each started once"
    );
    assert_eq!(
        counters.calls_with_code("StartExecution", CODE_OK),
        EXECUTIONS as u64
    );
}
