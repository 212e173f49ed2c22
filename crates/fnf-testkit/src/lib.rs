//! What the tests, the demo and the benchmark stand on; never part of what
//! users build (`publish = false`, a dev-dependency of the other crates).
//!
//! - `devcluster`: a local control plane (etcd + kube-apiserver) built from the
//!   Go module proxy; `sandbox`: the emulator and the operator in one process,
//!   with the sandbox key pair.
//! - Test helpers, one library instead of a `mod.rs` copied into every test
//!   binary: `e2e` (control plane + namespace + emulator + operator per test),
//!   `fault` (on top of `e2e`: operators as processes, Secrets, Events, call
//!   rates), `gitops` (Argo CD's Lua check and kstatus; feature `gitops`),
//!   `emulator_calls` (raw signed calls to an in-process emulator) and
//!   `cloud_stub` (a scripted, recording fnf server for the client's tests).
//!
//! Helpers fail the test that called them by panicking with what went wrong,
//! as test code does.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

pub mod cloud_stub;
pub mod devcluster;
pub mod e2e;
pub mod emulator_calls;
pub mod fault;
#[cfg(feature = "gitops")]
pub mod gitops;
pub mod sandbox;
pub mod soak;

/// The repository root: this crate lives in `crates/fnf-testkit`.
pub const REPO_ROOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// A path in the repository (`charts/...`, `crds/...`, `tools/...`).
pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(REPO_ROOT).join(relative)
}

/// Installs the operator's CRDs (FlowExecution, CronFlowExecution, Flow) from
/// their committed files, as a user's `kubectl apply -f crds/` would.
pub async fn install_operator_crds(
    cluster: &devcluster::DevCluster,
) -> Result<(), devcluster::DevClusterError> {
    for path in [
        fnf_operator::crd::CRD_PATHS[0],
        fnf_operator::crd::CRON_CRD_PATHS[0],
        fnf_operator::crd::FLOW_CRD_PATHS[0],
    ] {
        cluster.install_crds_from_yaml(&repo_path(path)).await?;
    }
    Ok(())
}
