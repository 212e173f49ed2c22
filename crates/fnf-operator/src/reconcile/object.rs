//! Writes to the FlowExecution itself: its status (only when it changed,
//! with the Events the transition deserves) and the stop finalizer (by
//! compare-and-swap on its resourceVersion). The status apply and the
//! finalizer patch are generic: the Flow and CronFlowExecution controllers
//! write through them too.

use kube::api::{Patch, PatchParams};
use kube::{Api, Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

use super::context::Context;
use super::error::ReconcileError;
use crate::crd::{FIELD_MANAGER, FINALIZER, FlowExecution, FlowExecutionStatus, fields_dropped};
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
    let Some(written) =
        apply_status(api, &current.name_any(), current.status.as_ref(), status).await?
    else {
        return Ok(current);
    };
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

/// The one way the controllers write a status: nothing when `status` equals
/// `persisted`; else the top-level fields `status` drops are nulled first
/// (server-side apply removes a field only when no other field manager owns
/// it, and another client may have written it), then `status` is applied
/// under `FIELD_MANAGER`. Returns the object as written, `None` when unchanged.
pub async fn apply_status<K, S>(
    api: &Api<K>,
    name: &str,
    persisted: Option<&S>,
    status: &S,
) -> Result<Option<K>, kube::Error>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + std::fmt::Debug,
    S: Serialize + PartialEq,
{
    if persisted == Some(status) {
        return Ok(None);
    }
    let dropped = persisted
        .map(|persisted| fields_dropped(persisted, status))
        .unwrap_or_default();
    if !dropped.is_empty() {
        let nulls: serde_json::Map<String, serde_json::Value> = dropped
            .into_iter()
            .map(|field| (field, serde_json::Value::Null))
            .collect();
        let params = PatchParams {
            field_manager: Some(FIELD_MANAGER.to_string()),
            ..PatchParams::default()
        };
        api.patch_status(name, &params, &Patch::Merge(json!({"status": nulls})))
            .await?;
    }
    let patch = json!({
        "apiVersion": K::api_version(&()),
        "kind": K::kind(&()),
        "status": status,
    });
    let written = api
        .patch_status(
            name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&patch),
        )
        .await?;
    Ok(Some(written))
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
