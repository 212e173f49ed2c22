//! The decision: from a FlowExecution, what the cloud has said about its
//! execution, and the time, to the status to write, the Events to emit and
//! the next step.
//!
//! Pure, every module of it: no `await`, no clock, no randomness, no
//! Kubernetes API, no tokio. The caller passes the time in; `reconcile`
//! carries the decision out and `watch` keeps the cloud's word current.
//!
//! - `decision`: `decide` itself and `deletion_step`; `outcome`: what it returns.
//! - `live` (an execution that has not ended), `finish` (one that has),
//!   `mirror` (the status from the cloud's read), `output` (what the status
//!   holds of the Output), `identity` (whose execution a found one is).
//! - `flow_gate`: a start waits while its flow's `Flow` object is not Ready.
//! - `conditions`: the one place that builds conditions (also a `Flow`'s); `events`: the one
//!   place that builds Events, with the list of every reason.
//! - `classify`: the client's words (errors, reads, history) in the
//!   decision's terms; `view`: what the decision knows of the cloud;
//!   `clean`: cloud text made safe to show.
//! - `runs`: which run the status is about (a new declaration, a retry,
//!   `spec.suspend`), before the current run is decided; `retry`: when an
//!   ended attempt is tried again; `held`: why no run starts (suspended, an
//!   unreadable `inputFrom` source).

pub mod classify;
pub mod clean;
pub mod conditions;
pub mod decision;
pub mod events;
pub mod finish;
pub mod flow_gate;
pub mod held;
pub mod identity;
pub mod live;
pub mod mirror;
pub mod outcome;
pub mod output;
pub mod retry;
pub mod runs;
pub mod view;

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
mod runs_events_tests;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod test_fixtures;
