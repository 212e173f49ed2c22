//! kube-apiserver restarted under a running operator. In its own test binary:
//! the control plane is shared by every test of a binary, and a restart would
//! fail the others.
// Test code: a failed unwrap is a failed test. (clippy.toml allows it in #[test]
// functions only, not in the helpers beside them.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use fnf_emulator::ExecutionMode;
use fnf_testkit::e2e::*;
use fnf_testkit::fault::*;

const RUN_TIMEOUT: Duration = Duration::from_secs(60);
/// Generous: the watcher and the reconcile error back-off both grow while the
/// apiserver is away.
const RECOVERY_BOUND: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apiserver_restart_mid_run_loses_no_ending_and_starts_nothing_twice() {
    let env = Env::new("flt-apiserver").await;
    env.emulator
        .create_flow("waiting", &flow_waiting(6), ExecutionMode::Standard)
        .unwrap();
    let operator = start_operator_with(&env, operator_config(&env, SHORT_WAIT_SECS));
    env.create("through", serde_json::json!({"flowName": "waiting"}))
        .await;
    env.wait_for("through", RUN_TIMEOUT, |fe| phase(fe) == Some("Running"))
        .await;

    let restart = Instant::now();
    env.cluster.restart_apiserver().await.unwrap();
    let back = Instant::now();
    eprintln!(
        "MEASURED flt-apiserver: apiserver down and back in {:.1} s",
        back.duration_since(restart).as_secs_f64()
    );
    // Applied after the restart: the operator's watch must have come back.
    env.create("after", serde_json::json!({"flowName": "quick"}))
        .await;
    for name in ["through", "after"] {
        let fe = env.wait_for(name, RECOVERY_BOUND, completed).await;
        assert_eq!(phase(&fe), Some("Succeeded"), "{name}");
        eprintln!(
            "MEASURED flt-apiserver: {name} Succeeded {:.1} s after the apiserver was back",
            back.elapsed().as_secs_f64()
        );
    }
    for (flow, name) in [("waiting", "through"), ("quick", "after")] {
        // Every execution this object started, under any run name of its own.
        let runs = env.runs_of(flow, name);
        assert_eq!(runs.len(), 1, "{name} started one run: {runs:?}");
        assert_eq!(runs[0].1, 1, "{name} started once: {runs:?}");
    }
    operator.stop().await.unwrap();
}
