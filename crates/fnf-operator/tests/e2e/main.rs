//! End to end on one real kube-apiserver shared by every test of this binary
//! (`fnf_testkit::devcluster::shared`): the real emulator on the wire and the
//! real operator, in process or as the built binary.
//!
//! Sharing a control plane holds because each test works in a fresh namespace
//! of its own and its operators watch only that namespace. The only
//! cluster-scoped objects here are the CRD (installed once, by `Env::new`) and
//! what `chart_apply` sends with a server-side dry-run, which persists nothing
//! (the test checks it) and, rendered by `helm template`, leaves out the
//! chart's `crds/` and so the input-depth admission policy. The test that
//! installs that policy (`faults::bad_input`) runs in another binary.
// Test code: a failed unwrap is a failed test. (clippy.toml allows it in #[test]
// functions only, not in the helpers beside them.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod beyond;
mod chart_apply;
mod cron;
mod error_codes;
mod flows;
mod gitops;
mod input_from;
mod leader;
mod lifecycle;
mod planner;
mod rbac;
mod rbac_input_from;
mod recipes;
mod release_metrics;
mod run_attempts;
mod runs;
mod scale_history;
