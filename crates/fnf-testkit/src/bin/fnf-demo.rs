//! The README's first command: a local control plane, the fnf emulator with the
//! example flow, the operator, and the example FlowExecution watched from
//! Pending to Succeeded, as a user would see it with kubectl. Everything stops
//! at the end unless `--keep` is given.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use fnf_emulator::ExecutionMode;
use fnf_testkit::devcluster::DevCluster;
use fnf_testkit::sandbox::{self, OperatorTask};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, PostParams};

const DEMO_NAMESPACE: &str = "demo";
const DEMO_TIMEOUT: Duration = Duration::from_secs(120);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let keep = std::env::args().any(|a| a == "--keep");
    if std::env::args().any(|a| a == "--help" || a == "-h") {
        println!(
            "fnf-demo [--keep]\n  Runs the local control plane, the fnf emulator and the operator, applies examples/start.yaml and shows it succeed.\n  --keep  leave everything running and print the kubeconfig path; Ctrl-C stops it."
        );
        return Ok(());
    }
    fnf_client::install_crypto_provider();
    // kubectl's view is the point here; RUST_LOG=info shows the operator's own logs.
    fnf_operator::cli::init_logging_with_default(
        fnf_operator::cli::LogFormat::Text,
        "warn,kube_client=off",
    );
    let root = Path::new(fnf_testkit::REPO_ROOT);

    step(
        "starting the local control plane (the first run builds kube-apiserver, etcd, kubectl and helm: ~10 min)",
    );
    let started = Instant::now();
    let cluster = DevCluster::start()
        .await
        .context("starting the control plane")?;
    println!(
        "    ready in {:.1}s; kubeconfig {}",
        started.elapsed().as_secs_f64(),
        cluster.kubeconfig_path().display()
    );
    cluster
        .install_crds_from_yaml(&root.join(fnf_operator::crd::FLOW_CRD_PATHS[0]))
        .await?;
    cluster
        .install_crds_from_yaml(&root.join(fnf_operator::crd::CRD_PATHS[0]))
        .await
        .context("installing the FlowExecution CRD")?;
    cluster
        .install_crds_from_yaml(&root.join(fnf_operator::crd::CRON_CRD_PATHS[0]))
        .await
        .context("installing the CronFlowExecution CRD")?;

    step("starting the fnf emulator with flow \"hello\" (examples/flow-hello.yaml)");
    let emulator = sandbox::start_emulator().await?;
    let flow = std::fs::read_to_string(root.join("examples/flow-hello.yaml"))?;
    emulator.create_flow("hello", &flow, ExecutionMode::Standard)?;
    println!("    listening on {}", emulator.endpoint());

    step("starting fnf-operator against the emulator");
    let admin = cluster.admin_client().await?;
    let operator = OperatorTask::start(
        admin.clone(),
        sandbox::operator_config(&emulator.endpoint(), vec![], 60)?,
    );

    let namespaces: Api<Namespace> = Api::all(admin);
    let ns = Namespace {
        metadata: kube::api::ObjectMeta {
            name: Some(DEMO_NAMESPACE.into()),
            ..Default::default()
        },
        ..Default::default()
    };
    namespaces.create(&PostParams::default(), &ns).await?;

    step("kubectl apply -n demo -f examples/start.yaml");
    let example = root.join("examples/start.yaml");
    kubectl(
        &cluster,
        &[
            "apply",
            "-n",
            DEMO_NAMESPACE,
            "-f",
            &example.to_string_lossy(),
        ],
    )
    .await?;

    step("kubectl get flowexecutions -n demo --watch (printed on every change)");
    let deadline = Instant::now() + DEMO_TIMEOUT;
    let mut last = String::new();
    loop {
        let table = kubectl(&cluster, &["get", "flowexecutions", "-n", DEMO_NAMESPACE]).await?;
        if table != last {
            print!("{table}");
            last = table;
        }
        let completed = kubectl(
            &cluster,
            &[
                "get",
                "fe",
                "hello",
                "-n",
                DEMO_NAMESPACE,
                "-o",
                "jsonpath={.status.conditions[?(@.type==\"Completed\")].status}",
            ],
        )
        .await?;
        if completed.trim() == "True" {
            break;
        }
        if Instant::now() > deadline {
            bail!("the FlowExecution did not complete within {DEMO_TIMEOUT:?}");
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    step("kubectl wait --for=condition=Succeeded fe/hello -n demo");
    print!(
        "{}",
        kubectl(
            &cluster,
            &[
                "wait",
                "--for=condition=Succeeded",
                "fe/hello",
                "-n",
                DEMO_NAMESPACE,
                "--timeout=30s"
            ]
        )
        .await?
    );
    step("kubectl get fe hello -n demo -o jsonpath='{.status.output}'");
    let output = kubectl(
        &cluster,
        &[
            "get",
            "fe",
            "hello",
            "-n",
            DEMO_NAMESPACE,
            "-o",
            "jsonpath={.status.output}",
        ],
    )
    .await?;
    match serde_json::from_str::<serde_json::Value>(&output) {
        Ok(json) => println!("{}", serde_json::to_string_pretty(&json)?),
        Err(_) => println!("{output}"),
    }
    step("kubectl get events -n demo");
    print!(
        "{}",
        kubectl(
            &cluster,
            &[
                "get",
                "events",
                "-n",
                DEMO_NAMESPACE,
                "--sort-by=.metadata.creationTimestamp"
            ]
        )
        .await?
    );

    if keep {
        println!(
            "\nEverything keeps running. Try:\n  export KUBECONFIG={}\n  {} get fe -A -o wide\nfnf emulator: {} (key {})\nCtrl-C stops it all.",
            cluster.kubeconfig_path().display(),
            cluster.binaries().kubectl.display(),
            emulator.endpoint(),
            sandbox::SANDBOX_ACCESS_KEY_ID
        );
        tokio::signal::ctrl_c().await?;
    }
    step("stopping the operator, the emulator and the control plane");
    operator.stop().await?;
    emulator.shutdown().await;
    cluster.shutdown().await?;
    println!("\nThe FlowExecution went from Pending to Succeeded.");
    Ok(())
}

fn step(text: &str) {
    println!("\n==> {text}");
}

async fn kubectl(cluster: &DevCluster, args: &[&str]) -> anyhow::Result<String> {
    let out = cluster.kubectl(args).await?;
    if !out.status.success() {
        bail!(
            "kubectl {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
