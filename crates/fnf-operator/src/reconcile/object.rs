//! Writes to the FlowExecution itself: its status (only when it changed,
//! with the Events the transition deserves) and the stop finalizer (by
//! compare-and-swap on its resourceVersion).

use kube::api::{Patch, PatchParams};
use kube::{Api, Resource, ResourceExt};
use serde_json::json;

use super::context::Context;
use super::error::ReconcileError;
use crate::crd::{FIELD_MANAGER, FINALIZER, FlowExecution, FlowExecutionStatus};
use crate::decide::events::EventNote;
use crate::watch::key::TrackKey;

/// Writes `status` when it differs from what is persisted, then the Events that
/// the transition deserves. Returns the object as now persisted.
pub async fn write_status(
    api: &Api<FlowExecution>,
    ctx: &Context,
    key: &TrackKey,
    current: FlowExecution,
    status: &FlowExecutionStatus,
    events: &[EventNote],
) -> Result<FlowExecution, ReconcileError> {
    if current.status.as_ref() == Some(status) {
        return Ok(current);
    }
    // Fields another client wrote are not removed by our apply: null them first.
    let cleared = current
        .status
        .as_ref()
        .map(|persisted| status.fields_cleared_since(persisted))
        .unwrap_or_default();
    if !cleared.is_empty() {
        let nulls: serde_json::Map<String, serde_json::Value> = cleared
            .into_iter()
            .map(|field| (field, serde_json::Value::Null))
            .collect();
        let params = PatchParams {
            field_manager: Some(FIELD_MANAGER.to_string()),
            ..PatchParams::default()
        };
        api.patch_status(
            &current.name_any(),
            &params,
            &Patch::Merge(json!({"status": nulls})),
        )
        .await?;
    }
    let patch = json!({
        "apiVersion": FlowExecution::api_version(&()),
        "kind": FlowExecution::kind(&()),
        "status": status,
    });
    let written = api
        .patch_status(
            &current.name_any(),
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&patch),
        )
        .await?;
    ctx.metrics.status_written();
    ctx.remember_written(key, &written);
    for note in events {
        ctx.publish(&written, note).await;
    }
    ctx.tracker.update(key, |view| {
        view.announced
            .extend(events.iter().map(|note| note.reason.clone()));
    });
    Ok(written)
}

pub async fn keep_finalizer(
    api: &Api<FlowExecution>,
    current: FlowExecution,
    wanted: bool,
) -> Result<FlowExecution, ReconcileError> {
    Ok(patch_finalizer(api, current, FINALIZER, wanted).await?)
}

/// Adds or removes `finalizer` as `wanted`, leaving the others' finalizers as
/// they are. The resourceVersion makes this a compare-and-swap on the list.
pub async fn patch_finalizer<K>(
    api: &Api<K>,
    current: K,
    finalizer: &str,
    wanted: bool,
) -> Result<K, kube::Error>
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let finalizers = current.finalizers();
    if finalizers.iter().any(|f| f == finalizer) == wanted {
        return Ok(current);
    }
    let mut list: Vec<String> = finalizers
        .iter()
        .filter(|f| *f != finalizer)
        .cloned()
        .collect();
    if wanted {
        list.push(finalizer.to_string());
    }
    let patch =
        json!({"metadata": {"finalizers": list, "resourceVersion": current.resource_version()}});
    api.patch(
        &current.name_any(),
        &PatchParams::default(),
        &Patch::Merge(&patch),
    )
    .await
}
