//! The `--flow-objects` side load: Flow objects beside a scenario's
//! FlowExecutions, each managing a flow of its own, and the flow-management
//! calls and 429s they cost.

use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use kube::api::{Api, ListParams, PostParams};

use super::BenchError;
use fnf_emulator::RunningEmulator;
use fnf_testkit::devcluster::DevCluster;

const CHECK_PERIOD: Duration = Duration::from_secs(1);

/// A flow the bench's Flows declare (each under a name of its own).
const BENCH_FLOW_DEFINITION: &str = "Type: StateMachine\nSpecVersion: v1\nStartAt: done\nStates:\n  - Type: Pass\n    Name: done\n    End: true\n";
/// How long the scenario waits for every Flow to be Ready.
const FLOWS_READY_WAIT: Duration = Duration::from_secs(600);
/// Calls are counted over this long from the first Flow: past the operator's
/// 300 s resync, so the steady state's DescribeFlows are in the figure.
const FLOWS_STEADY_WINDOW: Duration = Duration::from_secs(420);
/// The flow-management actions whose calls the Flow scenario reports.
const FLOW_ACTIONS: [&str; 4] = ["DescribeFlow", "CreateFlow", "UpdateFlow", "DeleteFlow"];

/// `count` Flow objects, each managing a flow of its own.
pub async fn create(
    cluster: &DevCluster,
    namespace: &str,
    count: usize,
    create_concurrency: usize,
) -> Result<(), BenchError> {
    if count == 0 {
        return Ok(());
    }
    let api: Api<fnf_operator::crd::Flow> =
        Api::namespaced(cluster.admin_client().await?, namespace);
    futures::stream::iter(0..count)
        .map(|i| {
            let api = api.clone();
            async move {
                let flow: fnf_operator::crd::Flow = serde_json::from_value(serde_json::json!({
                    "apiVersion": "fnf-operator.dev/v1alpha1", "kind": "Flow",
                    "metadata": {"name": format!("bench-flow-{i}")},
                    "spec": {"flowName": format!("bench_flow_{i}"), "definition": BENCH_FLOW_DEFINITION},
                }))
                .map_err(|e| BenchError::Usage(e.to_string()))?;
                api.create(&PostParams::default(), &flow)
                    .await
                    .map(|_| ())
                    .map_err(|source| BenchError::Kube {
                        context: "creating a Flow".into(),
                        source,
                    })
            }
        })
        .buffer_unordered(create_concurrency.max(1))
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

/// Prints the flow-management calls per action, their 429s, and how many
/// Flows were Ready at the close.
pub async fn report(
    cluster: &DevCluster,
    namespace: &str,
    count: usize,
    emulator: &RunningEmulator,
    before: &fnf_emulator::Counters,
    started: Instant,
) -> Result<(), BenchError> {
    let api: Api<fnf_operator::crd::Flow> =
        Api::namespaced(cluster.admin_client().await?, namespace);
    // The executions may all be seen before the last flow is created.
    let deadline = Instant::now() + FLOWS_READY_WAIT;
    let mut ready = 0;
    while Instant::now() < deadline {
        let listed = api
            .list(&ListParams::default())
            .await
            .map_err(|source| BenchError::Kube {
                context: "listing Flows".into(),
                source,
            })?;
        ready = listed.items.iter().filter(|f| f.is_ready()).count();
        if ready == count {
            break;
        }
        tokio::time::sleep(CHECK_PERIOD).await;
    }
    let ready_secs = started.elapsed().as_secs_f64();
    // A resync period past the last creation, so the steady state counts too.
    let resync_end = started + FLOWS_STEADY_WINDOW;
    if Instant::now() < resync_end {
        tokio::time::sleep(resync_end - Instant::now()).await;
    }
    let after = emulator.counters();
    let secs = started.elapsed().as_secs_f64();
    let mut line = format!("Flows: {ready}/{count} Ready after {ready_secs:.0}s; over {secs:.0}s:");
    for action in FLOW_ACTIONS {
        let calls = after.calls(action) - before.calls(action);
        let throttled = after.calls_with_code(action, "ResourceThrottled")
            - before.calls_with_code(action, "ResourceThrottled");
        line.push_str(&format!(
            " {action} {calls} calls ({:.2}/s, {throttled} x 429);",
            calls as f64 / secs.max(1.0)
        ));
    }
    println!("{line}");
    Ok(())
}
