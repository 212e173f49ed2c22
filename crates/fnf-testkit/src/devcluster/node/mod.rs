//! A real Kubernetes node beside the local control plane, for tests that must run the
//! chart's Deployment as pods: containerd + runc (Debian packages), kubelet, kube-proxy
//! (iptables mode), kube-scheduler and kube-controller-manager (built like kube-apiserver),
//! a bridge CNI network, and images loaded from OCI tarballs (no registry anywhere).
//!
//! Host state: the node owns a fixed scratch dir, the address [`NODE_ADDRESS`] on `lo`,
//! the bridge `fnfbr0`, the `KUBE-*` and `CNI-*` iptables chains and the `kubepods`
//! cgroups, and changes a few sysctls. `tools/node/host.sh down` undoes all of it; it runs
//! from a watchdog (`process.rs`), so also when the test process is killed, and before
//! every start (a crashed run's leftovers). One node per machine, under a lock file.
//!
//! Why the node address and not 127.0.0.1: kube-apiserver refuses to advertise loopback,
//! and pods reach the `kubernetes` Service (and the emulator) at a host address. While
//! kubelet runs, its `KUBE-FIREWALL` rule drops packets to 127/8 that come from outside
//! 127/8 (i.e. from pods); host processes talking to each other on 127.0.0.1 (other
//! tests' control planes) are not affected.
//!
//! Never kills a process it did not start: containers and shims by the PIDs containerd
//! wrote into the node's own state dir, everything else through its watchdog.

mod configs;
mod emulator;
mod host;
pub mod image;
pub mod operator_image;
mod start;

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};

pub use emulator::{TlsEmulator, start_tls_emulator};
pub(crate) use host::NodeHost;
pub use start::DevNode;

use super::DevClusterError;
use super::binaries::{ControlPlaneBinaries, NodeBinaries, ensure_node_binaries};
use super::certs::ClusterCertificates;

/// The node's name (`--hostname-override`) and its identity `system:node:fnf-node`.
pub const NODE_NAME: &str = "fnf-node";
/// The node's address, put on `lo` for the node's lifetime: kube-apiserver and the kubelet
/// serve on it, and the emulator listens on it for pods. From 198.18.0.0/15 (RFC 2544,
/// benchmarking), which no real network routes.
pub const NODE_ADDRESS: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 1);
/// The Service range and the `kubernetes` Service's ClusterIP in it.
pub const SERVICE_CIDR: &str = "10.96.0.0/12";
pub const KUBERNETES_SERVICE_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 96, 0, 1));
/// The pods' network on the bridge.
pub const POD_CIDR: &str = "10.244.0.0/24";
/// The pause image containerd runs every pod sandbox with (built from pause.c).
pub const PAUSE_IMAGE: &str = "localhost/fnf-node/pause:v1.37.2";

/// Installs the Debian packages if missing (`tools/node/install-packages.sh`: needs root),
/// then builds or finds the control-plane and node binaries. Blocks.
pub(crate) fn prepare_machine() -> Result<(ControlPlaneBinaries, NodeBinaries), DevClusterError> {
    let script = crate::repo_path("tools/node/install-packages.sh");
    let output = std::process::Command::new("bash")
        .arg(&script)
        .output()
        .map_err(|e| DevClusterError::io("running tools/node/install-packages.sh", e))?;
    if !output.status.success() {
        return Err(DevClusterError::NodeUnavailable {
            reason: format!(
                "tools/node/install-packages.sh failed ({}): {}",
                output.status,
                super::binaries::tail_lines(&String::from_utf8_lossy(&output.stderr), 20)
            ),
        });
    }
    ensure_node_binaries()
}

/// The apiserver flags a node needs on top of the plain control plane's.
pub(crate) fn adapt_apiserver_args(
    args: &mut Vec<String>,
    host: IpAddr,
    certificates: &ClusterCertificates,
) -> Result<(), DevClusterError> {
    let node = certificates
        .node
        .as_ref()
        .ok_or_else(|| DevClusterError::NodeUnavailable {
            reason: "the cluster's certificates were generated without the node's".to_owned(),
        })?;
    args.retain(|arg| {
        !arg.starts_with("--bind-address=")
            && !arg.starts_with("--advertise-address=")
            && !arg.starts_with("--authorization-mode=")
            && !arg.starts_with("--disable-admission-plugins=")
            && !arg.starts_with("--service-cluster-ip-range=")
    });
    args.extend([
        format!("--bind-address={host}"),
        format!("--advertise-address={host}"),
        "--authorization-mode=Node,RBAC".to_owned(),
        // ServiceAccount admission stays on: kube-controller-manager creates the accounts.
        "--enable-admission-plugins=NodeRestriction".to_owned(),
        format!("--service-cluster-ip-range={SERVICE_CIDR}"),
        format!(
            "--kubelet-client-certificate={}",
            node.apiserver_kubelet_client_cert.display()
        ),
        format!(
            "--kubelet-client-key={}",
            node.apiserver_kubelet_client_key.display()
        ),
        // Without it `kubectl logs`/`exec` try to resolve the node's name.
        "--kubelet-preferred-address-types=InternalIP,Hostname".to_owned(),
    ]);
    Ok(())
}

/// The scratch dir of the node (fixed, so a later run can clean a crashed one's state).
fn node_dir() -> PathBuf {
    std::env::temp_dir().join("fnf-devnode")
}

fn host_script() -> PathBuf {
    crate::repo_path("tools/node/host.sh")
}

fn display(path: &Path) -> String {
    path.display().to_string()
}
