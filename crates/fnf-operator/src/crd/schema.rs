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

/// The deepest `spec.input` accepted (`{}` is depth 1). The operator decodes
/// no deeper (see `controller::watched`): its own writes return the whole
/// object, managedFields included (they mirror the input, ~8 levels further
/// down), and serde_json stops at 128 levels.
pub const INPUT_MAX_DEPTH: usize = 100;

pub const INPUT_DEPTH_POLICY_NAME: &str = "flowexecutions.fnf-operator.dev-input-depth";

/// The admission rule that refuses a `spec.input` deeper than
/// [`INPUT_MAX_DEPTH`]: a ValidatingAdmissionPolicy and its binding.
///
/// It cannot live in the CRD: CEL rules there do not see the fields of an
/// `x-kubernetes-preserve-unknown-fields` object (the input), and a schema
/// would need both `items` and `additionalProperties` at every level, 2^100
/// nodes. The policy sees the object as plain JSON. CEL has no recursion, and
/// nesting 100 macros is past its parser's depth limit, so each variable holds
/// the objects and arrays one level further down than the previous one. Only
/// CREATE is checked: the CRD makes the input immutable, and an object made
/// before the policy must stay updatable (finalizers) and deletable.
pub fn input_depth_policy() -> [Value; 2] {
    let mut variables = vec![json!({
        "name": "l1",
        "expression": "has(object.spec.input) ? [object.spec.input] : []",
    })];
    for level in 2..=INPUT_MAX_DEPTH + 1 {
        variables.push(json!({
            "name": format!("l{level}"),
            "expression": format!(
                "variables.l{}.map(v, type(v) == map ? v.map(k, v[k]) : v).flatten().filter(x, type(x) == map || type(x) == list)",
                level - 1
            ),
        }));
    }
    let policy = json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": INPUT_DEPTH_POLICY_NAME},
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {"resourceRules": [{
                "apiGroups": ["fnf-operator.dev"],
                "apiVersions": ["*"],
                "operations": ["CREATE"],
                "resources": ["flowexecutions"],
            }]},
            "variables": variables,
            "validations": [{
                "expression": format!("size(variables.l{}) == 0", INPUT_MAX_DEPTH + 1),
                "message": format!(
                    "spec.input is nested deeper than {INPUT_MAX_DEPTH} levels, the most fnf-operator reads: flatten it, or pass the deep part as a JSON string"
                ),
                "reason": "Invalid",
            }],
        },
    });
    let binding = json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": INPUT_DEPTH_POLICY_NAME},
        "spec": {
            "policyName": INPUT_DEPTH_POLICY_NAME,
            "validationActions": ["Deny"],
        },
    });
    [policy, binding]
}
