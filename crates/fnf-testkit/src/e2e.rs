//! End-to-end scaffolding: the shared real control plane, a fresh namespace,
//! a real emulator and the real operator (in this process or as the built
//! binary) per test.

use std::time::{Duration, Instant};

use crate::devcluster::{self, DevCluster};
use crate::sandbox::{self, OperatorTask};
use fnf_emulator::{ExecutionMode, RunningEmulator};
use fnf_operator::crd::FlowExecution;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use tokio::sync::OnceCell;

/// Pass -> Wait 1 s -> Succeed; the output is the input.
pub const FLOW_QUICK: &str = "Type: StateMachine\nSpecVersion: v1\nName: quick\nStartAt: Greet\nStates:\n  - Type: Pass\n    Name: Greet\n    Next: Pause\n  - Type: Wait\n    Name: Pause\n    Seconds: 1\n    Next: Done\n  - Type: Succeed\n    Name: Done\n";
/// Wait 1 s, then fail with an error and a cause.
pub const FLOW_FAILING: &str = "Type: StateMachine\nSpecVersion: v1\nName: failing\nStartAt: Pause\nStates:\n  - Type: Wait\n    Name: Pause\n    Seconds: 1\n    Next: Boom\n  - Type: Fail\n    Name: Boom\n    Error: PaymentDeclined\n    Cause: card expired\n";
/// Runs for 60 s: long enough to stop, delete or kill things mid-run.
pub const FLOW_LONG: &str = "Type: StateMachine\nSpecVersion: v1\nName: long\nStartAt: Pause\nStates:\n  - Type: Wait\n    Name: Pause\n    Seconds: 60\n    Next: Done\n  - Type: Succeed\n    Name: Done\n";

static CRD_INSTALLED: OnceCell<()> = OnceCell::const_new();

pub struct Env {
    pub cluster: &'static DevCluster,
    pub namespace: String,
    pub admin: kube::Client,
    pub api: Api<FlowExecution>,
    pub emulator: RunningEmulator,
}

impl Env {
    /// A namespace, an emulator with the three test flows, no operator yet.
    pub async fn new(prefix: &str) -> Env {
        fnf_client::install_crypto_provider();
        let cluster = devcluster::shared().await.expect("control plane");
        CRD_INSTALLED
            .get_or_init(|| async {
                crate::install_operator_crds(cluster)
                    .await
                    .expect("install CRDs");
            })
            .await;
        let namespace = cluster.create_namespace(prefix).await.expect("namespace");
        let admin = cluster.admin_client().await.expect("admin client");
        let api = Api::namespaced(admin.clone(), &namespace);
        let emulator = sandbox::start_emulator().await.expect("emulator");
        for (name, def) in [
            ("quick", FLOW_QUICK),
            ("failing", FLOW_FAILING),
            ("long", FLOW_LONG),
        ] {
            emulator
                .create_flow(name, def, ExecutionMode::Standard)
                .expect("flow");
        }
        Env {
            cluster,
            namespace,
            admin,
            api,
            emulator,
        }
    }

    /// The operator in this process, watching only this test's namespace.
    pub fn start_operator(&self) -> OperatorTask {
        let config =
            sandbox::operator_config(&self.emulator.endpoint(), vec![self.namespace.clone()], 60)
                .expect("operator config");
        OperatorTask::start(self.admin.clone(), config)
    }

    pub async fn create(&self, name: &str, spec: serde_json::Value) -> FlowExecution {
        let fe: FlowExecution = serde_json::from_value(serde_json::json!({
            "apiVersion": "fnf-operator.dev/v1alpha1",
            "kind": "FlowExecution",
            "metadata": {"name": name},
            "spec": spec,
        }))
        .expect("valid FlowExecution");
        self.api
            .create(&PostParams::default(), &fe)
            .await
            .expect("create FlowExecution")
    }

    /// Creates `run-0` … `run-{count - 1}`, 16 at a time, and says how long it took.
    pub async fn create_many(&self, count: usize, spec: impl Fn(usize) -> serde_json::Value) {
        use futures::StreamExt;
        let started = Instant::now();
        futures::stream::iter(0..count)
            .map(|i| self.create_owned(format!("run-{i}"), spec(i)))
            .buffer_unordered(16)
            .collect::<Vec<_>>()
            .await;
        eprintln!(
            "created {count} FlowExecutions in {:.1}s",
            started.elapsed().as_secs_f64()
        );
    }

    async fn create_owned(&self, name: String, spec: serde_json::Value) -> FlowExecution {
        self.create(&name, spec).await
    }

    pub async fn patch_spec(
        &self,
        name: &str,
        spec: serde_json::Value,
    ) -> Result<FlowExecution, kube::Error> {
        self.api
            .patch(
                name,
                &PatchParams::default(),
                &Patch::Merge(serde_json::json!({"spec": spec})),
            )
            .await
    }

    pub async fn delete(&self, name: &str) {
        self.api
            .delete(name, &DeleteParams::default())
            .await
            .expect("delete");
    }

    /// Polls until `done` holds, or panics after `timeout` with the last object.
    pub async fn wait_for(
        &self,
        name: &str,
        timeout: Duration,
        done: impl Fn(&FlowExecution) -> bool,
    ) -> FlowExecution {
        let deadline = Instant::now() + timeout;
        loop {
            let fe = self.api.get(name).await.expect("get FlowExecution");
            if done(&fe) {
                return fe;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting on {name}: {:#?}", fe.status);
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub async fn wait_gone(&self, name: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.api.get_opt(name).await.expect("get").is_some() {
            assert!(Instant::now() < deadline, "{name} was not deleted in time");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub async fn kubectl(&self, args: &[&str]) -> String {
        let out = self.cluster.kubectl(args).await.expect("kubectl runs");
        assert!(
            out.status.success(),
            "kubectl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Env {
    /// The executions of `flow` that the object `name` of this namespace
    /// started, with how often each was created: its default name (`Once`),
    /// or its runs' names (`{default}_R…`, `runPolicy: OnChange`). Object
    /// names hold no `_`, so no other object's names match.
    pub fn runs_of(&self, flow: &str, name: &str) -> Vec<(String, u64)> {
        let base = format!("{}_{}", self.namespace, name.replace('.', "_"));
        let runs = format!("{base}_R");
        self.emulator
            .counters()
            .executions_created
            .get(flow)
            .map(|names| {
                names
                    .iter()
                    .filter(|(n, _)| **n == base || n.starts_with(&runs))
                    .map(|(n, count)| (n.clone(), *count))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The one execution name object `name` started for `flow` (its default
    /// name while it started none).
    pub fn run_name(&self, flow: &str, name: &str) -> String {
        self.runs_of(flow, name)
            .into_iter()
            .next()
            .map(|(n, _)| n)
            .unwrap_or_else(|| format!("{}_{}", self.namespace, name.replace('.', "_")))
    }
}

pub fn condition<'a>(fe: &'a FlowExecution, type_: &str) -> Option<&'a str> {
    fe.status
        .as_ref()?
        .condition(type_)
        .map(|c| c.status.as_str())
}

pub fn phase(fe: &FlowExecution) -> Option<&str> {
    fe.status.as_ref()?.phase.as_deref()
}

pub fn completed(fe: &FlowExecution) -> bool {
    condition(fe, "Completed") == Some("True")
}

/// Polls the async `check` every 500 ms until it holds or `timeout` passes;
/// returns whether it held.
pub async fn eventually_holds<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    false
}
