//! Hand-written schema pieces the derive cannot express: fnf's naming rule,
//! a free-form JSON object, and the CEL rules that make identity immutable.

use schemars::{Schema, SchemaGenerator, json_schema};
use serde_json::{Value, json};

/// fnf's rule for flow and execution names.
pub const FNF_NAME_PATTERN: &str = "^[A-Za-z_][A-Za-z0-9_-]{0,127}$";

pub fn fnf_name(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "minLength": 1,
        "maxLength": 128,
        "pattern": FNF_NAME_PATTERN,
    })
}

pub fn optional_fnf_name(generator: &mut SchemaGenerator) -> Schema {
    let mut schema = fnf_name(generator);
    schema.insert("nullable".into(), Value::Bool(true));
    schema
}

/// Any JSON object, kept as written (the apiserver must not prune its fields).
pub fn input(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "nullable": true,
        "x-kubernetes-preserve-unknown-fields": true,
    })
}

/// Identity fields are immutable: changing them would silently point the object
/// at another execution, so the apiserver refuses the change with the fix.
pub fn spec_rules() -> Value {
    let immutable = |field: &str| {
        json!({
            "rule": format!(
                "has(self.{field}) == has(oldSelf.{field}) && (!has(self.{field}) || self.{field} == oldSelf.{field})"
            ),
            "message": format!(
                "spec.{field} is immutable: create a new FlowExecution (a new name, or a new spec.executionName) to run again"
            ),
        })
    };
    json!([
        {
            "rule": "self.flowName == oldSelf.flowName",
            "message": "spec.flowName is immutable: create a new FlowExecution to run another flow",
        },
        immutable("executionName"),
        immutable("input"),
        immutable("mode"),
        immutable("qualifier"),
        immutable("region"),
        {
            "rule": "!has(oldSelf.stop) || !oldSelf.stop || (has(self.stop) && self.stop)",
            "message": "spec.stop cannot be set back to false: a stopped execution stays stopped; create a new FlowExecution to run again",
        },
    ])
}

/// Exactly one of `configMap` and `secret`.
pub fn output_target_rules() -> Value {
    json!([{
        "rule": "has(self.configMap) != has(self.secret)",
        "message": "spec.outputTo needs exactly one of configMap and secret",
    }])
}
