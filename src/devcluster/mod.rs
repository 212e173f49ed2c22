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
//! What never happens here, for want of kube-controller-manager: garbage collection,
//! namespace deletion, default ServiceAccounts, Pods running. Use a fresh namespace per test.

mod access;
mod binaries;
mod certs;
mod cluster;
mod error;
mod kubeconfig;
mod process;
mod shared;

pub use binaries::{ControlPlaneBinaries, build_script_path, ensure_binaries};
pub use cluster::{DevCluster, KEEP_DIR_ENV};
pub use error::DevClusterError;
pub use shared::shared;
