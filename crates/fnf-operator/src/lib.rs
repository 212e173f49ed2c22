//! fnf-operator: runs Alibaba Cloud Serverless Workflow (fnf) executions from
//! Kubernetes `FlowExecution` resources and mirrors what the cloud says into
//! their status. This crate is what the image builds.
//!
//! Layout is the architecture:
//! - `crd`: the resource types, `FINALIZER`, `FIELD_MANAGER`, the CRD generator.
//! - `decide`: the pure decision (no I/O, clock, tokio or Kubernetes API):
//!   status, conditions, Events and the next step.
//! - `reconcile`: the thin layer that carries a decision out (cloud calls,
//!   status and finalizer writes, Events, deletion).
//! - `watch`: what keeps the cloud's word current (tracker, polls, sweeps,
//!   planner, history) and the watches that wake reconciles.
//! - `cron`: the CronFlowExecution controller (schedule, decide, reconcile).
//! - `flow`: the `Flow` controller (decide pure, reconcile thin), sharing
//!   the cloud clients and quota budget of the FlowExecution controller.
//! - `config` (one builder for the CLI and the test kit), `run` (the
//!   wiring: watches, leader Lease, shutdown), `metrics`, `cli` (`run`) and
//!   `call` (`call`).
//!
//! `election` (the leader Lease) is public so that a test can race two
//! replicas between a read and a write on a real apiserver.
//!
//! Only what other crates use is public; the rest is private so the compiler
//! reports dead code. The cloud client is the `fnf-client` crate, the only
//! code that talks to the cloud.

pub mod call;
pub mod cli;
pub mod config;
pub mod crd;
pub mod cron;
mod decide;
mod flow;
/// The committed fuzz corpora's reader, shared by the modules' corpus tests.
#[cfg(test)]
#[path = "../../../fuzz/checks/corpus.rs"]
mod fuzz_corpus;
mod metrics;
mod reconcile;
mod run;
mod watch;

/// The allocator the operator's binaries install (`fnf-operator`, and
/// `fnf-bench`'s operator process, so the benchmark measures what ships).
/// glibc's malloc let the memory freed by each execution's lifecycle stay
/// fragmented across worker threads: the resident set grew with every ending.
pub use mimalloc::MiMalloc as Allocator;

pub use config::{
    CloudSettings, InputSourceWatch, LeaderElection, OperatorConfig, OperatorConfigBuilder,
};
pub use decide::view::{DecideSettings, STATUS_OUTPUT_MAX_BYTES};
pub use metrics::Metrics;
pub use run::lease as election;
pub use run::{RunError, run};
pub use watch::key::PollStrategy;
pub use watch::planner::slot_capacity;
pub use watch::watched::Watched;
