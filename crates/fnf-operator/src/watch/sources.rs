//! Wakes every FlowExecution that names a ConfigMap or Secret (its
//! credentials or an `inputFrom` source) when that object is created, changed
//! or deleted: a rotated key serves the next call at once, a deleted one stops
//! being used, and a changed `inputFrom` value (a new declaration) runs at
//! once instead of at the object's next reconcile, whenever that would be.
//! Watches metadata only: no ConfigMap or Secret data is held here; a
//! reconcile reads an object by name when it needs it.

use std::fmt::Debug;

use futures::StreamExt;
use futures::stream::BoxStream;
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::PartialObjectMeta;
use kube::runtime::reflector::Store;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Resource, ResourceExt};
use serde::de::DeserializeOwned;

use super::key::TrackKey;
use super::scope::scoped_watches;
use super::tracker::Tracker;
use super::watched::Watched;
use crate::crd::FlowExecution;
use crate::metrics::Metrics;

/// The kind of object watched, and so which references to it count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    ConfigMap,
    Secret,
}

impl SourceKind {
    fn name(self) -> &'static str {
        match self {
            SourceKind::ConfigMap => "ConfigMaps",
            SourceKind::Secret => "Secrets",
        }
    }
}

/// Runs until aborted. A watch the operator may not make (a chart without
/// `list, watch` on the kind) is retried with back-off, logged once and
/// counted as a controller error; users then see a change at their next
/// reconcile (a missing source is retried every 30 s at most).
pub async fn wake_on_change(
    kind: SourceKind,
    kube: kube::Client,
    namespaces: Vec<String>,
    stores: Vec<Store<Watched>>,
    tracker: Tracker,
    metrics: Metrics,
) {
    let mut changes = match kind {
        SourceKind::ConfigMap => metadata_changes::<ConfigMap>(kube, &namespaces),
        SourceKind::Secret => metadata_changes::<Secret>(kube, &namespaces),
    };
    let mut reported = false;
    while let Some(change) = changes.next().await {
        match change {
            Ok((namespace, name)) => {
                for store in &stores {
                    // An object that cannot be read names nothing the operator acts on.
                    for fe in store.state().iter().filter_map(|w| w.object.as_ref().ok()) {
                        if names(fe, kind, &namespace, &name) {
                            tracker.wake(&TrackKey::of(fe));
                        }
                    }
                }
            }
            Err(err) => {
                metrics.controller_error();
                if reported {
                    tracing::debug!(error = %err, kind = kind.name(), "watch failed");
                } else {
                    reported = true;
                    tracing::warn!(
                        error = %err, kind = kind.name(),
                        "cannot watch; a changed object is read at its users' next reconcile"
                    );
                }
            }
        }
    }
}

/// (namespace, name) of each object of kind `K` touched in `namespaces`
/// (empty: all). `Api<PartialObjectMeta<K>>` asks for metadata only: the
/// apiserver never sends this watch any data.
fn metadata_changes<K>(
    kube: kube::Client,
    namespaces: &[String],
) -> BoxStream<'static, Result<(String, String), watcher::Error>>
where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Debug
        + Send
        + Sync
        + 'static,
{
    let streams = scoped_watches::<PartialObjectMeta<K>>(&kube, namespaces)
        .into_iter()
        .map(|(_, watch)| {
            watch
                .touched_objects()
                .map(|change| {
                    change.map(|meta| (meta.namespace().unwrap_or_default(), meta.name_any()))
                })
                .boxed()
        });
    futures::stream::select_all(streams).boxed()
}

/// Whether `fe` reads the `kind` object `namespace/name`: only objects of its
/// own namespace are ever read.
fn names(fe: &FlowExecution, kind: SourceKind, namespace: &str, name: &str) -> bool {
    if fe.metadata.namespace.as_deref() != Some(namespace) {
        return false;
    }
    let from_input = fe.spec.input_from.iter().any(|entry| {
        let reference = match kind {
            SourceKind::ConfigMap => entry.config_map_key_ref.as_ref(),
            SourceKind::Secret => entry.secret_key_ref.as_ref(),
        };
        reference.is_some_and(|r| r.name == name)
    });
    let as_credentials = kind == SourceKind::Secret
        && fe
            .spec
            .credentials_secret_ref
            .as_ref()
            .is_some_and(|r| r.name == name);
    from_input || as_credentials
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn object(namespace: &str, spec: serde_json::Value) -> FlowExecution {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "fnf-operator.dev/v1alpha1", "kind": "FlowExecution",
            "metadata": {"name": "fe", "namespace": namespace, "uid": "u"},
            "spec": spec,
        }))
        .unwrap()
    }

    #[test]
    fn only_a_source_of_the_same_kind_and_namespace_wakes_an_object() {
        let fe = object(
            "ns",
            serde_json::json!({"flowName": "f", "inputFrom": [
                {"field": "a", "configMapKeyRef": {"name": "settings", "key": "k"}},
                {"field": "b", "secretKeyRef": {"name": "api", "key": "k"}},
            ]}),
        );
        assert!(names(&fe, SourceKind::ConfigMap, "ns", "settings"));
        assert!(names(&fe, SourceKind::Secret, "ns", "api"));
        assert!(!names(&fe, SourceKind::Secret, "ns", "settings"));
        assert!(!names(&fe, SourceKind::ConfigMap, "ns", "api"));
        assert!(!names(&fe, SourceKind::ConfigMap, "other", "settings"));
        assert!(!names(&fe, SourceKind::Secret, "other", "api"));
    }

    #[test]
    fn a_credentials_secret_wakes_its_user_in_its_namespace_only() {
        let fe = object(
            "ns",
            serde_json::json!({"flowName": "f", "credentialsSecretRef": {"name": "keys"}}),
        );
        assert!(names(&fe, SourceKind::Secret, "ns", "keys"));
        assert!(!names(&fe, SourceKind::Secret, "other", "keys"));
        assert!(!names(&fe, SourceKind::ConfigMap, "ns", "keys"));
    }
}
