//! `fnf-bench`: the status-lag benchmark (see `docs/benchmarks.md` and
//! `fnf_bench`). Parses arguments and runs; all logic is in the library.

use clap::Parser;
use fnf_bench::BenchArgs;
use fnf_bench::operator::OPERATOR_SUBCOMMAND;
use fnf_operator::cli::{RunArgs, init_logging, run_operator};

/// The operator's allocator, so `fnf-bench operator run` measures what ships.
#[global_allocator]
static ALLOCATOR: fnf_operator::Allocator = fnf_operator::Allocator;

/// `fnf-bench operator run …`: the operator under test, as its own process.
#[derive(Parser)]
enum OperatorCommand {
    Run(RunArgs),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    if std::env::args().nth(1).as_deref() == Some(OPERATOR_SUBCOMMAND) {
        fnf_client::install_crypto_provider();
        let OperatorCommand::Run(args) = OperatorCommand::parse_from(std::env::args().skip(1));
        init_logging(args.log_format);
        return run_operator(args).await;
    }
    let args = BenchArgs::parse();
    // The operator's own logs would drown the progress lines (its failed
    // reconciles are counted in the results instead); RUST_LOG overrides.
    fnf_operator::cli::init_logging_with_default(
        fnf_operator::cli::LogFormat::Text,
        "warn,fnf_operator::reconcile=error,fnf_operator::watch=error,fnf_operator::run=error,fnf_bench=info,kube_client=off",
    );
    // What was run, as the document records it (a debug build says so).
    let build = if cfg!(debug_assertions) {
        "cargo run --bin fnf-bench --"
    } else {
        "cargo run --release --bin fnf-bench --"
    };
    let command = std::iter::once(build.to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    fnf_bench::run(args, command)
        .await
        .map_err(|e| anyhow::anyhow!("{} ({})", e, e.reason()))?;
    Ok(())
}
