//! A run's identity: a short hash of its declaration (flow name, qualifier,
//! resolved input, `runKey`), so that the same declaration always maps to the
//! same execution name and a different one never does.
//!
//! Pure: no I/O. Must never hash a Secret's value: a short unsalted hash of a
//! low-entropy secret (a PIN, a short password) can be brute-forced from the
//! execution name or `status.runIdentity`, which many more people can read
//! than the Secret. An input field taken from a Secret enters the identity as
//! its reference (field, Secret name, key, asJson) instead, so changing only
//! the Secret's value does not run again: bump `spec.runKey` for that.
//! ConfigMap values and the spec's own input are hashed by value: whoever can
//! read the name can read them already.
//!
//! Canonical form: a JSON document with every object's keys sorted (by their
//! UTF-8 bytes) and no whitespace, so neither key order nor formatting
//! changes the identity; an absent input is the empty object.
//!
//! Length: [`RUN_IDENTITY_HEX_CHARS`] = 12 hex digits, 48 bits of SHA-256.
//! Identities only need to tell apart the declarations of one object (the
//! execution name's base already separates objects): with n declarations of
//! one object, the chance that any two share a hash is about n²/2⁴⁹, so 1e-9
//! even after 1,000 edits. And a collision is not silent: the operator
//! compares an existing execution's Input with the declaration before it
//! mirrors it.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::run_spec::InputFieldSource;

pub const RUN_IDENTITY_HEX_CHARS: usize = 12;
/// Names the canonical form, so a future change of it is a change of this.
const SCHEME: &str = "fnf-operator.dev/run-identity/v1";

/// The short hash of a run's declaration: 12 lowercase hex digits.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RunIdentity(String);

impl RunIdentity {
    /// The identity of running `flow_name` (at `qualifier`) with
    /// `resolved_input` (the input as the cloud will get it, inputFrom
    /// applied) and `run_key`. `input_from` is the spec's list: fields it
    /// takes from Secrets are left out of the hashed input and their
    /// references hashed instead, so the caller may pass the whole input.
    pub fn of(
        flow_name: &str,
        qualifier: Option<&str>,
        resolved_input: &Map<String, Value>,
        run_key: Option<&str>,
        input_from: &[InputFieldSource],
    ) -> RunIdentity {
        let secret_sources: Vec<&InputFieldSource> =
            input_from.iter().filter(|s| s.is_secret()).collect();
        let hashed_input: Map<String, Value> = resolved_input
            .iter()
            .filter(|(field, _)| !secret_sources.iter().any(|s| &s.field == *field))
            .map(|(field, value)| (field.clone(), value.clone()))
            .collect();
        let secret_refs: Vec<Value> = secret_sources
            .iter()
            .map(|s| {
                let (name, key) = s
                    .secret_key_ref
                    .as_ref()
                    .map(|r| (r.name.as_str(), r.key.as_str()))
                    .unwrap_or_default();
                serde_json::json!({"field": s.field, "name": name, "key": key, "asJson": s.as_json})
            })
            .collect();
        let declaration = serde_json::json!({
            "scheme": SCHEME,
            "flowName": flow_name,
            "qualifier": qualifier,
            "input": hashed_input,
            "runKey": run_key,
            "secretInputs": secret_refs,
        });
        let mut canonical = String::new();
        write_canonical(&declaration, &mut canonical);
        let digest = hex::encode(Sha256::digest(canonical.as_bytes()));
        RunIdentity(digest[..RUN_IDENTITY_HEX_CHARS].to_string())
    }

    /// An identity as recorded in a status, if it has the right shape.
    pub fn parse(text: &str) -> Option<RunIdentity> {
        let valid = text.len() == RUN_IDENTITY_HEX_CHARS
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        valid.then(|| RunIdentity(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RunIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `value` as compact JSON with every object's keys sorted, whatever order
/// the map keeps them in (serde_json's `preserve_order` feature may be on).
pub fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (index, (key, value)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
#[path = "run_identity_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "run_identity_fuzz_tests.rs"]
mod fuzz_tests;
