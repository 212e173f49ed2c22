//! Shared by the node tests: the switch, the operator image (built and loaded once), and a
//! per-test namespace with the HTTPS emulator, the credentials Secret and a Helm release.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use fnf_emulator::{Account, EmulatorConfig, ExecutionMode};
use fnf_operator::crd::FlowExecution;
use fnf_testkit::devcluster::node::operator_image::{
    build_release_binary, dockerfile_final_stage, operator_image_spec,
};
use fnf_testkit::devcluster::node::{TlsEmulator, start_tls_emulator};
use fnf_testkit::devcluster::{self, DevCluster};
use fnf_testkit::sandbox::{SANDBOX_ACCESS_KEY_ID, SANDBOX_ACCESS_KEY_SECRET};
use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::{ListParams, PostParams};
use tokio::sync::OnceCell;

/// The one switch for this binary.
pub const SWITCH: &str = "FNF_NODE_TESTS";
pub const IMAGE_REPOSITORY: &str = "localhost/fnf-operator";
pub const IMAGE_TAG: &str = "node-test";
/// Wait 5 s, then succeed: long enough to kill a pod mid-run.
pub const FLOW_SHORT: &str = "Type: StateMachine\nSpecVersion: v1\nName: short\nStartAt: Pause\nStates:\n  - Type: Wait\n    Name: Pause\n    Seconds: 5\n    Next: Done\n  - Type: Succeed\n    Name: Done\n";
/// Wait 20 s, then succeed.
pub const FLOW_SLOW: &str = "Type: StateMachine\nSpecVersion: v1\nName: slow\nStartAt: Pause\nStates:\n  - Type: Wait\n    Name: Pause\n    Seconds: 20\n    Next: Done\n  - Type: Succeed\n    Name: Done\n";
const CREDENTIALS_SECRET: &str = "fnf-operator-credentials";

static IMAGE_LOADED: OnceCell<()> = OnceCell::const_new();
static CRDS_INSTALLED: OnceCell<()> = OnceCell::const_new();

/// `false` (and a note on stderr) unless `FNF_NODE_TESTS=1`.
pub fn enabled(test: &str) -> bool {
    let on = std::env::var(SWITCH).is_ok_and(|v| v == "1");
    if !on {
        eprintln!("{test}: skipped; set {SWITCH}=1 to run the node tests (root, see README)");
    }
    on
}

pub struct NodeEnv {
    pub cluster: &'static DevCluster,
    pub namespace: String,
    pub admin: kube::Client,
    pub api: Api<FlowExecution>,
    pub tls: TlsEmulator,
    pub release: String,
    ca_file: tempfile::NamedTempFile,
}

impl NodeEnv {
    /// The shared node, the operator image, the CRDs, a `restricted` namespace, an HTTPS
    /// emulator with the test flows and the Secret the chart reads credentials from.
    pub async fn new(prefix: &str) -> NodeEnv {
        fnf_client::install_crypto_provider();
        let cluster = devcluster::shared_with_node().await.expect("node cluster");
        CRDS_INSTALLED
            .get_or_init(|| async {
                let crd = fnf_testkit::repo_path(fnf_operator::crd::CRD_PATHS[1]);
                cluster.install_crds_from_yaml(&crd).await.expect("CRDs");
            })
            .await;
        IMAGE_LOADED
            .get_or_init(|| load_operator_image(cluster))
            .await;
        let namespace = cluster.create_namespace(prefix).await.expect("namespace");
        kubectl(
            cluster,
            &[
                "label",
                "namespace",
                &namespace,
                "pod-security.kubernetes.io/enforce=restricted",
                "pod-security.kubernetes.io/enforce-version=latest",
            ],
        )
        .await;
        let admin = cluster.admin_client().await.expect("admin client");
        let tls = start_tls_emulator(EmulatorConfig {
            accounts: vec![Account::new(
                SANDBOX_ACCESS_KEY_ID,
                SANDBOX_ACCESS_KEY_SECRET,
            )],
            ..EmulatorConfig::default()
        })
        .await
        .expect("TLS emulator");
        for (name, definition) in [("short", FLOW_SHORT), ("slow", FLOW_SLOW)] {
            tls.emulator
                .create_flow(name, definition, ExecutionMode::Standard)
                .expect("flow");
        }
        let ca_file = tempfile::NamedTempFile::new().expect("temp file");
        std::fs::write(ca_file.path(), &tls.ca_pem).expect("write CA");
        kubectl(
            cluster,
            &[
                "create",
                "secret",
                "generic",
                CREDENTIALS_SECRET,
                "-n",
                &namespace,
                &format!("--from-literal=accessKeyId={SANDBOX_ACCESS_KEY_ID}"),
                &format!("--from-literal=accessKeySecret={SANDBOX_ACCESS_KEY_SECRET}"),
            ],
        )
        .await;
        NodeEnv {
            cluster,
            api: Api::namespaced(admin.clone(), &namespace),
            release: "fnf".to_owned(),
            namespace,
            admin,
            tls,
            ca_file,
        }
    }

    /// The Deployment's name (and the Lease's): the release's full name.
    pub fn fullname(&self) -> String {
        format!("{}-fnf-operator", self.release)
    }

    /// `helm install --wait` (or `upgrade --install`) of the chart with the node's image,
    /// the emulator's endpoint and CA, and `sets` on top. Panics with helm's output on failure.
    pub async fn helm_install(&self, sets: &[&str]) {
        let output = self.helm_install_output(sets).await;
        assert!(
            output.status.success(),
            "helm install failed:\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    pub async fn helm_install_output(&self, sets: &[&str]) -> std::process::Output {
        let chart = fnf_testkit::repo_path("charts/fnf-operator");
        let mut args: Vec<String> = vec![
            "upgrade".into(),
            "--install".into(),
            self.release.clone(),
            chart.display().to_string(),
            "--namespace".into(),
            self.namespace.clone(),
            "--wait".into(),
            "--timeout".into(),
            "300s".into(),
            "--skip-crds".into(),
            "--set-file".into(),
            format!("cloudCABundle.pem={}", self.ca_file.path().display()),
        ];
        let base = [
            format!("image.repository={IMAGE_REPOSITORY}"),
            format!("image.tag={IMAGE_TAG}"),
            "image.pullPolicy=Never".to_owned(),
            format!("endpoint={}", self.tls.emulator.endpoint()),
            format!("watchNamespaces={{{}}}", self.namespace),
            format!("credentials.existingSecret={CREDENTIALS_SECRET}"),
        ];
        // RUST_LOG for the operator pods, when debugging: FNF_NODE_OPERATOR_RUST_LOG=debug.
        let debug_log = std::env::var("FNF_NODE_OPERATOR_RUST_LOG")
            .ok()
            .map(|filter| {
                [
                    "extraEnv[0].name=RUST_LOG".to_owned(),
                    // helm --set splits on unescaped commas.
                    format!("extraEnv[0].value={}", filter.replace(',', "\\,")),
                ]
            })
            .into_iter()
            .flatten();
        let base: Vec<String> = base.into_iter().chain(debug_log).collect();
        for set in base.iter().map(String::as_str).chain(sets.iter().copied()) {
            args.push("--set".into());
            args.push(set.to_owned());
        }
        self.cluster.helm(&args).await.expect("run helm")
    }

    pub async fn create(&self, name: &str, flow: &str) {
        let fe: FlowExecution = serde_json::from_value(serde_json::json!({
            "apiVersion": "fnf-operator.dev/v1alpha1",
            "kind": "FlowExecution",
            "metadata": {"name": name},
            "spec": {"flowName": flow},
        }))
        .unwrap();
        self.api.create(&PostParams::default(), &fe).await.unwrap();
    }

    /// Waits until `check` holds for the FlowExecution, panicking after `timeout`.
    pub async fn wait_for(
        &self,
        name: &str,
        timeout: Duration,
        check: impl Fn(&FlowExecution) -> bool,
    ) -> FlowExecution {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(fe) = self.api.get(name).await
                && check(&fe)
            {
                return fe;
            }
            if Instant::now() >= deadline {
                let last = self.api.get(name).await.ok();
                panic!(
                    "{name} did not reach the state in {timeout:?}; last: {:?}\n{}",
                    last.and_then(|fe| fe.status),
                    self.operator_logs().await
                );
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    pub async fn operator_pods(&self) -> Vec<Pod> {
        let pods: Api<Pod> = Api::namespaced(self.admin.clone(), &self.namespace);
        let selector = format!("app.kubernetes.io/instance={}", self.release);
        pods.list(&ListParams::default().labels(&selector))
            .await
            .unwrap()
            .items
    }

    /// The operator pods' logs, for failure messages.
    pub async fn operator_logs(&self) -> String {
        let selector = format!("app.kubernetes.io/instance={}", self.release);
        let output = self
            .cluster
            .kubectl([
                "logs",
                "-n",
                &self.namespace,
                "-l",
                &selector,
                "--tail=150",
                "--prefix",
            ])
            .await
            .expect("kubectl logs");
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    }
}

pub async fn kubectl(cluster: &DevCluster, args: &[&str]) -> String {
    let output = cluster.kubectl(args).await.expect("run kubectl");
    assert!(
        output.status.success(),
        "kubectl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Builds the release binary, assembles the image from the Dockerfile's final stage and
/// loads it into the node.
async fn load_operator_image(cluster: &'static DevCluster) {
    let binary: PathBuf = tokio::task::spawn_blocking(build_release_binary)
        .await
        .unwrap()
        .expect("release build");
    let dockerfile =
        std::fs::read_to_string(fnf_testkit::repo_path("Dockerfile")).expect("Dockerfile");
    let stage = dockerfile_final_stage(&dockerfile).expect("final stage");
    let spec = operator_image_spec(&format!("{IMAGE_REPOSITORY}:{IMAGE_TAG}"), &binary, &stage)
        .expect("image spec");
    cluster
        .node()
        .expect("a node")
        .load_image(&spec)
        .await
        .expect("load image");
}

pub fn phase(fe: &FlowExecution) -> Option<&str> {
    fnf_testkit::e2e::phase(fe)
}
