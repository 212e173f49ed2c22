//! The input a run sends: `spec.input` with each `spec.inputFrom` entry's
//! value set, from ConfigMap and Secret data the caller has read.
//!
//! Pure: no I/O (the caller reads the objects [`referenced_sources`] names).
//! Must never put a value into an error: errors name the object, key and
//! field only, because a Secret's value may go to the cloud and nowhere else.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::run_spec::InputSourceKind;
use super::spec::FlowExecutionSpec;

/// Why the input cannot be built yet. Each names what to create or fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputSourceError {
    #[error("spec.inputFrom field {field:?}: {} {name:?} does not exist in this namespace", kind_name(*.kind))]
    ObjectNotFound {
        field: String,
        kind: InputSourceKind,
        name: String,
    },
    #[error("spec.inputFrom field {field:?}: {} {name:?} has no key {key:?}", kind_name(*.kind))]
    KeyNotFound {
        field: String,
        kind: InputSourceKind,
        name: String,
        key: String,
    },
    #[error("spec.inputFrom field {field:?}: key {key:?} of {} {name:?} is not UTF-8 text", kind_name(*.kind))]
    NotText {
        field: String,
        kind: InputSourceKind,
        name: String,
        key: String,
    },
    /// Only the position is kept: the parser's message could quote the value.
    #[error(
        "spec.inputFrom field {field:?} has asJson, but key {key:?} of {} {name:?} is not JSON (line {line}, column {column})",
        kind_name(*.kind)
    )]
    NotJson {
        field: String,
        kind: InputSourceKind,
        name: String,
        key: String,
        line: usize,
        column: usize,
    },
    #[error(
        "spec.inputFrom has an entry for field {field:?} with neither or both of configMapKeyRef and secretKeyRef"
    )]
    NoSingleSource { field: String },
}

impl InputSourceError {
    /// Stable, CamelCase: a condition reason and a metric label.
    pub fn reason(&self) -> &'static str {
        match self {
            InputSourceError::ObjectNotFound { .. } | InputSourceError::KeyNotFound { .. } => {
                "InputSourceNotFound"
            }
            InputSourceError::NotText { .. }
            | InputSourceError::NotJson { .. }
            | InputSourceError::NoSingleSource { .. } => "InputSourceInvalid",
        }
    }
}

fn kind_name(kind: InputSourceKind) -> &'static str {
    match kind {
        InputSourceKind::ConfigMap => "ConfigMap",
        InputSourceKind::Secret => "Secret",
    }
}

/// The objects `spec.inputFrom` reads, each once, in a stable order.
pub fn referenced_sources(spec: &FlowExecutionSpec) -> Vec<(InputSourceKind, String)> {
    let mut sources: Vec<(InputSourceKind, String)> = Vec::new();
    for (kind, reference) in spec.input_from.iter().filter_map(|entry| entry.source()) {
        let source = (kind, reference.name.clone());
        if !sources.contains(&source) {
            sources.push(source);
        }
    }
    sources
}

/// An object's data as read: ConfigMap `data` and `binaryData` together, or
/// Secret `data`. `None` from the lookup means the object does not exist.
pub type SourceData = BTreeMap<String, Vec<u8>>;

/// `spec.input` with every `spec.inputFrom` entry applied (an entry replaces
/// the field of its name). `read` gives the data of an object
/// [`referenced_sources`] named.
pub fn resolved_input<'a>(
    spec: &FlowExecutionSpec,
    read: impl Fn(InputSourceKind, &str) -> Option<&'a SourceData>,
) -> Result<Map<String, Value>, InputSourceError> {
    let mut input = spec.input.clone().unwrap_or_default();
    for entry in &spec.input_from {
        let field = entry.field.clone();
        let (kind, reference) = entry
            .source()
            .ok_or_else(|| InputSourceError::NoSingleSource {
                field: field.clone(),
            })?;
        let name = reference.name.clone();
        let data = read(kind, &reference.name).ok_or_else(|| InputSourceError::ObjectNotFound {
            field: field.clone(),
            kind,
            name: name.clone(),
        })?;
        let key = reference.key.clone();
        let Some(bytes) = data.get(&reference.key) else {
            return Err(InputSourceError::KeyNotFound {
                field,
                kind,
                name,
                key,
            });
        };
        let Ok(text) = std::str::from_utf8(bytes) else {
            return Err(InputSourceError::NotText {
                field,
                kind,
                name,
                key,
            });
        };
        let value = if entry.as_json {
            serde_json::from_str(text).map_err(|err| InputSourceError::NotJson {
                field: field.clone(),
                kind,
                name,
                key,
                line: err.line(),
                column: err.column(),
            })?
        } else {
            Value::String(text.to_string())
        };
        input.insert(field, value);
    }
    Ok(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET_VALUE: &str = "s3cr3t-PIN-4711";

    fn spec(input_from: Value) -> FlowExecutionSpec {
        serde_json::from_value(serde_json::json!({
            "flowName": "etl", "input": {"greeting": "hi", "region": "literal"},
            "inputFrom": input_from,
        }))
        .unwrap()
    }

    fn data(pairs: &[(&str, &str)]) -> SourceData {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn entries_set_their_fields_as_text_or_json_and_replace_the_literal() {
        let spec = spec(serde_json::json!([
            {"field": "region", "configMapKeyRef": {"name": "settings", "key": "region"}},
            {"field": "limits", "configMapKeyRef": {"name": "settings", "key": "limits"}, "asJson": true},
            {"field": "token", "secretKeyRef": {"name": "api", "key": "token"}},
        ]));
        assert_eq!(
            referenced_sources(&spec),
            [
                (InputSourceKind::ConfigMap, "settings".to_string()),
                (InputSourceKind::Secret, "api".to_string())
            ]
        );
        let settings = data(&[("region", "eu"), ("limits", r#"{"n": 3}"#)]);
        let api = data(&[("token", SECRET_VALUE)]);
        let input = resolved_input(&spec, |kind, name| match (kind, name) {
            (InputSourceKind::ConfigMap, "settings") => Some(&settings),
            (InputSourceKind::Secret, "api") => Some(&api),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            Value::Object(input),
            serde_json::json!({"greeting": "hi", "region": "eu", "limits": {"n": 3}, "token": SECRET_VALUE})
        );
    }

    #[test]
    fn a_missing_object_or_key_is_named_and_a_bad_value_is_never_quoted() {
        let spec = spec(serde_json::json!([
            {"field": "token", "secretKeyRef": {"name": "api", "key": "token"}, "asJson": true},
        ]));
        let err = resolved_input(&spec, |_, _| None).unwrap_err();
        assert_eq!(err.reason(), "InputSourceNotFound");
        assert!(
            err.to_string().contains(r#"Secret "api" does not exist"#),
            "{err}"
        );

        let empty = data(&[]);
        let err = resolved_input(&spec, |_, _| Some(&empty)).unwrap_err();
        assert_eq!(err.reason(), "InputSourceNotFound");
        assert!(err.to_string().contains(r#"has no key "token""#), "{err}");

        let api = data(&[("token", SECRET_VALUE)]);
        let err = resolved_input(&spec, |_, _| Some(&api)).unwrap_err();
        assert_eq!(err.reason(), "InputSourceInvalid");
        for text in [err.to_string(), format!("{err:?}")] {
            assert!(
                !text.contains(SECRET_VALUE) && !text.contains("PIN"),
                "{text}"
            );
        }
    }
}
