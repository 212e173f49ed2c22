//! `kubectl fnf`: a kubectl plugin that shows what `kubectl get` cannot, an
//! execution's event history (from the cloud), its whole Output (from the
//! FlowExecution's status, or from the cloud when the status holds only its
//! first bytes) and its runs; waits for the current spec's run; and asks for
//! a rerun; creates a run from a CronFlowExecution's template.
//!
//! Must never change an execution (the fnf actions it calls are
//! GetExecutionHistory and DescribeExecution) and never print a key. Its
//! writes to the cluster are `rerun`'s new spec.runKey and `run --from`'s new
//! FlowExecution: the operator does the run.
//!
//! - `args`: the command line. `resolve`, `render`, `runs`, `ordered_json`: pure.
//! - `cluster`: talks to Kubernetes. `history`, `diff`: read from the cloud
//!   (`diff` compares a `Flow`'s definition with the cloud's, DescribeFlow).

pub mod args;
pub mod cluster;
pub mod diff;
pub mod error;
pub mod history;
pub mod ordered_json;
pub mod render;
pub mod resolve;
pub mod runs;

pub use args::Cli;
pub use error::PluginError;

use std::time::Duration;

use args::{
    Command, DiffArgs, HistoryArgs, HistoryFormat, NameArgs, OutputArgs, RunArgs, WaitArgs, WaitFor,
};
use cluster::Cluster;

use fnf_client::{CredentialProvider, FnfError};
use fnf_operator::crd::FlowExecution;

/// Runs one command and returns what to print on stdout.
pub async fn run(cli: &Cli) -> Result<String, PluginError> {
    let cluster = Cluster::connect(&cli.kube).await?;
    match &cli.command {
        Command::History(args) => history(&cluster, args).await,
        Command::Output(args) => output(&cluster, args).await,
        Command::Rerun(args) => rerun(&cluster, args).await,
        Command::Runs(args) => {
            let fe = cluster.flow_execution(&args.name).await?;
            Ok(runs::runs_table(&fe))
        }
        Command::Wait(args) => wait(&cluster, args).await,
        Command::Run(args) => run_from_cron(&cluster, args).await,
        Command::Diff(args) => diff_flow(&cluster, args).await,
    }
}

/// One run now from the CronFlowExecution's template: the same object its
/// schedule would create, marked manual, with a name of its own.
async fn run_from_cron(cluster: &Cluster, args: &RunArgs) -> Result<String, PluginError> {
    let cron = cluster.cron_flow_execution(&args.from).await?;
    let name = args.name.clone().unwrap_or_else(|| {
        format!(
            "{}-manual-{}",
            args.from,
            jiff::Timestamp::now().as_second()
        )
    });
    let run = fnf_operator::cron::runs::run_object(&cron, &name, None);
    cluster.create_flow_execution(&run).await?;
    Ok(format!("flowexecution.fnf-operator.dev/{name} created\n"))
}

async fn rerun(cluster: &Cluster, args: &NameArgs) -> Result<String, PluginError> {
    let fe = cluster.flow_execution(&args.name).await?;
    runs::check_rerun(&fe)?;
    let run_key = jiff::Timestamp::now().to_string();
    cluster
        .set_run_key(&args.name, &runs::rerun_patch(&run_key))
        .await?;
    Ok(format!(
        "flowexecution.fnf-operator.dev/{} rerun requested (spec.runKey: {run_key})\n",
        args.name
    ))
}

/// How often `wait` reads the object: a get per second is nothing to the
/// apiserver, and a run takes seconds at least.
const WAIT_POLL_INTERVAL: Duration = Duration::from_secs(1);

async fn wait(cluster: &Cluster, args: &WaitArgs) -> Result<String, PluginError> {
    let deadline = tokio::time::Instant::now() + args.timeout;
    loop {
        let fe = cluster.flow_execution(&args.name).await?;
        match runs::wait_verdict(&fe, args.for_) {
            runs::WaitVerdict::Met => {
                return Ok(format!(
                    "flowexecution.fnf-operator.dev/{} condition met\n",
                    args.name
                ));
            }
            runs::WaitVerdict::Failed { reason, message } => {
                let (namespace, name) = resolve::object_key(&fe);
                return Err(PluginError::RunFailed {
                    namespace,
                    name,
                    reason,
                    message,
                });
            }
            runs::WaitVerdict::Waiting => {}
        }
        if tokio::time::Instant::now() + WAIT_POLL_INTERVAL > deadline {
            let (namespace, name) = resolve::object_key(&fe);
            return Err(PluginError::WaitTimedOut {
                namespace,
                name,
                wanted: match args.for_ {
                    WaitFor::Completed => "Completed",
                    WaitFor::Succeeded => "Succeeded",
                },
                generation: fe.metadata.generation.unwrap_or_default(),
                timeout_secs: args.timeout.as_secs(),
            });
        }
        tokio::time::sleep(WAIT_POLL_INTERVAL).await;
    }
}

async fn history(cluster: &Cluster, args: &HistoryArgs) -> Result<String, PluginError> {
    let fe = cluster.flow_execution(&args.name).await?;
    let target = resolve::history_target(&fe, args.region.as_deref(), args.endpoint.as_deref())?;
    let credentials = credentials_for(cluster, &fe).await?;
    tracing::debug!(
        flow = %target.flow_name,
        execution = %target.execution_name,
        endpoint = %target.endpoint.url(),
        "reading execution history"
    );
    let events = history::fetch_history(&target, credentials, args.page_size).await?;
    Ok(match (args.format, args.wide) {
        (HistoryFormat::Json, _) => render::history_json(&events),
        (HistoryFormat::Wide, _) | (HistoryFormat::Table, true) => {
            render::history_table(&events, true)
        }
        (HistoryFormat::Table, false) => render::history_table(&events, false),
    })
}

async fn output(cluster: &Cluster, args: &OutputArgs) -> Result<String, PluginError> {
    let fe = cluster.flow_execution(&args.name).await?;
    let recorded = resolve::recorded_output(&fe)?;
    if !resolve::output_truncated(&fe) {
        return Ok(render::output_text(recorded));
    }
    // The status holds only the start: the cloud keeps the whole Output.
    let target = resolve::history_target(&fe, args.region.as_deref(), args.endpoint.as_deref())?;
    let credentials = credentials_for(cluster, &fe).await?;
    match history::fetch_output(&target, credentials).await? {
        Some(whole) => Ok(render::output_text(&whole)),
        None => {
            let (namespace, name) = resolve::object_key(&fe);
            Err(PluginError::NoCloudOutput {
                namespace,
                name,
                execution_name: target.execution_name,
            })
        }
    }
}

/// `diff FLOW`: DescribeFlow's definition against the Flow's spec.
async fn diff_flow(cluster: &Cluster, args: &DiffArgs) -> Result<String, PluginError> {
    let flow = cluster.flow(&args.name).await?;
    let name = diff::flow_name(&flow)?;
    let region = flow
        .spec
        .region
        .clone()
        .or_else(|| args.region.clone())
        .filter(|r| !r.trim().is_empty());
    let endpoint = match args.endpoint.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        Some(url) => fnf_client::Endpoint::from_url_for_field("--endpoint (FNF_ENDPOINT)", url),
        None => match &region {
            Some(region) => fnf_client::Endpoint::from_region(region),
            None => {
                return Err(PluginError::InvalidSetting(format!(
                    "no region for Flow {}: it has no spec.region, so pass --region (or set FNF_REGION), or --endpoint (FNF_ENDPOINT)",
                    args.name
                )));
            }
        },
    }
    .map_err(|err| PluginError::InvalidSetting(err.to_string()))?;
    let credentials = match &flow.spec.credentials_secret_ref {
        Some(secret) => {
            CredentialProvider::static_credentials(cluster.secret_credentials(&secret.name).await?)
        }
        None => CredentialProvider::from_environment_chain()
            .map_err(|err| PluginError::InvalidSetting(format!("no cloud credentials: {err}")))?,
    };
    let cloud = diff::cloud_definition(endpoint, region, credentials, &name).await?;
    Ok(diff::report(&name, cloud.as_deref(), &flow.spec.definition))
}

/// The Secret named by `spec.credentialsSecretRef`, else this process's
/// environment chain (static keys, then RRSA).
async fn credentials_for(
    cluster: &Cluster,
    fe: &FlowExecution,
) -> Result<CredentialProvider, PluginError> {
    if let Some(secret) = &fe.spec.credentials_secret_ref {
        let credentials = cluster.secret_credentials(&secret.name).await?;
        return Ok(CredentialProvider::static_credentials(credentials));
    }
    CredentialProvider::from_environment_chain().map_err(|err| {
        let (namespace, name) = resolve::object_key(fe);
        PluginError::NoCredentials {
            namespace,
            name,
            detail: match err {
                FnfError::Credentials(detail) => detail,
                other => other.to_string(),
            },
        }
    })
}
