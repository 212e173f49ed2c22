//! One control plane per test process, started on first use and shared by every
//! `#[tokio::test]` in the binary. Never hands out a kube client: callers build their own
//! through [`DevCluster::admin_client`] and friends.
//!
//! Why a dedicated thread and runtime: each `#[tokio::test]` has its own runtime, which dies
//! with the test. The start-up (readiness polling over kube clients) therefore runs on a
//! private current-thread runtime on a std thread, and the processes themselves are plain
//! `std::process` children, so nothing of the shared cluster depends on a test's runtime.
//! The `static` is never dropped; the watchdogs in `process.rs` kill etcd and
//! kube-apiserver and delete the temp dir as soon as the test process exits.

use tokio::sync::OnceCell;

use super::{DevCluster, DevClusterError};

static SHARED: OnceCell<DevCluster> = OnceCell::const_new();
static SHARED_WITH_NODE: OnceCell<DevCluster> = OnceCell::const_new();

/// The process-wide control plane, started on the first call. If that start fails, the
/// error goes to the callers waiting for it and the next call tries again.
pub async fn shared() -> Result<&'static DevCluster, DevClusterError> {
    SHARED.get_or_try_init(start_on_own_thread).await
}

/// The process-wide control plane with a node ([`DevCluster::with_node`]), started on the
/// first call. Its teardown runs from the node's janitor watchdog when the process exits.
pub async fn shared_with_node() -> Result<&'static DevCluster, DevClusterError> {
    SHARED_WITH_NODE
        .get_or_try_init(|| start_on_own_thread_with(true))
        .await
}

async fn start_on_own_thread() -> Result<DevCluster, DevClusterError> {
    start_on_own_thread_with(false).await
}

async fn start_on_own_thread_with(node: bool) -> Result<DevCluster, DevClusterError> {
    let (answer, answered) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("fnf-devcluster-start".to_owned())
        .spawn(move || {
            let started = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| DevClusterError::io("building the start-up runtime", e))
                .and_then(|runtime| {
                    runtime.block_on(async {
                        if node {
                            DevCluster::with_node().await
                        } else {
                            DevCluster::start().await
                        }
                    })
                });
            // If the waiting test is gone, dropping the cluster here stops it.
            let _ = answer.send(started);
        })
        .map_err(|e| DevClusterError::io("spawning the start-up thread", e))?;
    answered
        .await
        .map_err(|_| DevClusterError::BackgroundTaskDied {
            task: "shared control-plane start",
        })?
}
