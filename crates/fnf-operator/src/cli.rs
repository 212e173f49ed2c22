//! The `fnf-operator` command line (`run` and `call`), and the configuration
//! of `run` from flags and environment, turned into the controller's
//! settings. Bad values are refused here, at start-up, with the flag named.

use std::net::SocketAddr;
use std::time::Duration;

use crate::call::{CallArgs, SignatureArg};
use crate::config::{InputSourceWatch, LeaderElection, OperatorConfig, operator_quotas};
use crate::decide::view::{DecideSettings, STATUS_OUTPUT_MAX_BYTES};
use crate::metrics::Metrics;
use crate::watch::key::PollStrategy;
use fnf_client::client::http_client_trusting;
use fnf_client::{CredentialProvider, Endpoint, FnfError, Rate};

/// The `fnf-operator` command line.
#[derive(Debug, clap::Parser)]
#[command(
    version = crate::metrics::VERSION,
    about = "Runs Alibaba Cloud Serverless Workflow (fnf) executions from FlowExecution resources"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Run the controller (in a cluster, or against the kubeconfig's cluster).
    Run(RunArgs),
    /// Send one fnf action with the operator's credential chain and print the answer.
    Call(CallArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PollStrategyArg {
    /// DescribeExecution long-polls (WaitTimeSeconds): the default.
    LongPoll,
    /// DescribeExecution without wait every --poll-interval: the peer controllers'
    /// way, kept as a baseline for the benchmark.
    Interval,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Arguments of `fnf-operator run`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Default region of FlowExecutions without spec.region.
    #[arg(long, env = "FNF_REGION", default_value = "cn-hangzhou")]
    pub region: String,
    /// Endpoint URL for every call instead of the regional one (a VPC endpoint,
    /// or http://127.0.0.1:PORT for the local emulator).
    #[arg(long, env = "FNF_ENDPOINT")]
    pub endpoint: Option<String>,
    /// PEM file of CA certificates to trust for the cloud endpoint and STS besides the
    /// system's (a private endpoint, or a proxy that inspects TLS).
    #[arg(long, env = "FNF_CLOUD_CA_BUNDLE")]
    pub cloud_ca_bundle: Option<std::path::PathBuf>,
    #[arg(long, env = "FNF_SIGNATURE", value_enum, default_value_t = SignatureArg::Rpc)]
    pub signature: SignatureArg,
    /// DescribeExecution long-poll wait, 0–60 seconds.
    #[arg(long, env = "FNF_WAIT_TIME_SECONDS", default_value_t = 60, value_parser = clap::value_parser!(u32).range(0..=60))]
    pub wait_time_seconds: u32,
    #[arg(long, env = "FNF_POLL_STRATEGY", value_enum, default_value_t = PollStrategyArg::LongPoll)]
    pub poll_strategy: PollStrategyArg,
    /// Period of --poll-strategy interval, e.g. 10s or 500ms.
    #[arg(long, env = "FNF_POLL_INTERVAL", default_value = "10s", value_parser = parse_duration)]
    pub poll_interval: Duration,
    /// Follow running executions' history for status.currentStep (uses the
    /// GetExecutionHistory quota, never DescribeExecution's).
    #[arg(long, env = "FNF_FOLLOW_STEPS", default_value_t = true, action = clap::ArgAction::Set)]
    pub follow_steps: bool,
    /// Namespaces to watch, comma-separated; empty watches all.
    #[arg(
        long,
        env = "FNF_NAMESPACES",
        value_delimiter = ',',
        default_value = ""
    )]
    pub namespaces: Vec<String>,
    /// FlowExecutions reconciled at once; at most half of them may be
    /// starting executions (the rest stay free for running ones' news).
    #[arg(long, env = "FNF_CONCURRENCY", default_value_t = 16)]
    pub concurrency: u16,
    #[arg(long, env = "FNF_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Serves /metrics, /healthz and /readyz.
    #[arg(long, env = "FNF_METRICS_ADDR", default_value = "0.0.0.0:8080")]
    pub metrics_addr: SocketAddr,
    /// Hold a Lease so that only one replica acts.
    #[arg(long, env = "FNF_LEADER_ELECTION", default_value_t = false, action = clap::ArgAction::Set)]
    pub leader_election: bool,
    #[arg(long, env = "FNF_LEASE_NAME", default_value = "fnf-operator")]
    pub lease_name: String,
    #[arg(long, env = "POD_NAMESPACE", default_value = "default")]
    pub lease_namespace: String,
    #[arg(long, env = "FNF_LEASE_DURATION_SECONDS", default_value_t = 15)]
    pub lease_duration_seconds: u64,
    /// Allow spec.credentialsSecretRef (the operator then reads Secrets, and
    /// watches their metadata so a changed Secret is used at once).
    #[arg(long, env = "FNF_SECRET_CREDENTIALS", default_value_t = false, action = clap::ArgAction::Set)]
    pub secret_credentials: bool,
    /// spec.inputFrom may read ConfigMaps and the operator may list and watch
    /// their metadata: a changed ConfigMap runs its users' new declaration at once.
    #[arg(long, env = "FNF_INPUT_FROM_CONFIGMAPS", default_value_t = false, action = clap::ArgAction::Set)]
    pub input_from_config_maps: bool,
    /// The same for Secrets (metadata only; their data is read by name).
    #[arg(long, env = "FNF_INPUT_FROM_SECRETS", default_value_t = false, action = clap::ArgAction::Set)]
    pub input_from_secrets: bool,
    /// Per-account quotas, comma-separated Action=RATE/BURST, e.g.
    /// DescribeExecution=5/50. Unlisted actions keep 90% of the cloud's documented quotas.
    #[arg(long = "quota", env = "FNF_QUOTAS", value_delimiter = ',', value_parser = parse_quota)]
    pub quotas: Vec<(String, Rate)>,
    /// How often each Flow object's cloud flow is read back (DescribeFlow) to
    /// find and put back changes made outside the operator. 200 Flows at the
    /// default cost 0.67 DescribeFlow/s of the account's 2/s.
    #[arg(long, env = "FNF_FLOW_RESYNC_SECONDS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub flow_resync_seconds: u64,
    /// How long a missing flow is waited for before the FlowExecution is Stalled.
    #[arg(long, env = "FNF_FLOW_MISSING_GRACE_SECONDS", default_value_t = 120)]
    pub flow_missing_grace_seconds: u64,
    /// The most of an Output `status.output` holds, in bytes; a larger Output is
    /// cut there and marked `status.outputTruncated` (spec.outputTo and
    /// `kubectl fnf output` get it whole). At most 512 KiB keeps every object
    /// under etcd's 1.5 MiB.
    #[arg(long, env = "FNF_STATUS_OUTPUT_MAX_BYTES",
          default_value_t = STATUS_OUTPUT_MAX_BYTES as u64,
          value_parser = clap::value_parser!(u64).range(1024..=512 * 1024))]
    pub status_output_max_bytes: u64,
    /// Namespaces whose FlowExecutions may use execution names outside their
    /// own namespace prefix (`{namespace}_`), comma-separated; `*` allows every
    /// namespace. By default none may: a namespace can neither start, adopt nor
    /// observe another's executions.
    #[arg(
        long,
        env = "FNF_ALLOW_FOREIGN_EXECUTION_NAMES",
        value_delimiter = ',',
        default_value = "",
        value_parser = parse_namespace_or_all
    )]
    pub allow_foreign_execution_names: Vec<String>,
    /// This replica's name in the Lease and in Events (default: the host name).
    #[arg(long, env = "POD_NAME")]
    pub instance: Option<String>,
}

/// `10s`, `500ms`, `2m` or plain seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let bad = || format!("expected a duration such as 10s, 500ms or 2m, got {text:?}");
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((text, "s"), |i| text.split_at(i));
    let value: f64 = number.parse().map_err(|_| bad())?;
    let secs = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(bad()),
    };
    Duration::try_from_secs_f64(secs).map_err(|_| bad())
}

/// A namespace name (a DNS label), `*`, or empty (nothing).
pub fn parse_namespace_or_all(text: &str) -> Result<String, String> {
    let text = text.trim();
    let label = text.len() <= 63
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-');
    if text == "*" || label {
        Ok(text.to_string())
    } else {
        Err(format!(
            "expected namespace names (or *) separated by commas, got {text:?}"
        ))
    }
}

pub fn parse_quota(text: &str) -> Result<(String, Rate), String> {
    let bad =
        || format!("--quota expects Action=RATE/BURST (e.g. DescribeExecution=5/50), got {text:?}");
    let (action, shape) = text.split_once('=').ok_or_else(bad)?;
    let (rate, burst) = shape.split_once('/').ok_or_else(bad)?;
    let per_second: f64 = rate.trim().parse().map_err(|_| bad())?;
    let burst: u32 = burst.trim().parse().map_err(|_| bad())?;
    if action.is_empty() || per_second <= 0.0 || burst == 0 {
        return Err(bad());
    }
    Ok((action.trim().to_string(), Rate::new(burst, per_second)))
}

impl RunArgs {
    /// The controller's configuration. The operator's own credentials are
    /// optional: without them every FlowExecution must name a Secret.
    pub fn operator_config(&self) -> Result<OperatorConfig, FnfError> {
        let endpoint_override = self
            .endpoint
            .as_deref()
            .filter(|e| !e.is_empty())
            .map(|e| Endpoint::from_url_for_field("--endpoint", e))
            .transpose()?;
        if endpoint_override.is_none() {
            Endpoint::from_region(&self.region)
                .map_err(|e| FnfError::InvalidConfig(format!("--region: {e}")))?;
        }
        let quotas = self
            .quotas
            .iter()
            .fold(operator_quotas(), |q, (action, rate)| {
                q.with_action(action, *rate)
            });
        let cloud_http = match &self.cloud_ca_bundle {
            Some(path) => {
                let pem = std::fs::read(path).map_err(|e| {
                    FnfError::InvalidConfig(format!("--cloud-ca-bundle {}: {e}", path.display()))
                })?;
                Some(http_client_trusting(Some(&pem))?)
            }
            None => None,
        };
        let default_credentials = match CredentialProvider::from_lookup_with_http(
            |name| std::env::var(name).ok(),
            cloud_http.clone(),
        ) {
            Ok(provider) => Some(provider),
            Err(err) => {
                tracing::warn!(error = %err, "the operator has no credentials of its own; FlowExecutions must name a Secret");
                None
            }
        };
        let builder = OperatorConfig::builder(&self.region)
            .namespaces(&self.namespaces)
            .concurrency(self.concurrency)
            .follow_steps(self.follow_steps)
            .flow_resync(Duration::from_secs(self.flow_resync_seconds))
            .poll(match self.poll_strategy {
                PollStrategyArg::LongPoll => PollStrategy::LongPoll {
                    wait_time_secs: self.wait_time_seconds,
                },
                PollStrategyArg::Interval => PollStrategy::Interval {
                    period: self.poll_interval,
                },
            })
            .decide(DecideSettings {
                flow_missing_grace: Duration::from_secs(self.flow_missing_grace_seconds),
                status_output_max_bytes: usize::try_from(self.status_output_max_bytes)
                    .unwrap_or(STATUS_OUTPUT_MAX_BYTES),
                allow_foreign_execution_names: self
                    .allow_foreign_execution_names
                    .iter()
                    .filter(|n| !n.is_empty())
                    .cloned()
                    .collect(),
                ..DecideSettings::default()
            })
            .endpoint_override(endpoint_override)
            .signature(self.signature.into())
            .quotas(quotas)
            .default_credentials(default_credentials)
            .secret_credentials(self.secret_credentials)
            .input_sources(InputSourceWatch {
                config_maps: self.input_from_config_maps,
                secrets: self.input_from_secrets,
            })
            .leader_election(self.leader_election.then(|| LeaderElection {
                lease_name: self.lease_name.clone(),
                lease_namespace: self.lease_namespace.clone(),
                lease_duration_secs: self.lease_duration_seconds,
            }));
        let builder = match cloud_http {
            Some(http) => builder.cloud_http(http),
            None => builder,
        };
        match &self.instance {
            Some(instance) => builder.instance(instance.clone()),
            None => builder,
        }
        .build()
    }
}

/// Logging to stderr, text or JSON, filtered by `RUST_LOG` (default info).
pub fn init_logging(format: LogFormat) {
    init_logging_with_default(format, "info");
}

/// Like [`init_logging`], with another filter when `RUST_LOG` is unset.
pub fn init_logging_with_default(format: LogFormat, default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// `fnf-operator run`: serves metrics and runs the controller until SIGTERM
/// or Ctrl-C. Also how the benchmark runs the operator as its own process.
pub async fn run_operator(args: RunArgs) -> anyhow::Result<()> {
    let config = args.operator_config()?;
    let kube = kube::Client::try_default().await?;
    let metrics = Metrics::new();
    let server = tokio::spawn(metrics.clone().serve(args.metrics_addr));
    tracing::info!(metrics_addr = %args.metrics_addr, namespaces = ?config.namespaces, "fnf-operator starting");
    let outcome = crate::run::run(kube, config, metrics, shutdown_signal()).await;
    server.abort();
    outcome?;
    tracing::info!("fnf-operator stopped");
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operator_keeps_headroom_under_the_documented_quotas() {
        let quotas = operator_quotas();
        let describe = quotas
            .rate_for("DescribeExecution")
            .unwrap_or(Rate::new(0, 0.0));
        assert_eq!(describe.burst, 45);
        assert!((describe.per_second - 4.5).abs() < 1e-9);
        let other = quotas
            .rate_for("StopExecution")
            .unwrap_or(Rate::new(0, 0.0));
        assert_eq!(other.burst, 9);
    }

    #[test]
    fn durations_and_quotas_parse_as_documented() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("soon").is_err());
        let (action, rate) =
            parse_quota("DescribeExecution=2.5/50").unwrap_or((String::new(), Rate::new(0, 0.0)));
        assert_eq!((action.as_str(), rate.burst), ("DescribeExecution", 50));
        assert!(parse_quota("DescribeExecution=5").is_err());
    }

    #[test]
    fn foreign_execution_names_are_allowed_per_namespace_or_everywhere() {
        use clap::Parser as _;
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            run: RunArgs,
        }
        let parse = |args: &[&str]| {
            Cli::try_parse_from(std::iter::once("fnf-operator").chain(args.iter().copied()))
                .map(|cli| cli.run.allow_foreign_execution_names)
        };
        assert_eq!(
            parse(&["--allow-foreign-execution-names", "ns1,ns2"]).ok(),
            Some(vec!["ns1".to_string(), "ns2".to_string()])
        );
        assert_eq!(
            parse(&["--allow-foreign-execution-names", "*"]).ok(),
            Some(vec!["*".to_string()])
        );
        assert!(parse(&["--allow-foreign-execution-names", "Team_A"]).is_err());
    }
}
