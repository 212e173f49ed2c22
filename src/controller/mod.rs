//! The FlowExecution controller: a pure decision (`decide`, `conditions`,
//! `events`) and a thin layer that applies it (`apply`, `tracker`).

pub mod conditions;
pub mod decide;
pub mod events;
pub mod view;

pub use decide::{Decision, DeletionStep, Next, decide, deletion_step};
pub use view::{
    CloudProblem, CloudView, DecideSettings, ExecutionRead, FailureDetail, ProblemKind,
};

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod decide_tests;
