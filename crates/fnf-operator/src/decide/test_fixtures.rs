//! What the pure decision's tests build on: one fixed clock reading, and one
//! way to write a FlowExecution as the apiserver would hand it over.

use jiff::Timestamp;

use crate::crd::FlowExecution;

pub fn now() -> Timestamp {
    "2026-11-24T12:00:00Z"
        .parse()
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// `team-a/nightly` at generation 1, with `metadata` merged over that.
pub fn flow_execution(
    metadata: serde_json::Value,
    spec: serde_json::Value,
    status: Option<serde_json::Value>,
) -> FlowExecution {
    let mut meta = serde_json::json!({"name": "nightly", "namespace": "team-a", "generation": 1});
    if let (Some(base), Some(extra)) = (meta.as_object_mut(), metadata.as_object()) {
        base.extend(extra.clone());
    }
    let mut obj = serde_json::json!({
        "apiVersion": "fnf-operator.dev/v1alpha1",
        "kind": "FlowExecution",
        "metadata": meta,
        "spec": spec,
    });
    if let Some(s) = status {
        obj["status"] = s;
    }
    serde_json::from_value(obj).unwrap()
}
