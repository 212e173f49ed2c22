//! `kubectl fnf`: installed as `kubectl-fnf` on PATH, kubectl finds it as a
//! plugin. The work is in `kubectl_fnf`.

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;
use kubectl_fnf::{self as plugin, Cli};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // Help and --version go to stdout with success; usage errors fail.
            let _ = err.print();
            return if err.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // Quiet unless RUST_LOG says otherwise: the result is the output.
    fnf_operator::cli::init_logging_with_default(fnf_operator::cli::LogFormat::Text, "error");
    fnf_client::install_crypto_provider();
    match plugin::run(&cli).await {
        Ok(text) => {
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
            {
                // A closed pipe (`| head`) is the reader's choice, not a failure.
                Ok(()) => ExitCode::SUCCESS,
                Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("error: {}", plugin::PluginError::Write(err.to_string()));
                    ExitCode::FAILURE
                }
            }
        }
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}
