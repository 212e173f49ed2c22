//! fnf-operator: `run` the controller, or `call` one fnf action by hand.

use clap::{Parser, Subcommand};
use fnf_operator::call::{CallArgs, run_call};
use fnf_operator::cli::{LogFormat, RunArgs, init_logging, run_operator};

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
    fnf_client::install_crypto_provider();
    match Cli::parse().command {
        Command::Run(args) => {
            init_logging(args.log_format);
            run_operator(args).await
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
