//! The node's configuration files, rendered as text: containerd's, the CNI network's,
//! kubelet's and kube-proxy's. Pure: no I/O. Each setting that this machine needs says why.

use std::net::IpAddr;
use std::path::Path;

use serde_json::json;

use super::{NODE_NAME, PAUSE_IMAGE, POD_CIDR};

/// The CNI network's name, also the prefix of its cache files (see `host.sh`).
pub const CNI_NETWORK: &str = "fnf-node";
pub const CNI_BRIDGE: &str = "fnfbr0";
/// Debian's containernetworking-plugins.
pub const CNI_BIN_DIR: &str = "/usr/lib/cni";

/// Paths of everything the node keeps under its scratch dir.
#[derive(Debug, Clone)]
pub struct NodeLayout {
    pub containerd_config: std::path::PathBuf,
    pub containerd_socket: std::path::PathBuf,
    pub containerd_root: std::path::PathBuf,
    pub containerd_state: std::path::PathBuf,
    pub cni_conf_dir: std::path::PathBuf,
    pub kubelet_root: std::path::PathBuf,
    pub kubelet_config: std::path::PathBuf,
    pub kubelet_kubeconfig: std::path::PathBuf,
    pub kube_proxy_config: std::path::PathBuf,
    pub pod_logs: std::path::PathBuf,
    pub images: std::path::PathBuf,
}

impl NodeLayout {
    pub fn under(dir: &Path) -> Self {
        Self {
            containerd_config: dir.join("containerd.toml"),
            containerd_socket: dir.join("containerd/containerd.sock"),
            containerd_root: dir.join("containerd/root"),
            containerd_state: dir.join("containerd/state"),
            cni_conf_dir: dir.join("cni/net.d"),
            kubelet_root: dir.join("kubelet"),
            kubelet_config: dir.join("kubelet.yaml"),
            kubelet_kubeconfig: dir.join("kubelet.kubeconfig"),
            kube_proxy_config: dir.join("kube-proxy.yaml"),
            pod_logs: dir.join("pod-logs"),
            images: dir.join("images"),
        }
    }
}

pub fn containerd_toml(layout: &NodeLayout, dir: &Path) -> String {
    let d = |p: &Path| p.display().to_string();
    format!(
        r#"version = 2
root = "{root}"
state = "{state}"
# Snapshotters this machine cannot use would only log errors.
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]

[grpc]
  address = "{socket}"
[ttrpc]
  address = "{socket}.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "{opt}"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{pause}"
  # The VM lacks CAP_SYS_RESOURCE: runc cannot lower oom_score_adj, and every sandbox
  # would fail with "can't get final child's PID from pipe: EOF".
  restrict_oom_score_adj = true
  # Network namespaces under the node's dir, so teardown finds them by path.
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        # No systemd here: cgroupfs, as the kubelet is told.
        SystemdCgroup = false
        Root = "{runc_root}"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{cni_bin}"
    conf_dir = "{cni_conf}"
"#,
        root = d(&layout.containerd_root),
        state = d(&layout.containerd_state),
        socket = d(&layout.containerd_socket),
        opt = d(&dir.join("containerd/opt")),
        pause = PAUSE_IMAGE,
        runc_root = d(&dir.join("runc")),
        cni_bin = CNI_BIN_DIR,
        cni_conf = d(&layout.cni_conf_dir),
    )
}

/// A bridge with host-local addresses on [`POD_CIDR`], masquerading, then portmap.
pub fn cni_conflist(dir: &Path) -> serde_json::Value {
    json!({
        "cniVersion": "1.0.0",
        "name": CNI_NETWORK,
        "plugins": [
            {
                "type": "bridge",
                "bridge": CNI_BRIDGE,
                "isGateway": true,
                "ipMasq": true,
                "hairpinMode": true,
                "ipam": {
                    "type": "host-local",
                    "ranges": [[{ "subnet": POD_CIDR }]],
                    "routes": [{ "dst": "0.0.0.0/0" }],
                    "dataDir": dir.join("cni/ipam").display().to_string(),
                },
            },
            { "type": "portmap", "capabilities": { "portMappings": true } },
        ],
    })
}

pub fn kubelet_config(
    layout: &NodeLayout,
    address: IpAddr,
    ca_file: &Path,
    serving_cert: &Path,
    serving_key: &Path,
) -> serde_json::Value {
    json!({
        "apiVersion": "kubelet.config.k8s.io/v1beta1",
        "kind": "KubeletConfiguration",
        // The VM has cgroup v1 only; kubelet 1.37 refuses it unless told otherwise.
        "failCgroupV1": false,
        "cgroupDriver": "cgroupfs",
        "failSwapOn": false,
        "containerRuntimeEndpoint": format!("unix://{}", layout.containerd_socket.display()),
        "address": address.to_string(),
        "port": 10250,
        "readOnlyPort": 0,
        // No fixed healthz port to collide with anything else on the machine.
        "healthzPort": 0,
        "tlsCertFile": serving_cert.display().to_string(),
        "tlsPrivateKeyFile": serving_key.display().to_string(),
        "authentication": {
            "anonymous": { "enabled": false },
            "webhook": { "enabled": true },
            "x509": { "clientCAFile": ca_file.display().to_string() },
        },
        "authorization": { "mode": "Webhook" },
        "podLogsDir": layout.pod_logs.display().to_string(),
        "clusterDomain": "cluster.local",
        // Test images are loaded once and never pulled: keep them however full the disk.
        "imageGCHighThresholdPercent": 100,
        "imageGCLowThresholdPercent": 99,
        "evictionHard": {
            "memory.available": "50Mi",
            "nodefs.available": "1%",
            "imagefs.available": "1%",
        },
        "serializeImagePulls": false,
        "nodeStatusReportFrequency": "10s",
        "syncFrequency": "10s",
    })
}

pub fn kube_proxy_config(admin_kubeconfig: &Path, address: IpAddr) -> serde_json::Value {
    json!({
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "clientConnection": { "kubeconfig": admin_kubeconfig.display().to_string() },
        "mode": "iptables",
        "hostnameOverride": NODE_NAME,
        "bindAddress": address.to_string(),
        "clusterCIDR": POD_CIDR,
        "healthzBindAddress": "",
        "metricsBindAddress": "",
        // Zero leaves the machine's conntrack settings alone.
        "conntrack": {
            "maxPerCore": 0,
            "min": 0,
            "tcpEstablishedTimeout": "0s",
            "tcpCloseWaitTimeout": "0s",
        },
        // NodePorts on 127.0.0.1 would need route_localnet=1 machine-wide.
        "iptables": { "localhostNodePorts": false },
        "nodePortAddresses": [format!("{address}/32")],
    })
}
