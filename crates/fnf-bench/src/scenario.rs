//! One scenario: a fresh emulator and namespace, the operator in-process with
//! one poll strategy, N FlowExecutions whose flows wait a random time, and a
//! watch that stamps the moment each one's terminal phase becomes visible.
//! Never touches another scenario's namespace; leaves nothing running.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use jiff::Timestamp;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt, watcher};
use rand::Rng;

use super::BenchError;
use super::args::{BenchArgs, ScenarioSpec};
use super::measure;
use super::operator::OperatorProcess;
use super::stats::LagSample;
use fnf_emulator::{ExecutionMode, RunningEmulator};
use fnf_operator::crd::{FlowExecution, default_execution_name, phase};
use fnf_testkit::devcluster::DevCluster;
use fnf_testkit::sandbox;

pub const FLOW_NAME: &str = "bench-wait";
/// Waits `$.wait` seconds, then succeeds.
const FLOW_DEFINITION: &str = "Type: StateMachine\nSpecVersion: v1\nName: bench-wait\nStartAt: Hold\nStates:\n  - Type: Wait\n    Name: Hold\n    SecondsPath: $.wait\n    Next: Done\n  - Type: Succeed\n    Name: Done\n";

const CREATE_ATTEMPTS: u32 = 10;
const CREATE_RETRY_BASE: Duration = Duration::from_millis(500);
const CHECK_PERIOD: Duration = Duration::from_secs(1);
const PROGRESS_LOG_PERIOD: Duration = Duration::from_secs(20);
const CLEANUP_CONCURRENCY: usize = 16;

/// What one scenario measured.
#[derive(Clone, Debug)]
pub struct ScenarioResult {
    pub spec: ScenarioSpec,
    pub lags: Vec<LagSample>,
    /// Executions the emulator had not ended when the scenario closed.
    pub not_ended: usize,
    pub create_secs: f64,
    /// From the first creation to the close.
    pub measured_secs: f64,
    /// Cloud calls by action, and those answered 429 `ResourceThrottled`.
    pub calls: BTreeMap<String, u64>,
    pub throttled: BTreeMap<String, u64>,
    pub status_writes: f64,
    /// The operator's own p99 of StoppedTime → end read (bucket bound), the
    /// part of the lag the read budget decides; the rest is writing and watching.
    pub read_p99_le: Option<f64>,
    /// Failed reconciles by reason (e.g. `KubernetesApi` for a write conflict).
    pub reconcile_errors: BTreeMap<String, u64>,
    /// The whole benchmark process (operator, emulator, watch), KiB.
    pub peak_rss_kib: Option<u64>,
    /// False: the peak could not be reset, so it covers earlier scenarios too.
    pub peak_rss_is_per_scenario: bool,
    pub cpu_secs: Option<f64>,
}

impl ScenarioResult {
    pub fn calls_per_sec(&self, action: &str) -> f64 {
        let calls = self.calls.get(action).copied().unwrap_or(0);
        calls as f64 / self.measured_secs.max(f64::EPSILON)
    }

    pub fn total_throttled(&self) -> u64 {
        self.throttled.values().sum()
    }
}

type SeenAt = Arc<Mutex<HashMap<String, Timestamp>>>;

fn seen_count(seen: &SeenAt) -> usize {
    seen.lock().unwrap_or_else(PoisonError::into_inner).len()
}

/// Stamps, per FlowExecution, the wall clock when a terminal phase first arrives.
async fn watch_ends(api: Api<FlowExecution>, seen: SeenAt) {
    let stream = watcher(api, watcher::Config::default()).default_backoff();
    futures::pin_mut!(stream);
    while let Some(event) = stream.next().await {
        let now = Timestamp::now();
        match event {
            Ok(watcher::Event::Apply(fe) | watcher::Event::InitApply(fe)) => {
                let ended = fe
                    .status
                    .as_ref()
                    .and_then(|s| s.phase.as_deref())
                    .is_some_and(phase::is_terminal);
                if let (true, Some(name)) = (ended, fe.metadata.name) {
                    seen.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .entry(name)
                        .or_insert(now);
                }
            }
            Ok(_) => {}
            Err(err) => tracing::warn!(error = %err, "benchmark watch error"),
        }
    }
}

fn object_name(index: usize) -> String {
    format!("fe-{index:05}")
}

async fn create_one(
    api: &Api<FlowExecution>,
    name: String,
    wait_secs: u32,
) -> Result<(), BenchError> {
    let fe: FlowExecution = serde_json::from_value(serde_json::json!({
        "apiVersion": "fnf-operator.dev/v1alpha1",
        "kind": "FlowExecution",
        "metadata": {"name": name},
        // Once: the bench finds each execution by its default name.
        "spec": {"flowName": FLOW_NAME, "runPolicy": "Once", "input": {"wait": wait_secs}},
    }))
    .map_err(|e| BenchError::Usage(format!("bench object: {e}")))?;
    let mut attempt = 1;
    loop {
        match api.create(&PostParams::default(), &fe).await {
            Ok(_) => return Ok(()),
            Err(kube::Error::Api(status)) if status.code == 409 => return Ok(()),
            Err(source) if attempt >= CREATE_ATTEMPTS => {
                return Err(BenchError::Kube {
                    context: format!("creating {name}"),
                    source,
                });
            }
            Err(err) => {
                tracing::debug!(name, attempt, error = %err, "create failed; retrying");
                tokio::time::sleep(CREATE_RETRY_BASE.saturating_mul(attempt)).await;
                attempt += 1;
            }
        }
    }
}

/// Runs one scenario on `cluster`; `cleanup` removes its FlowExecutions after.
pub async fn run(
    cluster: &DevCluster,
    spec: ScenarioSpec,
    args: &BenchArgs,
    ticks_per_sec: f64,
    cleanup: bool,
) -> Result<ScenarioResult, BenchError> {
    let emulator = sandbox::start_emulator().await?;
    emulator.create_flow(FLOW_NAME, FLOW_DEFINITION, ExecutionMode::Standard)?;
    let namespace = cluster
        .create_namespace(&format!("bench-{}-{}", spec.size, spec.strategy.label()))
        .await?;
    let api: Api<FlowExecution> = Api::namespaced(cluster.admin_client().await?, &namespace);
    let seen: SeenAt = Arc::default();
    let watch = tokio::spawn(watch_ends(api.clone(), seen.clone()));

    let before = emulator.counters();
    let operator = OperatorProcess::start(
        cluster.kubeconfig_path(),
        &emulator.endpoint(),
        &namespace,
        spec.strategy,
    )
    .await?;
    tracing::info!(scenario = %spec.label(), %namespace, "scenario started");

    let flows_started = Instant::now();
    create_flows(cluster, &namespace, args).await?;

    let waits: Vec<u32> = {
        let mut rng = rand::rng();
        (0..spec.size)
            .map(|_| rng.random_range(args.wait_min_seconds..=args.wait_max_seconds))
            .collect()
    };
    let first_created = Instant::now();
    futures::stream::iter(waits.iter().enumerate())
        .map(|(i, &wait)| create_one(&api, object_name(i), wait))
        .buffer_unordered(args.create_concurrency.max(1))
        .try_collect::<Vec<()>>()
        .await?;
    let create_secs = first_created.elapsed().as_secs_f64();
    tracing::info!(scenario = %spec.label(), create_secs, "all FlowExecutions created");

    let deadline = Instant::now() + Duration::from_secs(args.box_seconds);
    let mut last_log = Instant::now();
    loop {
        let seen_now = seen_count(&seen);
        if seen_now >= spec.size || Instant::now() >= deadline {
            break;
        }
        if last_log.elapsed() >= PROGRESS_LOG_PERIOD {
            let counters = emulator.counters();
            tracing::info!(
                scenario = %spec.label(), seen = seen_now, of = spec.size,
                describe_calls = counters.calls("DescribeExecution") - before.calls("DescribeExecution"),
                held_long_polls = counters.held_long_polls,
                "waiting for ends"
            );
            last_log = Instant::now();
        }
        tokio::time::sleep(CHECK_PERIOD).await;
    }
    let closed_at = Timestamp::now();
    let measured_secs = first_created.elapsed().as_secs_f64();
    let after = emulator.counters();
    let cpu_secs = operator.cpu_seconds(ticks_per_sec);
    let peak_rss_kib = operator.peak_rss_kib();
    let metrics = operator.metrics().await.unwrap_or_default();
    let status_writes =
        measure::prometheus_counter(&metrics, "fnf_operator_status_writes_total").unwrap_or(0.0);
    let read_p99_le =
        measure::histogram_quantile_bound(&metrics, "fnf_operator_ending_seen_lag_seconds", 0.99);
    let reconcile_errors: BTreeMap<String, u64> =
        measure::prometheus_series(&metrics, "fnf_operator_reconcile_errors_total")
            .into_iter()
            .map(|(labels, n)| {
                let reason = labels.trim_start_matches("reason=").trim_matches('"');
                (reason.to_string(), n as u64)
            })
            .collect();

    if args.flows > 0 {
        report_flows(
            cluster,
            &namespace,
            args.flows,
            &emulator,
            &before,
            flows_started,
        )
        .await?;
    }
    operator.stop().await;
    watch.abort();

    let seen_at = seen.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let (lags, not_ended) = lags(&emulator, &namespace, spec.size, &seen_at, closed_at);
    emulator.shutdown().await;

    let mut calls = BTreeMap::new();
    let mut throttled = BTreeMap::new();
    for action in after.calls.keys() {
        calls.insert(action.clone(), after.calls(action) - before.calls(action));
        let code = "ResourceThrottled";
        let delta = after.calls_with_code(action, code) - before.calls_with_code(action, code);
        if delta > 0 {
            throttled.insert(action.clone(), delta);
        }
    }
    if cleanup {
        remove_all(&api).await?;
    }
    Ok(ScenarioResult {
        spec,
        lags,
        not_ended,
        create_secs,
        measured_secs,
        calls,
        throttled,
        status_writes,
        read_p99_le,
        reconcile_errors,
        peak_rss_kib,
        // Its own process per scenario.
        peak_rss_is_per_scenario: true,
        cpu_secs,
    })
}

/// A flow the bench's Flows declare (each under a name of its own).
const BENCH_FLOW_DEFINITION: &str = "Type: StateMachine\nSpecVersion: v1\nStartAt: done\nStates:\n  - Type: Pass\n    Name: done\n    End: true\n";
/// How long the scenario waits for every Flow to be Ready.
const FLOWS_READY_WAIT: Duration = Duration::from_secs(600);
/// Calls are counted over this long from the first Flow: past the operator's
/// 300 s resync, so the steady state's DescribeFlows are in the figure.
const FLOWS_STEADY_WINDOW: Duration = Duration::from_secs(420);
/// The flow-management actions whose calls the Flow scenario reports.
const FLOW_ACTIONS: [&str; 4] = ["DescribeFlow", "CreateFlow", "UpdateFlow", "DeleteFlow"];

/// `args.flows` Flow objects, each managing a flow of its own.
async fn create_flows(
    cluster: &DevCluster,
    namespace: &str,
    args: &BenchArgs,
) -> Result<(), BenchError> {
    if args.flows == 0 {
        return Ok(());
    }
    let api: Api<fnf_operator::crd::Flow> =
        Api::namespaced(cluster.admin_client().await?, namespace);
    futures::stream::iter(0..args.flows)
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
        .buffer_unordered(args.create_concurrency.max(1))
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

/// Prints the flow-management calls per action, their 429s, and how many
/// Flows were Ready at the close.
async fn report_flows(
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

/// Lag per FlowExecution: seen minus the emulator's end. One not seen counts
/// as lagging at least the close minus its end (or 0 if it had not ended).
fn lags(
    emulator: &RunningEmulator,
    namespace: &str,
    size: usize,
    seen_at: &HashMap<String, Timestamp>,
    closed_at: Timestamp,
) -> (Vec<LagSample>, usize) {
    let mut not_ended = 0;
    let mut out = Vec::with_capacity(size);
    for i in 0..size {
        let name = object_name(i);
        let execution = default_execution_name(namespace, &name);
        let ended: Option<Timestamp> = emulator
            .execution(FLOW_NAME, &execution)
            .and_then(|e| e.stopped_time.parse().ok());
        let seen = seen_at.get(&name).copied();
        let secs_between =
            |from: Timestamp, to: Timestamp| to.duration_since(from).as_secs_f64().max(0.0);
        out.push(match (ended, seen) {
            (Some(end), Some(seen)) => LagSample {
                secs: secs_between(end, seen),
                seen: true,
            },
            // Terminal in Kubernetes but not in the emulator cannot happen; an
            // unknown end makes it count as seen at once rather than invent a lag.
            (None, Some(_)) => LagSample {
                secs: 0.0,
                seen: true,
            },
            (Some(end), None) => LagSample {
                secs: secs_between(end, closed_at),
                seen: false,
            },
            (None, None) => {
                not_ended += 1;
                LagSample {
                    secs: 0.0,
                    seen: false,
                }
            }
        });
    }
    (out, not_ended)
}

/// Strips the finalizer (the operator is gone) and deletes every FlowExecution,
/// so the next scenario's apiserver and etcd start light.
async fn remove_all(api: &Api<FlowExecution>) -> Result<(), BenchError> {
    let names: Vec<String> = api
        .list_metadata(&ListParams::default())
        .await
        .map_err(|source| BenchError::Kube {
            context: "listing FlowExecutions to clean up".into(),
            source,
        })?
        .items
        .into_iter()
        .filter_map(|m| m.metadata.name)
        .collect();
    let unfinalize = &Patch::Merge(serde_json::json!({"metadata": {"finalizers": null}}));
    futures::stream::iter(names.iter())
        .map(|name| async move {
            api.patch_metadata(name, &PatchParams::default(), unfinalize)
                .await
                .map(|_| ())
                .map_err(|source| BenchError::Kube {
                    context: format!("removing the finalizer of {name}"),
                    source,
                })
        })
        .buffer_unordered(CLEANUP_CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await?;
    api.delete_collection(&DeleteParams::default(), &ListParams::default())
        .await
        .map_err(|source| BenchError::Kube {
            context: "deleting FlowExecutions".into(),
            source,
        })?;
    tracing::info!(removed = names.len(), "scenario cleaned up");
    Ok(())
}

/// A scenario where every execution lagged `lag`, for the report's tests.
#[cfg(test)]
pub fn sample_result(size: usize, strategy: super::args::Strategy, lag: f64) -> ScenarioResult {
    ScenarioResult {
        spec: super::args::ScenarioSpec { size, strategy },
        lags: vec![
            super::stats::LagSample {
                secs: lag,
                seen: true
            };
            size
        ],
        not_ended: 0,
        create_secs: 1.0,
        measured_secs: 100.0,
        calls: [("DescribeExecution".to_string(), 250)].into(),
        throttled: Default::default(),
        status_writes: 3.0 * size as f64,
        read_p99_le: Some(0.02),
        reconcile_errors: Default::default(),
        peak_rss_kib: Some(204_800),
        peak_rss_is_per_scenario: true,
        cpu_secs: Some(12.0),
    }
}
