//! Between scenarios: every FlowExecution of the one that ended is removed,
//! so the next starts on a light apiserver and etcd.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};

use super::BenchError;
use fnf_operator::crd::FlowExecution;

const CLEANUP_CONCURRENCY: usize = 16;
const CLEANUP_ATTEMPTS: u32 = 3;
const CLEANUP_RETRY_PAUSE: Duration = Duration::from_secs(5);

/// [`remove_all`], tried again after a failure (deleting thousands of objects
/// can outlast a pooled connection). What is left only makes the next
/// scenario's apiserver heavier, so a last failure is logged and the
/// measured result is kept.
pub async fn clean_up(api: &Api<FlowExecution>) {
    for attempt in 1..=CLEANUP_ATTEMPTS {
        match remove_all(api).await {
            Ok(()) => return,
            Err(error) => tracing::warn!(
                attempt, error = %error, reason = error.reason(),
                "the scenario's FlowExecutions could not all be removed"
            ),
        }
        tokio::time::sleep(CLEANUP_RETRY_PAUSE).await;
    }
}

/// Strips the finalizer (the operator is gone) and deletes every FlowExecution,
/// so the next scenario's apiserver and etcd start light.
async fn remove_all(api: &Api<FlowExecution>) -> Result<(), BenchError> {
    let names: Vec<String> = api
        .list_metadata(&ListParams::default())
        .await
        .map_err(|source| BenchError::Kube {
            context: "listing FlowExecutions to clean up".into(),
            source,
        })?
        .items
        .into_iter()
        .filter_map(|m| m.metadata.name)
        .collect();
    let unfinalize = &Patch::Merge(serde_json::json!({"metadata": {"finalizers": null}}));
    futures::stream::iter(names.iter())
        .map(|name| async move {
            api.patch_metadata(name, &PatchParams::default(), unfinalize)
                .await
                .map(|_| ())
                .map_err(|source| BenchError::Kube {
                    context: format!("removing the finalizer of {name}"),
                    source,
                })
        })
        .buffer_unordered(CLEANUP_CONCURRENCY)
        .try_collect::<Vec<()>>()
        .await?;
    api.delete_collection(&DeleteParams::default(), &ListParams::default())
        .await
        .map_err(|source| BenchError::Kube {
            context: "deleting FlowExecutions".into(),
            source,
        })?;
    tracing::info!(removed = names.len(), "scenario cleaned up");
    Ok(())
}
