//! fnf-operator: `run` the controller, or `call` one fnf action by hand.

use clap::{Parser, Subcommand};
use fnf_operator::cli::{LogFormat, RunArgs, init_logging};
use fnf_operator::controller::{Metrics, run};
use fnf_operator::fnf::call::{CallArgs, run_call};

#[derive(Parser)]
#[command(
    version,
    about = "Runs Alibaba Cloud Serverless Workflow (fnf) executions from FlowExecution resources"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the controller (in a cluster, or against the kubeconfig's cluster).
    Run(RunArgs),
    /// Send one fnf action with the operator's credential chain and print the answer.
    Call(CallArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    fnf_operator::fnf::install_crypto_provider();
    match Cli::parse().command {
        Command::Run(args) => {
            init_logging(args.log_format);
            let config = args.operator_config()?;
            let kube = kube::Client::try_default().await?;
            let metrics = Metrics::new();
            let server = tokio::spawn(metrics.clone().serve(args.metrics_addr));
            tracing::info!(metrics_addr = %args.metrics_addr, namespaces = ?config.namespaces, "fnf-operator starting");
            let outcome = run(kube, config, metrics, shutdown_signal()).await;
            server.abort();
            outcome?;
            tracing::info!("fnf-operator stopped");
            Ok(())
        }
        Command::Call(args) => {
            init_logging(LogFormat::Text);
            match run_call(&args).await {
                Ok(answer) => {
                    println!("{}", serde_json::to_string_pretty(&answer)?);
                    Ok(())
                }
                Err(err) => {
                    eprintln!("error ({}): {err}", err.reason());
                    std::process::exit(1);
                }
            }
        }
    }
}

/// SIGTERM (Kubernetes) or Ctrl-C.
async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = terminate => {},
    }
}
