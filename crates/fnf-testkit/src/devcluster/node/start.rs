//! Starting and stopping the node's processes: containerd, kube-controller-manager,
//! kube-scheduler, kube-proxy and kubelet, each under a watchdog; then waiting until the
//! Node is Ready and ServiceAccounts exist. Images go in with [`DevNode::load_image`].

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Node, ServiceAccount};
use kube::Api;

use super::super::binaries::NodeBinaries;
use super::super::certs::write_private;
use super::super::kubeconfig::{KubeconfigUser, render_kubeconfig};
use super::super::process::{WatchedProcess, log_tail};
use super::super::{DevCluster, DevClusterError};
use super::configs::{self, NodeLayout};
use super::host::NodeHost;
use super::image::{ImageSpec, write_oci_archive};
use super::operator_image::pause_image_spec;
use super::{NODE_NAME, PAUSE_IMAGE, POD_CIDR, SERVICE_CIDR};

/// kubelet registers within seconds; the whole stack shares 2 cores with other builds.
const NODE_READY_TIMEOUT_SECS: u64 = 240;
const CONTAINERD_READY_TIMEOUT_SECS: u64 = 60;
const POLL_MILLIS: u64 = 250;

/// A running node; dropping it stops every process and undoes its host state.
#[derive(Debug)]
pub struct DevNode {
    layout: NodeLayout,
    logs: PathBuf,
    /// Stopped in this order (kubelet first, containerd last), then the host.
    processes: Vec<WatchedProcess>,
    host: NodeHost,
}

impl DevNode {
    pub(crate) async fn start(
        host: NodeHost,
        binaries: NodeBinaries,
        cluster: &DevCluster,
    ) -> Result<Self, DevClusterError> {
        let started = Instant::now();
        let layout = NodeLayout::under(host.dir());
        let logs = cluster.dir().join("node-logs");
        let mut node = Self {
            layout,
            logs,
            processes: Vec::new(),
            host,
        };
        node.write_configs(cluster)?;
        let containerd = node.spawn(
            "containerd",
            Path::new("containerd"),
            vec![format!(
                "--config={}",
                node.layout.containerd_config.display()
            )],
        )?;
        node.processes.push(containerd);
        node.wait_for_containerd().await?;
        let pause = pause_image_spec(PAUSE_IMAGE, &binaries.pause);
        node.load_image(&pause).await?;

        let admin = cluster.kubeconfig_path().display().to_string();
        let certificates = &cluster.certificates;
        let kcm = node.spawn(
            "kube-controller-manager",
            &binaries.kube_controller_manager,
            vec![
                format!("--kubeconfig={admin}"),
                format!("--root-ca-file={}", certificates.ca_cert.display()),
                format!(
                    "--service-account-private-key-file={}",
                    certificates.service_account_signing_key.display()
                ),
                "--use-service-account-credentials=true".to_owned(),
                format!("--service-cluster-ip-range={SERVICE_CIDR}"),
                format!("--cluster-cidr={POD_CIDR}"),
                "--leader-elect=false".to_owned(),
                // No serving port: nothing scrapes it, and a fixed one could collide.
                "--secure-port=0".to_owned(),
            ],
        )?;
        let scheduler = node.spawn(
            "kube-scheduler",
            &binaries.kube_scheduler,
            vec![
                format!("--kubeconfig={admin}"),
                "--leader-elect=false".to_owned(),
                "--secure-port=0".to_owned(),
            ],
        )?;
        let proxy = node.spawn(
            "kube-proxy",
            &binaries.kube_proxy,
            vec![format!(
                "--config={}",
                node.layout.kube_proxy_config.display()
            )],
        )?;
        let kubelet = node.spawn(
            "kubelet",
            &binaries.kubelet,
            vec![
                format!("--config={}", node.layout.kubelet_config.display()),
                format!("--kubeconfig={}", node.layout.kubelet_kubeconfig.display()),
                format!("--root-dir={}", node.layout.kubelet_root.display()),
                format!("--hostname-override={NODE_NAME}"),
                format!("--node-ip={}", node.host.address()),
                "--v=1".to_owned(),
            ],
        )?;
        // Stop order: kubelet first, containerd (pushed first) last.
        node.processes.extend([kcm, scheduler, proxy, kubelet]);
        node.processes.reverse();
        node.wait_until_ready(cluster).await?;
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "node ready"
        );
        Ok(node)
    }

    /// The node's address: where the apiserver, the kubelet and host services for pods listen.
    pub fn address(&self) -> IpAddr {
        self.host.address()
    }

    /// The host PID of a container's first process, from the `containerd://ID` a Pod's
    /// status names; for tests that look at the process as the kernel sees it.
    pub fn container_pid(&self, container_id: &str) -> Option<u32> {
        let id = container_id.strip_prefix("containerd://")?;
        let path = self
            .layout
            .containerd_state
            .join("io.containerd.runtime.v2.task/k8s.io")
            .join(id)
            .join("init.pid");
        std::fs::read_to_string(path).ok()?.trim().parse().ok()
    }

    /// Where the node's processes log (inside the cluster's temp dir).
    pub fn logs_dir(&self) -> &Path {
        &self.logs
    }

    /// Assembles `spec` as an OCI tarball and imports it into the node's containerd, so
    /// pods can use it with `imagePullPolicy: Never` or `IfNotPresent`.
    pub async fn load_image(&self, spec: &ImageSpec) -> Result<(), DevClusterError> {
        let safe_name: String = spec
            .name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let work = self.layout.images.join(&safe_name);
        let archive = self.layout.images.join(format!("{safe_name}.tar"));
        let _ = std::fs::remove_dir_all(&work);
        let spec = spec.clone();
        let socket = self.layout.containerd_socket.clone();
        tokio::task::spawn_blocking(move || {
            write_oci_archive(&spec, &work, &archive)?;
            let output = Command::new("ctr")
                .arg("--address")
                .arg(&socket)
                .args(["--namespace", "k8s.io", "images", "import"])
                .arg(&archive)
                .output()
                .map_err(|e| DevClusterError::io("running ctr images import", e))?;
            let _ = std::fs::remove_dir_all(&work);
            if output.status.success() {
                Ok(())
            } else {
                Err(DevClusterError::NodeUnavailable {
                    reason: format!(
                        "ctr images import {} failed: {}",
                        spec.name,
                        String::from_utf8_lossy(&output.stderr).trim()
                    ),
                })
            }
        })
        .await
        .map_err(|_| DevClusterError::BackgroundTaskDied { task: "load_image" })?
    }

    fn write_configs(&self, cluster: &DevCluster) -> Result<(), DevClusterError> {
        let dir = self.host.dir();
        let layout = &self.layout;
        for path in [
            &layout.cni_conf_dir,
            &layout.kubelet_root,
            &layout.pod_logs,
            &layout.images,
            &self.logs,
            &layout.containerd_root,
        ] {
            std::fs::create_dir_all(path)
                .map_err(|e| DevClusterError::io(format!("creating {}", path.display()), e))?;
        }
        let node_certs =
            cluster
                .certificates
                .node
                .as_ref()
                .ok_or_else(|| DevClusterError::NodeUnavailable {
                    reason: "the cluster was started without the node's certificates".to_owned(),
                })?;
        let address = self.host.address();
        let json = |value: serde_json::Value| value.to_string();
        write_private(
            &layout.containerd_config,
            &configs::containerd_toml(layout, dir),
        )?;
        write_private(
            &layout.cni_conf_dir.join("10-fnf-node.conflist"),
            &json(configs::cni_conflist(dir)),
        )?;
        write_private(
            &layout.kubelet_config,
            &json(configs::kubelet_config(
                layout,
                address,
                &cluster.certificates.ca_cert,
                &node_certs.kubelet_serving_cert,
                &node_certs.kubelet_serving_key,
            )),
        )?;
        write_private(
            &layout.kube_proxy_config,
            &json(configs::kube_proxy_config(
                cluster.kubeconfig_path(),
                address,
            )),
        )?;
        write_private(
            &layout.kubelet_kubeconfig,
            &render_kubeconfig(
                &cluster.apiserver_url(),
                &cluster.certificates.ca_cert_pem,
                KubeconfigUser::ClientCertificate {
                    cert_pem: &node_certs.kubelet_client_cert_pem,
                    key_pem: &node_certs.kubelet_client_key_pem,
                },
            )?,
        )
    }

    fn spawn(
        &self,
        component: &'static str,
        program: &Path,
        args: Vec<String>,
    ) -> Result<WatchedProcess, DevClusterError> {
        WatchedProcess::spawn(
            component,
            program,
            &args,
            &self.logs.join(format!("{component}.log")),
            None,
        )
    }

    fn check_running(&mut self) -> Result<(), DevClusterError> {
        self.processes
            .iter_mut()
            .try_for_each(WatchedProcess::check_running)
    }

    async fn wait_for_containerd(&mut self) -> Result<(), DevClusterError> {
        let deadline = Instant::now() + Duration::from_secs(CONTAINERD_READY_TIMEOUT_SECS);
        loop {
            self.check_running()?;
            let socket = self.layout.containerd_socket.clone();
            let answered = tokio::task::spawn_blocking(move || {
                Command::new("ctr")
                    .arg("--address")
                    .arg(&socket)
                    .arg("version")
                    .output()
                    .is_ok_and(|output| output.status.success())
            })
            .await
            .unwrap_or(false);
            if answered {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(self.not_ready("containerd", CONTAINERD_READY_TIMEOUT_SECS));
            }
            tokio::time::sleep(Duration::from_millis(POLL_MILLIS)).await;
        }
    }

    /// The Node reports Ready, and kube-controller-manager has made the `default`
    /// ServiceAccount (pods are refused without it).
    async fn wait_until_ready(&mut self, cluster: &DevCluster) -> Result<(), DevClusterError> {
        let deadline = Instant::now() + Duration::from_secs(NODE_READY_TIMEOUT_SECS);
        let client = cluster.admin_client().await?;
        let nodes: Api<Node> = Api::all(client.clone());
        let accounts: Api<ServiceAccount> = Api::namespaced(client, "default");
        loop {
            self.check_running()?;
            let ready = nodes
                .get_opt(NODE_NAME)
                .await
                .ok()
                .flatten()
                .is_some_and(|node| {
                    node.status
                        .and_then(|status| status.conditions)
                        .unwrap_or_default()
                        .iter()
                        .any(|c| c.type_ == "Ready" && c.status == "True")
                });
            if ready
                && accounts
                    .get_opt("default")
                    .await
                    .is_ok_and(|sa| sa.is_some())
            {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(self.not_ready("kubelet", NODE_READY_TIMEOUT_SECS));
            }
            tokio::time::sleep(Duration::from_millis(POLL_MILLIS)).await;
        }
    }

    fn not_ready(&self, component: &'static str, waited_secs: u64) -> DevClusterError {
        let log_path = self.logs.join(format!("{component}.log"));
        DevClusterError::NotReady {
            component,
            waited_secs,
            log_tail: log_tail(&log_path),
            log_path,
        }
    }
}

impl Drop for DevNode {
    fn drop(&mut self) {
        for process in &mut self.processes {
            process.stop();
        }
        self.host.teardown();
    }
}
