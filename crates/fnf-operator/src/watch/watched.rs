//! What the watch holds: each FlowExecution decoded on its own, so one object
//! the typed decoder refuses cannot fail the list of all the others.
//!
//! kube decodes a whole list response with one serde_json pass, whose
//! recursion limit (128) counts from the list's root: an input nested ~120
//! levels (and its managedFields, which mirror it) failed the initial list of
//! every namespace, forever. Here each object is captured as raw JSON (serde_json
//! skips a raw value without recursing, so at any depth) and decoded part by
//! part with a fresh limit; managedFields are never decoded (nothing reads
//! them). An object that still cannot be decoded is kept as `Unreadable`, to be
//! reported on itself. Pure: no I/O.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Resource;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::crd::{FlowExecution, FlowExecutionSpec, FlowExecutionStatus, INPUT_MAX_DEPTH};

/// A FlowExecution as the watch saw it; its metadata (without managedFields)
/// is held once, in whichever of the two it is.
#[derive(Clone, Debug)]
pub struct Watched {
    pub object: Result<Arc<FlowExecution>, Unreadable>,
}

/// Why an object cannot be acted on, and what its status said (so a report is
/// written once, not on every wake-up).
#[derive(Clone, Debug, PartialEq)]
pub struct Unreadable {
    pub metadata: ObjectMeta,
    /// Stable, CamelCase: `InputTooDeep` or `Undecodable`.
    pub reason: &'static str,
    pub message: String,
    pub status: Option<FlowExecutionStatus>,
}

impl Watched {
    /// The object's status, decoded or not.
    pub fn status(&self) -> Option<&FlowExecutionStatus> {
        match &self.object {
            Ok(fe) => fe.status.as_ref(),
            Err(unreadable) => unreadable.status.as_ref(),
        }
    }

    /// Decodes one object's JSON. Never fails: what cannot be read is `Unreadable`.
    pub fn decode(text: &str) -> Watched {
        #[derive(Deserialize)]
        struct Parts<'a> {
            #[serde(borrow, default)]
            metadata: Option<&'a RawValue>,
            #[serde(borrow, default)]
            spec: Option<&'a RawValue>,
            #[serde(borrow, default)]
            status: Option<&'a RawValue>,
        }
        let unreadable = |metadata, message: String| Watched {
            object: Err(Unreadable {
                metadata,
                reason: "Undecodable",
                message,
                status: None,
            }),
        };
        let parts: Parts<'_> = match serde_json::from_str(text) {
            Ok(parts) => parts,
            Err(err) => return unreadable(ObjectMeta::default(), format!("the object: {err}")),
        };
        let metadata = match parts.metadata.map(metadata_without_managed_fields) {
            Some(Ok(metadata)) => metadata,
            Some(Err(err)) => {
                return unreadable(ObjectMeta::default(), format!("metadata: {err}"));
            }
            None => ObjectMeta::default(),
        };
        let status = match parts.status.map(|s| serde_json::from_str(s.get())) {
            Some(Ok(status)) => Some(status),
            // A status the operator cannot read is rewritten by it.
            Some(Err(_)) | None => None,
        };
        let spec = match parts.spec {
            Some(spec) => decode_spec(spec.get()),
            None => Err(("Undecodable", "spec: missing".to_string())),
        };
        let object = match spec {
            Ok(spec) => Ok(Arc::new(FlowExecution {
                metadata,
                spec,
                status,
            })),
            Err((reason, message)) => Err(Unreadable {
                metadata,
                reason,
                message,
                status,
            }),
        };
        Watched { object }
    }
}

fn metadata_without_managed_fields(raw: &RawValue) -> Result<ObjectMeta, serde_json::Error> {
    let mut fields: BTreeMap<String, &RawValue> = serde_json::from_str(raw.get())?;
    fields.remove("managedFields");
    serde_json::from_str(&serde_json::to_string(&fields)?)
}

fn decode_spec(text: &str) -> Result<FlowExecutionSpec, (&'static str, String)> {
    let too_deep = || {
        (
            "InputTooDeep",
            format!(
                "spec.input is nested deeper than {INPUT_MAX_DEPTH} levels, the most the operator reads; \
                 flatten it (or pass deep data as a JSON string) in a new FlowExecution"
            ),
        )
    };
    match serde_json::from_str::<FlowExecutionSpec>(text) {
        Ok(spec) => match &spec.input {
            Some(input) if object_depth(input) > INPUT_MAX_DEPTH => Err(too_deep()),
            _ => Ok(spec),
        },
        Err(err) if err.to_string().contains("recursion limit exceeded") => Err(too_deep()),
        Err(err) => Err(("Undecodable", format!("spec: {err}"))),
    }
}

/// Depth of a JSON object: `{}` is 1. Bounded by the decoder's own limit, so
/// the recursion is too.
fn object_depth(map: &serde_json::Map<String, serde_json::Value>) -> usize {
    1 + map.values().map(value_depth).max().unwrap_or(0)
}

fn value_depth(value: &serde_json::Value) -> usize {
    match value {
        serde_json::Value::Object(map) => object_depth(map),
        serde_json::Value::Array(items) => 1 + items.iter().map(value_depth).max().unwrap_or(0),
        _ => 0,
    }
}

impl<'de> Deserialize<'de> for Watched {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        Ok(Watched::decode(raw.get()))
    }
}

impl Resource for Watched {
    type DynamicType = ();
    type Scope = <FlowExecution as Resource>::Scope;

    fn kind(dt: &()) -> std::borrow::Cow<'_, str> {
        FlowExecution::kind(dt)
    }
    fn group(dt: &()) -> std::borrow::Cow<'_, str> {
        FlowExecution::group(dt)
    }
    fn version(dt: &()) -> std::borrow::Cow<'_, str> {
        FlowExecution::version(dt)
    }
    fn plural(dt: &()) -> std::borrow::Cow<'_, str> {
        FlowExecution::plural(dt)
    }
    fn meta(&self) -> &ObjectMeta {
        match &self.object {
            Ok(fe) => &fe.metadata,
            Err(unreadable) => &unreadable.metadata,
        }
    }
    fn meta_mut(&mut self) -> &mut ObjectMeta {
        match &mut self.object {
            Ok(fe) => &mut Arc::make_mut(fe).metadata,
            Err(unreadable) => &mut unreadable.metadata,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(depth: usize) -> String {
        let mut input = String::from("1");
        for _ in 0..depth {
            input = format!("{{\"a\":{input}}}");
        }
        input
    }

    fn object(name: &str, input: &str) -> String {
        format!(
            r#"{{"apiVersion":"fnf-operator.dev/v1alpha1","kind":"FlowExecution",
            "metadata":{{"name":"{name}","namespace":"ns","uid":"u-{name}",
              "managedFields":[{{"manager":"kubectl","fieldsV1":{fields}}}]}},
            "spec":{{"flowName":"quick","input":{input}}},
            "status":{{"phase":"Running"}}}}"#,
            fields = nested(150),
        )
    }

    #[test]
    fn a_list_with_one_object_nested_past_serde_jsons_limit_still_decodes_the_others() {
        let list = format!(
            r#"{{"apiVersion":"v1","kind":"List","metadata":{{}},"items":[{},{}]}}"#,
            object("deep", &nested(200)),
            object("fine", &nested(3)),
        );
        let parsed: kube::core::ObjectList<Watched> = serde_json::from_str(&list).unwrap();
        assert_eq!(parsed.items.len(), 2);
        let deep = &parsed.items[0];
        assert_eq!(deep.meta().name.as_deref(), Some("deep"));
        let unreadable = deep.object.as_ref().unwrap_err();
        assert_eq!(unreadable.reason, "InputTooDeep");
        assert!(unreadable.message.contains("spec.input"));
        assert!(unreadable.message.contains(&INPUT_MAX_DEPTH.to_string()));
        assert_eq!(deep.status().unwrap().phase.as_deref(), Some("Running"));
        let fine = parsed.items[1].object.as_ref().unwrap();
        assert_eq!(fine.spec.flow_name, "quick");
        assert!(fine.metadata.managed_fields.is_none());
        assert_eq!(fine.metadata.uid.as_deref(), Some("u-fine"));
    }

    #[test]
    fn the_depth_limit_is_exact() {
        // nested(n) is an object of depth n.
        let at = Watched::decode(&object("at", &nested(INPUT_MAX_DEPTH)));
        assert!(at.object.is_ok(), "{:?}", at.object);
        let past = Watched::decode(&object("past", &nested(INPUT_MAX_DEPTH + 1)));
        assert_eq!(past.object.unwrap_err().reason, "InputTooDeep");
    }

    #[test]
    fn a_watch_event_of_a_deep_object_decodes() {
        let line = format!(
            r#"{{"type":"ADDED","object":{}}}"#,
            object("deep", &nested(300))
        );
        let event: kube::core::WatchEvent<Watched> = serde_json::from_str(&line).unwrap();
        assert!(matches!(event, kube::core::WatchEvent::Added(w) if w.object.is_err()));
    }

    #[test]
    fn a_spec_of_the_wrong_shape_is_unreadable_not_fatal() {
        let text = r#"{"metadata":{"name":"x"},"spec":{"flowName":5}}"#;
        let watched = Watched::decode(text);
        assert_eq!(watched.object.unwrap_err().reason, "Undecodable");
    }
}
