//! What the operator does to other objects when a run is over: writes the
//! Output to the ConfigMap or Secret named by `spec.outputTo` (owned by the
//! FlowExecution, never overwriting an object it does not own), removes the
//! one it wrote before when `spec.outputTo` changed, and deletes the
//! FlowExecution when its TTL has passed.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::api::{DeleteParams, Patch, PatchParams, Preconditions};
use kube::{Api, Resource, ResourceExt};
use serde_json::json;

use crate::crd::{FIELD_MANAGER, FlowExecution};
use crate::decide::output::{full_output, output_target};
use crate::decide::view::{CloudView, OutputExport};

/// What a ConfigMap's or a Secret's values may hold in all (the apiserver's
/// limit for both).
pub const OBJECT_DATA_MAX_BYTES: usize = 1024 * 1024;

/// Writes the whole Output (from the last read of the execution, or the
/// status when it holds all of it) to the object `spec.outputTo` names, then
/// removes the object an earlier `spec.outputTo` had it written to.
pub async fn export(kube: &kube::Client, fe: &FlowExecution, cloud: &CloudView) -> OutputExport {
    let target = fe
        .spec
        .output_to
        .as_ref()
        .and_then(output_target)
        .unwrap_or_default();
    let outcome = write_output(kube, fe, cloud).await;
    if outcome.is_ok() {
        let previous = fe
            .status
            .as_ref()
            .and_then(|s| s.output_written_to.as_deref());
        if let Some(previous) = previous.filter(|p| *p != target) {
            remove_previous(kube, fe, previous).await;
        }
    }
    OutputExport { target, outcome }
}

async fn write_output(
    kube: &kube::Client,
    fe: &FlowExecution,
    cloud: &CloudView,
) -> Result<(), String> {
    let Some(target) = &fe.spec.output_to else {
        return Err("spec.outputTo is not set".into());
    };
    let status = fe.status.clone().unwrap_or_default();
    let output = match full_output(cloud) {
        Some(whole) => whole.to_string(),
        None if status.output_truncated == Some(true) => {
            return Err(format!(
                "the status holds only the first bytes of the Output and the cloud did not return it whole: read it with `kubectl fnf output {} -n {}`",
                fe.name_any(),
                fe.namespace().unwrap_or_default()
            ));
        }
        None => status.output.unwrap_or_default(),
    };
    let data = output_data(&output, &target.key, &target.fields)?;
    let namespace = fe.namespace().unwrap_or_default();
    match (&target.config_map, &target.secret) {
        (Some(cm), None) => {
            let api: Api<ConfigMap> = Api::namespaced(kube.clone(), &namespace);
            write(&api, fe, &cm.name, "ConfigMap", json!({ "data": data })).await
        }
        (None, Some(secret)) => {
            let api: Api<Secret> = Api::namespaced(kube.clone(), &namespace);
            write(
                &api,
                fe,
                &secret.name,
                "Secret",
                json!({ "stringData": data }),
            )
            .await
        }
        _ => Err("spec.outputTo needs exactly one of configMap and secret".into()),
    }
}

/// The keys to write: `key` gets the whole Output; each of `fields` (top-level
/// fields of a JSON object Output) gets its own key. Refused, with the size,
/// when the values would not fit in a ConfigMap or Secret.
pub fn output_data(
    output: &str,
    key: &str,
    fields: &[String],
) -> Result<BTreeMap<String, String>, String> {
    let mut data = BTreeMap::from([(key.to_string(), output.to_string())]);
    if !fields.is_empty() {
        let parsed: serde_json::Map<String, serde_json::Value> = serde_json::from_str(output)
            .map_err(|_| {
                "spec.outputTo.fields needs the Output to be a JSON object, and it is not"
                    .to_string()
            })?;
        for field in fields {
            let value = parsed.get(field).ok_or_else(|| {
                format!("spec.outputTo.fields names {field:?}, which the Output does not have")
            })?;
            let text = match value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            data.insert(field.clone(), text);
        }
    }
    let size: usize = data.values().map(String::len).sum();
    if size > OBJECT_DATA_MAX_BYTES {
        return Err(format!(
            "the Output needs {size} bytes in spec.outputTo (the Output is {} bytes), more than the {OBJECT_DATA_MAX_BYTES} bytes a ConfigMap or Secret can hold: nothing was written; `kubectl fnf output` reads it from the cloud",
            output.len()
        ));
    }
    Ok(data)
}

/// Deletes the object an earlier `spec.outputTo` named (`Kind/name`), if it is
/// still ours. Best effort: it is owned by the FlowExecution, so the garbage
/// collector removes it with the FlowExecution anyway.
async fn remove_previous(kube: &kube::Client, fe: &FlowExecution, previous: &str) {
    let namespace = fe.namespace().unwrap_or_default();
    let removed = match previous.split_once('/') {
        Some(("ConfigMap", name)) => {
            let api: Api<ConfigMap> = Api::namespaced(kube.clone(), &namespace);
            remove_if_ours(&api, fe, name).await
        }
        Some(("Secret", name)) => {
            let api: Api<Secret> = Api::namespaced(kube.clone(), &namespace);
            remove_if_ours(&api, fe, name).await
        }
        _ => Ok(()),
    };
    if let Err(err) = removed {
        tracing::warn!(
            namespace = %namespace, name = %fe.name_any(), object = previous, error = %err,
            "could not remove the object the Output was written to before"
        );
    }
}

async fn remove_if_ours<K>(api: &Api<K>, fe: &FlowExecution, name: &str) -> Result<(), kube::Error>
where
    K: Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let Some(existing) = api.get_opt(name).await? else {
        return Ok(());
    };
    let uid = fe.uid().unwrap_or_default();
    if !existing.owner_references().iter().any(|o| o.uid == uid) {
        return Ok(());
    }
    // The uid precondition: an object re-created under that name is never the one deleted.
    let params = DeleteParams {
        preconditions: Some(Preconditions {
            uid: existing.uid(),
            resource_version: None,
        }),
        ..DeleteParams::default()
    };
    match api.delete(name, &params).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 || status.code == 409 => Ok(()),
        Err(err) => Err(err),
    }
}

async fn write<K>(
    api: &Api<K>,
    fe: &FlowExecution,
    name: &str,
    kind: &str,
    body: serde_json::Value,
) -> Result<(), String>
where
    K: Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let uid = fe.uid().unwrap_or_default();
    let where_ = format!("{kind}/{name}");
    match api.get_opt(name).await {
        Ok(Some(existing)) => {
            let ours = existing.owner_references().iter().any(|o| o.uid == uid);
            if !ours {
                return Err(format!(
                    "{where_} exists and is not owned by this FlowExecution: it is left as it is; name another object in spec.outputTo or delete {where_}"
                ));
            }
        }
        Ok(None) => {}
        Err(err) => return Err(format!("cannot read {where_}: {err}")),
    }
    let owner = OwnerReference {
        api_version: FlowExecution::api_version(&()).into_owned(),
        kind: FlowExecution::kind(&()).into_owned(),
        name: fe.name_any(),
        uid,
        controller: Some(true),
        // Blocking the owner's deletion would need update on its finalizers.
        block_owner_deletion: Some(false),
    };
    let mut patch = body;
    patch["apiVersion"] = json!("v1");
    patch["kind"] = json!(kind);
    patch["metadata"] = json!({ "name": name, "ownerReferences": [owner] });
    api.patch(
        name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(&patch),
    )
    .await
    .map_err(|err| format!("cannot write {where_}: {err}"))?;
    Ok(())
}

/// Deletes the FlowExecution whose TTL passed; the uid precondition makes sure a
/// re-created object of the same name is never the one deleted.
pub async fn delete_expired(
    api: &Api<FlowExecution>,
    fe: &FlowExecution,
) -> Result<(), kube::Error> {
    let params = DeleteParams {
        preconditions: Some(Preconditions {
            uid: fe.uid(),
            resource_version: None,
        }),
        ..DeleteParams::default()
    };
    match api.delete(&fe.name_any(), &params).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 || status.code == 409 => Ok(()),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_get_their_own_keys() {
        let data = output_data(
            r#"{"url":"https://x","n":3}"#,
            "output",
            &["url".into(), "n".into()],
        );
        let data = data.unwrap_or_default();
        assert_eq!(data.get("url").map(String::as_str), Some("https://x"));
        assert_eq!(data.get("n").map(String::as_str), Some("3"));
        assert_eq!(
            data.get("output").map(String::as_str),
            Some(r#"{"url":"https://x","n":3}"#)
        );
    }

    #[test]
    fn an_output_over_a_configmaps_size_is_refused_naming_the_size() {
        let big = format!(r#"{{"blob":"{}"}}"#, "x".repeat(OBJECT_DATA_MAX_BYTES));
        let err = output_data(&big, "output", &[]).unwrap_err();
        assert!(err.contains(&format!("{} bytes", big.len())), "{err}");
        assert!(err.contains("1048576"), "{err}");
        // A field copies part of the Output again: the sum is what counts.
        let half = format!(r#"{{"blob":"{}"}}"#, "x".repeat(OBJECT_DATA_MAX_BYTES / 2));
        assert!(output_data(&half, "output", &[]).is_ok());
        assert!(output_data(&half, "output", &["blob".into()]).is_err());
    }

    #[test]
    fn a_missing_field_is_named() {
        let err = output_data(r#"{"a":1}"#, "output", &["b".into()]).unwrap_err();
        assert!(err.contains("\"b\""), "{err}");
    }
}
