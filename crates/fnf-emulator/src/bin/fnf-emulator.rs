//! `fnf-emulator`: runs the local fnf service until Ctrl-C. A thin shell over
//! `fnf_emulator`; logs one line per request, never a secret.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Parser;
use fnf_emulator::{self as emulator, Account, EmulatorConfig, PreloadedFlow};

#[derive(Parser, Debug)]
#[command(
    version,
    about = "A local Alibaba Cloud Serverless Workflow (fnf) API for tests and demos"
)]
struct Args {
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// JSON configuration file (accounts, STS credentials, quotas, OIDC tokens, faults, flows).
    #[arg(long)]
    config: Option<PathBuf>,
    /// One static AccessKey ID (with --access-key-secret).
    #[arg(
        long,
        env = "FNF_EMULATOR_ACCESS_KEY_ID",
        requires = "access_key_secret"
    )]
    access_key_id: Option<String>,
    /// The secret of --access-key-id (never logged).
    #[arg(
        long,
        env = "FNF_EMULATOR_ACCESS_KEY_SECRET",
        hide_env_values = true,
        requires = "access_key_id"
    )]
    access_key_secret: Option<String>,
    /// Preload a flow: NAME=FILE (FDL YAML), repeatable.
    #[arg(long = "flow", value_name = "NAME=FILE")]
    flows: Vec<String>,
    /// Turn request quotas off.
    #[arg(long)]
    no_quotas: bool,
    /// Accept any request timestamp (replaying captured requests).
    #[arg(long)]
    no_skew_check: bool,
    /// Log as JSON lines.
    #[arg(long)]
    log_json: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    if args.log_json {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }

    let mut config = match &args.config {
        Some(path) => EmulatorConfig::from_json_file(path)?,
        None => EmulatorConfig::default(),
    };
    if args.config.is_none() || args.listen.port() != 0 {
        config.listen = args.listen;
    }
    if let (Some(id), Some(secret)) = (args.access_key_id, args.access_key_secret) {
        config.accounts.push(Account::new(id, secret));
    }
    if args.no_quotas {
        config.quotas = None;
    }
    if args.no_skew_check {
        config.check_skew = false;
    }
    for spec in &args.flows {
        let (name, file) = spec
            .split_once('=')
            .with_context(|| format!("--flow {spec}: expected NAME=FILE"))?;
        let definition = std::fs::read_to_string(file)
            .with_context(|| format!("--flow {spec}: cannot read {file}"))?;
        config.flows.push(PreloadedFlow {
            name: name.to_string(),
            definition,
            mode: Default::default(),
        });
    }

    let running = emulator::start(config).await?;
    // The one line scripts wait for to learn the port.
    println!("fnf-emulator listening on {}", running.endpoint());
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    running.shutdown().await;
    Ok(())
}
