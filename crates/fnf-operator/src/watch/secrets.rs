//! Wakes every FlowExecution that names a Secret (its credentials or an
//! `inputFrom` source) when that Secret is created,
//! changed or deleted, so a fixed or rotated key serves the next call at once
//! instead of at the next retry (30 s), and a deleted one stops being used.
//! Watches Secret metadata only: no Secret data is held here; `cloud` reads a
//! Secret when a reconcile needs it.

use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use kube::api::PartialObjectMeta;
use kube::runtime::reflector::Store;

use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, ResourceExt};

use super::key::TrackKey;
use super::tracker::Tracker;
use super::watched::Watched;
use crate::metrics::Metrics;

/// Runs until aborted. A watch the operator may not make (a chart without
/// `secrets: list, watch`) is retried with back-off, logged once and counted
/// as a controller error; the 30 s credentials retry still picks a fixed
/// Secret up.
pub async fn wake_on_change(
    kube: kube::Client,
    namespaces: Vec<String>,
    stores: Vec<Store<Watched>>,
    tracker: Tracker,
    metrics: Metrics,
) {
    // Metadata only: the apiserver never sends this watch any Secret data.
    let apis: Vec<Api<PartialObjectMeta<Secret>>> = if namespaces.is_empty() {
        vec![Api::all(kube)]
    } else {
        namespaces
            .iter()
            .map(|ns| Api::namespaced(kube.clone(), ns))
            .collect()
    };
    let streams = apis.into_iter().map(|api| {
        watcher(api, watcher::Config::default().any_semantic())
            .default_backoff()
            .touched_objects()
            .boxed()
    });
    let mut changes = futures::stream::select_all(streams);
    let mut reported = false;
    while let Some(change) = changes.next().await {
        match change {
            Ok(secret) => {
                let namespace = secret.namespace().unwrap_or_default();
                wake_users(&stores, &tracker, &namespace, &secret.name_any());
            }
            Err(err) => {
                metrics.controller_error();
                if reported {
                    tracing::debug!(error = %err, "Secret watch failed");
                } else {
                    reported = true;
                    tracing::warn!(error = %err, "cannot watch Secrets; a fixed Secret is picked up by the 30 s retry");
                }
            }
        }
    }
}

fn wake_users(stores: &[Store<Watched>], tracker: &Tracker, namespace: &str, name: &str) {
    for store in stores {
        // An object that cannot be read names no Secret the operator acts on.
        for fe in store.state().iter().filter_map(|w| w.object.as_ref().ok()) {
            let names_it = fe.metadata.namespace.as_deref() == Some(namespace)
                && fe
                    .spec
                    .credentials_secret_ref
                    .as_ref()
                    .is_some_and(|r| r.name == name)
                || fe.spec.input_from.iter().any(|entry| {
                    entry
                        .secret_key_ref
                        .as_ref()
                        .is_some_and(|r| r.name == name)
                });
            if names_it {
                tracker.wake(&TrackKey::of(fe));
            }
        }
    }
}
