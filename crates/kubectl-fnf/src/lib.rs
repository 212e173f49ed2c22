//! `kubectl fnf`: a kubectl plugin that shows what `kubectl get` cannot, an
//! execution's event history (from the cloud) and its whole Output (from the
//! FlowExecution's status, or from the cloud when the status holds only its
//! first bytes).
//!
//! Read-only: must never change the cluster or an execution (the fnf actions
//! it calls are GetExecutionHistory and DescribeExecution), and never print a key.
//!
//! - `args`: the command line. `resolve`, `render`, `ordered_json`: pure.
//! - `cluster`: reads from Kubernetes. `history`: reads from the cloud.

pub mod args;
pub mod cluster;
pub mod error;
pub mod history;
pub mod ordered_json;
pub mod render;
pub mod resolve;

pub use args::Cli;
pub use error::PluginError;

use args::{Command, HistoryArgs, HistoryFormat, OutputArgs};
use cluster::Cluster;

use fnf_client::{CredentialProvider, FnfError};
use fnf_operator::crd::FlowExecution;

/// Runs one command and returns what to print on stdout.
pub async fn run(cli: &Cli) -> Result<String, PluginError> {
    let cluster = Cluster::connect(&cli.kube).await?;
    match &cli.command {
        Command::History(args) => history(&cluster, args).await,
        Command::Output(args) => output(&cluster, args).await,
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
