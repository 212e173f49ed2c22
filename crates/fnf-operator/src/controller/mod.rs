//! The FlowExecution controller: a pure decision (`decide`, `conditions`,
//! `events`, `classify`) and a thin layer that applies it (`apply`, `calls`,
//! `cloud`, `run`). What the cloud said lives in the `tracker`, kept current by
//! per-execution `poll` tasks and per-account `sweep`s within the `planner`'s
//! budget; the `start_gate` keeps mass starts from holding up running ones.

pub mod apply;
pub mod calls;
pub mod classify;
pub mod clean;
pub mod cloud;
pub mod conditions;
pub mod context;
pub mod decide;
pub mod events;
pub mod finalize;
pub mod finish;
pub mod identity;
pub mod live;
pub mod metrics;
pub mod mirror;
pub mod outputs;
pub mod planner;
pub mod poll;
pub mod readiness;
pub mod run;
pub mod secrets;
pub mod start_gate;
pub mod steps;
pub mod sweep;
pub mod tracker;
pub mod unreadable;
pub mod view;
pub mod watched;

pub use cloud::CloudSettings;
pub use decide::{Decision, DeletionStep, Next, decide, deletion_step};
pub use metrics::Metrics;
pub use run::{LeaderElection, OperatorConfig, RunError, run};
pub use tracker::PollStrategy;
pub use view::{
    CloudProblem, CloudView, DecideSettings, ExecutionRead, FailureDetail, ProblemKind,
};

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod decide_identity_tests;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod decide_tests;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod live_tests;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod test_fixtures;
