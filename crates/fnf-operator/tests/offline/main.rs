//! What needs no control plane: the chart as `helm` renders it, the committed
//! CRD against the types, the GitOps health checks on fixtures, the `call`
//! command against an in-process emulator, and the release's own checks
//! (versions, alerts, dashboard, workflows).
// Test code: a failed unwrap is a failed test. (clippy.toml allows it in #[test]
// functions only, not in the helpers beside them.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod chart;
mod cli_call;
mod crd_drift;
mod cron_health;
mod gitops_health;
mod metric_names;
mod release;
