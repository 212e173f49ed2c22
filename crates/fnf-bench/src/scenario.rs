//! One scenario: a fresh emulator (one key per account) and namespace, the
//! operator as its own process with one poll strategy, the workload's
//! FlowExecutions (all at once, or the live count then steady arrivals), and a
//! watch that stamps the moment each one's terminal phase becomes visible.
//! Never touches another scenario's namespace; leaves nothing running.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use jiff::Timestamp;
use kube::api::{Api, PostParams};

use super::BenchError;
use super::args::{BenchArgs, ScenarioSpec};
use super::observe::{SeenMap, ended_at, lags, last_start, lock, secs_between, watch_ends};
use super::operator::OperatorProcess;
use super::shape::Arrivals;
use super::stats::LagSample;
use super::waits::{wait_for_ends, wait_for_starts};
use super::workload::{PlannedExecution, flow_name, object_name};
use super::{accounts, cleanup, flow_objects, measure};
use fnf_operator::crd::FlowExecution;
use fnf_testkit::devcluster::DevCluster;

const CREATE_ATTEMPTS: u32 = 10;
const CREATE_RETRY_BASE: Duration = Duration::from_millis(500);
/// Steady scenarios: ended FlowExecutions go this long after their end (the
/// operator's TTL), so the object count stays near the live count, as it
/// does where runs are cleaned up.
const STEADY_TTL_SECS: i64 = 30;
/// Steady scenarios measure at least this many median run times.
const MEDIAN_RUNS_MEASURED: f64 = 3.0;

/// What one scenario measured.
#[derive(Clone, Debug)]
pub struct ScenarioResult {
    pub spec: ScenarioSpec,
    /// Burst: every execution; steady: those that ended in the window.
    pub lags: Vec<LagSample>,
    /// Executions the emulator had not ended when the scenario closed (burst).
    pub not_ended: usize,
    /// FlowExecutions created, the live count and the arrivals.
    pub created: usize,
    /// Creating the live count (all of a burst's executions), seconds.
    pub create_secs: f64,
    /// Burst: from the first creation to the last StartExecution.
    pub start_span_secs: Option<f64>,
    /// Steady: the measurement window after the live count was reached.
    pub window_secs: Option<f64>,
    /// Steady: from the first creation until the live count was started.
    pub live_secs: Option<f64>,
    /// Steady: FlowExecutions still waiting for their start when the window
    /// closed. More than a few means the operator (or the apiserver under it)
    /// started runs more slowly than they arrived: no steady state.
    pub waiting_at_close: Option<u64>,
    /// From the first creation to the close.
    pub measured_secs: f64,
    /// Cloud calls by action, and those answered 429 `ResourceThrottled`.
    pub calls: BTreeMap<String, u64>,
    pub throttled: BTreeMap<String, u64>,
    pub status_writes: f64,
    /// Mean distinct (phase, current step) states the watch saw per object.
    pub transitions: Option<f64>,
    /// The operator's own p99 of StoppedTime → end read (bucket bound), the
    /// part of the lag the read budget decides; the rest is writing and watching.
    pub read_p99_le: Option<f64>,
    /// Failed reconciles by reason (e.g. `KubernetesApi` for a write conflict).
    pub reconcile_errors: BTreeMap<String, u64>,
    /// The operator process's peak RSS, KiB.
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

    pub fn writes_per_execution(&self) -> f64 {
        self.status_writes / self.created.max(1) as f64
    }
}

async fn create_one(
    api: &Api<FlowExecution>,
    planned: &PlannedExecution,
    ttl_secs: Option<i64>,
) -> Result<(), BenchError> {
    let name = object_name(planned.index);
    let mut spec = serde_json::json!({
        "flowName": flow_name(planned.account, planned.flow),
        // Once: the bench finds each execution by its default name.
        "runPolicy": "Once",
        "input": {"wait": planned.wait_secs},
    });
    if planned.age_secs > 0.0 {
        spec["input"][fnf_emulator::STARTED_SECONDS_AGO] = planned.age_secs.into();
    }
    if let Some(secret) = accounts::secret_name(planned.account) {
        spec["credentialsSecretRef"] = serde_json::json!({ "name": secret });
    }
    if let Some(ttl) = ttl_secs {
        spec["ttlSecondsAfterFinished"] = ttl.into();
    }
    let fe: FlowExecution = serde_json::from_value(serde_json::json!({
        "apiVersion": "fnf-operator.dev/v1alpha1",
        "kind": "FlowExecution",
        "metadata": {"name": name},
        "spec": spec,
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

/// Creates the arrivals, each at its time after `live_at`, until aborted.
async fn create_arrivals(
    api: Api<FlowExecution>,
    arrivals: Vec<PlannedExecution>,
    live_at: Instant,
    concurrency: usize,
    created: Arc<AtomicUsize>,
    ttl_secs: Option<i64>,
) {
    futures::stream::iter(arrivals)
        .map(move |planned| {
            let (api, created) = (api.clone(), created.clone());
            async move {
                let at = live_at + Duration::from_secs_f64(planned.start_at_secs);
                tokio::time::sleep_until(at.into()).await;
                match create_one(&api, &planned, ttl_secs).await {
                    Ok(()) => {
                        created.fetch_max(planned.index + 1, Ordering::Relaxed);
                    }
                    Err(err) => tracing::warn!(error = %err, "an arrival was not created"),
                }
            }
        })
        .buffered(concurrency.max(1))
        .collect::<()>()
        .await;
}

/// Runs one scenario on `cluster`; `cleanup` removes its FlowExecutions after.
pub async fn run(
    cluster: &DevCluster,
    spec: ScenarioSpec,
    args: &BenchArgs,
    ticks_per_sec: f64,
    cleanup: bool,
) -> Result<ScenarioResult, BenchError> {
    let shape = spec.shape;
    let emulator = accounts::start_emulator(shape.accounts, shape.flows).await?;
    let mut past_runs = 0;
    for flow in super::history::ended_history(&spec, args.seed) {
        past_runs += emulator.record_past_runs(&flow_name(flow.account, flow.flow), &flow.runs)?;
    }
    let namespace = cluster
        .create_namespace(&format!("bench-{}-{}", spec.size, spec.strategy.label()))
        .await?;
    let client = cluster.admin_client().await?;
    let api: Api<FlowExecution> = Api::namespaced(client.clone(), &namespace);
    accounts::create_secrets(&Api::namespaced(client, &namespace), shape.accounts).await?;
    let seen: SeenMap = Arc::default();
    let watch = tokio::spawn(watch_ends(api.clone(), seen.clone()));

    let before = emulator.counters();
    let operator = OperatorProcess::start(
        cluster.kubeconfig_path(),
        &emulator.endpoint(),
        &namespace,
        spec.strategy,
        shape.accounts > 1,
    )
    .await?;
    tracing::info!(scenario = %spec.label(), %namespace, past_runs, "scenario started");

    let flows_started = Instant::now();
    flow_objects::create(
        cluster,
        &namespace,
        args.flow_objects,
        args.create_concurrency,
    )
    .await?;

    let steady = matches!(shape.arrivals, Arrivals::Steady { .. });
    let window_secs = steady.then(|| {
        (MEDIAN_RUNS_MEASURED * shape.durations.median()).max(args.measure_seconds as f64)
    });
    let horizon = window_secs.unwrap_or(0.0) + args.box_seconds as f64;
    let planned = super::workload::plan(&spec, args.seed, horizon);
    let (initial, later) = planned.split_at(spec.size.min(planned.len()));
    let ttl = steady.then_some(STEADY_TTL_SECS);

    let first_created_at = Timestamp::now();
    let first_created = Instant::now();
    futures::stream::iter(initial.iter())
        .map(|p| create_one(&api, p, ttl))
        .buffer_unordered(args.create_concurrency.max(1))
        .try_collect::<Vec<()>>()
        .await?;
    let create_secs = first_created.elapsed().as_secs_f64();
    tracing::info!(scenario = %spec.label(), create_secs, "live count created");
    // The window opens once the live count runs in the cloud, not when it is
    // applied: until then the operator is still starting it.
    let live_secs = if steady {
        wait_for_starts(&spec, &emulator, &before, initial.len()).await;
        Some(first_created.elapsed().as_secs_f64())
    } else {
        None
    };
    let created = Arc::new(AtomicUsize::new(initial.len()));
    let live_at = Timestamp::now();
    let arrivals = tokio::spawn(create_arrivals(
        api.clone(),
        later.to_vec(),
        Instant::now(),
        args.create_concurrency,
        created.clone(),
        ttl,
    ));

    let box_time = Duration::from_secs(args.box_seconds);
    let mut waiting_at_close = None;
    // The executions whose lag counts, decided when the window closes.
    let measured: Vec<&PlannedExecution> = match window_secs {
        None => {
            let names: Vec<String> = initial.iter().map(|p| object_name(p.index)).collect();
            wait_for_ends(&spec, &seen, &names, Instant::now() + box_time, &emulator).await;
            initial.iter().collect()
        }
        Some(window) => {
            tokio::time::sleep(Duration::from_secs_f64(window)).await;
            let window_end = Timestamp::now();
            waiting_at_close = operator.metrics().await.and_then(|m| {
                measure::prometheus_counter(&m, "fnf_operator_starts_waiting").map(|n| n as u64)
            });
            let made = created.load(Ordering::Relaxed);
            let in_window: Vec<&PlannedExecution> = planned[..made.min(planned.len())]
                .iter()
                .filter(|p| {
                    ended_at(&emulator, &namespace, p)
                        .is_some_and(|end| end >= live_at && end <= window_end)
                })
                .collect();
            let names: Vec<String> = in_window.iter().map(|p| object_name(p.index)).collect();
            tracing::info!(scenario = %spec.label(), ended_in_window = names.len(), created = made, "window closed");
            wait_for_ends(&spec, &seen, &names, Instant::now() + box_time, &emulator).await;
            in_window
        }
    };
    arrivals.abort();
    let closed_at = Timestamp::now();
    let measured_secs = first_created.elapsed().as_secs_f64();
    let after = emulator.counters();
    let cpu_secs = operator.cpu_seconds(ticks_per_sec);
    let peak_rss_kib = operator.peak_rss_kib();
    let metrics = operator.metrics().await.unwrap_or_default();
    // For a post-mortem of the planner: the operator's own counts (reads by
    // source, calls by action) beside the report.
    if let Some(dir) = std::env::var_os("FNF_BENCH_KEEP_METRICS") {
        let path = std::path::Path::new(&dir).join(format!("{}.metrics", spec.label()));
        if let Err(e) = std::fs::write(&path, &metrics) {
            tracing::warn!(path = %path.display(), error = %e, "cannot keep the operator's metrics");
        }
    }
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

    if args.flow_objects > 0 {
        flow_objects::report(
            cluster,
            &namespace,
            args.flow_objects,
            &emulator,
            &before,
            flows_started,
        )
        .await?;
    }
    operator.stop().await;
    watch.abort();

    let seen_map = lock(&seen).clone();
    let made = created.load(Ordering::Relaxed).min(planned.len());
    let transitions = (!seen_map.is_empty()).then(|| {
        seen_map.values().map(|s| f64::from(s.states)).sum::<f64>() / seen_map.len() as f64
    });
    let (lags, not_ended) = lags(&emulator, &namespace, &measured, &seen_map, closed_at);
    let start_span_secs = (!steady)
        .then(|| last_start(&emulator, &namespace, initial))
        .flatten()
        .map(|last| secs_between(first_created_at, last));
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
        cleanup::clean_up(&api).await;
    }
    Ok(ScenarioResult {
        spec,
        lags,
        not_ended,
        created: made,
        create_secs,
        start_span_secs,
        window_secs,
        live_secs,
        waiting_at_close,
        measured_secs,
        calls,
        throttled,
        status_writes,
        transitions,
        read_p99_le,
        reconcile_errors,
        peak_rss_kib,
        // Its own process per scenario.
        peak_rss_is_per_scenario: true,
        cpu_secs,
    })
}
