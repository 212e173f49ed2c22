//! Prometheus metrics and the `/metrics`, `/healthz`, `/readyz` endpoints.
//! Labels are stable reasons and action names only: bounded, and never a
//! secret or a user-chosen name.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

type Labels = Vec<(&'static str, String)>;

/// The operator's version: the workspace's one version, which the chart's
/// appVersion and the image tag repeat (a test checks they agree).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// prometheus-client's `encode` writes OpenMetrics text (counters as
/// `_total` series, a closing `# EOF`): a scraper reading it as the older
/// Prometheus text format would misread both.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    reconciles: Counter,
    reconcile_errors: Family<Labels, Counter>,
    status_writes: Counter,
    controller_errors: Counter,
    starts: Family<Labels, Counter>,
    cloud_calls: Family<Labels, Counter>,
    cloud_latency: Family<Labels, Histogram>,
    ending_seen_lag: Family<Labels, Histogram>,
    sweep_pages: Family<Labels, Counter>,
    sweep_endings: Family<Labels, Counter>,
    sweep_final_status_reads: Counter,
    events: Family<Labels, Counter>,
    pub long_polls_in_flight: Gauge,
    pub swept_executions: Gauge,
    pub starts_waiting: Gauge,
    pub tasks_alive: Gauge,
    executions: Family<Labels, Gauge>,
    step_data_age: Gauge,
    leader: Gauge,
    ready: Arc<AtomicBool>,
    /// Watches that have not (or no longer) listed their FlowExecutions.
    unlisted_watches: Arc<AtomicUsize>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("fnf_operator");
        let reconciles = Counter::default();
        let reconcile_errors = Family::<Labels, Counter>::default();
        let status_writes = Counter::default();
        let controller_errors = Counter::default();
        let starts = Family::<Labels, Counter>::default();
        let cloud_calls = Family::<Labels, Counter>::default();
        let cloud_latency = Family::<Labels, Histogram>::new_with_constructor(|| {
            // 5 ms to ~80 s: answers at once, and long-polls of up to 60 s.
            Histogram::new(exponential_buckets(0.005, 2.0, 15))
        });
        registry.register(
            "cloud_call_duration_seconds",
            "Latency of every cloud call attempt (long-polls included), by action and outcome",
            cloud_latency.clone(),
        );
        let ending_seen_lag = Family::<Labels, Histogram>::new_with_constructor(|| {
            // 10 ms to ~5 min: a long-poll's answer, up to a quota-starved sweep.
            Histogram::new(exponential_buckets(0.01, 2.0, 16))
        });
        registry.register(
            "ending_seen_lag_seconds",
            "Time from an execution's StoppedTime to the operator reading that end, by the read that found it (long-poll, describe without waiting, or sweep)",
            ending_seen_lag.clone(),
        );
        let sweep_pages = Family::<Labels, Counter>::default();
        registry.register(
            "sweep_pages",
            "ListExecutions pages the sweeps read, by listing (all, terminal, running, absent: around executions absent from running, starting: running pages for executions shown as Starting)",
            sweep_pages.clone(),
        );
        let sweep_endings = Family::<Labels, Counter>::default();
        registry.register(
            "sweep_endings",
            "Ends of sought executions the sweeps found, by the listing that found them",
            sweep_endings.clone(),
        );
        let sweep_final_status_reads = Counter::default();
        registry.register(
            "sweep_final_status_reads",
            "DescribeExecution calls the sweeps made, without waiting, for the final status of an execution absent from a running listing (their ends count in sweep_endings as described)",
            sweep_final_status_reads.clone(),
        );
        let events = Family::<Labels, Counter>::default();
        let long_polls_in_flight = Gauge::default();
        let swept_executions = Gauge::default();
        let starts_waiting = Gauge::default();
        let tasks_alive = Gauge::default();
        let leader = Gauge::default();
        let executions = Family::<Labels, Gauge>::default();
        registry.register(
            "executions",
            "FlowExecutions by phase, as last written",
            executions.clone(),
        );
        // Constant 1 with the version as a label, so dashboards can show and join on it.
        let build_info = Family::<Labels, Gauge>::default();
        build_info
            .get_or_create(&vec![("version", VERSION.to_string())])
            .set(1);
        registry.register(
            "build_info",
            "Always 1; the version label is the running operator's version",
            build_info,
        );
        let step_data_age = Gauge::default();
        registry.register(
            "step_data_age_seconds",
            "Age of the oldest current-step reading among running executions: how far the history budget lags",
            step_data_age.clone(),
        );
        registry.register(
            "leader",
            "1 while this replica holds the Lease and reconciles (always 1 without leader election)",
            leader.clone(),
        );
        registry.register("reconciles", "Reconciles run", reconciles.clone());
        registry.register(
            "reconcile_errors",
            "Reconciles that failed, by reason",
            reconcile_errors.clone(),
        );
        registry.register(
            "status_writes",
            "Status writes (only made when the status changed)",
            status_writes.clone(),
        );
        registry.register(
            "controller_errors",
            "Watch and queue errors of the controller (a denied watch shows here)",
            controller_errors.clone(),
        );
        registry.register(
            "starts",
            "StartExecution calls that succeeded, by whether they joined a running execution",
            starts.clone(),
        );
        registry.register(
            "cloud_calls",
            "Cloud call attempts, by action and outcome (Success or the error reason)",
            cloud_calls.clone(),
        );
        registry.register(
            "events",
            "Events the operator sent, by reason and result (published, or failed: refused or not delivered)",
            events.clone(),
        );
        registry.register(
            "long_polls_in_flight",
            "DescribeExecution long-polls running",
            long_polls_in_flight.clone(),
        );
        registry.register(
            "swept_executions",
            "Live executions watched by ListExecutions sweeps instead of a long-poll",
            swept_executions.clone(),
        );
        registry.register(
            "starts_waiting",
            "FlowExecutions waiting for their turn to start: starts may use half the reconcile slots",
            starts_waiting.clone(),
        );
        registry.register(
            "tasks_alive",
            "Tokio tasks alive: about two per tracked execution (its poll and its history follower)",
            tasks_alive.clone(),
        );
        Self {
            registry: Arc::new(registry),
            reconciles,
            reconcile_errors,
            status_writes,
            controller_errors,
            starts,
            cloud_calls,
            cloud_latency,
            ending_seen_lag,
            sweep_pages,
            sweep_endings,
            sweep_final_status_reads,
            events,
            long_polls_in_flight,
            swept_executions,
            starts_waiting,
            tasks_alive,
            executions,
            step_data_age,
            leader,
            ready: Arc::default(),
            unlisted_watches: Arc::default(),
        }
    }

    pub fn reconciled(&self) {
        self.reconciles.inc();
    }

    pub fn reconcile_failed(&self, reason: &'static str) {
        self.reconcile_errors
            .get_or_create(&vec![("reason", reason.to_string())])
            .inc();
    }

    pub fn status_written(&self) {
        self.status_writes.inc();
    }

    pub fn controller_error(&self) {
        self.controller_errors.inc();
    }

    pub fn controller_errors(&self) -> u64 {
        self.controller_errors.get()
    }

    pub fn start_sent(&self, adopted: bool) {
        self.starts
            .get_or_create(&vec![("adopted", adopted.to_string())])
            .inc();
    }

    /// The observer the fnf clients report every attempt to.
    pub fn call_observer(&self) -> fnf_client::CallObserver {
        let calls = self.cloud_calls.clone();
        let latency = self.cloud_latency.clone();
        fnf_client::CallObserver(Arc::new(move |action, outcome, took| {
            let labels = vec![
                ("action", action.to_string()),
                ("outcome", outcome.to_string()),
            ];
            calls.get_or_create(&labels).inc();
            latency.get_or_create(&labels).observe(took.as_secs_f64());
        }))
    }

    pub fn ending_seen(&self, via: &'static str, lag: std::time::Duration) {
        self.ending_seen_lag
            .get_or_create(&vec![("via", via.to_string())])
            .observe(lag.as_secs_f64());
    }

    /// What one sweep listing read: its pages, and the sought executions'
    /// ends it found.
    pub fn sweep_listed(&self, listing: &'static str, pages: u64, endings: u64) {
        let labels = vec![("listing", listing.to_string())];
        self.sweep_pages.get_or_create(&labels).inc_by(pages);
        self.sweep_endings.get_or_create(&labels).inc_by(endings);
    }

    /// Final-status reads a sweep made, and the ends they found.
    pub fn sweep_described(&self, calls: u64, endings: u64) {
        self.sweep_final_status_reads.inc_by(calls);
        let labels = vec![("listing", "described".to_string())];
        self.sweep_endings.get_or_create(&labels).inc_by(endings);
    }

    /// One Event, by reason and whether the API took it (`published` or
    /// `failed`): a refused Event is otherwise only a log line.
    pub fn event(&self, reason: &str, published: bool) {
        let result = if published { "published" } else { "failed" };
        self.events
            .get_or_create(&vec![
                ("reason", reason.to_string()),
                ("result", result.to_string()),
            ])
            .inc();
    }

    /// Sets the per-phase counts; phases absent from `counts` drop to zero.
    pub fn set_executions(&self, counts: &std::collections::BTreeMap<String, i64>) {
        self.executions.clear();
        for (phase, n) in counts {
            self.executions
                .get_or_create(&vec![("phase", phase.clone())])
                .set(*n);
        }
    }

    pub fn set_step_data_age(&self, age: std::time::Duration) {
        self.step_data_age
            .set(i64::try_from(age.as_secs()).unwrap_or(i64::MAX));
    }

    pub fn set_leader(&self, leading: bool) {
        self.leader.set(i64::from(leading));
    }

    pub fn is_leader(&self) -> bool {
        self.leader.get() == 1
    }

    pub fn set_ready(&self, ready: bool) {
        self.ready.store(ready, Ordering::Relaxed);
    }

    /// The count of watches that have not (or no longer) listed, for
    /// `watch::readiness`.
    pub(crate) fn unlisted_watches(&self) -> Arc<AtomicUsize> {
        self.unlisted_watches.clone()
    }

    /// What `/readyz` answers: serving, and every watch has its list (an
    /// operator whose list keeps failing reconciles nothing).
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Relaxed) && self.unlisted_watches.load(Ordering::Relaxed) == 0
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }

    /// The `/metrics` answer: the rendered registry, with its content type.
    pub fn scrape(&self) -> Response {
        (
            [(header::CONTENT_TYPE, OPENMETRICS_CONTENT_TYPE)],
            self.render(),
        )
            .into_response()
    }

    /// Serves `/metrics`, `/healthz` and `/readyz` until the process ends.
    pub async fn serve(self, addr: SocketAddr) -> std::io::Result<()> {
        let app = Router::new()
            .route(
                "/metrics",
                get(|State(m): State<Metrics>| async move { m.scrape() }),
            )
            .route("/healthz", get(|| async { "ok" }))
            .route(
                "/readyz",
                get(|State(m): State<Metrics>| async move {
                    if m.is_ready() {
                        (StatusCode::OK, "ready")
                    } else if m.ready.load(Ordering::Relaxed) {
                        (
                            StatusCode::SERVICE_UNAVAILABLE,
                            "not ready: cannot list FlowExecutions (see the log)",
                        )
                    } else {
                        (StatusCode::SERVICE_UNAVAILABLE, "not ready")
                    }
                }),
            )
            .with_state(self);
        let listener = tokio::net::TcpListener::bind(addr).await?;
        axum::serve(listener, app).await
    }
}

#[cfg(test)]
mod tests;
