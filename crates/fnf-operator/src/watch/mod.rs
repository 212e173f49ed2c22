//! Keeping what the cloud says current, and the watches that wake reconciles.
//!
//! The narrow handle is [`tracker::Tracker`] (its per-object bookkeeping in
//! `tracked`): reconciles read and change an object's `CloudView` through it,
//! and ask it to poll an execution or follow its history. Behind it, `poll`
//! tasks (one per live execution) long-poll DescribeExecution within the slots
//! the `planner` grants per account, one `sweep` per account reads
//! ListExecutions pages for the rest, and `steps` follows a running execution's
//! history. Those tasks reach the tracker only through the
//! [`views::CloudViews`] trait and the sweep reaches the planner only through
//! [`sweep::Roster`], so none of them imports what starts it. Beside it: the
//! `start_gate` (how many reconciles may start executions at once), `watched`
//! (each FlowExecution decoded on its own), `sources` (wakes the users of a
//! changed Secret or ConfigMap), `readiness` (the watches' part in `/readyz`)
//! and `scope` (the namespaces every watch covers).
//!
//! Lock order: the tracker's, the planner's and the start gate's locks are
//! each taken alone. None is held across an `.await`, none is taken while
//! another is held, and a closure given to `CloudViews::update` (run under
//! the tracker's lock) takes no lock and never blocks. Tasks are spawned and
//! aborted under the tracker's lock, never awaited there. The one nesting:
//! the planner reads the account's quota buckets (`fnf_client`'s registry,
//! which takes no lock of ours) while holding its own lock.

pub mod key;
pub mod planner;
mod poll;
pub mod readiness;
pub mod scope;
pub mod sources;
pub mod start_gate;
pub mod steps;
pub mod sweep;
mod tracked;
pub mod tracker;
pub mod views;
pub mod watched;
