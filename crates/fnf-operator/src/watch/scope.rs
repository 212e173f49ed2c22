//! Where the operator watches: every namespace (`namespaces` empty in the
//! configuration) or each namespace of the list, one watch apiece. Every
//! controller and watch builds its APIs here, so they all cover the same
//! namespaces.

use std::fmt::Debug;

use futures::StreamExt;
use futures::stream::BoxStream;
use k8s_openapi::NamespaceResourceScope;
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Resource};
use serde::de::DeserializeOwned;

/// The scopes to watch: `None` for all namespaces (when `namespaces` is
/// empty), else each namespace.
pub fn scopes(namespaces: &[String]) -> Vec<Option<String>> {
    if namespaces.is_empty() {
        vec![None]
    } else {
        namespaces.iter().cloned().map(Some).collect()
    }
}

/// The API of `K` in `scope` (`None`: all namespaces).
pub fn api_in<K>(kube: &kube::Client, scope: Option<&str>) -> Api<K>
where
    K: Resource<Scope = NamespaceResourceScope>,
    K::DynamicType: Default,
{
    match scope {
        None => Api::all(kube.clone()),
        Some(namespace) => Api::namespaced(kube.clone(), namespace),
    }
}

/// One API of `K` per scope of `namespaces`, with its scope.
fn scoped_apis<K>(kube: &kube::Client, namespaces: &[String]) -> Vec<(Option<String>, Api<K>)>
where
    K: Resource<Scope = NamespaceResourceScope>,
    K::DynamicType: Default,
{
    scopes(namespaces)
        .into_iter()
        .map(|scope| {
            let api = api_in(kube, scope.as_deref());
            (scope, api)
        })
        .collect()
}

/// A watch of `K`'s objects in one scope.
pub type Watch<K> = BoxStream<'static, Result<watcher::Event<K>, watcher::Error>>;

/// One watch of `K` per scope of `namespaces`, with its scope. Any
/// resourceVersion will do for the lists (the apiserver's cache may answer),
/// and a failing watch is retried with the default back-off.
pub fn scoped_watches<K>(
    kube: &kube::Client,
    namespaces: &[String],
) -> Vec<(Option<String>, Watch<K>)>
where
    K: Resource<Scope = NamespaceResourceScope> + Clone + DeserializeOwned + Debug + Send + 'static,
    K::DynamicType: Default,
{
    scoped_apis::<K>(kube, namespaces)
        .into_iter()
        .map(|(scope, api)| {
            let watch = watcher(api, watcher::Config::default().any_semantic())
                .default_backoff()
                .boxed();
            (scope, watch)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_namespaces_is_one_watch_of_all_and_a_list_is_one_watch_each() {
        assert_eq!(scopes(&[]), vec![None]);
        assert_eq!(
            scopes(&["a".to_string(), "b".to_string()]),
            vec![Some("a".to_string()), Some("b".to_string())]
        );
    }
}
