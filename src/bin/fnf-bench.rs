//! `fnf-bench`: the status-lag benchmark (see `docs/benchmarks.md` and
//! `fnf_operator::bench`). Parses arguments and runs; all logic is in the library.

use clap::Parser;
use fnf_operator::bench::{self, BenchArgs};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = BenchArgs::parse();
    // The operator's own logs would drown the progress lines (its failed
    // reconciles are counted in the results instead); RUST_LOG overrides.
    fnf_operator::cli::init_logging_with_default(
        fnf_operator::cli::LogFormat::Text,
        "warn,fnf_operator::controller=error,fnf_operator::bench=info,kube_client=off",
    );
    let command = std::iter::once("cargo run --release --bin fnf-bench --".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    bench::run(args, command)
        .await
        .map_err(|e| anyhow::anyhow!("{} ({})", e, e.reason()))?;
    Ok(())
}
