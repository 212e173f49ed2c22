//! Starting, restarting and stopping one local control plane: etcd plus kube-apiserver on
//! free loopback ports, with a private temp dir for data, certificates, kubeconfig and logs.
//! Never touches the user's kubeconfig, never binds anything but 127.0.0.1 (or, with a
//! node, the node's address on `lo`), and never leaves a process behind (see `process.rs`
//! for how that holds even for a leaked cluster).

use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use rand::Rng;

use super::DevClusterError;
use super::binaries::{ControlPlaneBinaries, ensure_binaries};
use super::certs::{ClusterCertificates, NodeIdentity, write_private};
use super::flags::{apiserver_args, etcd_args};
use super::kubeconfig::{KubeconfigUser, render_kubeconfig};
use super::node::{self, DevNode, NodeHost};
use super::process::{WatchedProcess, log_tail};

const ETCD_READY_TIMEOUT_SECS: u64 = 60;
/// kube-apiserver needs 10–30 s on 2 idle cores; other builds may be running alongside.
const APISERVER_READY_TIMEOUT_SECS: u64 = 180;
const READY_POLL_MILLIS: u64 = 200;
/// A fresh port can be taken by someone else between our probe and the bind.
const START_ATTEMPTS: u32 = 3;
/// Setting this keeps the temp dir (logs, etcd data) after the cluster stops, for debugging.
pub const KEEP_DIR_ENV: &str = "FNF_DEVCLUSTER_KEEP_DIR";

/// A running local control plane. Dropping it (or `shutdown().await`) kills both processes
/// and deletes its temp dir. Clients it hands out are new on every call, so they belong to
/// the caller's tokio runtime.
#[derive(Debug)]
pub struct DevCluster {
    /// Stopped first (see `Drop`); `None` without [`Self::with_node`].
    pub(super) node: Option<DevNode>,
    pub(super) binaries: ControlPlaneBinaries,
    /// Where kube-apiserver listens: 127.0.0.1, or the node's address.
    pub(super) host: IpAddr,
    pub(super) dir: PathBuf,
    pub(super) certificates: ClusterCertificates,
    pub(super) apiserver_port: u16,
    pub(super) kubeconfig_path: PathBuf,
    apiserver_args: Vec<String>,
    apiserver: Mutex<WatchedProcess>,
    etcd: Mutex<WatchedProcess>,
    keep_dir: bool,
}

impl DevCluster {
    /// Builds the binaries if needed (see [`ensure_binaries`]), then starts etcd and
    /// kube-apiserver and waits until `/readyz` passes and the `default` namespace exists.
    pub async fn start() -> Result<Self, DevClusterError> {
        // kube's rustls client needs a process-wide provider; an earlier install is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let binaries = tokio::task::spawn_blocking(ensure_binaries)
            .await
            .map_err(|_| DevClusterError::BackgroundTaskDied {
                task: "ensure_binaries",
            })??;
        Self::start_retrying(binaries, None).await
    }

    /// A control plane with a real node beside it: kubelet (on containerd), kube-proxy,
    /// kube-scheduler and kube-controller-manager, so Deployments run as pods. Needs root,
    /// the Debian packages `tools/node/install-packages.sh` installs, and a one-off build
    /// of the node binaries (`tools/control-plane/build.sh --node`). One node per machine:
    /// a second call waits for the first node to be dropped. See `node/mod.rs`.
    pub async fn with_node() -> Result<Self, DevClusterError> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let (binaries, node_binaries) = tokio::task::spawn_blocking(node::prepare_machine)
            .await
            .map_err(|_| DevClusterError::BackgroundTaskDied {
            task: "node::prepare_machine",
        })??;
        let host = tokio::task::spawn_blocking(NodeHost::prepare)
            .await
            .map_err(|_| DevClusterError::BackgroundTaskDied {
                task: "NodeHost::prepare",
            })??;
        let mut cluster = Self::start_retrying(binaries, Some(&host)).await?;
        cluster.node = Some(DevNode::start(host, node_binaries, &cluster).await?);
        Ok(cluster)
    }

    async fn start_retrying(
        binaries: ControlPlaneBinaries,
        node: Option<&NodeHost>,
    ) -> Result<Self, DevClusterError> {
        let mut attempt = 1;
        loop {
            match Self::start_with(binaries.clone(), node).await {
                Err(DevClusterError::ProcessExited { log_tail, .. })
                    if attempt < START_ATTEMPTS && log_tail.contains("address already in use") =>
                {
                    tracing::warn!(
                        attempt,
                        "a control-plane port was taken; retrying on new ports"
                    );
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    async fn start_with(
        binaries: ControlPlaneBinaries,
        node: Option<&NodeHost>,
    ) -> Result<Self, DevClusterError> {
        let started = Instant::now();
        let keep_dir = std::env::var_os(KEEP_DIR_ENV).is_some();
        let dir = create_private_temp_dir()?;
        let host = node.map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), NodeHost::address);
        let certificates = ClusterCertificates::generate(
            &dir,
            node.map(|node| NodeIdentity {
                name: node::NODE_NAME,
                address: node.address(),
                service_ip: node::KUBERNETES_SERVICE_IP,
            })
            .as_ref(),
        )?;
        let etcd_client_port = free_loopback_port()?;
        let etcd_peer_port = free_loopback_port()?;
        let apiserver_port = free_loopback_port()?;

        let etcd = WatchedProcess::spawn(
            "etcd",
            &binaries.etcd,
            &etcd_args(&dir, etcd_client_port, etcd_peer_port),
            &dir.join("etcd.log"),
            (!keep_dir).then_some(dir.as_path()),
        )?;
        let etcd = Mutex::new(etcd);
        wait_for_etcd(&etcd, etcd_client_port).await?;

        let mut apiserver_args =
            apiserver_args(&dir, &certificates, etcd_client_port, apiserver_port);
        if node.is_some() {
            node::adapt_apiserver_args(&mut apiserver_args, host, &certificates)?;
        }
        let apiserver = WatchedProcess::spawn(
            "kube-apiserver",
            &binaries.kube_apiserver,
            &apiserver_args,
            &dir.join("kube-apiserver.log"),
            None,
        )?;
        let kubeconfig_path = dir.join("admin.kubeconfig");
        write_private(
            &kubeconfig_path,
            &render_kubeconfig(
                &format!("https://{host}:{apiserver_port}"),
                &certificates.ca_cert_pem,
                KubeconfigUser::ClientCertificate {
                    cert_pem: &certificates.admin_cert_pem,
                    key_pem: &certificates.admin_key_pem,
                },
            )?,
        )?;
        let cluster = Self {
            node: None,
            binaries,
            host,
            dir,
            certificates,
            apiserver_port,
            kubeconfig_path,
            apiserver_args,
            apiserver: Mutex::new(apiserver),
            etcd,
            keep_dir,
        };
        cluster.wait_for_apiserver().await?;
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            port = apiserver_port,
            dir = %cluster.dir.display(),
            "local control plane ready"
        );
        Ok(cluster)
    }

    /// Kills kube-apiserver and starts it again on the same port against the same etcd,
    /// then waits until it is ready. Meant for fault tests on a dedicated cluster: on the
    /// shared one it would fail every other test running at the time.
    pub async fn restart_apiserver(&self) -> Result<(), DevClusterError> {
        {
            let mut apiserver = self
                .apiserver
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            apiserver.stop();
            let log_path = apiserver.log_path().to_path_buf();
            *apiserver = WatchedProcess::spawn(
                "kube-apiserver",
                &self.binaries.kube_apiserver,
                &self.apiserver_args,
                &log_path,
                None,
            )?;
        }
        self.wait_for_apiserver().await
    }

    /// Stops both processes and removes the temp dir; the same as dropping the cluster,
    /// without blocking the async runtime while it happens.
    pub async fn shutdown(self) -> Result<(), DevClusterError> {
        tokio::task::spawn_blocking(move || drop(self))
            .await
            .map_err(|_| DevClusterError::BackgroundTaskDied { task: "shutdown" })
    }

    /// An admin kubeconfig with embedded certificates, usable by the built kubectl and helm.
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig_path
    }

    pub fn binaries(&self) -> &ControlPlaneBinaries {
        &self.binaries
    }

    /// `https://127.0.0.1:<port>` (with a node: the node's address instead of 127.0.0.1).
    pub fn apiserver_url(&self) -> String {
        format!("https://{}:{}", self.host, self.apiserver_port)
    }

    /// The node started by [`Self::with_node`].
    pub fn node(&self) -> Option<&DevNode> {
        self.node.as_ref()
    }

    /// The temp dir holding data, certificates, kubeconfigs and logs.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn etcd_log_path(&self) -> PathBuf {
        self.dir.join("etcd.log")
    }

    pub fn apiserver_log_path(&self) -> PathBuf {
        self.dir.join("kube-apiserver.log")
    }

    async fn wait_for_apiserver(&self) -> Result<(), DevClusterError> {
        let deadline = Instant::now() + Duration::from_secs(APISERVER_READY_TIMEOUT_SECS);
        let client = self.admin_client().await?;
        let namespaces: Api<Namespace> = Api::all(client.clone());
        loop {
            check_running(&self.apiserver)?;
            check_running(&self.etcd)?;
            let readyz = http::Request::get("/readyz").body(Vec::new());
            let ready = match readyz {
                Ok(request) => client
                    .request_text(request)
                    .await
                    .is_ok_and(|body| body == "ok"),
                Err(_) => false,
            };
            if ready
                && namespaces
                    .get_opt("default")
                    .await
                    .is_ok_and(|ns| ns.is_some())
            {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(DevClusterError::NotReady {
                    component: "kube-apiserver",
                    waited_secs: APISERVER_READY_TIMEOUT_SECS,
                    log_path: self.apiserver_log_path(),
                    log_tail: log_tail(&self.apiserver_log_path()),
                });
            }
            tokio::time::sleep(Duration::from_millis(READY_POLL_MILLIS)).await;
        }
    }
}

impl Drop for DevCluster {
    fn drop(&mut self) {
        // The node first: its teardown kills pods and undoes host state, and needs no API.
        drop(self.node.take());
        // The apiserver first, so it does not log a storm of etcd errors while dying.
        self.apiserver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stop();
        self.etcd
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stop();
        if !self.keep_dir {
            // Normally already done by etcd's watchdog; this covers a watchdog that was killed.
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn check_running(process: &Mutex<WatchedProcess>) -> Result<(), DevClusterError> {
    process
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .check_running()
}

async fn wait_for_etcd(
    etcd: &Mutex<WatchedProcess>,
    client_port: u16,
) -> Result<(), DevClusterError> {
    let deadline = Instant::now() + Duration::from_secs(ETCD_READY_TIMEOUT_SECS);
    let url = format!("http://127.0.0.1:{client_port}/health");
    let http = reqwest::Client::new();
    loop {
        check_running(etcd)?;
        if let Ok(response) = http.get(&url).send().await
            && response.status().is_success()
            && response
                .text()
                .await
                .is_ok_and(|body| body.contains(r#""health":"true""#))
        {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let log_path = etcd
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .log_path()
                .to_path_buf();
            return Err(DevClusterError::NotReady {
                component: "etcd",
                waited_secs: ETCD_READY_TIMEOUT_SECS,
                log_tail: log_tail(&log_path),
                log_path,
            });
        }
        tokio::time::sleep(Duration::from_millis(READY_POLL_MILLIS)).await;
    }
}

fn free_loopback_port() -> Result<u16, DevClusterError> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| DevClusterError::io("finding a free loopback port", e))
}

/// A new directory only the current user can read: it holds private keys and tokens.
fn create_private_temp_dir() -> Result<PathBuf, DevClusterError> {
    let suffix: u32 = rand::rng().random();
    let dir = std::env::temp_dir().join(format!(
        "fnf-devcluster-{}-{suffix:08x}",
        std::process::id()
    ));
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .map_err(|e| DevClusterError::io(format!("creating {}", dir.display()), e))?;
    Ok(dir)
}
