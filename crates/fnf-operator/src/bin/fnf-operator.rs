//! fnf-operator: `run` the controller, or `call` one fnf action by hand.

use clap::Parser;
use fnf_operator::call::run_call;
use fnf_operator::cli::{Cli, Command, LogFormat, init_logging, run_operator};

#[global_allocator]
static ALLOCATOR: fnf_operator::Allocator = fnf_operator::Allocator;

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
