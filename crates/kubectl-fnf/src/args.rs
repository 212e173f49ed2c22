//! The command line of `kubectl fnf`: what `--help` says is the manual.
//!
//! Pure: parsing only.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use fnf_client::actions::HISTORY_PAGE_MAX_EVENTS;

pub const ENV_REGION: &str = "FNF_REGION";
pub const ENV_ENDPOINT: &str = "FNF_ENDPOINT";

/// Inspect FlowExecutions (fnf-operator.dev) beyond what `kubectl get` shows.
#[derive(Debug, Parser)]
#[command(
    name = "kubectl-fnf",
    bin_name = "kubectl fnf",
    version,
    after_help = "Credentials for `history` (and `output` of a truncated Output): the Secret named by spec.credentialsSecretRef when set, \
otherwise ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET \
(optionally ALIBABA_CLOUD_SECURITY_TOKEN), or RRSA (ALIBABA_CLOUD_ROLE_ARN, \
ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE)."
)]
pub struct Cli {
    #[command(flatten)]
    pub kube: KubeArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
#[command(next_help_heading = "Cluster options")]
pub struct KubeArgs {
    /// Namespace of the FlowExecution. Default: the kubeconfig context's, else `default`.
    #[arg(short = 'n', long, global = true)]
    pub namespace: Option<String>,
    /// Kubeconfig context to use. Default: the current context.
    #[arg(long, global = true)]
    pub context: Option<String>,
    /// Kubeconfig file. Default: KUBECONFIG, else ~/.kube/config, else in-cluster.
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the execution's event history from the cloud (GetExecutionHistory, all pages).
    History(HistoryArgs),
    /// Print the execution's Output as pretty JSON: from the FlowExecution's status, or
    /// from the cloud (DescribeExecution) when the status holds only its first bytes
    /// (status.outputTruncated).
    Output(OutputArgs),
    /// Run the flow again with the same input: set spec.runKey to the current time
    /// (runPolicy OnChange only; the way `kubectl rollout restart` restarts a Deployment).
    Rerun(NameArgs),
    /// List the current run and the last finished ones (status.runs), newest first.
    Runs(NameArgs),
    /// Create one run now from a CronFlowExecution's template, the way
    /// `kubectl create job --from=cronjob/NAME` does: a FlowExecution owned by it.
    Run(RunArgs),
    /// Wait until the current spec's run has completed (or succeeded): a condition
    /// the operator wrote for an earlier generation of the spec never counts. Exit 0
    /// when met, 1 when it cannot be (--for succeeded and the run failed), 2 on timeout.
    Wait(WaitArgs),
    /// Show how the flow definition in the cloud (DescribeFlow) differs from a `Flow`
    /// object's spec.definition: `-` lines are the cloud's, `+` lines the spec's.
    Diff(DiffArgs),
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The Flow object's name.
    pub name: String,
    /// Region for a Flow without spec.region (the operator's default region).
    #[arg(long, env = ENV_REGION)]
    pub region: Option<String>,
    /// Send requests here instead of the region's public host: a VPC host, or the emulator.
    #[arg(long, env = ENV_ENDPOINT, value_name = "URL")]
    pub endpoint: Option<String>,
}

#[derive(Debug, Args)]
pub struct NameArgs {
    /// The FlowExecution's name.
    pub name: String,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Where the run comes from: `cronflowexecution/NAME` (or `cfe/NAME`).
    #[arg(long = "from", value_name = "KIND/NAME", value_parser = parse_from)]
    pub from: String,
    /// The new FlowExecution's name. Default: `{NAME}-manual-{unix seconds}`.
    pub name: Option<String>,
}

/// The CronFlowExecution's name in `cronflowexecution/NAME`.
pub fn parse_from(text: &str) -> Result<String, String> {
    let (kind, name) = text
        .split_once('/')
        .ok_or_else(|| format!("{text:?} is not KIND/NAME, e.g. cronflowexecution/nightly"))?;
    let kind = kind.to_ascii_lowercase();
    let known = ["cronflowexecution", "cronflowexecutions", "cfe"];
    let kind = kind.strip_suffix(".fnf-operator.dev").unwrap_or(&kind);
    if !known.contains(&kind) {
        return Err(format!(
            "runs come from a CronFlowExecution: --from=cronflowexecution/NAME, not {text:?}"
        ));
    }
    if name.is_empty() {
        return Err(format!("{text:?} names no CronFlowExecution"));
    }
    Ok(name.to_string())
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// The FlowExecution's name.
    pub name: String,
    /// What to wait for: `completed` (the run ended, however) or `succeeded`.
    #[arg(long = "for", value_enum, default_value_t = WaitFor::Completed)]
    pub for_: WaitFor,
    /// How long to wait: e.g. `90s`, `10m`, `1h30m`, or plain seconds.
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    pub timeout: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WaitFor {
    /// Completed=True for the current generation.
    Completed,
    /// Succeeded=True for the current generation; a failed run ends the wait with exit 1.
    Succeeded,
}

/// `90`, `90s`, `10m`, `1h30m`, `1.5h`: kubectl's duration forms, in hours,
/// minutes and seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total = 0.0_f64;
    let mut number = String::new();
    for c in text.chars() {
        match c {
            '0'..='9' | '.' => number.push(c),
            'h' | 'm' | 's' => {
                let value: f64 = number
                    .parse()
                    .map_err(|_| format!("{text:?} is not a duration like 90s, 10m or 1h30m"))?;
                number.clear();
                total += value
                    * match c {
                        'h' => 3600.0,
                        'm' => 60.0,
                        _ => 1.0,
                    };
            }
            _ => return Err(format!("{text:?} is not a duration like 90s, 10m or 1h30m")),
        }
    }
    if !number.is_empty() || text.is_empty() {
        return Err(format!("{text:?} is not a duration like 90s, 10m or 1h30m"));
    }
    Duration::try_from_secs_f64(total).map_err(|err| format!("{text:?}: {err}"))
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The FlowExecution's name.
    pub name: String,
    /// Region for a FlowExecution without spec.region (the operator's default region).
    #[arg(long, env = ENV_REGION)]
    pub region: Option<String>,
    /// Send requests here instead of the region's public host: a VPC host, or the emulator.
    #[arg(long, env = ENV_ENDPOINT, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value_t = HistoryFormat::Table)]
    pub format: HistoryFormat,
    /// Print each event's detail whole (same as `-o wide`).
    #[arg(long)]
    pub wide: bool,
    /// Events per GetExecutionHistory call.
    #[arg(long, default_value_t = HISTORY_PAGE_MAX_EVENTS,
          value_parser = clap::value_parser!(u32).range(1..=i64::from(HISTORY_PAGE_MAX_EVENTS)))]
    pub page_size: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HistoryFormat {
    /// A table; long details are cut.
    Table,
    /// A table with details whole.
    Wide,
    /// The events as a JSON array, with the cloud's field names.
    Json,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// The FlowExecution's name.
    pub name: String,
    /// Region for a FlowExecution without spec.region, when the Output is read from the cloud.
    #[arg(long, env = ENV_REGION)]
    pub region: Option<String>,
    /// Send requests here instead of the region's public host: a VPC host, or the emulator.
    #[arg(long, env = ENV_ENDPOINT, value_name = "URL")]
    pub endpoint: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn namespace_may_follow_the_subcommand_as_kubectl_users_write_it() {
        let cli = Cli::try_parse_from([
            "kubectl-fnf",
            "history",
            "run",
            "-n",
            "team-a",
            "-o",
            "json",
        ])
        .unwrap();
        assert_eq!(cli.kube.namespace.as_deref(), Some("team-a"));
        match cli.command {
            Command::History(args) => {
                assert_eq!(args.name, "run");
                assert_eq!(args.format, HistoryFormat::Json);
                assert_eq!(args.page_size, HISTORY_PAGE_MAX_EVENTS);
            }
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn run_from_takes_a_cronflowexecution_by_any_of_its_names() {
        for from in [
            "cronflowexecution/nightly",
            "cfe/nightly",
            "CronFlowExecutions.fnf-operator.dev/nightly",
        ] {
            let cli = Cli::try_parse_from(["kubectl-fnf", "run", "--from", from]).unwrap();
            match cli.command {
                Command::Run(args) => {
                    assert_eq!(args.from, "nightly");
                    assert_eq!(args.name, None);
                }
                other => panic!("parsed as {other:?}"),
            }
        }
        for bad in ["nightly", "cronjob/nightly", "cfe/"] {
            assert!(
                Cli::try_parse_from(["kubectl-fnf", "run", "--from", bad]).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn wait_takes_kubectl_durations_and_defaults_to_completed_in_ten_minutes() {
        let cli = Cli::try_parse_from(["kubectl-fnf", "wait", "run"]).unwrap();
        match cli.command {
            Command::Wait(args) => {
                assert_eq!(args.for_, WaitFor::Completed);
                assert_eq!(args.timeout, Duration::from_secs(600));
            }
            other => panic!("parsed as {other:?}"),
        }
        for (text, secs) in [
            ("90", 90),
            ("90s", 90),
            ("10m", 600),
            ("1h30m", 5400),
            ("1.5m", 90),
        ] {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_secs(secs)),
                "{text}"
            );
        }
        for bad in ["", "ten", "5d", "m", "10m5", "1..5s", "-1s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert!(Cli::try_parse_from(["kubectl-fnf", "wait", "run", "--for", "ready"]).is_err());
    }

    #[test]
    fn a_page_size_beyond_the_api_limit_is_refused() {
        assert!(
            Cli::try_parse_from(["kubectl-fnf", "history", "run", "--page-size", "1001"]).is_err()
        );
        assert!(
            Cli::try_parse_from(["kubectl-fnf", "history", "run", "--page-size", "0"]).is_err()
        );
    }
}
