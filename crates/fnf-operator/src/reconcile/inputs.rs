//! Reads what `spec.inputFrom` names (ConfigMaps and Secrets in the object's
//! namespace) and resolves the input the current declaration sends
//! (`crd::resolved_input`). The values live in memory for the reconcile only:
//! they go to StartExecution and to the adoption check, never into a log,
//! Event, status, metric or error text (errors name the object and key).

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::Api;

use crate::crd::{FlowExecution, InputSourceKind, SourceData, referenced_sources, resolved_input};
use crate::decide::view::DeclaredInput;

/// Stable reason of a source the operator may not (or could not) read.
pub const INPUT_SOURCE_UNREADABLE: &str = "InputSourceUnreadable";

/// The input of `fe`'s current declaration, or why a source of it cannot be
/// read yet. Without `inputFrom`, no read at all.
pub async fn declared_input(kube: &kube::Client, fe: &FlowExecution) -> DeclaredInput {
    if fe.spec.input_from.is_empty() {
        return DeclaredInput::of_spec(fe);
    }
    let namespace = fe.metadata.namespace.as_deref().unwrap_or("default");
    let mut read: Vec<(InputSourceKind, String, Option<SourceData>)> = Vec::new();
    for (kind, name) in referenced_sources(&fe.spec) {
        match fetch(kube, namespace, kind, &name).await {
            Ok(data) => read.push((kind, name, data)),
            Err(err) => {
                return DeclaredInput::Missing {
                    reason: INPUT_SOURCE_UNREADABLE.to_string(),
                    message: format!(
                        "spec.inputFrom: cannot read {} {name:?}: {}",
                        kind_name(kind),
                        unreadable_why(&err)
                    ),
                };
            }
        }
    }
    let lookup = |kind: InputSourceKind, name: &str| {
        read.iter()
            .find(|(k, n, _)| *k == kind && n == name)
            .and_then(|(_, _, data)| data.as_ref())
    };
    match resolved_input(&fe.spec, lookup) {
        Ok(input) => DeclaredInput::Ready(input),
        Err(err) => DeclaredInput::Missing {
            reason: err.reason().to_string(),
            message: err.to_string(),
        },
    }
}

/// An object's data, `None` when it does not exist.
async fn fetch(
    kube: &kube::Client,
    namespace: &str,
    kind: InputSourceKind,
    name: &str,
) -> Result<Option<SourceData>, kube::Error> {
    match kind {
        InputSourceKind::ConfigMap => {
            let api: Api<ConfigMap> = Api::namespaced(kube.clone(), namespace);
            Ok(api.get_opt(name).await?.map(|cm| {
                let text = cm
                    .data
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k, v.into_bytes()));
                let binary = cm
                    .binary_data
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k, v.0));
                text.chain(binary).collect()
            }))
        }
        InputSourceKind::Secret => {
            let api: Api<Secret> = Api::namespaced(kube.clone(), namespace);
            Ok(api.get_opt(name).await?.map(|secret| {
                secret
                    .data
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k, v.0))
                    .collect()
            }))
        }
    }
}

/// Why a read failed, in words that never carry object data: the
/// apiserver's status reason and code, or the kind of failure.
fn unreadable_why(err: &kube::Error) -> String {
    match err {
        kube::Error::Api(status) => format!(
            "{} ({}): grant the operator get on it (chart value inputFrom)",
            status.reason, status.code
        ),
        _ => "the apiserver could not be reached; retried".to_string(),
    }
}

fn kind_name(kind: InputSourceKind) -> &'static str {
    match kind {
        InputSourceKind::ConfigMap => "ConfigMap",
        InputSourceKind::Secret => "Secret",
    }
}
