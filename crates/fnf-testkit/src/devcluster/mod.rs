//! A local Kubernetes control plane (etcd + kube-apiserver, no kubelet, no
//! kube-controller-manager) built from the Go module proxy, for the integration tests and
//! the demo. Must never touch the user's own kubeconfig or clusters, and must never leave
//! a process behind.
//!
//! - [`ensure_binaries`]: builds (once, cached under `~/.cache/fnf-operator/`) and locates
//!   kube-apiserver, etcd, kubectl, helm and kstatus-check.
//! - [`DevCluster::start`]: a private control plane; dropped means stopped.
//! - [`shared`]: one control plane per test process, shared by all its tests.
//!
//! Processes: etcd and kube-apiserver each run under a bash watchdog (`process.rs`) that
//! SIGKILLs them when the owning process drops the cluster or exits in any way, even by
//! SIGKILL; the temp dir goes with them. Set `FNF_DEVCLUSTER_KEEP_DIR=1` to keep the dir
//! (logs: `etcd.log`, `kube-apiserver.log`) for debugging.
//!
//! What never happens on a plain control plane, for want of kube-controller-manager: garbage
//! collection, namespace deletion, default ServiceAccounts, Pods running. Use a fresh
//! namespace per test. [`DevCluster::with_node`] adds all of that with a real node
//! ([`node`]), for the tests that run the chart as pods.

mod access;
mod binaries;
mod certs;
mod cluster;
mod error;
mod flags;
mod kubeconfig;
pub mod node;
mod process;
mod shared;

pub use binaries::{
    ControlPlaneBinaries, NodeBinaries, build_script_path, ensure_binaries, ensure_node_binaries,
};
pub use cluster::{DevCluster, KEEP_DIR_ENV};
pub use error::DevClusterError;
pub use shared::{shared, shared_with_node};
